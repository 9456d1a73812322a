import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { DeltaLogCorruptError, DeltaVersionNotFoundError } from '../../../src/delta/errors.js';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { processSnapshotCache, SnapshotCache } from '../../../src/delta/log/snapshot-cache.js';
import { commitFileName, type Snapshot } from '../../../src/delta/log/types.js';
import { optimizeTable } from '../../../src/delta/ops/optimize.js';
import { appendRows } from '../../../src/delta/write/append.js';
import { writeCheckpoint } from '../../../src/delta/write/checkpoint-write.js';
import { createTable } from '../../../src/delta/write/create.js';
import { useMemoryDuckDb } from '../shared-duckdb.js';
import { childSchema, makeTempDir, removeTempDirs } from '../write/helpers.js';
import { batchRows, exactState, sameBaseReplay, tableState } from './helpers.js';

const duck = useMemoryDuckDb();
afterAll(removeTempDirs);

async function newTable(name = 't'): Promise<string> {
  const table = path.join(makeTempDir('delta-cache-'), name);
  await createTable(table, { schema: childSchema, partitionColumns: ['day'] });
  return table;
}

async function append(table: string, writer: string, batch: number): Promise<number> {
  const result = await appendRows(table, batchRows(writer, batch), {
    connection: duck.connection,
    txn: { appId: writer, version: batch },
  });
  if (result.skipped) throw new Error(`append ${writer}/${batch} was skipped (${result.reason})`);
  return result.version;
}

/** A full replay, never from any cache. */
function fullLoad(table: string, version?: number) {
  return loadSnapshot(table, { connection: duck.connection, version });
}

/**
 * The cached snapshot equals a full replay from the same base in every field, and what a fresh full
 * load (possibly from a newer checkpoint) says about the table.
 */
async function expectFullReplay(table: string, cached: Snapshot): Promise<void> {
  expect(exactState(cached)).toEqual(exactState(await sameBaseReplay(table, cached, duck.connection)));
  expect(tableState(cached)).toEqual(tableState(await fullLoad(table, cached.version)));
}

describe('incremental replay equals a full replay', () => {
  test('over appends by this process, across the checkpoint they write', async () => {
    const table = await newTable();
    const cache = new SnapshotCache();
    expect((await cache.load(table)).version).toBe(0);
    for (let batch = 0; batch < 12; batch++) {
      const version = await append(table, 'me', batch);
      const cached = await cache.load(table);
      expect(cached.version).toBe(version);
      await expectFullReplay(table, cached);
    }
    expect(cache.stats).toEqual({ fullLoads: 1, advances: 12, hits: 0, invalidations: 0 });
    // The cached state still descends from the first load (no checkpoint); a fresh load starts at 10.
    expect((await cache.load(table)).checkpointVersion).toBeUndefined();
    expect((await fullLoad(table)).checkpointVersion).toBe(10);
    expect((await cache.load(table)).txns.get('me')?.version).toBe(11);
  });

  test('after OPTIMIZE: removed files are gone and their tombstones are there', async () => {
    const table = await newTable();
    for (let batch = 0; batch < 6; batch++) await append(table, 'w', batch);
    const cache = new SnapshotCache();
    const before = await cache.load(table);
    expect(before.files.size).toBe(6);
    const optimized = await optimizeTable(table, { connection: duck.connection });
    expect(optimized.version).toBe(7);
    const after = await cache.load(table);
    expect(cache.stats.advances).toBe(1);
    expect(after.files.size).toBe(3);
    expect(after.tombstones.size).toBe(6);
    await expectFullReplay(table, after);
    // Tombstones and adds of the cached state carry over into the next advance.
    await append(table, 'w', 6);
    const next = await cache.load(table);
    expect(cache.stats.advances).toBe(2);
    expect(next.tombstones.size).toBe(6);
    await expectFullReplay(table, next);
  });

  test('after a checkpoint written by someone else, and appends on top of it', async () => {
    const table = await newTable();
    for (let batch = 0; batch < 3; batch++) await append(table, 'w', batch);
    const cache = new SnapshotCache();
    await cache.load(table);
    await append(table, 'w', 3);
    await writeCheckpoint(table, { connection: duck.connection });
    await append(table, 'w', 4);
    const cached = await cache.load(table);
    expect(cache.stats).toMatchObject({ fullLoads: 1, advances: 1 });
    expect(cached.checkpointVersion).toBeUndefined();
    expect((await fullLoad(table)).checkpointVersion).toBe(4);
    await expectFullReplay(table, cached);
  });

  test('a table deleted and recreated at the same path is never mixed with the old one', async () => {
    const cases = [
      { before: 3, after: 6 }, // more commits than cached: versions above the cached one exist
      { before: 3, after: 3 }, // as many: the cached version exists, with other content
      { before: 5, after: 1 }, // fewer: the log shrank
    ];
    for (const { before, after } of cases) {
      const table = await newTable(`recreated-${before}-${after}`);
      for (let batch = 0; batch < before; batch++) await append(table, 'old', batch);
      const cache = new SnapshotCache();
      const old = await cache.load(table);
      rmSync(table, { recursive: true, force: true });
      const created = await createTable(table, { schema: childSchema, partitionColumns: ['day'] });
      for (let batch = 0; batch < after; batch++) await append(table, 'new', batch);
      const reloaded = await cache.load(table);
      expect(reloaded.metadata.id).toBe(created.tableId);
      expect(reloaded.metadata.id).not.toBe(old.metadata.id);
      expect(reloaded.txns.has('old')).toBe(false);
      await expectFullReplay(table, reloaded);
      expect(cache.stats).toMatchObject({ fullLoads: 2, advances: 0, invalidations: 1 });
    }
  });

  test('a commit that cannot be parsed fails the load as a full replay does', async () => {
    const table = await newTable();
    await append(table, 'w', 0);
    const cache = new SnapshotCache();
    await cache.load(table);
    writeFileSync(path.join(table, '_delta_log', commitFileName(2)), '{"add": broken\n');
    await expect(cache.load(table)).rejects.toBeInstanceOf(DeltaLogCorruptError);
    await expect(fullLoad(table)).rejects.toBeInstanceOf(DeltaLogCorruptError);
  });
});

describe('snapshots handed out', () => {
  test('are never changed by later loads, appends or OPTIMIZE', async () => {
    const table = await newTable();
    for (let batch = 0; batch < 4; batch++) await append(table, 'w', batch);
    const cache = new SnapshotCache();
    const first = await cache.load(table);
    const copy = structuredClone(first);
    expect(await cache.load(table)).toBe(first); // nothing new: the same snapshot
    expect(cache.stats.hits).toBe(1);
    await append(table, 'w', 4);
    const second = await cache.load(table);
    await optimizeTable(table, { connection: duck.connection });
    await append(table, 'x', 0);
    const third = await cache.load(table);
    expect(second).not.toBe(first);
    expect(third.files.size).toBeLessThan(second.files.size);
    expect(first).toEqual(copy);
    expect(first.files.size).toBe(4);
    expect(second.files.size).toBe(5);
    expect(second.tombstones.size).toBe(0);
  });
});

describe('time travel and options', () => {
  test('an older version is a full load, a newer one an advance, a timestamp bypasses the cache', async () => {
    const table = await newTable();
    for (let batch = 0; batch < 5; batch++) await append(table, 'w', batch);
    const cache = new SnapshotCache();
    await cache.load(table);
    expect(cache.stats.fullLoads).toBe(1);

    const older = await cache.load(table, { version: 2 });
    expect(tableState(older)).toEqual(tableState(await fullLoad(table, 2)));
    expect(cache.stats.fullLoads).toBe(2);
    expect((await cache.load(table)).version).toBe(5); // the newer entry is kept
    expect(cache.stats.hits).toBe(1);

    await append(table, 'w', 5);
    await append(table, 'w', 6);
    const newer = await cache.load(table, { version: 6 });
    expect(cache.stats.advances).toBe(1);
    await expectFullReplay(table, newer);
    expect((await cache.load(table)).version).toBe(7);

    const at = (await fullLoad(table, 3)).timestamp;
    const byTime = await cache.load(table, { timestamp: at });
    expect(byTime.version).toBeGreaterThanOrEqual(3); // commits within one millisecond share a time
    expect(tableState(byTime)).toEqual(
      tableState(await loadSnapshot(table, { connection: duck.connection, timestamp: at })),
    );
    expect(cache.stats).toMatchObject({ fullLoads: 2, advances: 2 });

    await expect(cache.load(table, { version: 99 })).rejects.toBeInstanceOf(DeltaVersionNotFoundError);
  });

  test('loadSnapshot({ cache: true }) and the writer use the process cache', async () => {
    const table = await newTable();
    await append(table, 'w', 0); // the writer loaded the table through the process cache
    const before = { ...processSnapshotCache.stats };
    const viaOption = await loadSnapshot(table, { cache: true });
    expect(processSnapshotCache.stats.advances).toBe(before.advances + 1);
    expect(processSnapshotCache.stats.fullLoads).toBe(before.fullLoads);
    await expectFullReplay(table, viaOption);
  });

  test('keeps at most maxTables tables, rebuilds after rebuildAfterCommits, and prefers a full load for a long gap', async () => {
    const tables = [await newTable('a'), await newTable('b'), await newTable('c')];
    const small = new SnapshotCache({ maxTables: 2 });
    for (const t of tables) await small.load(t);
    expect(small.size).toBe(2);
    await small.load(tables[0] as string); // evicted first: loaded in full again
    expect(small.stats.fullLoads).toBe(4);

    const table = tables[1] as string;
    const rebuilding = new SnapshotCache({ rebuildAfterCommits: 3 });
    await rebuilding.load(table);
    for (let batch = 0; batch < 4; batch++) {
      await append(table, 'w', batch);
      await rebuilding.load(table);
    }
    // Versions 1 and 2 advance; version 3 is 3 past the full load at 0, so it is rebuilt; 4 advances.
    expect(rebuilding.stats).toMatchObject({ fullLoads: 2, advances: 3 });

    const shortReach = new SnapshotCache({ maxCommitsPerAdvance: 2 });
    await shortReach.load(table);
    for (let batch = 4; batch < 7; batch++) await append(table, 'w', batch);
    const reloaded = await shortReach.load(table);
    expect(shortReach.stats).toMatchObject({ fullLoads: 2, advances: 0 });
    await expectFullReplay(table, reloaded);
  });
});
