import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { openMemoryConnection } from '../../../src/delta/duckdb.js';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import type { Action, Snapshot } from '../../../src/delta/log/types.js';
import { appendRows } from '../../../src/delta/write/append.js';
import { writeCheckpoint } from '../../../src/delta/write/checkpoint-write.js';
import { commitTransaction, serializeCommit } from '../../../src/delta/write/commit.js';
import { createTable } from '../../../src/delta/write/create.js';
import { field, makeTempDir, readBySecondPath, removeTempDirs, struct } from './helpers.js';

afterAll(removeTempDirs);

const schema = struct(field('day', 'date', false), field('seq', 'long', false), field('name', 'string'));

/** The parts of a snapshot that replay must reproduce exactly. */
function state(snapshot: Snapshot) {
  const files = [...snapshot.files.values()]
    .map((f) => ({ ...f.add, dataChange: undefined }))
    .sort((a, b) => a.path.localeCompare(b.path));
  return {
    version: snapshot.version,
    protocol: snapshot.protocol,
    metadata: snapshot.metadata,
    files,
    txns: [...snapshot.txns.values()].sort((a, b) => a.appId.localeCompare(b.appId)),
    tombstones: [...snapshot.tombstones.keys()].sort(),
  };
}

/** Snapshot of the same log with every checkpoint removed (pure JSON replay). */
async function jsonOnlySnapshot(table: string, version: number): Promise<Snapshot> {
  const copy = path.join(makeTempDir(), 'json-only');
  mkdirSync(path.join(copy, '_delta_log'), { recursive: true });
  for (const name of readdirSync(path.join(table, '_delta_log'))) {
    if (/^\d{20}\.json$/.test(name))
      cpSync(path.join(table, '_delta_log', name), path.join(copy, '_delta_log', name));
  }
  return loadSnapshot(copy, { version });
}

describe('checkpoints', () => {
  test('written at version 10 by default; replay from it equals JSON replay', async () => {
    const table = path.join(makeTempDir(), 't');
    await createTable(table, { schema, partitionColumns: ['day'] });
    const results = [];
    for (let i = 1; i <= 10; i++) {
      results.push(
        await appendRows(
          table,
          [{ day: `2024-01-0${(i % 3) + 1}`, seq: i, name: i % 2 ? 'odd %/ name' : null }],
          {
            txn: { appId: `app-${i % 2}`, version: i },
          },
        ),
      );
      if (i === 6) {
        // A remove, so the checkpoint carries a tombstone.
        const snap = await loadSnapshot(table);
        const victim = [...snap.files.values()][0]?.add;
        const remove: Action = {
          remove: {
            path: victim?.path ?? '',
            deletionTimestamp: Date.now(),
            dataChange: true,
            extendedFileMetadata: true,
            partitionValues: victim?.partitionValues ?? {},
            size: victim?.size ?? 0,
          },
        };
        await commitTransaction(table, {
          readVersion: snap.version,
          actions: [remove],
          commitInfo: { operation: 'DELETE' },
        });
      }
    }
    const logDir = path.join(table, '_delta_log');
    const checkpoints = readdirSync(logDir).filter((n) => n.includes('checkpoint'));
    expect(checkpoints.sort()).toEqual(['00000000000000000010.checkpoint.parquet', '_last_checkpoint']);
    expect(results.filter((r) => !r.skipped && r.checkpointVersion !== undefined)).toHaveLength(1);
    const hint = JSON.parse(readFileSync(path.join(logDir, '_last_checkpoint'), 'utf8'));
    const fromCheckpoint = await loadSnapshot(table, { version: 10 });
    expect(fromCheckpoint.checkpointVersion).toBe(10);
    expect(hint).toEqual({
      version: 10,
      size: expect.any(Number),
      sizeInBytes: expect.any(Number),
      numOfAddFiles: 8,
    });
    expect(hint.size).toBe(2 + 2 + 8 + 1); // protocol, metaData, 2 txns, 8 adds, 1 tombstone
    const fromJson = await jsonOnlySnapshot(table, 10);
    expect(fromJson.checkpointVersion).toBeUndefined();
    expect(state(fromCheckpoint)).toEqual(state(fromJson));
    expect(fromCheckpoint.tombstones.size).toBe(1);

    // Spark's layout: struct columns, MAP key_value with REQUIRED key, LIST groups; dataChange false.
    const owned = await openMemoryConnection();
    try {
      const file = path.join(logDir, '00000000000000000010.checkpoint.parquet');
      const schemaRows = (
        await owned.connection.runAndReadAll(
          `SELECT name, repetition_type, converted_type FROM parquet_schema('${file}')`,
        )
      ).getRowObjectsJson();
      const names = schemaRows.map((r) => r.name);
      for (const column of [
        'txn',
        'add',
        'remove',
        'metaData',
        'protocol',
        'partitionValues',
        'stats',
        'key_value',
      ]) {
        expect(names).toContain(column);
      }
      expect(schemaRows.filter((r) => r.name === 'key').every((r) => r.repetition_type === 'REQUIRED')).toBe(
        true,
      );
      const dataChange = (
        await owned.connection.runAndReadAll(
          `SELECT DISTINCT "add".dataChange AS d FROM read_parquet('${file}') WHERE "add" IS NOT NULL`,
        )
      ).getRowObjectsJson();
      expect(dataChange).toEqual([{ d: false }]);
    } finally {
      owned.close();
    }
    expect(await readBySecondPath(table)).toHaveLength(9);
  });

  test('on demand for an older version; the hint never moves backwards; a failed checkpoint never fails the commit', async () => {
    const table = path.join(makeTempDir(), 't');
    await createTable(table, { schema, configuration: { 'delta.checkpointInterval': '3' } });
    for (let i = 1; i <= 4; i++) await appendRows(table, [{ day: '2024-01-01', seq: i, name: null }]);
    const logDir = path.join(table, '_delta_log');
    expect(existsSync(path.join(logDir, '00000000000000000003.checkpoint.parquet'))).toBe(true);
    const older = await writeCheckpoint(table, { version: 1 });
    expect(older).toMatchObject({ version: 1, numOfAddFiles: 1 });
    expect(JSON.parse(readFileSync(path.join(logDir, '_last_checkpoint'), 'utf8')).version).toBe(3);
    expect((await loadSnapshot(table, { version: 2 })).checkpointVersion).toBe(1);

    // Make the checkpoint step fail (its hint cannot be renamed into place): the commit must stand.
    const hintFile = path.join(logDir, '_last_checkpoint');
    rmSync(hintFile);
    mkdirSync(path.join(hintFile, 'occupied'), { recursive: true });
    const warnings: string[] = [];
    await appendRows(table, [{ day: '2024-01-01', seq: 5, name: null }]);
    const sixth = await appendRows(table, [{ day: '2024-01-01', seq: 6, name: null }], {
      onWarning: (w) => warnings.push(w),
    });
    expect(sixth).toMatchObject({ skipped: false, version: 6, checkpointVersion: undefined });
    expect(warnings.join()).toMatch(/Checkpoint at version 6 .* failed \(the commit stands\)/);
    rmSync(hintFile, { recursive: true });
    expect(readdirSync(logDir).filter((n) => n.startsWith('_'))).toEqual([]);
    expect((await loadSnapshot(table)).version).toBe(6);
    expect(await readBySecondPath(table)).toHaveLength(6);
  });

  test('a table with thousands of commits opens from the newest checkpoint plus at most interval-1 JSON files', async () => {
    const table = path.join(makeTempDir(), 't');
    await createTable(table, { schema });
    // Commits are written straight to the log here (the commit path has its own tests) to keep this fast;
    // checkpoints come from writeCheckpoint, each replayed from the previous one.
    const logDir = path.join(table, '_delta_log');
    const total = 2009;
    for (let v = 1; v <= total; v++) {
      const add: Action = {
        add: {
          path: `part-${v}.parquet`,
          partitionValues: {},
          size: 100,
          modificationTime: v,
          dataChange: true,
          stats: '{"numRecords":1}',
        },
      };
      const actions: Action[] =
        v % 7 === 0
          ? [
              add,
              { remove: { path: `part-${v - 1}.parquet`, dataChange: true, deletionTimestamp: Date.now() } },
            ]
          : [add];
      writeFileSync(
        path.join(logDir, `${String(v).padStart(20, '0')}.json`),
        serializeCommit({ operation: 'WRITE' }, actions),
      );
      if (v % 100 === 0) await writeCheckpoint(table, { version: v });
    }
    const before = await loadSnapshot(table);
    expect(before.checkpointVersion).toBe(2000);
    // Make every JSON commit the reader must not need unreadable: opening still works and is identical.
    for (let v = 0; v <= 2000; v++)
      writeFileSync(path.join(logDir, `${String(v).padStart(20, '0')}.json`), 'garbage, not JSON\n');
    const after = await loadSnapshot(table);
    expect(after.checkpointVersion).toBe(2000);
    expect(after.version - (after.checkpointVersion ?? 0)).toBe(9);
    expect(state(after)).toEqual(state(before));
    expect(after.files.size).toBe(total - Math.floor(total / 7));
  }, 120_000);
});
