import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/core/errors.js';
import { DeltaPredicateError } from '../../../src/delta/errors.js';
import type { DeltaStructType, FileStats } from '../../../src/delta/log/types.js';
import {
  and,
  bindPredicate,
  compare,
  inList,
  MAX_PREDICATE_DEPTH,
  type Predicate,
  parsePredicate,
  predicateToSql,
} from '../../../src/delta/read/predicate.js';
import { pruneFile } from '../../../src/delta/read/prune.js';
import { parseTimestamp, type Scalar } from '../../../src/delta/read/scalar.js';

const schema: DeltaStructType = {
  type: 'struct',
  fields: [
    { name: 'trade_date', type: 'date', nullable: false, metadata: {} },
    { name: 'ts', type: 'timestamp', nullable: false, metadata: {} },
    { name: 'symbol', type: 'string', nullable: false, metadata: {} },
    { name: 'price', type: 'double', nullable: true, metadata: {} },
    { name: 'volume', type: 'long', nullable: true, metadata: {} },
    { name: 'naive', type: 'timestamp_ntz', nullable: true, metadata: {} },
    { name: 'amount', type: 'decimal(10,2)', nullable: true, metadata: {} },
    { name: 'ok', type: 'boolean', nullable: true, metadata: {} },
  ],
};
const partitions = ['trade_date'];

describe('parsePredicate', () => {
  it('parses comparisons, BETWEEN, IN, IS NULL, AND/OR and parentheses', () => {
    expect(parsePredicate("ts >= '2026-01-02T00:00:00Z' AND symbol IN ('ES','NQ')")).toEqual({
      kind: 'and',
      args: [
        { kind: 'compare', column: 'ts', op: '>=', value: '2026-01-02T00:00:00Z' },
        { kind: 'in', column: 'symbol', values: ['ES', 'NQ'] },
      ],
    });
    expect(parsePredicate('volume between -5 and 1e3')).toEqual({
      kind: 'between',
      column: 'volume',
      low: -5,
      high: 1000,
    });
    expect(parsePredicate("(a = 1 OR b <> 'x''y') AND c IS NOT NULL AND d is null")).toEqual({
      kind: 'and',
      args: [
        {
          kind: 'or',
          args: [
            { kind: 'compare', column: 'a', op: '=', value: 1 },
            { kind: 'compare', column: 'b', op: '!=', value: "x'y" },
          ],
        },
        { kind: 'isNull', column: 'c', negated: true },
        { kind: 'isNull', column: 'd', negated: false },
      ],
    });
    expect(parsePredicate('"odd name" = true')).toEqual({
      kind: 'compare',
      column: 'odd name',
      op: '=',
      value: true,
    });
    expect(parsePredicate("trade_date = DATE '2026-01-02'")).toEqual({
      kind: 'compare',
      column: 'trade_date',
      op: '=',
      value: '2026-01-02',
    });
    expect(parsePredicate('volume = 9223372036854775807')).toEqual({
      kind: 'compare',
      column: 'volume',
      op: '=',
      value: 9223372036854775807n,
    });
  });

  it.each([
    ['', /empty/],
    ['ts >', /position 5: expected a value, found the end/],
    ["symbol = 'ES", /unterminated string/],
    ['symbol IN ()', /expected a value/],
    ['symbol IN (1 2)', /expected ',' or '\)'/],
    ['a = 1 b = 2', /position 7: expected AND, OR or the end/],
    ['= 3', /expected a column name/],
    ['a ~ 3', /unexpected character '~'/],
    ['a = NULL', /IS NULL/],
    ['a BETWEEN 1 OR 2', /expected AND/],
    ['(a = 1', /expected '\)'/],
  ])('rejects %j with a UsageError', (text, message) => {
    expect(() => parsePredicate(text)).toThrow(UsageError);
    expect(() => parsePredicate(text)).toThrow(message);
  });
});

describe('bindPredicate and SQL', () => {
  const sql = (p: Predicate | string) =>
    predicateToSql(bindPredicate(typeof p === 'string' ? parsePredicate(p) : p, schema, partitions));

  it('coerces literals to column types and renders time-zone independent SQL', () => {
    expect(sql("ts >= '2026-01-02T00:00:00Z'")).toBe(
      '("ts" >= make_timestamptz(CAST(1767312000000000 AS BIGINT)))',
    );
    expect(sql("ts < '2026-01-02 05:00:00-05:00'")).toBe(
      '("ts" < make_timestamptz(CAST(1767348000000000 AS BIGINT)))',
    );
    expect(sql("ts = '2026-01-02'")).toBe('("ts" = make_timestamptz(CAST(1767312000000000 AS BIGINT)))');
    expect(sql("TRADE_DATE BETWEEN '2026-01-01' AND '2026-01-31'")).toBe(
      "(\"trade_date\" BETWEEN DATE '2026-01-01' AND DATE '2026-01-31')",
    );
    expect(sql("symbol IN ('ES', 'it''s')")).toBe("(\"symbol\" IN ('ES', 'it''s'))");
    expect(sql('volume > 10')).toBe('("volume" > CAST(10 AS BIGINT))');
    expect(sql('amount <= 1.25')).toBe('("amount" <= CAST(\'1.25\' AS DECIMAL(10,2)))');
    expect(sql("naive = '2026-01-02T03:04:05.123456'")).toBe(
      '("naive" = make_timestamp(CAST(1767323045123456 AS BIGINT)))',
    );
    expect(sql('ok = false OR price IS NULL')).toBe('(("ok" = FALSE) OR ("price" IS NULL))');
    expect(sql(compare('ts', '>=', new Date('2026-01-02T00:00:00Z')))).toBe(
      '("ts" >= make_timestamptz(CAST(1767312000000000 AS BIGINT)))',
    );
  });

  it.each([
    ['nope = 1', /no column 'nope'/],
    ['symbol = 5', /is a number; quote string values/],
    ["volume = 'abc'", /'abc' is not a valid long value/],
    ['volume = 1.5', /not an integer/],
    ["trade_date = '2026-13-01'", /not a date/],
    ["ts >= 'tomorrow'", /not a timestamp/],
    ["naive = '2026-01-01T00:00:00Z'", /has a time zone/],
    ["ok = 'yes'", /not a valid boolean/],
    ['volume = 99999999999999999999', /out of range/],
  ])('rejects %j', (text, message) => {
    expect(() => sql(text)).toThrow(UsageError);
    expect(() => sql(text)).toThrow(message);
  });
});

describe('pruneFile', () => {
  const bound = (text: string) => bindPredicate(parsePredicate(text), schema, partitions);
  const day = (d: string): Scalar => ({ type: 'date', value: Date.parse(`${d}T00:00:00Z`) / 86_400_000 });
  const facts = (tradeDate: string | null, stats?: FileStats) => ({
    partitionValues: new Map<string, Scalar | null>([
      ['trade_date', tradeDate === null ? null : day(tradeDate)],
    ]),
    stats,
  });
  const stats: FileStats = {
    numRecords: 10,
    minValues: { ts: '2026-01-02T14:30:00.000Z', symbol: 'ES', volume: 5 },
    maxValues: { ts: '2026-01-02T20:59:59.999Z', symbol: 'NQ', volume: 500 },
    nullCount: { ts: 0, symbol: 0, volume: 0, price: 10 },
  };

  it('prunes on partition values exactly', () => {
    expect(pruneFile(bound("trade_date = '2026-01-02'"), facts('2026-01-02'))).toBe('keep');
    expect(pruneFile(bound("trade_date = '2026-01-02'"), facts('2026-01-03'))).toBe('partition');
    expect(pruneFile(bound("trade_date >= '2026-01-03'"), facts('2026-01-02'))).toBe('partition');
    expect(pruneFile(bound("trade_date IN ('2026-01-01','2026-01-02')"), facts('2026-01-02'))).toBe('keep');
    expect(pruneFile(bound("trade_date BETWEEN '2026-01-03' AND '2026-01-09'"), facts('2026-01-02'))).toBe(
      'partition',
    );
    expect(pruneFile(bound("trade_date = '2026-01-02'"), facts(null))).toBe('partition');
    expect(pruneFile(bound('trade_date IS NULL'), facts(null))).toBe('keep');
    expect(pruneFile(bound('trade_date IS NULL'), facts('2026-01-02'))).toBe('partition');
  });

  it('skips on min/max stats for timestamps, strings and integers', () => {
    expect(pruneFile(bound("ts >= '2026-01-03T00:00:00Z'"), facts('2026-01-02', stats))).toBe('stats');
    expect(pruneFile(bound("ts < '2026-01-02T14:30:00Z'"), facts('2026-01-02', stats))).toBe('stats');
    expect(pruneFile(bound("ts <= '2026-01-02T14:30:00Z'"), facts('2026-01-02', stats))).toBe('keep');
    expect(pruneFile(bound("symbol IN ('RTY','VX')"), facts('2026-01-02', stats))).toBe('stats');
    expect(pruneFile(bound("symbol IN ('RTY','ES')"), facts('2026-01-02', stats))).toBe('keep');
    expect(pruneFile(bound('volume > 500'), facts('2026-01-02', stats))).toBe('stats');
    expect(pruneFile(bound('volume BETWEEN 1 AND 4'), facts('2026-01-02', stats))).toBe('stats');
    expect(pruneFile(bound('volume IS NULL'), facts('2026-01-02', stats))).toBe('stats');
    expect(pruneFile(bound('price IS NOT NULL'), facts('2026-01-02', stats))).toBe('stats');
    expect(pruneFile(bound('price > 1'), facts('2026-01-02', stats))).toBe('stats');
    expect(pruneFile(bound('volume > 5'), facts('2026-01-02'))).toBe('keep');
  });

  it('widens millisecond-truncated timestamp max by 999 µs', () => {
    // The file may hold 20:59:59.999999 although max says .999.
    expect(pruneFile(bound("ts >= '2026-01-02T20:59:59.999500Z'"), facts('2026-01-02', stats))).toBe('keep');
    expect(pruneFile(bound("ts > '2026-01-02T20:59:59.999999Z'"), facts('2026-01-02', stats))).toBe('stats');
    const offsetStats: FileStats = { numRecords: 1, maxValues: { ts: '2026-01-02T15:59:59.999-05:00' } };
    expect(pruneFile(bound("ts > '2026-01-02T21:00:00Z'"), facts('2026-01-02', offsetStats))).toBe('stats');
    expect(pruneFile(bound("ts > '2026-01-02T20:59:59.9995Z'"), facts('2026-01-02', offsetStats))).toBe(
      'keep',
    );
  });

  it('never skips on doubtful stats', () => {
    const doubtful: FileStats = {
      numRecords: 3,
      minValues: { price: 1, amount: 1, volume: 2 ** 60 },
      maxValues: { price: 2, amount: 2, symbol: 'A'.repeat(32), volume: 2 ** 61 },
    };
    // float/double and decimal stats are not used (NaN ordering, rounded JSON decimals).
    expect(pruneFile(bound('price > 100'), facts('2026-01-02', doubtful))).toBe('keep');
    expect(pruneFile(bound('amount > 100'), facts('2026-01-02', doubtful))).toBe('keep');
    // A 32-character max may be a truncated prefix.
    expect(pruneFile(bound("symbol > 'B'"), facts('2026-01-02', doubtful))).toBe('keep');
    // Integers beyond 2^53 lost precision in JSON.parse.
    expect(pruneFile(bound('volume < 5'), facts('2026-01-02', doubtful))).toBe('keep');
  });

  it('combines: AND prunes if any conjunct does, OR only if every disjunct does', () => {
    const p = and(compare('trade_date', '=', '2026-01-02'), inList('symbol', ['RTY']));
    expect(pruneFile(bindPredicate(p, schema, partitions), facts('2026-01-02', stats))).toBe('stats');
    expect(pruneFile(bindPredicate(p, schema, partitions), facts('2026-01-05', stats))).toBe('partition');
    expect(pruneFile(bound("trade_date = '2026-01-05' OR symbol = 'ES'"), facts('2026-01-02', stats))).toBe(
      'keep',
    );
    expect(pruneFile(bound("trade_date = '2026-01-05' OR symbol = 'ZZ'"), facts('2026-01-02', stats))).toBe(
      'stats',
    );
  });
});

describe('parseTimestamp', () => {
  it.each([
    ['2021-09-08 11:11:11', 1631099471000000n],
    ['2020-01-01 08:09:10.001', 1577866150001000n],
    ['2024-01-01T10:00:00.000000Z', 1704103200000000n],
    ['2000-01-01T00:00:00.000-08:00', 946713600000000n],
    ['1969-12-31T23:59:59.999999Z', -1n],
    ['2026-01-02T00:00:00+0130', 1767306600000000n],
  ])('%s', (text, micros) => {
    expect(parseTimestamp(text)?.micros).toBe(micros);
  });
  it('rejects invalid calendar values', () => {
    for (const t of ['2026-02-30', '2026-01-01T24:00:00Z', '2026-1-1', 'x'])
      expect(parseTimestamp(t), t).toBeUndefined();
  });
  it('rejects offsets no zone has (review §23: +99:99 was 100 h 39 min)', () => {
    for (const t of ['2026-11-20T14:00:00+99:99', '2026-11-20T14:00:00+19:00', '2026-11-20T14:00:00-05:60'])
      expect(parseTimestamp(t), t).toBeUndefined();
    expect(parseTimestamp('2026-11-20T14:00:00+14:00')).toBeDefined();
    expect(parseTimestamp('2026-11-20T14:00:00-18:00')).toBeDefined();
  });
});

describe('nesting depth (review finding 16)', () => {
  const nested = (depth: number, inner = "symbol = 'ES'") =>
    `${'('.repeat(depth)}${inner}${')'.repeat(depth)}`;

  it(`up to ${MAX_PREDICATE_DEPTH} levels parse, bind and print as SQL`, () => {
    let text = "symbol = 'ES'";
    for (let i = 0; i < MAX_PREDICATE_DEPTH - 1; i++)
      text = `(volume > ${i} ${i % 2 ? 'AND' : 'OR'} ${text})`;
    const bound = bindPredicate(parsePredicate(text), schema, partitions);
    expect(predicateToSql(bound)).toContain("'ES'");
    expect(parsePredicate(nested(MAX_PREDICATE_DEPTH))).toEqual(parsePredicate("symbol = 'ES'"));
  });

  it('2,500 (or 100,000) nested parentheses are a predicate (usage) error, not a stack overflow', () => {
    for (const depth of [MAX_PREDICATE_DEPTH + 1, 2_500, 100_000]) {
      expect(() => parsePredicate(nested(depth))).toThrow(DeltaPredicateError);
      expect(() => parsePredicate(nested(depth))).toThrow(/nested deeper than 256 levels/);
    }
  });
});
