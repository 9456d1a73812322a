import { describe, expect, it } from 'vitest';
import { DeltaLogCorruptError, DeltaUnsupportedError } from '../../../src/delta/errors.js';
import type { DeltaType } from '../../../src/delta/log/types.js';
import { deltaTypeToDuckDb, duckDbTypeToDelta, parseSchemaString } from '../../../src/delta/read/schema.js';

const nested: DeltaType = {
  type: 'struct',
  fields: [
    { name: 'a b', type: 'integer', nullable: true, metadata: {} },
    {
      name: 'q"x',
      type: { type: 'array', elementType: 'timestamp', containsNull: true },
      nullable: true,
      metadata: {},
    },
    {
      name: 'm',
      type: { type: 'map', keyType: 'string', valueType: 'decimal(10,2)', valueContainsNull: true },
      nullable: true,
      metadata: {},
    },
  ],
};

describe('Delta → DuckDB types', () => {
  it.each([
    ['string', 'VARCHAR'],
    ['long', 'BIGINT'],
    ['integer', 'INTEGER'],
    ['short', 'SMALLINT'],
    ['byte', 'TINYINT'],
    ['float', 'FLOAT'],
    ['double', 'DOUBLE'],
    ['boolean', 'BOOLEAN'],
    ['binary', 'BLOB'],
    ['date', 'DATE'],
    ['timestamp', 'TIMESTAMPTZ'],
    ['timestamp_ntz', 'TIMESTAMP'],
    ['decimal(38,18)', 'DECIMAL(38,18)'],
    ['decimal( 5 , 0 )', 'DECIMAL(5,0)'],
  ])('%s → %s', (delta, duck) => {
    expect(deltaTypeToDuckDb(delta)).toBe(duck);
  });

  it('maps nested types with quoted names', () => {
    expect(deltaTypeToDuckDb(nested)).toBe(
      'STRUCT("a b" INTEGER, "q""x" TIMESTAMPTZ[], "m" MAP(VARCHAR, DECIMAL(10,2)))',
    );
  });

  it('rejects unknown types and impossible decimals', () => {
    expect(() => deltaTypeToDuckDb('variant')).toThrow(DeltaUnsupportedError);
    expect(() => deltaTypeToDuckDb('decimal(40,2)')).toThrow(/precision/);
    expect(() => deltaTypeToDuckDb('int')).toThrow(/Unsupported Delta type 'int'/);
  });
});

describe('DuckDB → Delta types', () => {
  it.each([
    ['VARCHAR', 'string'],
    ['BIGINT', 'long'],
    ['INTEGER', 'integer'],
    ['SMALLINT', 'short'],
    ['TINYINT', 'byte'],
    ['FLOAT', 'float'],
    ['DOUBLE', 'double'],
    ['BOOLEAN', 'boolean'],
    ['BLOB', 'binary'],
    ['DATE', 'date'],
    ['TIMESTAMP WITH TIME ZONE', 'timestamp'],
    ['TIMESTAMPTZ', 'timestamp'],
    ['TIMESTAMP', 'timestamp_ntz'],
    ['DECIMAL(18,3)', 'decimal(18,3)'],
  ])('%s → %s', (duck, delta) => {
    expect(duckDbTypeToDelta(duck)).toBe(delta);
  });

  it('round-trips nested types', () => {
    expect(duckDbTypeToDelta(deltaTypeToDuckDb(nested))).toEqual(nested);
    expect(duckDbTypeToDelta('STRUCT(x INTEGER[], y MAP(VARCHAR, VARCHAR))')).toEqual({
      type: 'struct',
      fields: [
        {
          name: 'x',
          type: { type: 'array', elementType: 'integer', containsNull: true },
          nullable: true,
          metadata: {},
        },
        {
          name: 'y',
          type: { type: 'map', keyType: 'string', valueType: 'string', valueContainsNull: true },
          nullable: true,
          metadata: {},
        },
      ],
    });
  });

  it('accepts a DuckDBType object (via its SQL text)', async () => {
    const { DuckDBListType, INTEGER } = await import('@duckdb/node-api');
    expect(duckDbTypeToDelta(new DuckDBListType(INTEGER))).toEqual({
      type: 'array',
      elementType: 'integer',
      containsNull: true,
    });
  });

  it('rejects types Delta cannot store', () => {
    for (const t of ['UBIGINT', 'HUGEINT', 'INTERVAL', 'UUID', 'TIME', 'STRUCT(a INTEGER', 'DECIMAL(40,2)']) {
      expect(() => duckDbTypeToDelta(t), t).toThrow(DeltaUnsupportedError);
    }
  });
});

describe('schemaString', () => {
  it('parses and validates', () => {
    const parsed = parseSchemaString(JSON.stringify(nested));
    expect(parsed).toEqual(nested);
    expect(() => parseSchemaString(undefined)).toThrow(/no schemaString/);
    expect(() => parseSchemaString('{')).toThrow(DeltaLogCorruptError);
    expect(() => parseSchemaString('{"type":"struct","fields":[{"type":"long"}]}')).toThrow(/has no name/);
    expect(() => parseSchemaString('{"type":"array"}')).toThrow(/not a struct/);
  });
});
