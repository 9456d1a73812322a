import { describe, expect, test } from 'vitest';
import { decodeAddPath } from '../../../src/delta/log/paths.js';
import type { DeltaStructType } from '../../../src/delta/log/types.js';
import {
  buildFileStats,
  encodeAddPath,
  parseColumnStatistics,
  parseTimestampMicros,
  serializePartitionValue,
  timestampPartitionText,
  timestampStatText,
} from '../../../src/delta/write/stats.js';

const field = (name: string, type: DeltaStructType['fields'][number]['type']) => ({
  name,
  type,
  nullable: true,
  metadata: {},
});

function stats(min?: string, max?: string, nullCount = '0', hasNan?: boolean) {
  return { min, max, nullCount, hasNan };
}

describe('timestamps', () => {
  test('parses DuckDB TIMESTAMPTZ text in any offset', () => {
    expect(parseTimestampMicros('2024-01-01 10:00:00.123456+00')).toBe(1704103200123456n);
    expect(parseTimestampMicros('2024-01-01 11:00:00.123456+01')).toBe(1704103200123456n);
    expect(parseTimestampMicros('2024-01-01 05:30:00+05:30')).toBe(1704067200000000n);
    expect(parseTimestampMicros('infinity')).toBeUndefined();
  });
  test('stats floor to milliseconds, also before 1970', () => {
    expect(timestampStatText(1704103200123999n)).toBe('2024-01-01T10:00:00.123Z');
    expect(timestampStatText(-1n)).toBe('1969-12-31T23:59:59.999Z');
    expect(timestampPartitionText(1704103200123456n)).toBe('2024-01-01T10:00:00.123456Z');
    expect(timestampPartitionText(-1n)).toBe('1969-12-31T23:59:59.999999Z');
  });
});

describe('buildFileStats', () => {
  const schema: DeltaStructType = {
    type: 'struct',
    fields: [
      field('p', 'date'),
      field('big', 'long'),
      field('f', 'float'),
      field('d', 'double'),
      field('s', 'string'),
      field('ts', 'timestamp'),
      field('dec', 'decimal(38,2)'),
      field('b', 'boolean'),
      field('arr', { type: 'array', elementType: 'integer', containsNull: true }),
      field('st', { type: 'struct', fields: [field('x', 'integer'), field('y', 'string')] }),
    ],
  };
  const columns = new Map([
    ['"big"', stats('-9223372036854775808', '9223372036854775807')],
    ['"f"', stats('0.1', '0.5', '0', false)],
    ['"d"', stats(undefined, undefined, '1', true)],
    ['"s"', stats('a'.repeat(40), 'b'.repeat(40))],
    ['"ts"', stats('2024-01-01 10:00:00.123999+00', '2024-01-01 10:00:01.5+00', '2')],
    ['"dec"', stats('-12345678901234567890123456789012.34', '0.10')],
    ['"b"', stats('false', 'true')],
    ['"arr"."element"', stats('1', '2')],
    ['"st"."x"', stats('1', '9', '3')],
    ['"st"."y"', stats('k', 'z')],
  ]);

  test('nests like the schema, keeps every digit, skips what must be skipped', () => {
    const text = buildFileStats({ schema, partitionColumns: ['p'], numRecords: '7', columns });
    expect(text).toBe(
      '{"numRecords":7,' +
        '"minValues":{"big":-9223372036854775808,"f":0.10000000149011612,"s":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","ts":"2024-01-01T10:00:00.123Z","dec":-12345678901234567890123456789012.34,"st":{"x":1,"y":"k"}},' +
        '"maxValues":{"big":9223372036854775807,"f":0.5,"ts":"2024-01-01T10:00:01.500Z","dec":0.10,"st":{"x":9,"y":"z"}},' +
        '"nullCount":{"big":0,"f":0,"d":1,"s":0,"ts":2,"dec":0,"b":0,"st":{"x":3,"y":0}}}',
    );
    const parsed = JSON.parse(text);
    expect(parsed.minValues).not.toHaveProperty('p');
    expect(parsed.minValues).not.toHaveProperty('d'); // NaN present
    expect(parsed.maxValues).not.toHaveProperty('s'); // longer than the 32-character prefix
  });

  test('only the first N leaf columns get stats', () => {
    const text = buildFileStats({
      schema,
      partitionColumns: ['p'],
      numRecords: 7,
      columns,
      numIndexedCols: 2,
    });
    expect(text).toBe(
      '{"numRecords":7,"minValues":{"big":-9223372036854775808,"f":0.10000000149011612},"maxValues":{"big":9223372036854775807,"f":0.5},"nullCount":{"big":0,"f":0}}',
    );
  });

  test('parses RETURN_STATS column_statistics as node-api renders it', () => {
    const parsed = parseColumnStatistics([
      {
        key: '"a"',
        value: [
          { key: 'min', value: '1' },
          { key: 'max', value: '2' },
          { key: 'null_count', value: '0' },
          { key: 'has_nan', value: 'false' },
        ],
      },
    ]);
    expect(parsed.get('"a"')).toEqual({ min: '1', max: '2', nullCount: '0', hasNan: false });
  });
});

describe('paths and partition values', () => {
  test('add.path decodes once to the on-disk name DuckDB wrote', () => {
    const onDisk = 'p=a%2Fb%20c%3Ad%25%3D%C3%A9/q=__HIVE_DEFAULT_PARTITION__/part-1.parquet';
    const logged = encodeAddPath(onDisk);
    expect(logged).toBe(
      'p=a%252Fb%2520c%253Ad%2525%253D%25C3%25A9/q=__HIVE_DEFAULT_PARTITION__/part-1.parquet',
    );
    expect(decodeAddPath(logged)).toBe(onDisk);
    expect(decodeURIComponent(logged)).toBe(onDisk);
    expect(encodeAddPath('d=2024-01-02/part-abc.parquet')).toBe('d=2024-01-02/part-abc.parquet');
  });
  test('partition values are serialised per the spec', () => {
    expect(serializePartitionValue('date', '2024-01-02')).toBe('2024-01-02');
    expect(serializePartitionValue('timestamp', '2024-01-02 10:00:00.5+00')).toBe(
      '2024-01-02T10:00:00.500000Z',
    );
    expect(serializePartitionValue('string', null)).toBeNull();
    expect(serializePartitionValue('integer', '-3')).toBe('-3');
  });
});
