import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { SnapshotCache } from '../../../src/delta/log/snapshot-cache.js';
import { appendRows } from '../../../src/delta/write/append.js';
import { createTable } from '../../../src/delta/write/create.js';
import { useMemoryDuckDb } from '../shared-duckdb.js';
import {
  assertDistBuilt,
  childSchema,
  makeTempDir,
  readBySecondPath,
  removeTempDirs,
  startAppendChild,
} from '../write/helpers.js';
import { batchRows, exactState, sameBaseReplay, tableState } from './helpers.js';

beforeAll(assertDistBuilt);
const duck = useMemoryDuckDb();
afterAll(removeTempDirs);

test('follows appends by other processes: every load equals a full replay of its version', async () => {
  const table = path.join(makeTempDir('delta-cache-'), 'shared');
  await createTable(table, { schema: childSchema, partitionColumns: ['day'] });
  const cache = new SnapshotCache();
  expect((await cache.load(table)).version).toBe(0);

  const batches = 15;
  const runs = ['p0', 'p1'].map((w) => startAppendChild([table, w, 0, batches, 2]));
  await Promise.all(runs.map((r) => r.firstAck));
  // Load while the children write (new commits and checkpoints appear between and during loads).
  const seen: number[] = [];
  let running = true;
  const exited = Promise.all(runs.map((r) => r.exited)).finally(() => {
    running = false;
  });
  while (running) {
    const cached = await cache.load(table);
    seen.push(cached.version);
    expect(tableState(cached)).toEqual(
      tableState(await loadSnapshot(table, { version: cached.version, connection: duck.connection })),
    );
  }
  for (const [i, exit] of (await exited).entries()) {
    expect(exit, `child stderr: ${runs[i]?.stderr.join('')}`).toEqual({ code: 0, signal: null });
  }
  expect(seen).toEqual([...seen].sort((a, b) => a - b));

  // This process appends after them: its writer advances over the children's commits.
  const mine = await appendRows(table, batchRows('parent', 0), {
    connection: duck.connection,
    txn: { appId: 'parent', version: 0 },
  });
  expect(mine.skipped).toBe(false);
  const final = await cache.load(table);
  expect(final.version).toBe(2 * batches + 1);
  expect(cache.stats.fullLoads).toBe(1);
  expect(cache.stats.advances).toBeGreaterThanOrEqual(1);
  expect(exactState(final)).toEqual(exactState(await sameBaseReplay(table, final, duck.connection)));
  expect(tableState(final)).toEqual(tableState(await loadSnapshot(table, { connection: duck.connection })));
  expect([...final.txns.values()].map((t) => [t.appId, t.version]).sort()).toEqual([
    ['p0', batches - 1],
    ['p1', batches - 1],
    ['parent', 0],
  ]);
  expect(await readBySecondPath(table, duck.connection)).toHaveLength((2 * batches + 1) * 2);
}, 120_000);
