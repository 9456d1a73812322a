import { mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { executeLogCleanup, planLogCleanup } from '../../../src/delta/ops/log-cleanup.js';
import { checkpointOnDemand } from '../../../src/delta/ops/maintenance.js';
import { DAY_MS } from '../../../src/delta/ops/units.js';
import { verifyTable } from '../../../src/delta/ops/verify.js';
import { appendRows } from '../../../src/delta/write/append.js';
import { useMemoryDuckDb } from '../shared-duckdb.js';
import { buildTable, DATES, fullScan, makeTempDir, removeTempDirs, ticks } from './helpers.js';

const duck = useMemoryDuckDb();
afterAll(removeTempDirs);

function logNames(table: string): string[] {
  return readdirSync(path.join(table, '_delta_log'))
    .filter((n) => /^\d{20}\./.test(n))
    .sort();
}

/** A table whose commit v was made `days(v)` days ago (commitInfo.timestamp, the time travel clock). */
async function tableWithHistory(commits: number, daysAgo: (version: number) => number): Promise<string> {
  const clockFor = (v: number) => () => new Date(Date.now() - daysAgo(v) * DAY_MS);
  const table = await buildTable(makeTempDir(), 0, {
    configuration: { 'delta.checkpointInterval': '5' },
    now: clockFor(0),
  });
  for (let v = 1; v <= commits; v++) {
    await appendRows(table, ticks(DATES[v % 3] as string, v), { now: clockFor(v) });
  }
  return table;
}

describe('log cleanup', () => {
  test('deletes commits and checkpoints older than the retention behind a newer checkpoint; time travel inside the retention still works', async () => {
    // Versions 0..12 are 40 days old, 13..22 are 5 days old. Checkpoints at 5, 10, 15, 20.
    const table = await tableWithHistory(22, (v) => (v <= 12 ? 40 : 5));
    const answers = new Map<number, unknown>();
    for (const v of [10, 13, 16, 22]) answers.set(v, await fullScan(table, v, duck));

    const plan = await planLogCleanup(table, { connection: duck.connection });
    // The oldest version inside the 30-day retention is 13; the newest checkpoint at or below it is 10.
    expect(plan.keepVersion).toBe(10);
    expect(plan.files.filter((f) => f.kind === 'commit').map((f) => f.version)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
    expect(plan.files.filter((f) => f.kind === 'checkpoint').map((f) => f.version)).toEqual([5]);
    // Ascending order of deletion.
    expect(plan.files.map((f) => f.version)).toEqual(
      [...plan.files.map((f) => f.version)].sort((a, b) => a - b),
    );

    const dry = await executeLogCleanup(plan, { dryRun: true });
    expect(dry.filesDeleted).toBe(11);
    expect(logNames(table)).toContain('00000000000000000000.json');

    const metrics = await executeLogCleanup(plan);
    expect(metrics.commitsDeleted).toBe(10);
    expect(metrics.checkpointsDeleted).toBe(1);
    const names = logNames(table);
    expect(names[0]).toBe('00000000000000000010.checkpoint.parquet');
    expect(names).toContain('00000000000000000010.json');
    expect(names).toContain('00000000000000000020.checkpoint.parquet');
    for (const [v, rows] of answers) expect(await fullScan(table, v, duck)).toEqual(rows);
    await expect(loadSnapshot(table, { version: 9 })).rejects.toThrow(/not available/);
    expect((await verifyTable(table, { connection: duck.connection, checkpoints: 'all' })).problems).toEqual(
      [],
    );
  });

  test('a recent checkpoint whose JSON commits are gone is kept: it is the only way back to its version', async () => {
    // All 22 commits are 5 days old (inside the 30-day retention); checkpoints at 5, 10, 15, 20. The
    // JSON commits below 20 are deleted by hand: versions 5, 10 and 15 are readable from their
    // checkpoints only. Cleanup used to date versions by their commits alone, take 20 as the oldest
    // version inside the retention, and delete checkpoints 5, 10 and 15 with that time travel.
    const table = await tableWithHistory(22, () => 5);
    for (let v = 0; v < 20; v++)
      rmSync(path.join(table, '_delta_log', `${String(v).padStart(20, '0')}.json`));
    const at15 = await fullScan(table, 15, duck);
    const plan = await planLogCleanup(table, { connection: duck.connection });
    expect(plan.files).toEqual([]);
    await executeLogCleanup(plan);
    expect(await fullScan(table, 15, duck)).toEqual(at15);
    expect(logNames(table)).toContain('00000000000000000005.checkpoint.parquet');
  });

  test('never deletes the newest checkpoint or anything after it, even when everything is expired', async () => {
    const table = await tableWithHistory(13, () => 100);
    const plan = await planLogCleanup(table, { connection: duck.connection });
    expect(plan.newestCheckpoint).toBe(10);
    expect(plan.keepVersion).toBe(10);
    await executeLogCleanup(plan);
    const names = logNames(table);
    for (const v of [10, 11, 12, 13]) expect(names).toContain(`${String(v).padStart(20, '0')}.json`);
    expect(names).toContain('00000000000000000010.checkpoint.parquet');
    expect((await fullScan(table, undefined, duck)).length).toBe(13 * 4);
  });

  test('deletes nothing without a checkpoint, when nothing is expired, or when cleanup is disabled', async () => {
    const noCheckpoint = await tableWithHistory(4, () => 100);
    expect((await planLogCleanup(noCheckpoint)).skipped).toBe('no-checkpoint');
    const fresh = await tableWithHistory(12, () => 1);
    const freshPlan = await planLogCleanup(fresh);
    expect(freshPlan.files).toEqual([]);
    expect(freshPlan.skipped).toBe('no-checkpoint'); // the oldest retained version is 0
    const disabled = await buildTable(makeTempDir(), 12, {
      configuration: { 'delta.enableExpiredLogCleanup': 'false' },
    });
    expect((await planLogCleanup(disabled, { now: () => new Date(Date.now() + 400 * DAY_MS) })).skipped).toBe(
      'disabled',
    );
  });

  test('an unreadable checkpoint is never used as the base: an older readable one is kept instead', async () => {
    const table = await tableWithHistory(17, () => 100);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(table, '_delta_log', '00000000000000000015.checkpoint.parquet'), 'not parquet');
    const plan = await planLogCleanup(table, { connection: duck.connection });
    expect(plan.keepVersion).toBe(10);
    await executeLogCleanup(plan);
    expect((await fullScan(table, undefined, duck)).length).toBe(17 * 4);
  });

  test('the cutoff follows commit timestamps (as time travel does), not file mtimes; now is injectable', async () => {
    const table = await buildTable(makeTempDir(), 12);
    const plan = await planLogCleanup(table, { now: () => new Date(Date.now() + 31 * DAY_MS) });
    expect(plan.keepVersion).toBe(10);
    const later = new Date(Date.now() - 40 * DAY_MS);
    for (const name of logNames(table)) utimesSync(path.join(table, '_delta_log', name), later, later);
    // commitInfo.timestamp still says "now": nothing expires.
    expect((await planLogCleanup(table)).files).toEqual([]);
  });

  test('removes the temp files of crashed writers once older than a live writer holds one, even with nothing expired', async () => {
    const table = await buildTable(makeTempDir(), 3);
    const log = path.join(table, '_delta_log');
    const staging = path.join(table, '_staging');
    mkdirSync(staging, { recursive: true });
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    const sevenHoursAgo = new Date(Date.now() - 7 * 3600_000);
    const temp = (dir: string, name: string, at?: Date) => {
      writeFileSync(path.join(dir, name), '');
      if (at) utimesSync(path.join(dir, name), at, at);
    };
    // What ENOSPC or a kill leaves: a (partial) commit temp, a checkpoint temp, a staged data file.
    temp(log, '_commit-0b4e2a8e-old.tmp', twoHoursAgo);
    temp(log, '_checkpoint-5f1d-old.parquet.tmp', twoHoursAgo);
    temp(staging, 'part-old.parquet', sevenHoursAgo);
    // A concurrent writer's: just written.
    temp(log, '_commit-live.tmp');
    temp(staging, 'part-live.parquet', twoHoursAgo);
    // A clock set ahead (as tests and tools do) does not make the live writer's temp look stale.
    const plan = await planLogCleanup(table, {
      connection: duck.connection,
      now: () => new Date(Date.now() + 40 * DAY_MS),
    });
    expect((await executeLogCleanup(plan, { dryRun: true })).tempFilesDeleted).toBe(0);
    expect(readdirSync(log)).toContain('_commit-0b4e2a8e-old.tmp');
    const metrics = await executeLogCleanup(plan);
    expect(metrics.tempFilesDeleted).toBe(3);
    expect(readdirSync(log).filter((n) => n.endsWith('.tmp'))).toEqual(['_commit-live.tmp']);
    expect(readdirSync(staging)).toEqual(['part-live.parquet']);
    expect((await fullScan(table, undefined, duck)).length).toBe(3 * 4);
  });

  test('checkpoint on demand writes one for the latest version unless it exists', async () => {
    const table = await buildTable(makeTempDir(), 3);
    const first = await checkpointOnDemand(table, { connection: duck.connection });
    expect(first).toMatchObject({ version: 3, written: true, alreadyPresent: false });
    expect(logNames(table)).toContain('00000000000000000003.checkpoint.parquet');
    const second = await checkpointOnDemand(table, { connection: duck.connection });
    expect(second).toMatchObject({ version: 3, written: false, alreadyPresent: true });
    expect((await loadSnapshot(table, { connection: duck.connection })).checkpointVersion).toBe(3);
  });
});
