import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { DeltaSchemaViolationError } from '../../../src/delta/errors.js';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { decodeAddPath } from '../../../src/delta/log/paths.js';
import { sortCanonicalRows } from '../../../src/delta/read/canonical.js';
import { scanTable } from '../../../src/delta/read/scan.js';
import { appendRows, writeAppend } from '../../../src/delta/write/append.js';
import { createTable } from '../../../src/delta/write/create.js';
import { singlePartitionOf } from '../../../src/delta/write/data-file.js';
import type { DeltaRow } from '../../../src/delta/write/write-sql.js';
import { field, makeTempDir, readBySecondPath, readLog, removeTempDirs, struct } from './helpers.js';

afterAll(removeTempDirs);

const allTypes = struct(
  field('part_s', 'string'),
  field('part_d', 'date'),
  field('id', 'integer', false),
  field('i8', 'byte'),
  field('i16', 'short'),
  field('i64', 'long'),
  field('f32', 'float'),
  field('f64', 'double'),
  field('b', 'boolean'),
  field('bin', 'binary'),
  field('dt', 'date'),
  field('ts', 'timestamp'),
  field('dec', 'decimal(18,6)'),
  field('dec38', 'decimal(38,10)'),
  field('s', 'string'),
  field(
    'st',
    struct(field('x', 'integer'), field('y', 'string'), field('inner', struct(field('z', 'long')))),
  ),
  field('arr', { type: 'array', elementType: 'string', containsNull: true }),
  field('arr_st', { type: 'array', elementType: struct(field('a', 'integer')), containsNull: true }),
  field('m', { type: 'map', keyType: 'string', valueType: 'long', valueContainsNull: true }),
);

const specialValues = ['with space', 'a/b', '100%', 'k=v', 'ünï©ødé 日本', 'plus+sign', "quo'te", 'a%2Fb'];

function fullRow(id: number, partS: string | null): DeltaRow {
  return {
    part_s: partS,
    part_d: '2024-03-10',
    id,
    i8: -128,
    i16: 32767,
    i64: 9223372036854775807n,
    f32: 1.5,
    f64: id === 1 ? Number.NaN : -2.25e-10,
    b: true,
    bin: Buffer.from([0, 1, 254, 255]),
    dt: new Date('2024-02-29T00:00:00Z'),
    ts: '2024-03-10T12:34:56.789012Z',
    dec: '-123456789012.345678',
    dec38: '1234567890123456789012345678.0123456789',
    s: `text ${id} 'quoted' ✓`,
    st: { x: id, y: null, inner: { z: -1n } },
    arr: ['a', null, ''],
    arr_st: [{ a: 1 }, null, { a: null }],
    m: new Map<string, bigint | null>([
      ['k1', 1n],
      ['k2', null],
    ]),
  };
}

const nullRow = (id: number): DeltaRow => ({ id, part_s: null, part_d: null });

const expectedFull = (id: number, partS: string | null) => ({
  part_s: partS,
  part_d: '2024-03-10',
  id,
  i8: -128,
  i16: 32767,
  i64: 9223372036854775807n,
  f32: 1.5,
  f64: id === 1 ? 'NaN' : -2.25e-10,
  b: true,
  bin: 'AAH+/w==',
  dt: '2024-02-29',
  ts: '2024-03-10T12:34:56.789012Z',
  dec: '-123456789012.345678',
  dec38: '1234567890123456789012345678.0123456789',
  s: `text ${id} 'quoted' ✓`,
  st: { x: id, y: null, inner: { z: -1 } },
  arr: ['a', null, ''],
  arr_st: [{ a: 1 }, null, { a: null }],
  m: { k1: 1, k2: null },
});

async function tableWithAllTypes(): Promise<string> {
  const table = path.join(makeTempDir(), 'all types');
  await createTable(table, { schema: allTypes, partitionColumns: ['part_s', 'part_d'] });
  return table;
}

describe('round trips', () => {
  test('every supported type, nulls, µs timestamps, decimals, nested values and special partition values', async () => {
    const table = await tableWithAllTypes();
    const rows = [
      fullRow(1, 'plain'),
      ...specialValues.map((v, i) => fullRow(10 + i, v)),
      nullRow(2),
      fullRow(3, ''),
    ];
    const result = await appendRows(table, rows);
    expect(result.skipped).toBe(false);
    const expected = sortCanonicalRows([
      expectedFull(1, 'plain'),
      ...specialValues.map((v, i) => expectedFull(10 + i, v)),
      Object.fromEntries(allTypes.fields.map((f) => [f.name, f.name === 'id' ? 2 : null])),
      expectedFull(3, null), // an empty string partition value is null
    ]);
    const second = await readBySecondPath(table);
    const scanned = sortCanonicalRows((await scanTable(await loadSnapshot(table))).rows);
    expect(second).toEqual(expected);
    expect(scanned).toEqual(expected);
  });

  test('JS rows of one plain partition go to one file in it (no partition column inside); others take the general path', async () => {
    const table = path.join(makeTempDir(), 't');
    const schema = struct(field('day', 'date', false), field('sym', 'string'), field('n', 'long'));
    await createTable(table, { schema, partitionColumns: ['day', 'sym'] });
    const snapshot = await loadSnapshot(table);
    const one = [
      { day: '2024-03-01', sym: 'ES', n: 1 },
      { day: new Date('2024-03-01T00:00:00Z'), sym: 'ES', n: 2 },
    ];
    expect(singlePartitionOf(snapshot, one)).toEqual({
      values: { day: '2024-03-01', sym: 'ES' },
      directory: 'day=2024-03-01/sym=ES',
    });
    expect(singlePartitionOf(snapshot, [...one, { day: '2024-03-02', sym: 'ES', n: 3 }])).toBeUndefined();
    expect(singlePartitionOf(snapshot, [{ day: '2024-03-01', sym: 'a b', n: 1 }])).toBeUndefined();
    expect(singlePartitionOf(snapshot, [{ day: '2024-03-01', sym: null, n: 1 }])).toBeUndefined();
    expect(singlePartitionOf(snapshot, [{ day: '2024-03-01', sym: '', n: 1 }])).toBeUndefined();

    const result = await appendRows(table, one);
    expect(result).toMatchObject({ skipped: false, files: 1, rows: 2 });
    const add = result.skipped ? undefined : result.adds[0];
    expect(add?.partitionValues).toEqual({ day: '2024-03-01', sym: 'ES' });
    expect(add?.path).toMatch(/^day=2024-03-01\/sym=ES\/part-[0-9a-f-]+\.parquet$/);
    expect(JSON.parse(add?.stats ?? '{}')).toMatchObject({
      numRecords: 2,
      minValues: { n: 1 },
      maxValues: { n: 2 },
    });
    await appendRows(table, [
      { day: '2024-03-01', sym: 'ES', n: 3 },
      { day: '2024-03-02', sym: 'a b', n: 4 },
    ]);
    expect(await readBySecondPath(table)).toEqual([
      { day: '2024-03-01', sym: 'ES', n: 1 },
      { day: '2024-03-01', sym: 'ES', n: 2 },
      { day: '2024-03-01', sym: 'ES', n: 3 },
      { day: '2024-03-02', sym: 'a b', n: 4 },
    ]);
    // The data file itself holds only the data columns.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const file = path.join(table, add?.path ?? '');
    const columns = (
      await duck.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}', hive_partitioning = false)`)
    )
      .getRowObjectsJson()
      .map((row) => row.column_name);
    duck.closeSync();
    expect(columns).toEqual(['n']);
  });

  test('a small append of plain columns (written without DuckDB) reads back and carries the same stats as the DuckDB path', async () => {
    const schema = struct(
      field('day', 'date', false),
      field('ts', 'timestamp', false),
      field('sym', 'string', false),
      field('bid', 'double'),
      field('size', 'long'),
      field('n', 'integer'),
      field('ok', 'boolean'),
      field('flags', { type: 'array', elementType: 'string', containsNull: true }),
    );
    const rows = (asText: boolean): DeltaRow[] =>
      [0, 1, 2].map((i) => {
        const ts = new Date(Date.UTC(2024, 2, 1, 14, 30, i, 250));
        return {
          day: '2024-03-01',
          ts: asText ? ts.toISOString() : ts,
          sym: ['ES', 'N\u0000Q', 'ünï 日本'][i] ?? null,
          bid: i === 1 ? null : i === 2 ? -0 : 5000.25 + i,
          size: i === 2 ? null : 10 ** 12 + i,
          n: -i,
          ok: i !== 1,
          flags: i === 0 ? [] : i === 1 ? null : ['stale', null],
        };
      });
    const small = path.join(makeTempDir(), 'small');
    const viaDuckDb = path.join(makeTempDir(), 'duck');
    for (const table of [small, viaDuckDb]) await createTable(table, { schema, partitionColumns: ['day'] });
    const a = await appendRows(small, rows(false));
    // Timestamps given as text are not plain values: the general path (DuckDB's COPY) takes them.
    const b = await appendRows(viaDuckDb, rows(true));
    expect(a.skipped || b.skipped).toBe(false);
    if (a.skipped || b.skipped) return;
    // Which writer wrote which file: ours does not compress, DuckDB's COPY uses snappy.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const codec = async (table: string, add: { path: string } | undefined) =>
      (
        await duck.runAndReadAll(
          `SELECT DISTINCT compression FROM parquet_metadata('${path.join(table, decodeAddPath(add?.path ?? ''))}')`,
        )
      ).getRows();
    expect(await codec(small, a.adds[0])).toEqual([['UNCOMPRESSED']]);
    expect(await codec(viaDuckDb, b.adds[0])).toEqual([['SNAPPY']]);
    duck.closeSync();
    expect(JSON.parse(a.adds[0]?.stats ?? '')).toEqual(JSON.parse(b.adds[0]?.stats ?? ''));
    expect(a.adds[0]?.partitionValues).toEqual(b.adds[0]?.partitionValues);
    expect(await readBySecondPath(small)).toEqual(await readBySecondPath(viaDuckDb));
    expect(sortCanonicalRows((await scanTable(await loadSnapshot(small))).rows)).toEqual(
      await readBySecondPath(viaDuckDb),
    );
  });

  test('SQL source: a DuckDB query producing the columns, cast to the table types', async () => {
    const table = path.join(makeTempDir(), 't');
    await createTable(table, {
      schema: struct(field('day', 'date', false), field('ts', 'timestamp', false), field('v', 'long')),
      partitionColumns: ['day'],
    });
    const result = await writeAppend(table, {
      sql: `SELECT (DATE '2024-01-01' + (i % 3)::INTEGER) AS day, TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds(i) AS ts, i AS v FROM range(1000) t(i)`,
    });
    expect(result).toMatchObject({ skipped: false, version: 1, files: 3, rows: 1000 });
    const snapshot = await loadSnapshot(table);
    expect([...snapshot.files.values()].map((f) => f.add.partitionValues.day).sort()).toEqual([
      '2024-01-01',
      '2024-01-02',
      '2024-01-03',
    ]);
    const rows = await readBySecondPath(table);
    expect(rows).toHaveLength(1000);
    expect(rows.find((r) => r.v === 999)).toEqual({
      day: '2024-01-01',
      ts: '2024-01-01T00:00:00.000999Z',
      v: 999,
    });
    expect(sortCanonicalRows((await scanTable(snapshot)).rows)).toEqual(rows);
  });
});

describe('protocol rules on tables we write', () => {
  test('commits, add actions, stats and paths follow the spec', async () => {
    const table = await tableWithAllTypes();
    await appendRows(table, [fullRow(1, 'a b/c%d=e ü'), fullRow(2, null), fullRow(4, 'x')]);
    await appendRows(table, [fullRow(5, 'x')], { txn: { appId: 'loader', version: 1 } });
    const log = readLog(table);
    expect([...log.keys()].sort()).toEqual([0, 1, 2]);

    const v0 = log.get(0) ?? [];
    expect(v0.map((a) => Object.keys(a)[0])).toEqual(['commitInfo', 'protocol', 'metaData']);
    expect(v0[1]).toEqual({ protocol: { minReaderVersion: 1, minWriterVersion: 2 } });
    const meta = (v0[2] as { metaData: Record<string, unknown> }).metaData;
    expect(meta).toMatchObject({
      format: { provider: 'parquet', options: {} },
      partitionColumns: ['part_s', 'part_d'],
      configuration: {},
    });
    expect(typeof meta.id).toBe('string');
    expect(JSON.parse(meta.schemaString as string)).toEqual(allTypes);
    expect(meta.schemaString).not.toContain('timestamp_ntz');

    for (const version of [1, 2]) {
      const actions = log.get(version) ?? [];
      expect(Object.keys(actions[0] ?? {})).toEqual(['commitInfo']);
      const commitInfo = (actions[0] as { commitInfo: Record<string, unknown> }).commitInfo;
      expect(commitInfo).toMatchObject({ operation: 'WRITE', readVersion: version - 1, isBlindAppend: true });
      expect(commitInfo.engineInfo).toMatch(/^futures-signals\/\d+\.\d+\.\d+/);
      expect(typeof commitInfo.timestamp).toBe('number');
      for (const value of Object.values(commitInfo.operationParameters as object))
        expect(typeof value).toBe('string');
      expect(Object.keys(commitInfo.operationMetrics as object).sort()).toEqual([
        'numFiles',
        'numOutputBytes',
        'numOutputRows',
      ]);
      for (const line of actions.slice(1)) {
        expect(Object.keys(line)).toHaveLength(1);
        if (!('add' in line)) continue;
        const add = line.add as Record<string, unknown>;
        expect(Object.keys(add).sort()).toEqual([
          'dataChange',
          'modificationTime',
          'partitionValues',
          'path',
          'size',
          'stats',
          'tags',
        ]);
        expect(add.dataChange).toBe(true);
        expect(Object.keys(add.partitionValues as object).sort()).toEqual(['part_d', 'part_s']);
        const onDisk = path.join(table, decodeAddPath(add.path as string));
        expect(existsSync(onDisk)).toBe(true);
        expect(statSync(onDisk).size).toBe(add.size);
        // The whole-file hash deep verify and repair use (review finding 3), and the hash of the stats
        // text that scans check before skipping the file on them (finding 11).
        expect(add.tags).toEqual({
          contentSha256: createHash('sha256').update(readFileSync(onDisk)).digest('hex'),
          statsSha256: createHash('sha256')
            .update(add.stats as string)
            .digest('hex'),
        });
        expect(decodeURIComponent(add.path as string)).toBe(decodeAddPath(add.path as string));
        expect(add.path).not.toMatch(/^_|\/_/); // never in a hidden directory
        const stats = JSON.parse(add.stats as string);
        expect(Object.keys(stats)).toEqual(['numRecords', 'minValues', 'maxValues', 'nullCount']);
        expect(stats.minValues).not.toHaveProperty('part_s');
        expect(stats.minValues.ts).toBe('2024-03-10T12:34:56.789Z');
        expect(stats.maxValues.ts).toBe('2024-03-10T12:34:56.789Z');
        expect(stats.minValues.dt).toBe('2024-02-29');
        expect(stats.minValues.st).toEqual({ x: expect.any(Number), inner: { z: -1 } }); // y is all null
        expect(stats.nullCount.st).toEqual({ x: 0, y: stats.numRecords, inner: { z: 0 } });
        expect(stats.minValues).not.toHaveProperty('arr');
        expect(stats.minValues).not.toHaveProperty('b');
        expect(add.stats as string).toContain('"i64":9223372036854775807');
      }
    }
    const txns = (log.get(2) ?? []).filter((a) => 'txn' in a);
    expect(txns).toEqual([{ txn: { appId: 'loader', version: 1, lastUpdated: expect.any(Number) } }]);
    const paths = [...log.values()]
      .flat()
      .filter((a) => 'add' in a)
      .map((a) => (a.add as { path: string }).path);
    expect(paths.some((p) => p.includes('%25'))).toBe(true); // DuckDB's own % encoded once more
    expect(readdirSync(table).filter((n) => n.startsWith('_'))).toEqual(['_delta_log', '_staging']);
    expect(readdirSync(path.join(table, '_staging'))).toEqual([]);
  });

  test('a float column holding NaN gets no min/max', async () => {
    const table = await tableWithAllTypes();
    await appendRows(table, [fullRow(1, 'p')]);
    const add = [...(await loadSnapshot(table)).files.values()][0]?.add;
    const stats = JSON.parse(add?.stats ?? '{}');
    expect(stats.minValues).not.toHaveProperty('f64');
    expect(stats.nullCount.f64).toBe(0);
    expect(stats.minValues.f32).toBe(1.5);
  });
});

describe('refusals and idempotence', () => {
  test('nulls in non-nullable columns are refused before anything is committed', async () => {
    const table = await tableWithAllTypes();
    await expect(appendRows(table, [{ id: null, part_s: 'a', part_d: null }])).rejects.toThrow(
      /row 0 column id: the column is not nullable/,
    );
    await expect(
      writeAppend(table, { sql: "SELECT 'a' AS part_s, NULL::DATE AS part_d, NULL::INTEGER AS id" }),
    ).rejects.toBeInstanceOf(DeltaSchemaViolationError);
    await expect(appendRows(table, [{ id: 1, nope: 2 }])).rejects.toThrow(/unknown column 'nope'/);
    await expect(appendRows(table, [{ id: 1, i8: 300 }])).rejects.toThrow(/out of range for byte/);
    const nested = struct(field('id', 'integer'), field('st', struct(field('x', 'integer', false))));
    const nestedTable = path.join(makeTempDir(), 'n');
    await createTable(nestedTable, { schema: nested });
    await expect(appendRows(nestedTable, [{ id: 1, st: { x: null } }])).rejects.toThrow(
      'row 0 column st.x: the field is not nullable',
    );
    expect((await loadSnapshot(table)).version).toBe(0);
    expect(readdirSync(table).sort()).toEqual(['_delta_log', '_staging']);
  });

  test('txn: a retried write with an already-committed version is a no-op', async () => {
    const table = await tableWithAllTypes();
    const first = await appendRows(table, [fullRow(1, 'p')], { txn: { appId: 'app', version: 5 } });
    expect(first).toMatchObject({ skipped: false, version: 1 });
    expect(await appendRows(table, [fullRow(1, 'p')], { txn: { appId: 'app', version: 5 } })).toEqual({
      skipped: true,
      reason: 'txn-already-committed',
      version: 1,
      appId: 'app',
      txnVersion: 5,
    });
    expect(await appendRows(table, [fullRow(1, 'p')], { txn: { appId: 'app', version: 4 } })).toMatchObject({
      skipped: true,
    });
    expect(await appendRows(table, [fullRow(2, 'p')], { txn: { appId: 'other', version: 5 } })).toMatchObject(
      { skipped: false, version: 2 },
    );
    expect((await readBySecondPath(table)).map((r) => r.id)).toEqual([1, 2]);
  });

  test('txn: a write that failed after its commit was linked is skipped on retry, rows exactly once', async () => {
    const table = await tableWithAllTypes();
    const stale = await loadSnapshot(table);
    await expect(
      appendRows(table, [fullRow(1, 'p')], {
        txn: { appId: 'app', version: 1 },
        commit: {
          afterLink: () => {
            throw new Error('process died after link');
          },
        },
      }),
    ).rejects.toThrow('process died after link');
    // Retry from the state read before the failure: the commit collides with its own earlier attempt.
    const retry = await appendRows(table, [fullRow(1, 'p')], {
      txn: { appId: 'app', version: 1 },
      snapshot: stale,
    });
    expect(retry).toEqual({
      skipped: true,
      reason: 'txn-already-committed',
      version: 1,
      appId: 'app',
      txnVersion: 1,
    });
    expect(await appendRows(table, [fullRow(1, 'p')], { txn: { appId: 'app', version: 1 } })).toMatchObject({
      skipped: true,
    });
    expect((await readBySecondPath(table)).map((r) => r.id)).toEqual([1]);
    // The retry's own data files were removed again: only the committed file is on disk.
    const files = readdirSync(path.join(table, 'part_s=p', 'part_d=2024-03-10'));
    expect(files).toHaveLength(1);
  });

  test('no rows: nothing is committed unless a txn must be recorded', async () => {
    const table = await tableWithAllTypes();
    expect(await appendRows(table, [])).toEqual({ skipped: true, reason: 'no-rows', version: 0 });
    expect(await writeAppend(table, { sql: 'SELECT 1 AS id WHERE false' })).toMatchObject({
      skipped: true,
      reason: 'no-rows',
    });
    await expect(writeAppend(table, { sql: 'SELECT 1 AS idx' })).rejects.toThrow(/unknown column 'idx'/);
    await expect(writeAppend(table, { sql: 'SELECT 1 AS i8' })).rejects.toThrow(
      /column 'id' is missing and not nullable/,
    );
    expect(await appendRows(table, [], { txn: { appId: 'a', version: 1 } })).toMatchObject({
      skipped: false,
      version: 1,
      rows: 0,
    });
    expect((await loadSnapshot(table)).txns.get('a')?.version).toBe(1);
  });
});
