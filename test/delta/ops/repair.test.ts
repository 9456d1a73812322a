import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DeltaLogCorruptError } from '../../../src/delta/errors.js';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { applyRepair, planRepair, type RepairStepKind } from '../../../src/delta/ops/repair.js';
import { verifyTable } from '../../../src/delta/ops/verify.js';
import { scanTable } from '../../../src/delta/read/scan.js';
import { useMemoryDuckDb } from '../shared-duckdb.js';
import { buildOptimizedTable, COLUMNS, copyTable, DAMAGES, LYING_STATS, treeDigest } from './damage.js';
import { fullScan, makeTempDir, removeTempDirs } from './helpers.js';

const duck = useMemoryDuckDb();
afterAll(removeTempDirs);

let pristine: string;
let rows: Awaited<ReturnType<typeof fullScan>>;
beforeAll(async () => {
  pristine = await buildOptimizedTable(makeTempDir(), duck.connection);
  rows = await fullScan(pristine, undefined, duck);
});

const EXPECTED: Record<string, RepairStepKind> = {
  'live file missing': 'restore-rewritten-inputs',
  'live file truncated': 'restore-rewritten-inputs',
  'footer garbled': 'restore-rewritten-inputs',
  'page garbled': 'restore-rewritten-inputs',
  'add path damaged': 're-add-file',
  'partition columns changed': 'restore-metadata',
  'column type long': 'restore-metadata',
  'string column typed integer': 'restore-metadata',
  'column type decimal': 'restore-metadata',
  'column type float': 'restore-metadata',
  [LYING_STATS.name]: 'rewrite-stats',
};

describe('table repair', () => {
  test('a sound table: nothing to do, nothing written', async () => {
    const table = copyTable(pristine, makeTempDir());
    const before = treeDigest(table);
    const result = await applyRepair(await planRepair(table, { connection: duck.connection }));
    expect(result.problems).toEqual([]);
    expect(result.steps).toEqual([]);
    expect(result.applied).toBe(false);
    expect(treeDigest(table)).toEqual(before);
  });

  for (const damage of [...DAMAGES, LYING_STATS]) {
    test(`${damage.name}: the dry run changes nothing; applied, the table verifies with every row`, async () => {
      const table = copyTable(pristine, makeTempDir());
      damage.apply(table, COLUMNS);
      const before = treeDigest(table);
      const plan = await planRepair(table, { connection: duck.connection });
      expect(plan.problems.length).toBeGreaterThan(0);
      expect([...new Set(plan.steps.map((s) => s.kind))]).toEqual([EXPECTED[damage.name]]);
      expect(plan.unrepaired).toEqual([]);
      expect(treeDigest(table)).toEqual(before);

      const result = await applyRepair(plan, { connection: duck.connection });
      expect(result.applied).toBe(true);
      expect(result.problemsAfter).toEqual([]);
      expect((await verifyTable(table, { connection: duck.connection })).sound).toBe(true);
      expect(await fullScan(table, undefined, duck)).toEqual(rows);
      // Nothing deleted: every file that was there is still there (damaged ones moved under _repair/).
      const after = treeDigest(table);
      for (const [file, digest] of Object.entries(before)) {
        if (after[file] === digest) continue;
        const moved = result.quarantined.find((q) => q.endsWith(file));
        expect(moved, `${file} vanished`).toBeDefined();
        expect(existsSync(path.join(table, moved as string))).toBe(true);
      }
    });
  }

  test('stats that lie: filtered reads fail instead of missing rows; after the repair they find every row again', async () => {
    const table = copyTable(pristine, makeTempDir());
    const es = async () =>
      (await scanTable(await loadSnapshot(table), { connection: duck.connection, where: "symbol = 'ES'" }))
        .rows.length;
    const expected = await es();
    expect(expected).toBeGreaterThan(0);
    LYING_STATS.apply(table, COLUMNS);
    await expect(es()).rejects.toBeInstanceOf(DeltaLogCorruptError);
    await expect(es()).rejects.toThrow(/are not the ones its writer recorded/);
    const verify = await verifyTable(table, { connection: duck.connection });
    expect([...new Set(verify.problems.map((x) => x.kind))]).toEqual(['stats-mismatch']);
    const before = treeDigest(table);
    const result = await applyRepair(await planRepair(table, { connection: duck.connection }), {
      connection: duck.connection,
    });
    expect([...new Set(result.steps.map((x) => x.kind))]).toEqual(['rewrite-stats']);
    expect(result.quarantined).toEqual([]);
    expect(await es()).toBe(expected);
    // Only a commit was added: every data file is where it was, byte for byte.
    const after = treeDigest(table);
    for (const [file, digest] of Object.entries(before)) {
      if (!file.startsWith('_delta_log')) expect(after[file], file).toBe(digest);
    }
  });
});
