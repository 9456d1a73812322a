import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeltaDataFileError, DeltaLogCorruptError } from '../../../src/delta/errors.js';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { canonicalJson, sortCanonicalRows } from '../../../src/delta/read/canonical.js';
import { createScanView, planScan, scanTable } from '../../../src/delta/read/scan.js';
import { useMemoryDuckDb } from '../shared-duckdb.js';
import { add, makeTempDir, metaData, protocol, writeCommit, writeParquet } from './fixtures.js';

const duck = useMemoryDuckDb();
let connection: DuckDBConnection;
let dir: string;
let cleanup: () => void;

beforeAll(() => {
  connection = duck.connection;
});
beforeEach(() => {
  ({ dir, cleanup } = makeTempDir('scan'));
});
afterEach(() => cleanup());

const rowsText = (rows: readonly object[]) => sortCanonicalRows(rows as never[]).map((r) => canonicalJson(r));

describe('types and canonical rendering', () => {
  it('round-trips every supported type, nulls and µs timestamps', async () => {
    const t = path.join(dir, 'types');
    const select = `SELECT * FROM (VALUES
      (1::TINYINT, 2::SMALLINT, 3::INTEGER, 9007199254740993::BIGINT, 1.5::FLOAT, 'NaN'::DOUBLE, 'x"y ü'::VARCHAR, true,
       '\\x00\\xFF'::BLOB, DATE '2026-01-02', TIMESTAMPTZ '2026-01-02 03:04:05.123456+00', TIMESTAMP '2026-01-02 03:04:05.000001',
       1.50::DECIMAL(10,2), {'a': 1, 'b': [1, 2]}, [1.25::DECIMAL(4,2), NULL], MAP {'k': 1, 'j': NULL}),
      (NULL, NULL, NULL, -9223372036854775808, '-Infinity'::FLOAT, 'Infinity'::DOUBLE, NULL, NULL,
       NULL, NULL, TIMESTAMPTZ '1969-12-31 23:59:59.999999+00', NULL, NULL, NULL, NULL, NULL)
    ) v(i8, i16, i32, i64, f, d, s, b, bin, dt, ts, ntz, dec, st, arr, m)`;
    const size = await writeParquet(connection, t, 'part-0.parquet', select);
    const field = (name: string, type: unknown) => ({ name, type });
    writeCommit(t, 0, [
      protocol(3, 7, { reader: ['timestampNtz'], writer: ['timestampNtz'] }),
      metaData([
        field('i8', 'byte'),
        field('i16', 'short'),
        field('i32', 'integer'),
        field('i64', 'long'),
        field('f', 'float'),
        field('d', 'double'),
        field('s', 'string'),
        field('b', 'boolean'),
        field('bin', 'binary'),
        field('dt', 'date'),
        field('ts', 'timestamp'),
        field('ntz', 'timestamp_ntz'),
        field('dec', 'decimal(10,2)'),
        field('st', {
          type: 'struct',
          fields: [
            { name: 'a', type: 'integer', nullable: true, metadata: {} },
            {
              name: 'b',
              type: { type: 'array', elementType: 'integer', containsNull: true },
              nullable: true,
              metadata: {},
            },
          ],
        }),
        field('arr', { type: 'array', elementType: 'decimal(4,2)', containsNull: true }),
        field('m', { type: 'map', keyType: 'string', valueType: 'integer', valueContainsNull: true }),
      ]),
      add('part-0.parquet', { size }),
    ]);
    const result = await scanTable(await loadSnapshot(t), { connection });
    expect(result.rows.map((r) => canonicalJson(r, false))).toEqual([
      '{"i8":1,"i16":2,"i32":3,"i64":9007199254740993,"f":1.5,"d":"NaN","s":"x\\"y ü","b":true,"bin":"AP8=","dt":"2026-01-02","ts":"2026-01-02T03:04:05.123456Z","ntz":"2026-01-02T03:04:05.000001","dec":"1.50","st":{"a":1,"b":[1,2]},"arr":["1.25",null],"m":{"k":1,"j":null}}',
      '{"i8":null,"i16":null,"i32":null,"i64":-9223372036854775808,"f":"-Infinity","d":"Infinity","s":null,"b":null,"bin":null,"dt":null,"ts":"1969-12-31T23:59:59.999999Z","ntz":null,"dec":null,"st":null,"arr":null,"m":null}',
    ]);
    expect(typeof result.rows[0]?.i64).toBe('bigint');
  });

  it('reads naive and INT64 timestamps as UTC whatever the caller session time zone', async () => {
    const t = path.join(dir, 'tz');
    // A Delta `timestamp` column stored as a naive TIMESTAMP (as INT96 and some writers do).
    const size = await writeParquet(
      connection,
      t,
      'a.parquet',
      "SELECT TIMESTAMP '2026-01-02 14:30:00' AS ts, TIMESTAMPTZ '2026-01-02 14:30:00+00' AS ntz",
    );
    writeCommit(t, 0, [
      protocol(3, 7, { reader: ['timestampNtz'] }),
      metaData([
        { name: 'ts', type: 'timestamp' },
        { name: 'ntz', type: 'timestamp_ntz' },
      ]),
      add('a.parquet', { size }),
    ]);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:');
    const mine = await instance.connect();
    try {
      await mine.run("SET TimeZone='America/New_York'");
      const snapshot = await loadSnapshot(t);
      const result = await scanTable(snapshot, { connection: mine, where: "ts = '2026-01-02T14:30:00Z'" });
      expect(result.rows).toEqual([{ ts: '2026-01-02T14:30:00.000000Z', ntz: '2026-01-02T14:30:00.000000' }]);
      // The caller's connection is still open and usable.
      const check = await mine.runAndReadAll('SELECT 41 + 1 AS x');
      expect(check.getRowObjectsJson()).toEqual([{ x: 42 }]);
    } finally {
      mine.closeSync();
      instance.closeSync();
    }
  });
});

describe('partitions and files', () => {
  /** Partition values with characters that need escaping, stored Spark-style. */
  const SPECIAL = ['a b', 'x/y', '100%', 'k=v', 'ünï©ødé', '+plus'];
  const hiveEscape = (v: string) =>
    v.replace(/[%/=:#?\\]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  const uriEncode = (p: string) => p.split('/').map(encodeURIComponent).join('/');

  it('injects partition values from the log with spaces, slashes, %, = and unicode', async () => {
    const t = path.join(dir, 'special');
    const actions: object[] = [
      protocol(),
      metaData(
        [
          { name: 'id', type: 'integer' },
          { name: 'p', type: 'string' },
          { name: 'n', type: 'integer' },
        ],
        ['p', 'n'],
      ),
    ];
    for (const [i, value] of SPECIAL.entries()) {
      const disk = `p=${hiveEscape(value)}/n=${i}/part-${i}.parquet`;
      const size = await writeParquet(connection, t, disk, `SELECT ${i}::INTEGER AS id`);
      actions.push(add(uriEncode(disk), { size, partitionValues: { p: value, n: String(i) } }));
    }
    const nullDisk = 'p=__HIVE_DEFAULT_PARTITION__/n=__HIVE_DEFAULT_PARTITION__/part-x.parquet';
    const size = await writeParquet(connection, t, nullDisk, 'SELECT 99::INTEGER AS id');
    actions.push(add(nullDisk, { size, partitionValues: { p: null, n: '' } }));
    writeCommit(t, 0, actions);

    const snapshot = await loadSnapshot(t);
    const result = await scanTable(snapshot, { connection });
    expect(rowsText(result.rows)).toEqual(
      rowsText([...SPECIAL.map((p, i) => ({ id: i, p, n: i })), { id: 99, p: null, n: null }]),
    );
    const filtered = await scanTable(snapshot, { connection, where: "p IN ('100%', 'k=v')" });
    expect(filtered.rows.map((r) => r.p).sort()).toEqual(['100%', 'k=v']);
    expect(filtered.metrics).toMatchObject({ filesTotal: 7, filesPrunedByPartition: 5, filesRead: 2 });
  });

  it('reads a column missing from some (or all) files as NULL, and casts widened types', async () => {
    const t = path.join(dir, 'evolve');
    const s1 = await writeParquet(connection, t, 'a.parquet', 'SELECT 1::INTEGER AS id');
    const s2 = await writeParquet(connection, t, 'b.parquet', "SELECT 2::BIGINT AS id, 'x' AS note");
    writeCommit(t, 0, [
      protocol(),
      metaData([
        { name: 'id', type: 'long' },
        { name: 'note', type: 'string' },
        { name: 'added_later', type: 'double' },
      ]),
      add('a.parquet', { size: s1 }),
      add('b.parquet', { size: s2 }),
    ]);
    const result = await scanTable(await loadSnapshot(t), { connection });
    expect(rowsText(result.rows)).toEqual(
      rowsText([
        { id: 1, note: null, added_later: null },
        { id: 2, note: 'x', added_later: null },
      ]),
    );
    expect(result.columns.map((c) => c.duckDbType)).toEqual(['BIGINT', 'VARCHAR', 'DOUBLE']);
  });

  it('returns typed empty results for a table without files', async () => {
    const t = path.join(dir, 'empty');
    mkdirSync(t);
    writeCommit(t, 0, [protocol(), metaData([{ name: 'd', type: 'date' }], ['d'])]);
    const result = await scanTable(await loadSnapshot(t));
    expect(result.rows).toEqual([]);
    expect(result.columns).toEqual([{ name: 'd', type: 'date', duckDbType: 'DATE', isPartition: true }]);
    expect(result.metrics).toEqual({
      filesTotal: 0,
      filesPrunedByPartition: 0,
      filesPrunedByStats: 0,
      filesRead: 0,
      bytesRead: 0,
    });
  });

  it('fails with a data error naming the table when a listed file is missing', async () => {
    const t = path.join(dir, 'missing');
    const size = await writeParquet(connection, t, 'a.parquet', 'SELECT 1 AS id');
    writeCommit(t, 0, [
      protocol(),
      metaData([{ name: 'id', type: 'integer' }]),
      add('a.parquet', { size }),
      add('gone.parquet'),
    ]);
    const snapshot = await loadSnapshot(t);
    await expect(scanTable(snapshot, { connection })).rejects.toBeInstanceOf(DeltaDataFileError);
    await expect(scanTable(snapshot, { connection })).rejects.toThrow(
      /Cannot read the data files of .*missing \(version 0\)/,
    );
  });

  it('rejects a partition value that does not parse as the column type', async () => {
    const t = path.join(dir, 'badpart');
    mkdirSync(t);
    writeCommit(t, 0, [
      protocol(),
      metaData([{ name: 'd', type: 'date' }], ['d']),
      add('d=x/a.parquet', { partitionValues: { d: 'not-a-date' } }),
    ]);
    const snapshot = await loadSnapshot(t);
    expect(() => planScan(snapshot)).toThrow(DeltaLogCorruptError);
    expect(() => planScan(snapshot)).toThrow(/"not-a-date"/);
  });
});

describe('pruning, filters and views', () => {
  /** Two trade dates × two symbols, one file each, with stats on ts and symbol. */
  async function marketTable(): Promise<string> {
    const t = path.join(dir, 'market');
    const actions: object[] = [
      protocol(),
      metaData(
        [
          { name: 'trade_date', type: 'date' },
          { name: 'ts', type: 'timestamp' },
          { name: 'symbol', type: 'string' },
          { name: 'price', type: 'double' },
        ],
        ['trade_date'],
      ),
    ];
    for (const date of ['2026-01-02', '2026-01-05']) {
      for (const symbol of ['ES', 'NQ']) {
        const rel = `trade_date=${date}/${symbol}.parquet`;
        const select = `SELECT TIMESTAMPTZ '${date} 14:30:00.000999+00' + INTERVAL (i) MINUTE AS ts, '${symbol}' AS symbol, i * 1.5 AS price FROM range(3) r(i)`;
        const size = await writeParquet(connection, t, rel, select);
        actions.push(
          add(rel, {
            size,
            partitionValues: { trade_date: date },
            stats: {
              numRecords: 3,
              minValues: { ts: `${date}T14:30:00.000Z`, symbol },
              maxValues: { ts: `${date}T14:32:00.000Z`, symbol },
              nullCount: { ts: 0, symbol: 0, price: 0 },
            },
          }),
        );
      }
    }
    writeCommit(t, 0, actions);
    return t;
  }

  it('prunes by partition and by stats, and still filters every row', async () => {
    const snapshot = await loadSnapshot(await marketTable());
    const result = await scanTable(snapshot, {
      connection,
      where: "trade_date = '2026-01-05' AND symbol IN ('NQ') AND ts >= '2026-01-05T14:32:00.000500Z'",
    });
    expect(result.metrics).toEqual({
      filesTotal: 4,
      filesPrunedByPartition: 2,
      filesPrunedByStats: 1,
      filesRead: 1,
      bytesRead: expect.any(Number),
    });
    // The max stat says 14:32:00.000 but the row is at .000999: widening keeps the file.
    expect(result.rows).toEqual([
      { trade_date: '2026-01-05', ts: '2026-01-05T14:32:00.000999Z', symbol: 'NQ', price: 3 },
    ]);
    const none = await scanTable(snapshot, { connection, where: "price > 100 OR symbol = 'RTY'" });
    expect(none.rows).toEqual([]);
    expect(none.metrics.filesRead).toBe(4);
  });

  it('projects columns, limits rows and validates names', async () => {
    const snapshot = await loadSnapshot(await marketTable());
    const result = await scanTable(snapshot, {
      connection,
      columns: ['SYMBOL', 'trade_date'],
      limit: 2,
      where: "symbol = 'ES'",
    });
    expect(result.columns.map((c) => c.name)).toEqual(['symbol', 'trade_date']);
    expect(result.rows).toHaveLength(2);
    expect(Object.keys(result.rows[0] ?? {})).toEqual(['symbol', 'trade_date']);
    expect(() => planScan(snapshot, { columns: ['nope'] })).toThrow(/No column 'nope'.*/);
    expect(() => planScan(snapshot, { limit: -1 })).toThrow(/Invalid limit/);
  });

  it('exposes a view other layers can query with SQL', async () => {
    const snapshot = await loadSnapshot(await marketTable());
    const plan = await createScanView(connection, snapshot, 'snapshots', {
      where: "trade_date >= '2026-01-05'",
    });
    expect(plan.metrics.filesRead).toBe(2);
    const reader = await connection.runAndReadAll(
      'SELECT symbol, count(*) AS n, max(price) AS top FROM snapshots GROUP BY symbol ORDER BY symbol',
    );
    expect(reader.getRowObjectsJson()).toEqual([
      { symbol: 'ES', n: '3', top: 3 },
      { symbol: 'NQ', n: '3', top: 3 },
    ]);
    await connection.run('DROP VIEW snapshots');
  });

  it('reads a table whose files were removed and re-added across commits', async () => {
    const t = await marketTable();
    rmSync(path.join(t, 'trade_date=2026-01-02', 'ES.parquet'));
    writeCommit(t, 1, [{ remove: { path: 'trade_date=2026-01-02/ES.parquet', dataChange: true } }]);
    const result = await scanTable(await loadSnapshot(t), { connection });
    expect(result.rows).toHaveLength(9);
    expect(
      (await scanTable(await loadSnapshot(t, { version: 0 }), { connection }).catch(
        (e: Error) => e,
      )) instanceof DeltaDataFileError,
    ).toBe(true);
  });
});
