/**
 * writeParquet checked against DuckDB: every file is read back with read_parquet and compared with a
 * file DuckDB itself wrote from the same rows (through the production VALUES SQL), and the returned
 * statistics are compared with DuckDB's RETURN_STATS for that COPY.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DeltaStructType } from '../../../src/delta/log/types.js';
import { quoteLiteral } from '../../../src/delta/read/schema.js';
import {
  type ParquetColumn,
  type ParquetPrimitiveType,
  supportsParquetType,
  writeParquet,
} from '../../../src/delta/write/parquet-writer.js';
import {
  buildFileStats,
  type ColumnStatistics,
  parseColumnStatistics,
  parseTimestampMicros,
  statisticsKey,
} from '../../../src/delta/write/stats.js';
import { type DeltaRow, rowsToValuesSql } from '../../../src/delta/write/write-sql.js';
import { lcg } from '../../helpers/random.js';
import { makeTempDir, removeTempDirs } from './helpers.js';

let instance: DuckDBInstance;
let db: DuckDBConnection;
let dir: string;
let fileCounter = 0;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  db = await instance.connect();
  await db.run("SET TimeZone='UTC'");
  dir = makeTempDir('parquet-writer-');
});
afterAll(() => {
  db.closeSync();
  instance.closeSync();
  removeTempDirs();
});

type Row = Record<string, unknown>;
const col = (name: string, type: ParquetColumn['type'], nullable = true): ParquetColumn => ({
  name,
  type,
  nullable,
});
const list = (elementType: ParquetPrimitiveType, containsNull = true) =>
  ({ type: 'array', elementType, containsNull }) as const;

function deltaSchema(columns: readonly ParquetColumn[]): DeltaStructType {
  return {
    type: 'struct',
    fields: columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable, metadata: {} })),
  };
}

function writeMine(columns: readonly ParquetColumn[], rows: readonly Row[]) {
  const result = writeParquet(columns, rows);
  const file = path.join(dir, `mine-${++fileCounter}.parquet`);
  writeFileSync(file, result.bytes);
  return { file, stats: result.stats };
}

async function writeWithDuckDb(columns: readonly ParquetColumn[], rows: readonly Row[]) {
  const file = path.join(dir, `duckdb-${++fileCounter}.parquet`);
  const select = rowsToValuesSql(deltaSchema(columns), rows as DeltaRow[]);
  const reader = await db.runAndReadAll(
    `COPY (${select}) TO ${quoteLiteral(file)} (FORMAT parquet, RETURN_STATS true)`,
  );
  const [row] = reader.getRowObjectsJson();
  return { file, stats: parseColumnStatistics(row?.column_statistics) };
}

async function query(sql: string): Promise<Record<string, unknown>[]> {
  return (await db.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

/** Every cell as DuckDB's text (tells -0.0 from 0.0) and as JSON (keeps list structure). */
async function readBack(file: string) {
  const source = `read_parquet(${quoteLiteral(file)})`;
  return {
    text: (await db.runAndReadAll(`SELECT columns(*)::VARCHAR FROM ${source}`)).getRows(),
    json: await query(`SELECT * FROM ${source}`),
    types: await query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${source})`),
  };
}

function numberOf(text: string): number {
  if (text === 'inf') return Number.POSITIVE_INFINITY;
  if (text === '-inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** Stats after the normalization the lead's integration allows (same number / same instant). */
function normalizeStats(stats: ReadonlyMap<string, ColumnStatistics>, columns: readonly ParquetColumn[]) {
  const typeOf = new Map<string, ParquetPrimitiveType>();
  for (const c of columns) {
    if (typeof c.type === 'string') typeOf.set(statisticsKey([c.name]), c.type);
    else typeOf.set(statisticsKey([c.name, 'element']), c.type.elementType);
  }
  const bound = (key: string, text: string | undefined): unknown => {
    if (text === undefined) return undefined;
    const type = typeOf.get(key);
    if (type === 'double') return numberOf(text);
    if (type === 'float') return Math.fround(numberOf(text));
    if (type === 'timestamp') return String(parseTimestampMicros(text) ?? text);
    return text;
  };
  return Object.fromEntries(
    [...stats].map(([key, s]) => [
      key,
      { min: bound(key, s.min), max: bound(key, s.max), nullCount: s.nullCount, hasNan: s.hasNan },
    ]),
  );
}

async function footer(file: string) {
  const rows = await query(
    `SELECT path_in_schema, type, num_values, stats_min_value, stats_max_value, stats_null_count,
            min_is_exact, max_is_exact
     FROM parquet_metadata(${quoteLiteral(file)}) ORDER BY column_id`,
  );
  return rows.map((r) => {
    const float = r.type === 'FLOAT' || r.type === 'DOUBLE';
    const bound = (v: unknown) => (float && typeof v === 'string' ? numberOf(v) : v);
    // Parquet writes a ±0 min as -0 and a ±0 max as +0; DuckDB keeps whichever zero came first.
    const zeroSafe = (v: unknown) => (v === 0 ? 0 : v);
    return {
      ...r,
      stats_min_value: zeroSafe(bound(r.stats_min_value)),
      stats_max_value: zeroSafe(bound(r.stats_max_value)),
    };
  });
}

/** Writes rows both ways and checks values, types, RETURN_STATS, footer stats and Delta stats agree. */
async function expectSameAsDuckDb(columns: readonly ParquetColumn[], rows: readonly Row[]) {
  const mine = writeMine(columns, rows);
  const theirs = await writeWithDuckDb(columns, rows);
  const [mineBack, theirsBack] = [await readBack(mine.file), await readBack(theirs.file)];
  expect(mineBack.types).toEqual(theirsBack.types);
  expect(mineBack.text).toEqual(theirsBack.text);
  expect(mineBack.json).toEqual(theirsBack.json);
  expect(normalizeStats(mine.stats, columns)).toEqual(normalizeStats(theirs.stats, columns));
  expect(await footer(mine.file)).toEqual(await footer(theirs.file));
  const fileStats = (columnStats: Map<string, ColumnStatistics>) =>
    buildFileStats({
      schema: deltaSchema(columns),
      partitionColumns: [],
      numRecords: rows.length,
      columns: columnStats,
    });
  expect(fileStats(mine.stats)).toBe(fileStats(theirs.stats));
  return { mine, theirs, mineBack };
}

describe('writeParquet against DuckDB', () => {
  test('strings: empty, unicode, byte order, nulls, required', async () => {
    const columns = [
      col('s', 'string'),
      col('r', 'string', false),
      col('none', 'string'),
      col('u', 'string'),
      col('odd "name".x', 'string'),
    ];
    // U+FF5A sorts above U+1F600 in UTF-16 but below it in UTF-8 bytes, as Parquet compares.
    const rows = [
      { s: 'héllo wörld', r: 'b', none: null, u: '😀', 'odd "name".x': 'k' },
      { s: '', r: 'a', none: undefined, u: 'ｚ', 'odd "name".x': 'k' },
      { s: null, r: '😀', none: null, u: null, 'odd "name".x': 'k' },
      { s: 'ｚ', r: '', none: null, u: '😀', 'odd "name".x': 'k' },
      { s: 'it\'s "quoted", \\ and\nnewline', r: 'tab\there', none: null, u: 'ｚ', 'odd "name".x': 'k' },
    ];
    const { mine, mineBack } = await expectSameAsDuckDb(columns, rows);
    expect(mine.stats.get('"r"')).toEqual({ min: '', max: '😀', nullCount: '0' });
    expect(mine.stats.get('"u"')).toEqual({ min: 'ｚ', max: '😀', nullCount: '1' });
    expect(mine.stats.get('"none"')).toEqual({ nullCount: '5' });
    expect(mine.stats.get('"odd ""name"".x"')).toEqual({ min: 'k', max: 'k', nullCount: '0' });
    expect(mineBack.json[2]).toEqual({ s: null, r: '😀', none: null, u: null, 'odd "name".x': 'k' });
  });

  test('long strings get DuckDB’s 256-byte bounds, or none', async () => {
    const columns = [
      col('ascii', 'string'),
      col('accented', 'string'),
      col('ascii_head', 'string'),
      col('del_tail', 'string'),
      col('emoji', 'string'),
      col('shadowing', 'string'),
      col('late_uncuttable', 'string'),
    ];
    const rows = [
      {
        ascii: 'a'.repeat(300),
        accented: 'é'.repeat(129), // no ASCII byte to bump: no bounds at all
        ascii_head: `a${'é'.repeat(128)}`,
        del_tail: `${'a'.repeat(255)}\u007fa`,
        emoji: '😀'.repeat(64),
        shadowing: `a${'é'.repeat(128)}`, // kept as max 'b', which then hides the larger 'aê'
        late_uncuttable: 'ê',
      },
      {
        ascii: 'b'.repeat(257),
        accented: 'a',
        ascii_head: 'b',
        del_tail: 'a',
        emoji: 'z',
        shadowing: 'aê',
        late_uncuttable: 'é'.repeat(129), // never the max, so only cut as min
      },
    ];
    const { mine } = await expectSameAsDuckDb(columns, rows);
    expect(mine.stats.get('"ascii"')).toEqual({
      min: 'a'.repeat(256),
      max: `${'b'.repeat(255)}c`,
      nullCount: '0',
    });
    expect(mine.stats.get('"accented"')).toEqual({ nullCount: '0' });
    expect(mine.stats.get('"ascii_head"')?.max).toBe('b');
    expect(mine.stats.get('"emoji"')?.max).toBe('😀'.repeat(64));
    expect(mine.stats.get('"shadowing"')?.max).toBe('b');
    expect(mine.stats.get('"late_uncuttable"')).toEqual({ min: 'é'.repeat(128), max: 'ê', nullCount: '0' });
  });

  test('integers: 64-bit extremes beyond 2^53, 32/16/8-bit ranges', async () => {
    const columns = [
      col('l', 'long'),
      col('i', 'integer'),
      col('sh', 'short'),
      col('b', 'byte'),
      col('lr', 'long', false),
    ];
    const rows = [
      { l: -(2n ** 63n), i: -(2 ** 31), sh: -32768, b: -128, lr: 2n ** 53n + 1n },
      { l: 2n ** 63n - 1n, i: 2 ** 31 - 1, sh: 32767, b: 127, lr: 0 },
      { l: null, i: null, sh: null, b: null, lr: -(2 ** 53) + 1 },
      { l: 42, i: 0n, sh: 7n, b: -1, lr: 9007199254740993n },
    ];
    const { mine, mineBack } = await expectSameAsDuckDb(columns, rows);
    expect(mine.stats.get('"l"')).toEqual({
      min: '-9223372036854775808',
      max: '9223372036854775807',
      nullCount: '1',
    });
    expect(mineBack.json.map((r) => r.lr)).toEqual([
      '9007199254740993',
      '0',
      '-9007199254740991',
      '9007199254740993',
    ]);
  });

  test('doubles and floats: NaN, ±Infinity, -0.0, extremes', async () => {
    const columns = [
      col('mixed', 'double'),
      col('nan_only', 'double'),
      col('inf', 'double'),
      col('neg_zero_first', 'double'),
      col('zero_first', 'double'),
      col('extremes', 'double'),
      col('f', 'float'),
      col('f_nan', 'float'),
      col('f_zero', 'float'),
    ];
    const rows = [
      {
        mixed: 1.5,
        nan_only: Number.NaN,
        inf: Infinity,
        neg_zero_first: -0,
        zero_first: 0,
        extremes: 5e-324,
        f: 0.1,
        f_nan: 1,
        f_zero: -0,
      },
      {
        mixed: Number.NaN,
        nan_only: Number.NaN,
        inf: -Infinity,
        neg_zero_first: 0,
        zero_first: -0,
        extremes: 1.7976931348623157e308,
        f: 3.4028234663852886e38,
        f_nan: Number.NaN,
        f_zero: 0,
      },
      {
        mixed: -2.25,
        nan_only: null,
        inf: 1,
        neg_zero_first: null,
        zero_first: null,
        extremes: -1e-300,
        f: 1e-45,
        f_nan: null,
        f_zero: null,
      },
      {
        mixed: null,
        nan_only: null,
        inf: null,
        neg_zero_first: -0,
        zero_first: 0,
        extremes: 0.1 + 0.2,
        f: -Infinity,
        f_nan: 2,
        f_zero: -0,
      },
    ];
    const { mine, mineBack } = await expectSameAsDuckDb(columns, rows);
    expect(mine.stats.get('"mixed"')).toEqual({ min: '-2.25', max: '1.5', nullCount: '1', hasNan: true });
    expect(mine.stats.get('"nan_only"')).toEqual({ nullCount: '2', hasNan: true });
    expect(mine.stats.get('"inf"')).toEqual({ min: '-inf', max: 'inf', nullCount: '1', hasNan: false });
    expect(mine.stats.get('"neg_zero_first"')).toMatchObject({ min: '-0.0', max: '-0.0' });
    expect(mineBack.text.map((r) => r[3])).toEqual(['-0.0', '0.0', null, '-0.0']);
    // NaN sorts above every number in DuckDB, so the footer must not let `> 1` skip the file.
    const [{ n }] = (await query(
      `SELECT count(*)::INT AS n FROM read_parquet(${quoteLiteral(mine.file)}) WHERE mixed > 100`,
    )) as [{ n: number }];
    expect(n).toBe(1);
  });

  test('booleans', async () => {
    const columns = [col('b', 'boolean'), col('t', 'boolean'), col('f', 'boolean', false)];
    const rows = Array.from({ length: 19 }, (_, i) => ({
      b: i % 3 === 0 ? null : i % 2 === 0,
      t: true,
      f: i === 17,
    }));
    const { mine } = await expectSameAsDuckDb(columns, rows);
    expect(mine.stats.get('"t"')).toEqual({ min: '1', max: '1', nullCount: '0' });
  });

  test('dates before 1970 and at the range ends, as text or Date', async () => {
    const columns = [col('d', 'date'), col('r', 'date', false)];
    const rows = [
      { d: '1969-12-31', r: new Date('1900-02-28T23:59:59.999Z') },
      { d: '0001-01-01', r: '2024-02-29' },
      { d: null, r: new Date(0) },
      { d: '9999-12-31', r: new Date(-1) },
    ];
    const { mine } = await expectSameAsDuckDb(columns, rows);
    expect(mine.stats.get('"d"')).toEqual({ min: '0001-01-01', max: '9999-12-31', nullCount: '1' });
    expect(mine.stats.get('"r"')).toEqual({ min: '1900-02-28', max: '2024-02-29', nullCount: '0' });
  });

  test('timestamps: before 1970, microseconds, Date and bigint', async () => {
    const columns = [col('ts', 'timestamp'), col('r', 'timestamp', false)];
    const rows = [
      { ts: new Date('1969-07-20T20:17:40.123Z'), r: -1n },
      { ts: 1704103200123456n, r: new Date('2024-01-01T10:00:00Z') },
      { ts: null, r: 1704103200120000n },
      { ts: -2208988800000001n, r: new Date('0001-01-01T00:00:00Z') },
    ];
    const { mine } = await expectSameAsDuckDb(columns, rows);
    expect(mine.stats.get('"ts"')).toEqual({
      min: '1899-12-31 23:59:59.999999+00',
      max: '2024-01-01 10:00:00.123456+00',
      nullCount: '1',
    });
    expect(mine.stats.get('"r"')?.min).toBe('0001-01-01 00:00:00+00');
  });

  test('lists: null list, empty list, null element, required, every element type', async () => {
    const columns = [
      col('strings', list('string')),
      col('strict', list('string', false), false),
      col('longs', list('long')),
      col('ints', list('integer', false)),
      col('shorts', list('short')),
      col('bytes', list('byte')),
      col('doubles', list('double')),
      col('floats', list('float')),
      col('bools', list('boolean')),
      col('dates', list('date')),
      col('stamps', list('timestamp')),
      col('empty_only', list('string')),
    ];
    const rows = [
      {
        strings: ['a', null, 'b'],
        strict: ['x'],
        longs: [2n ** 62n, -1],
        ints: [1, 2, 3],
        shorts: [null],
        bytes: [],
        doubles: [Number.NaN, 1],
        floats: [0.1],
        bools: [true, null],
        dates: ['1960-01-01'],
        stamps: [new Date(0), 5n],
        empty_only: [],
      },
      {
        strings: [],
        strict: [],
        longs: null,
        ints: [],
        shorts: [-5, 5],
        bytes: [1, null, -1],
        doubles: [-0, null],
        floats: [],
        bools: [false],
        dates: null,
        stamps: [],
        empty_only: [],
      },
      {
        strings: null,
        strict: ['é', 'e', 'z'],
        longs: [null],
        ints: null,
        shorts: null,
        bytes: null,
        doubles: [],
        floats: [null, 2],
        bools: [],
        dates: [null, new Date(86_400_000)],
        stamps: [null],
        empty_only: null,
      },
      {
        strings: [null],
        strict: [''],
        longs: [],
        ints: [4],
        shorts: [],
        bytes: [0],
        doubles: [Infinity],
        floats: null,
        bools: null,
        dates: [],
        stamps: null,
        empty_only: [],
      },
    ];
    const { mine, mineBack } = await expectSameAsDuckDb(columns, rows);
    // Empty lists, null lists and null elements all count as leaf nulls, as in DuckDB.
    expect(mine.stats.get('"strings"."element"')).toEqual({ min: 'a', max: 'b', nullCount: '4' });
    expect(mine.stats.get('"empty_only"."element"')).toEqual({ nullCount: '4' });
    expect(mineBack.json.map((r) => r.strings)).toEqual([['a', null, 'b'], [], null, [null]]);
    const schema = await query(
      `SELECT name, repetition_type, converted_type, logical_type FROM parquet_schema(${quoteLiteral(mine.file)})`,
    );
    const at = schema.findIndex((r) => r.name === 'strict');
    expect(schema.slice(at, at + 3)).toEqual([
      { name: 'strict', repetition_type: 'OPTIONAL', converted_type: 'LIST', logical_type: 'ListType()' },
      { name: 'list', repetition_type: 'REPEATED', converted_type: null, logical_type: null },
      { name: 'element', repetition_type: 'OPTIONAL', converted_type: 'UTF8', logical_type: 'StringType()' },
    ]);
  });

  test('a few hundred varied rows (many level runs, multi-byte boolean pages)', async () => {
    const columns = [
      col('s', 'string'),
      col('l', 'long'),
      col('d', 'double'),
      col('b', 'boolean'),
      col('dt', 'date'),
      col('ts', 'timestamp', false),
      col('q', list('string', false)),
      col('n', list('integer')),
    ];
    const next = lcg(7);
    const maybe = <T>(v: T) => (next() < 0.2 ? null : v);
    const rows = Array.from({ length: 300 }, (_, i) => ({
      s: maybe(`sym-${Math.floor(next() * 1000)}-${'ü'.repeat(i % 4)}`),
      l: maybe(BigInt(Math.floor((next() - 0.5) * 2 ** 52)) * 1024n),
      d: maybe((next() - 0.5) * 10 ** Math.floor(next() * 20)),
      b: maybe(next() < 0.5),
      dt: maybe(new Date(Math.floor((next() - 0.5) * 2e12))),
      ts: BigInt(Math.floor((next() - 0.3) * 2e15)),
      q: maybe(Array.from({ length: Math.floor(next() * 4) }, () => (next() < 0.5 ? 'stale' : 'wide'))),
      n: maybe(Array.from({ length: Math.floor(next() * 4) }, () => maybe(Math.floor(next() * 100)))),
    }));
    await expectSameAsDuckDb(columns, rows);
  });
});

describe('file layout', () => {
  test('physical, converted and logical types; every column OPTIONAL (as Spark and DuckDB write them); one uncompressed row group', async () => {
    const columns = [
      col('s', 'string'),
      col('l', 'long', false),
      col('i', 'integer'),
      col('sh', 'short'),
      col('b', 'byte'),
      col('d', 'double'),
      col('f', 'float'),
      col('bo', 'boolean', false),
      col('dt', 'date'),
      col('ts', 'timestamp'),
    ];
    const row = { s: 'x', l: 1, i: 1, sh: 1, b: 1, d: 1, f: 1, bo: true, dt: '2024-01-01', ts: new Date(0) };
    const { file } = writeMine(columns, [row, row]);
    const schema = await query(
      `SELECT name, type, repetition_type, converted_type, logical_type, num_children
       FROM parquet_schema(${quoteLiteral(file)})`,
    );
    const e = (
      name: string,
      type: string,
      repetition: string,
      converted: string | null,
      logical: string | null,
    ) => ({
      name,
      type,
      repetition_type: repetition,
      converted_type: converted,
      logical_type: logical,
      num_children: null,
    });
    expect(schema).toEqual([
      {
        name: 'schema',
        type: null,
        repetition_type: null,
        converted_type: null,
        logical_type: null,
        num_children: '10',
      },
      e('s', 'BYTE_ARRAY', 'OPTIONAL', 'UTF8', 'StringType()'),
      e('l', 'INT64', 'OPTIONAL', null, null),
      e('i', 'INT32', 'OPTIONAL', null, null),
      // DuckDB prints IntType's i8 bitWidth as a raw character: 16 is U+0010, 8 is a backspace.
      e('sh', 'INT32', 'OPTIONAL', 'INT_16', 'IntType(bitWidth=\u0010, isSigned=1)'),
      e('b', 'INT32', 'OPTIONAL', 'INT_8', 'IntType(bitWidth=\b, isSigned=1)'),
      e('d', 'DOUBLE', 'OPTIONAL', null, null),
      e('f', 'FLOAT', 'OPTIONAL', null, null),
      e('bo', 'BOOLEAN', 'OPTIONAL', null, null),
      e('dt', 'INT32', 'OPTIONAL', 'DATE', 'DateType()'),
      e(
        'ts',
        'INT64',
        'OPTIONAL',
        'TIMESTAMP_MICROS',
        'TimestampType(isAdjustedToUTC=1, unit=TimeUnit(MILLIS=<null>, MICROS=MicroSeconds(), NANOS=<null>))',
      ),
    ]);
    const meta = await query(
      `SELECT DISTINCT row_group_id, row_group_num_rows, compression FROM parquet_metadata(${quoteLiteral(file)})`,
    );
    expect(meta).toEqual([{ row_group_id: '0', row_group_num_rows: '2', compression: 'UNCOMPRESSED' }]);
    const [fileMeta] = await query(
      `SELECT num_rows, format_version FROM parquet_file_metadata(${quoteLiteral(file)})`,
    );
    expect(fileMeta).toEqual({ num_rows: '2', format_version: '1' });
  });

  test('footer bounds let DuckDB skip the file, and only when it may', async () => {
    const columns = [col('s', 'string'), col('l', 'long'), col('ts', 'timestamp')];
    const { file } = writeMine(columns, [
      { s: 'm', l: 2n ** 63n - 1n, ts: new Date('2024-01-01T00:00:00Z') },
      { s: 'b', l: -5, ts: null },
    ]);
    const count = async (where: string) => {
      const [row] = await query(
        `SELECT count(*)::INT AS n FROM read_parquet(${quoteLiteral(file)}) WHERE ${where}`,
      );
      return row?.n;
    };
    expect(await count("s = 'b'")).toBe(1);
    expect(await count("s > 'm'")).toBe(0);
    expect(await count('l = 9223372036854775807')).toBe(1);
    expect(await count("ts >= TIMESTAMPTZ '2024-01-01 00:00:00+00'")).toBe(1);
  });

  test('zero rows', async () => {
    const { file, stats } = writeMine([col('s', 'string'), col('q', list('long'))], []);
    const back = await readBack(file);
    expect(back.json).toEqual([]);
    expect(back.types).toEqual([
      { column_name: 's', column_type: 'VARCHAR' },
      { column_name: 'q', column_type: 'BIGINT[]' },
    ]);
    expect(stats).toEqual(
      new Map([
        ['"s"', { nullCount: '0' }],
        ['"q"."element"', { nullCount: '0' }],
      ]),
    );
  });
});

describe('input checks', () => {
  const throws = (columns: ParquetColumn[], rows: Row[], message: RegExp) =>
    expect(() => writeParquet(columns, rows)).toThrow(message);

  test('nulls where the schema forbids them', () => {
    throws([col('s', 'string', false)], [{ s: null }], /row 0 column s: the column is not nullable/);
    throws([col('s', 'string', false)], [{}], /not nullable/);
    throws([col('q', list('string', false))], [{ q: ['a', null] }], /q\[1\]: the array holds no nulls/);
    throws([col('q', list('string'), false)], [{ q: null }], /not nullable/);
  });

  test('values of the wrong type or out of range', () => {
    throws([col('x', 'integer')], [{ x: 2 ** 31 }], /32-bit integer/);
    throws([col('x', 'integer')], [{ x: 1.5 }], /32-bit integer/);
    throws([col('x', 'short')], [{ x: 32768 }], /16-bit integer/);
    throws([col('x', 'byte')], [{ x: -129n }], /8-bit integer/);
    throws([col('x', 'long')], [{ x: 2n ** 63n }], /64-bit integer/);
    throws([col('x', 'long')], [{ x: 2 ** 53 }], /64-bit integer/);
    throws([col('x', 'long')], [{ x: '12' }], /64-bit integer/);
    throws([col('x', 'double')], [{ x: '1.5' }], /a number/);
    throws([col('x', 'float')], [{ x: 1e39 }], /float range/);
    throws([col('x', 'string')], [{ x: 5 }], /a string/);
    throws([col('x', 'boolean')], [{ x: 1 }], /a boolean/);
    throws([col('x', 'date')], [{ x: '2023-02-29' }], /YYYY-MM-DD/);
    throws([col('x', 'date')], [{ x: new Date(Number.NaN) }], /YYYY-MM-DD/);
    throws([col('x', 'timestamp')], [{ x: '2024-01-01T00:00:00Z' }], /bigint microseconds/);
    throws([col('x', list('long'))], [{ x: 'a' }], /an array/);
  });

  test('unknown columns, duplicates and unsupported types', () => {
    throws([col('a', 'string')], [{ a: 'x', b: 1 }], /unknown column 'b'/);
    throws([col('a', 'string'), col('a', 'long')], [], /duplicate/);
    throws([{ name: 'a', type: 'binary' as 'string', nullable: true }], [], /unsupported type/);
  });

  test('supportsParquetType accepts exactly the supported Delta types', () => {
    for (const type of [
      'string',
      'long',
      'integer',
      'short',
      'byte',
      'double',
      'float',
      'boolean',
      'date',
      'timestamp',
    ])
      expect(supportsParquetType(type)).toBe(true);
    expect(supportsParquetType({ type: 'array', elementType: 'timestamp', containsNull: false })).toBe(true);
    for (const type of [
      'binary',
      'timestamp_ntz',
      'decimal(10,2)',
      'Long',
      { type: 'struct', fields: [] },
      { type: 'map', keyType: 'string', valueType: 'string', valueContainsNull: true },
      {
        type: 'array',
        elementType: { type: 'array', elementType: 'long', containsNull: true },
        containsNull: true,
      },
      { type: 'array', elementType: 'decimal(10,2)', containsNull: true },
      { type: 'array', elementType: 'long' },
      null,
      undefined,
    ])
      expect(supportsParquetType(type)).toBe(false);
  });
});

describe('a collector round: 27 columns × 4 rows', () => {
  const columns: ParquetColumn[] = [
    col('ts', 'timestamp', false),
    col('segment', 'string', false),
    col('symbol', 'string', false),
    col('sec_type', 'string', false),
    col('con_id', 'long'),
    col('local_symbol', 'string'),
    col('contract_month', 'string'),
    col('etf', 'string'),
    col('bid', 'double'),
    col('ask', 'double'),
    col('last', 'double'),
    col('mid', 'double'),
    col('bid_size', 'double'),
    col('ask_size', 'double'),
    col('last_size', 'double'),
    col('volume', 'double'),
    col('open', 'double'),
    col('high', 'double'),
    col('low', 'double'),
    col('close', 'double'),
    col('market_data_type', 'integer'),
    col('quality', list('string', false)),
    col('slot_ts', 'timestamp'),
    col('source', 'string', false),
    col('run_id', 'string'),
    col('expiry', 'date'),
    col('multiplier', 'long'),
  ];
  const ts = new Date('2025-03-14T13:29:00.123Z');
  const row = (symbol: string, conId: number | bigint, price: number, quality: string[]) => ({
    ts,
    segment: 'index',
    symbol,
    sec_type: 'FUT',
    con_id: conId,
    local_symbol: `${symbol}M5`,
    contract_month: '202506',
    etf: symbol === 'ES' ? 'SPY' : null,
    bid: price - 0.25,
    ask: price + 0.25,
    last: price,
    mid: price,
    bid_size: 12,
    ask_size: 7,
    last_size: 1,
    volume: 1_234_567,
    open: price - 10.5,
    high: price + 20.75,
    low: price - 30,
    close: price - 1,
    market_data_type: 1,
    quality,
    slot_ts: new Date('2025-03-14T13:29:00Z'),
    source: 'ib',
    run_id: 'run-8f1c',
    expiry: '2025-06-20',
    multiplier: 50,
  });
  const rows = [
    row('ES', 637533641, 5712.25, []),
    row('NQ', 637533398n, 19876.5, ['stale']),
    { ...row('RTY', 2n ** 40n, Number.NaN, ['no_bid', 'no_ask']), bid: null, ask: null, etf: 'IWM' },
    { ...row('YM', 637533450, 42123, []), quality: [], run_id: null, volume: -0 },
  ];

  test('matches DuckDB, and times 1,000 writes', async () => {
    await expectSameAsDuckDb(columns, rows);
    for (let i = 0; i < 200; i++) writeParquet(columns, rows);
    const start = process.hrtime.bigint();
    let bytes = 0;
    for (let i = 0; i < 1000; i++) bytes += writeParquet(columns, rows).bytes.length;
    const totalMs = Number(process.hrtime.bigint() - start) / 1e6;
    console.log(
      `writeParquet 4 rows × 27 columns: ${totalMs.toFixed(1)} ms for 1,000 writes ` +
        `(${(totalMs / 1000).toFixed(3)} ms per write), ${bytes / 1000} bytes per file`,
    );
    expect(bytes).toBeGreaterThan(0);
  });
});
