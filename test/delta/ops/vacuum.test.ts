import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { resolveDataFile } from '../../../src/delta/log/paths.js';
import { optimizeTable } from '../../../src/delta/ops/optimize.js';
import { DAY_MS } from '../../../src/delta/ops/units.js';
import {
  executeVacuum,
  planVacuum,
  VacuumRetentionError,
  vacuumTable,
} from '../../../src/delta/ops/vacuum.js';
import { verifyTable } from '../../../src/delta/ops/verify.js';
import { appendRows } from '../../../src/delta/write/append.js';
import { useMemoryDuckDb } from '../shared-duckdb.js';
import { buildTable, DATES, fullScan, makeTempDir, removeTempDirs, ticks } from './helpers.js';

const duck = useMemoryDuckDb();
afterAll(removeTempDirs);

/** Sets a file's mtime `days` days into the past. */
function age(file: string, days: number): void {
  const t = new Date(Date.now() - days * DAY_MS);
  utimesSync(file, t, t);
}

function liveFiles(table: string, snapshot: Awaited<ReturnType<typeof loadSnapshot>>): string[] {
  return [...snapshot.files.values()].map((f) => resolveDataFile(table, f.relativePath));
}

function commitOperations(table: string): string[] {
  return readdirSync(path.join(table, '_delta_log'))
    .filter((n) => /^\d{20}\.json$/.test(n))
    .sort()
    .map(
      (n) =>
        JSON.parse(readFileSync(path.join(table, '_delta_log', n), 'utf8').split('\n')[0] as string)
          .commitInfo.operation,
    );
}

describe('VACUUM', () => {
  test('deletes tombstoned and orphaned files older than the retention, never live, hidden or recent ones', async () => {
    const table = await buildTable(makeTempDir(), 6);
    const beforeOptimize = await loadSnapshot(table);
    const compactedAway = liveFiles(table, beforeOptimize);
    const rows = await fullScan(table, undefined, duck);
    const optimizeNow = new Date(Date.now() - 10 * DAY_MS); // the removes are 10 days old
    await optimizeTable(table, { connection: duck.connection, now: () => optimizeNow });
    for (const file of compactedAway) age(file, 10);
    const live = liveFiles(table, await loadSnapshot(table));
    for (const file of live) age(file, 30); // old but live: must stay

    const orphanOld = path.join(table, `trade_date=${DATES[0]}`, 'part-orphan-old.parquet');
    const orphanNew = path.join(table, `trade_date=${DATES[0]}`, 'part-orphan-new.parquet');
    writeFileSync(orphanOld, 'x'.repeat(100));
    writeFileSync(orphanNew, 'y');
    age(orphanOld, 8);
    const hidden = [
      path.join(table, `trade_date=${DATES[1]}`, '.part-x.parquet.crc'),
      path.join(table, '_staging', 'leftover', 'part-1.parquet'),
      path.join(table, '_delta_log', 'junk.parquet'),
    ];
    for (const file of hidden) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, 'h');
      age(file, 100);
    }

    const plan = await planVacuum(await loadSnapshot(table));
    const planned = plan.files.map((f) => f.absolutePath).sort();
    expect(planned).toEqual([...compactedAway, orphanOld].sort());
    expect(plan.files.filter((f) => f.kind === 'tombstone')).toHaveLength(6);
    expect(plan.recentFiles).toBe(1);

    const dry = await executeVacuum(plan, { dryRun: true });
    expect(dry.filesDeleted).toBe(7);
    expect(dry.bytesDeleted).toBe(plan.bytes);
    expect(dry.files).toContain(`trade_date=${DATES[0]}/part-orphan-old.parquet`);
    for (const file of compactedAway) expect(existsSync(file)).toBe(true);

    const metrics = await executeVacuum(plan, { connection: duck.connection });
    expect(metrics.filesDeleted).toBe(7);
    for (const file of [...compactedAway, orphanOld]) expect(existsSync(file)).toBe(false);
    for (const file of [...live, orphanNew, ...hidden]) expect(existsSync(file)).toBe(true);
    expect(commitOperations(table).slice(-2)).toEqual(['VACUUM START', 'VACUUM END']);
    expect(await fullScan(table, undefined, duck)).toEqual(rows);
    expect((await verifyTable(table, { connection: duck.connection })).problems).toEqual([]);

    // Nothing left to do: no commits either.
    const again = await vacuumTable(table, { connection: duck.connection });
    expect(again.filesDeleted).toBe(0);
    expect(again.startVersion).toBeUndefined();
  });

  test('a tombstone younger than the retention keeps its file even if the file is old', async () => {
    const table = await buildTable(makeTempDir(), 4);
    const old = liveFiles(table, await loadSnapshot(table));
    await optimizeTable(table, { connection: duck.connection }); // removes stamped now
    for (const file of old) age(file, 60);
    const plan = await planVacuum(await loadSnapshot(table));
    expect(plan.files).toEqual([]);
    expect(plan.recentFiles).toBe(2);
  });

  test('a retention below the table setting needs forceRetention and says what it risks', async () => {
    const table = await buildTable(makeTempDir(), 2, {
      configuration: { 'delta.deletedFileRetentionDuration': 'interval 2 days' },
    });
    const snapshot = await loadSnapshot(table);
    await expect(planVacuum(snapshot, { retentionMs: DAY_MS })).rejects.toBeInstanceOf(VacuumRetentionError);
    await expect(planVacuum(snapshot, { retentionMs: DAY_MS })).rejects.toMatchObject({
      message: expect.stringMatching(/retention of 1d.*keeps deleted files for 2d/),
      hint: expect.stringMatching(/time travel.*concurrent writers.*Force the retention only when/s),
    });
    const forced = await planVacuum(snapshot, { retentionMs: 0, forceRetention: true });
    expect(forced.retentionMs).toBe(0);
    // Longer than the table's setting needs no force.
    expect((await planVacuum(snapshot, { retentionMs: 3 * DAY_MS })).retentionMs).toBe(3 * DAY_MS);
  });

  test('files of an append that commits after the vacuum started are kept (fresh snapshot re-check)', async () => {
    const table = await buildTable(makeTempDir(), 3);
    const rowsBefore = await fullScan(table, undefined, duck);
    const live = liveFiles(table, await loadSnapshot(table));
    for (const file of live) age(file, 30);
    // An orphan that is old enough goes; the plan is made before the append lands.
    const orphan = path.join(table, `trade_date=${DATES[2]}`, 'part-crashed-writer.parquet');
    writeFileSync(orphan, 'z');
    age(orphan, 9);
    const plan = await planVacuum(await loadSnapshot(table));
    expect(plan.files.map((f) => f.absolutePath)).toEqual([orphan]);

    // The append commits after planning. Its files are new, so they could never be candidates; to show
    // the re-check, make the planned candidate list include the appended file as if it had looked old.
    const appended = await appendRows(table, ticks(DATES[2] as string, 50));
    if (appended.skipped) throw new Error('append skipped');
    const appendedFile = resolveDataFile(table, decodeURIComponent(appended.adds[0]?.path ?? ''));
    age(appendedFile, 20);
    const tampered = {
      ...plan,
      files: [
        ...plan.files,
        { path: 'x', absolutePath: appendedFile, bytes: 1, kind: 'orphan' as const, since: 0 },
      ],
    };
    const metrics = await executeVacuum(tampered, { connection: duck.connection });
    expect(metrics.filesDeleted).toBe(1);
    expect(metrics.filesKept).toBe(1);
    expect(existsSync(appendedFile)).toBe(true);
    expect(existsSync(orphan)).toBe(false);
    const rows = await fullScan(table, undefined, duck);
    expect(rows).toHaveLength(rowsBefore.length + 4);
  });

  test('a file modified after planning is kept', async () => {
    const table = await buildTable(makeTempDir(), 1);
    const orphan = path.join(table, `trade_date=${DATES[0]}`, 'part-stray.parquet');
    writeFileSync(orphan, 'z');
    age(orphan, 9);
    const plan = await planVacuum(await loadSnapshot(table));
    expect(plan.files).toHaveLength(1);
    writeFileSync(orphan, 'rewritten'); // mtime is now
    const metrics = await executeVacuum(plan, { recordCommits: false });
    expect(metrics.filesDeleted).toBe(0);
    expect(existsSync(orphan)).toBe(true);
  });
});
