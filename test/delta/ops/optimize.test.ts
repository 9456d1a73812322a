import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { DeltaConflictError, DeltaUnsupportedError } from '../../../src/delta/errors.js';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { executeOptimize, optimizeTable } from '../../../src/delta/ops/optimize.js';
import { planOptimize } from '../../../src/delta/ops/optimize-plan.js';
import { verifyTable } from '../../../src/delta/ops/verify.js';
import { appendRows } from '../../../src/delta/write/append.js';
import { createTable } from '../../../src/delta/write/create.js';
import { useMemoryDuckDb } from '../shared-duckdb.js';
import { buildTable, DATES, fullScan, makeTempDir, removeTempDirs, TICK_SCHEMA, ticks } from './helpers.js';

const duck = useMemoryDuckDb();
afterAll(removeTempDirs);

function commitActions(table: string, version: number): Record<string, unknown>[] {
  const file = path.join(table, '_delta_log', `${String(version).padStart(20, '0')}.json`);
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

function dataFilesOnDisk(table: string): string[] {
  const out: string[] = [];
  for (const dir of readdirSync(table)) {
    if (!dir.startsWith('trade_date=')) continue;
    for (const name of readdirSync(path.join(table, dir))) out.push(`${dir}/${name}`);
  }
  return out;
}

describe('OPTIMIZE', () => {
  test('compacts many small appends into one file per partition with identical rows; time travel still answers', async () => {
    const table = await buildTable(makeTempDir(), 30);
    const beforeVersion = (await loadSnapshot(table)).version;
    const beforeRows = await fullScan(table, undefined, duck);
    expect(beforeRows).toHaveLength(120);
    const atVersion10 = await fullScan(table, 10, duck);
    expect(atVersion10).toHaveLength(40);
    const snapshot = await loadSnapshot(table, { connection: duck.connection });
    expect(snapshot.files.size).toBe(30);

    const plan = planOptimize(snapshot);
    expect(plan.bins).toHaveLength(3);
    expect(plan.filesToRemove).toBe(30);
    expect(plan.rowsToRewrite).toBe(120);
    const metrics = await executeOptimize(plan, { connection: duck.connection });
    expect(metrics.version).toBe(beforeVersion + 1);
    expect(metrics.numFilesRemoved).toBe(30);
    expect(metrics.numFilesAdded).toBe(3);
    expect(metrics.rows).toBe(120);
    expect(metrics.partitionsOptimized).toBe(3);

    const after = await loadSnapshot(table, { connection: duck.connection });
    expect(after.files.size).toBe(3);
    expect(await fullScan(table, undefined, duck)).toEqual(beforeRows);
    // Time travel to versions before the compaction gives the old answers.
    expect(await fullScan(table, beforeVersion, duck)).toEqual(beforeRows);
    expect(await fullScan(table, 10, duck)).toEqual(atVersion10);

    // One commit: dataChange=false removes and adds, commitInfo OPTIMIZE with metrics.
    const actions = commitActions(table, metrics.version as number);
    const info = actions[0]?.commitInfo as Record<string, unknown>;
    expect(info.operation).toBe('OPTIMIZE');
    expect(info.isBlindAppend).toBe(false);
    expect((info.operationMetrics as Record<string, string>).numFilesRemoved).toBe('30');
    const removes = actions.filter((a) => 'remove' in a).map((a) => a.remove as Record<string, unknown>);
    const adds = actions.filter((a) => 'add' in a).map((a) => a.add as Record<string, unknown>);
    expect(removes).toHaveLength(30);
    expect(adds).toHaveLength(3);
    for (const action of [...removes, ...adds]) expect(action.dataChange).toBe(false);
    // Stats on the new files like the writer's.
    for (const add of adds) {
      const stats = JSON.parse(String(add.stats));
      expect(stats.numRecords).toBe(40);
      expect(Object.keys(stats.minValues).sort()).toEqual(['price', 'seq', 'size', 'symbol', 'ts', 'writer']);
      expect(stats.nullCount).toHaveProperty('price');
    }
    const report = await verifyTable(table, { connection: duck.connection, checkpoints: 'all' });
    expect(report.problems).toEqual([]);

    // A second run has nothing to do: one file per partition is left alone.
    const again = await optimizeTable(table, { connection: duck.connection });
    expect(again.version).toBeUndefined();
    expect(again.totalFilesSkipped).toBe(3);
  });

  test('bins respect the target size, skip large files and honour a partition filter', async () => {
    const table = await buildTable(makeTempDir(), 24);
    const snapshot = await loadSnapshot(table, { connection: duck.connection });
    const sizes = [...snapshot.files.values()].map((f) => f.add.size);
    const fileSize = Math.max(...sizes);
    // Each bin can hold three files: 8 files per partition → bins of 3, 3, 2.
    const plan = planOptimize(snapshot, { targetSize: fileSize * 3 + 1 });
    expect(plan.bins.map((b) => b.files.length)).toEqual([3, 3, 2, 3, 3, 2, 3, 3, 2]);
    for (const bin of plan.bins) expect(bin.bytes).toBeLessThanOrEqual(fileSize * 3 + 1);

    const filtered = planOptimize(snapshot, { partitionFilter: `trade_date < '${DATES[1]}'` });
    expect(filtered.bins).toHaveLength(1);
    expect(filtered.bins[0]?.partitionValues).toEqual({ trade_date: DATES[0] });
    expect(filtered.totalConsideredFiles).toBe(8);
    const metrics = await executeOptimize(filtered, { connection: duck.connection });
    expect(metrics.numFilesRemoved).toBe(8);
    expect((await loadSnapshot(table)).files.size).toBe(17);

    // Files at or above the candidate size are left alone.
    const none = planOptimize(await loadSnapshot(table), { minFileSize: Math.min(...sizes) });
    expect(none.bins).toHaveLength(0);
    expect(() => planOptimize(snapshot, { partitionFilter: "symbol = 'ES'" })).toThrow(/partition columns/);
    expect(() => planOptimize(snapshot, { targetSize: 0 })).toThrow(/target size/);
  });

  test('a partition with a single small file is left alone', async () => {
    const table = await buildTable(makeTempDir(), 4); // dates 0,1,2,0 → partition 0 has two files
    const plan = planOptimize(await loadSnapshot(table));
    expect(plan.bins).toHaveLength(1);
    expect(plan.bins[0]?.files).toHaveLength(2);
    expect(plan.totalFilesSkipped).toBe(2);
  });

  test('appends that land between planning and commit are rebased on, and survive', async () => {
    const table = await buildTable(makeTempDir(), 9);
    const plan = planOptimize(await loadSnapshot(table));
    await appendRows(table, ticks(DATES[0] as string, 100));
    await appendRows(table, ticks(DATES[1] as string, 101));
    const metrics = await executeOptimize(plan, { connection: duck.connection });
    expect(metrics.attempts).toBeGreaterThan(1);
    expect(metrics.version).toBe(plan.snapshot.version + 3);
    const rows = await fullScan(table, undefined, duck);
    expect(rows).toHaveLength(44);
    expect(rows.filter((r) => r.seq === 100 || r.seq === 101)).toHaveLength(8);
    expect((await loadSnapshot(table)).files.size).toBe(5);
  });

  test('a concurrent rewrite of the same files is a typed conflict; its new files are deleted, no row lost', async () => {
    const table = await buildTable(makeTempDir(), 6);
    const snapshot = await loadSnapshot(table);
    const rows = await fullScan(table, undefined, duck);
    const first = planOptimize(snapshot);
    const second = planOptimize(snapshot);
    await executeOptimize(first, { connection: duck.connection });
    const filesAfterFirst = dataFilesOnDisk(table).sort();
    await expect(executeOptimize(second, { connection: duck.connection })).rejects.toBeInstanceOf(
      DeltaConflictError,
    );
    expect(dataFilesOnDisk(table).sort()).toEqual(filesAfterFirst);
    expect(await fullScan(table, undefined, duck)).toEqual(rows);
  });

  test('tables we cannot write are refused before anything is written', async () => {
    const table = path.join(makeTempDir(), 'dv');
    await createTable(table, { schema: TICK_SCHEMA, partitionColumns: ['trade_date'] });
    await appendRows(table, ticks(DATES[0] as string, 1));
    await appendRows(table, ticks(DATES[0] as string, 2));
    const snapshot = await loadSnapshot(table);
    const withDv = {
      ...snapshot,
      protocol: {
        minReaderVersion: 3,
        minWriterVersion: 7,
        readerFeatures: ['deletionVectors'],
        writerFeatures: ['deletionVectors'],
      },
    };
    expect(() => planOptimize(withDv)).toThrow(DeltaUnsupportedError);
    expect(() => planOptimize(withDv)).toThrow(/deletionVectors/);
  });
});
