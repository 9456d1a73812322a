/**
 * Delta schema (StructType JSON in metaData.schemaString) ⇄ DuckDB SQL types.
 *
 * Delta `timestamp` is UTC-adjusted and maps to TIMESTAMPTZ; `timestamp_ntz` maps to TIMESTAMP.
 * Writing a Delta `timestamp` column as DuckDB TIMESTAMP would produce the ntz Parquet encoding.
 */
import { DeltaLogCorruptError, DeltaUnsupportedError } from '../errors.js';
import type {
  DeltaArrayType,
  DeltaMapType,
  DeltaStructField,
  DeltaStructType,
  DeltaType,
} from '../log/types.js';

const PRIMITIVE_TO_DUCKDB: Readonly<Record<string, string>> = {
  string: 'VARCHAR',
  long: 'BIGINT',
  integer: 'INTEGER',
  short: 'SMALLINT',
  byte: 'TINYINT',
  float: 'FLOAT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  binary: 'BLOB',
  date: 'DATE',
  timestamp: 'TIMESTAMPTZ',
  timestamp_ntz: 'TIMESTAMP',
};

const DECIMAL_RE = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;

/** DuckDB quotes identifiers with double quotes; an embedded quote is doubled. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A SQL string literal. */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export function isStructType(type: DeltaType): type is DeltaStructType {
  return typeof type === 'object' && type.type === 'struct';
}
export function isArrayType(type: DeltaType): type is DeltaArrayType {
  return typeof type === 'object' && type.type === 'array';
}
export function isMapType(type: DeltaType): type is DeltaMapType {
  return typeof type === 'object' && type.type === 'map';
}

/** Parses `decimal(p,s)`; undefined for other types. */
export function decimalParams(type: DeltaType): { precision: number; scale: number } | undefined {
  if (typeof type !== 'string') return undefined;
  const m = DECIMAL_RE.exec(type);
  if (!m) return undefined;
  return { precision: Number(m[1]), scale: Number(m[2]) };
}

/** The DuckDB SQL type for a Delta type (nested types included). */
export function deltaTypeToDuckDb(type: DeltaType): string {
  if (typeof type === 'string') {
    const primitive = PRIMITIVE_TO_DUCKDB[type];
    if (primitive) return primitive;
    const dec = decimalParams(type);
    if (dec) {
      if (dec.precision < 1 || dec.precision > 38 || dec.scale > dec.precision) {
        throw new DeltaUnsupportedError(
          `Unsupported Delta type ${type}: precision must be 1..38 and scale ≤ precision.`,
        );
      }
      return `DECIMAL(${dec.precision},${dec.scale})`;
    }
    throw new DeltaUnsupportedError(`Unsupported Delta type '${type}'.`, {
      hint: 'Supported: string, long, integer, short, byte, float, double, boolean, binary, date, timestamp, timestamp_ntz, decimal(p,s), struct, array, map.',
    });
  }
  if (isStructType(type)) {
    if (type.fields.length === 0) throw new DeltaUnsupportedError('Unsupported Delta type: an empty struct.');
    return `STRUCT(${type.fields.map((f) => `${quoteIdentifier(f.name)} ${deltaTypeToDuckDb(f.type)}`).join(', ')})`;
  }
  if (isArrayType(type)) return `${deltaTypeToDuckDb(type.elementType)}[]`;
  if (isMapType(type)) return `MAP(${deltaTypeToDuckDb(type.keyType)}, ${deltaTypeToDuckDb(type.valueType)})`;
  throw new DeltaUnsupportedError(`Unsupported Delta type ${JSON.stringify(type)}.`);
}

// ---------------------------------------------------------------------------------------------
// DuckDB type string → Delta type

const DUCKDB_TO_PRIMITIVE: Readonly<Record<string, string>> = {
  VARCHAR: 'string',
  TEXT: 'string',
  STRING: 'string',
  BIGINT: 'long',
  INT8: 'long',
  INTEGER: 'integer',
  INT: 'integer',
  INT4: 'integer',
  SMALLINT: 'short',
  INT2: 'short',
  TINYINT: 'byte',
  INT1: 'byte',
  FLOAT: 'float',
  REAL: 'float',
  FLOAT4: 'float',
  DOUBLE: 'double',
  FLOAT8: 'double',
  BOOLEAN: 'boolean',
  BOOL: 'boolean',
  BLOB: 'binary',
  BYTEA: 'binary',
  DATE: 'date',
  TIMESTAMPTZ: 'timestamp',
  'TIMESTAMP WITH TIME ZONE': 'timestamp',
  TIMESTAMP: 'timestamp_ntz',
  DATETIME: 'timestamp_ntz',
};

class TypeStringParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parse(): DeltaType {
    const type = this.parseType();
    this.skipSpace();
    if (this.pos !== this.text.length) this.fail('unexpected trailing text');
    return type;
  }

  private fail(why: string): never {
    throw new DeltaUnsupportedError(`Cannot map DuckDB type '${this.text}' to a Delta type: ${why}.`);
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] as string)) this.pos++;
  }

  private peek(s: string): boolean {
    this.skipSpace();
    return this.text.startsWith(s, this.pos);
  }

  private expect(s: string): void {
    if (!this.peek(s)) this.fail(`expected '${s}' at ${this.pos}`);
    this.pos += s.length;
  }

  private identifier(): string {
    this.skipSpace();
    if (this.text[this.pos] === '"') {
      let out = '';
      this.pos++;
      while (this.pos < this.text.length) {
        const ch = this.text[this.pos] as string;
        if (ch === '"') {
          if (this.text[this.pos + 1] === '"') {
            out += '"';
            this.pos += 2;
            continue;
          }
          this.pos++;
          return out;
        }
        out += ch;
        this.pos++;
      }
      this.fail('unterminated quoted name');
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos));
    if (!m) this.fail(`expected a name at ${this.pos}`);
    this.pos += m[0].length;
    return m[0];
  }

  private parseType(): DeltaType {
    let base = this.parseBase();
    // Postfix list markers: INTEGER[] / INTEGER[3]
    while (this.peek('[')) {
      this.expect('[');
      while (this.pos < this.text.length && /\d/.test(this.text[this.pos] as string)) this.pos++;
      this.expect(']');
      base = { type: 'array', elementType: base, containsNull: true };
    }
    return base;
  }

  private parseBase(): DeltaType {
    this.skipSpace();
    const rest = this.text.slice(this.pos).toUpperCase();
    if (rest.startsWith('TIMESTAMP WITH TIME ZONE')) {
      this.pos += 'TIMESTAMP WITH TIME ZONE'.length;
      return 'timestamp';
    }
    const word = this.identifier().toUpperCase();
    if (word === 'STRUCT' || word === 'ROW') {
      this.expect('(');
      const fields: DeltaStructField[] = [];
      do {
        const name = this.identifier();
        const type = this.parseType();
        fields.push({ name, type, nullable: true, metadata: {} });
      } while (this.tryComma());
      this.expect(')');
      return { type: 'struct', fields };
    }
    if (word === 'MAP') {
      this.expect('(');
      const keyType = this.parseType();
      this.expect(',');
      const valueType = this.parseType();
      this.expect(')');
      return { type: 'map', keyType, valueType, valueContainsNull: true };
    }
    if (word === 'DECIMAL' || word === 'NUMERIC') {
      let precision = 18;
      let scale = 3;
      if (this.peek('(')) {
        this.expect('(');
        precision = this.integer();
        scale = 0;
        if (this.tryComma()) scale = this.integer();
        this.expect(')');
      }
      if (precision > 38) this.fail('decimal precision above 38');
      return `decimal(${precision},${scale})`;
    }
    const primitive = DUCKDB_TO_PRIMITIVE[word];
    if (!primitive) this.fail(`no Delta equivalent for ${word}`);
    return primitive;
  }

  private integer(): number {
    this.skipSpace();
    const m = /^\d+/.exec(this.text.slice(this.pos));
    if (!m) this.fail(`expected a number at ${this.pos}`);
    this.pos += m[0].length;
    return Number(m[0]);
  }

  private tryComma(): boolean {
    if (this.peek(',')) {
      this.pos++;
      return true;
    }
    return false;
  }
}

/**
 * The Delta type for a DuckDB type, given as its SQL text (`String(duckDbType)` or a DESCRIBE
 * `column_type`). TIMESTAMPTZ → timestamp; TIMESTAMP → timestamp_ntz; unsigned and huge integers,
 * intervals, UUID, JSON, unions and enums have no Delta type and throw DeltaUnsupportedError.
 */
export function duckDbTypeToDelta(type: string | { toString(): string }): DeltaType {
  return new TypeStringParser(String(type)).parse();
}

// ---------------------------------------------------------------------------------------------
// schemaString parsing with validation

function corrupt(message: string): DeltaLogCorruptError {
  return new DeltaLogCorruptError(`Delta log is corrupt: ${message}`, {
    hint: 'The table metadata is not a valid Delta schema; check the metaData action of the latest commit.',
  });
}

function validateType(value: unknown, where: string): DeltaType {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null)
    throw corrupt(`schema type at ${where} is not a string or object.`);
  const record = value as Record<string, unknown>;
  if (record.type === 'struct') return validateStruct(record, where);
  if (record.type === 'array') {
    return {
      type: 'array',
      elementType: validateType(record.elementType, `${where}[]`),
      containsNull: record.containsNull !== false,
    };
  }
  if (record.type === 'map') {
    return {
      type: 'map',
      keyType: validateType(record.keyType, `${where}.key`),
      valueType: validateType(record.valueType, `${where}.value`),
      valueContainsNull: record.valueContainsNull !== false,
    };
  }
  throw corrupt(`schema type at ${where} has unknown kind ${JSON.stringify(record.type)}.`);
}

function validateStruct(record: Record<string, unknown>, where: string): DeltaStructType {
  if (!Array.isArray(record.fields)) throw corrupt(`struct at ${where} has no fields array.`);
  const fields: DeltaStructField[] = record.fields.map((f: unknown, i: number) => {
    if (typeof f !== 'object' || f === null) throw corrupt(`field ${i} of ${where} is not an object.`);
    const field = f as Record<string, unknown>;
    if (typeof field.name !== 'string') throw corrupt(`field ${i} of ${where} has no name.`);
    const metadata =
      typeof field.metadata === 'object' && field.metadata !== null
        ? (field.metadata as Record<string, unknown>)
        : {};
    return {
      name: field.name,
      type: validateType(field.type, where === '' ? field.name : `${where}.${field.name}`),
      nullable: field.nullable !== false,
      metadata,
    };
  });
  return { type: 'struct', fields };
}

/** Parses metaData.schemaString into a validated StructType. */
export function parseSchemaString(schemaString: unknown): DeltaStructType {
  if (typeof schemaString !== 'string') throw corrupt('metaData has no schemaString.');
  let value: unknown;
  try {
    value = JSON.parse(schemaString);
  } catch {
    throw corrupt('metaData.schemaString is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || (value as Record<string, unknown>).type !== 'struct') {
    throw corrupt('metaData.schemaString is not a struct type.');
  }
  return validateStruct(value as Record<string, unknown>, '');
}
