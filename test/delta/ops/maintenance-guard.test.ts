import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DeltaTableDamagedError } from '../../../src/delta/errors.js';
import { cleanupLog } from '../../../src/delta/ops/log-cleanup.js';
import { prepareMaintenance, runMaintenance } from '../../../src/delta/ops/maintenance.js';
import { optimizeTable } from '../../../src/delta/ops/optimize.js';
import { vacuumTable } from '../../../src/delta/ops/vacuum.js';
import { verifyTable } from '../../../src/delta/ops/verify.js';
import { useMemoryDuckDb } from '../shared-duckdb.js';
import { buildOptimizedTable, COLUMNS, copyTable, DAMAGES, treeDigest } from './damage.js';
import { makeTempDir, removeTempDirs } from './helpers.js';

const duck = useMemoryDuckDb();
afterAll(removeTempDirs);

let pristine: string;
beforeAll(async () => {
  pristine = await buildOptimizedTable(makeTempDir(), duck.connection);
});

const copy = () => copyTable(pristine, makeTempDir());

describe('maintenance on a damaged table (review finding 1)', () => {
  test('control: on the sound table, VACUUM deletes the six tombstoned files', async () => {
    const table = copy();
    const prepared = await prepareMaintenance(table, { vacuum: true, connection: duck.connection });
    const metrics = await runMaintenance(prepared);
    expect(metrics.vacuum?.filesDeleted).toBe(6);
  });

  for (const damage of DAMAGES) {
    test(`${damage.name}: verify rejects it, compact --vacuum refuses and changes nothing`, async () => {
      const table = copy();
      damage.apply(table, COLUMNS);
      expect((await verifyTable(table, { connection: duck.connection })).sound).toBe(false);
      const before = treeDigest(table);
      const run = async () =>
        runMaintenance(await prepareMaintenance(table, { vacuum: true, connection: duck.connection }));
      const error = await run().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DeltaTableDamagedError);
      expect((error as DeltaTableDamagedError).problems.length).toBeGreaterThan(0);
      expect((error as Error).message).toMatch(/is damaged, so maintenance changed nothing/);
      await expect(vacuumTable(table, { connection: duck.connection })).rejects.toBeInstanceOf(
        DeltaTableDamagedError,
      );
      await expect(optimizeTable(table, { connection: duck.connection })).rejects.toBeInstanceOf(
        DeltaTableDamagedError,
      );
      await expect(cleanupLog(table, { connection: duck.connection, retentionMs: 0 })).rejects.toBeInstanceOf(
        DeltaTableDamagedError,
      );
      expect(treeDigest(table)).toEqual(before);
    });
  }
});
