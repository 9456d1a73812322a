/**
 * SQL for the write path: JS row objects become a typed VALUES list, and any source becomes a SELECT
 * that casts every column to the table's DuckDB type and aborts on a null in a non-nullable column.
 * Every literal is cast individually, so DuckDB never has to unify types across rows, and timestamps
 * are always written with an explicit zone, so the session TimeZone cannot shift them.
 */
import { DeltaSchemaViolationError } from '../errors.js';
import type { DeltaStructType, DeltaType } from '../log/types.js';
import {
  decimalParams,
  deltaTypeToDuckDb,
  isArrayType,
  isMapType,
  isStructType,
  quoteIdentifier,
  quoteLiteral,
} from '../read/schema.js';

/** A value in a row object handed to appendRows. */
export type DeltaRowValue =
  | null
  | undefined
  | string
  | number
  | bigint
  | boolean
  | Date
  | Uint8Array
  | readonly DeltaRowValue[]
  | ReadonlyMap<string | number, DeltaRowValue>
  | { readonly [field: string]: DeltaRowValue };

export type DeltaRow = Readonly<Record<string, DeltaRowValue>>;

function violation(where: string, message: string): DeltaSchemaViolationError {
  return new DeltaSchemaViolationError(`Cannot write ${where}: ${message}`, {
    hint: 'Fix the rows so they match the table schema; nothing was written.',
  });
}

const INTEGER_RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  byte: [-128n, 127n],
  short: [-32768n, 32767n],
  integer: [-2147483648n, 2147483647n],
  long: [-9223372036854775808n, 9223372036854775807n],
};

const ZONE_RE = /(Z|[+-]\d{2}(:?\d{2})?)$/i;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

function isPlainRecord(value: unknown): value is Readonly<Record<string, DeltaRowValue>> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value instanceof Date)
    return `Date ${Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()}`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Map) return 'a Map';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function microsToIso(micros: bigint): string {
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const sub = ((micros % 1000n) + 1000n) % 1000n;
  return `${new Date(Number(ms)).toISOString().slice(0, -1)}${String(sub).padStart(3, '0')}Z`;
}

/** A SQL expression of DuckDB type `deltaTypeToDuckDb(type)` for one JS value (null checked by the caller). */
function literal(type: DeltaType, value: DeltaRowValue, where: string): string {
  const duckType = deltaTypeToDuckDb(type);
  if (value === null || value === undefined) return `NULL::${duckType}`;
  const bad = (expected: string) => violation(where, `expected ${expected}, got ${describe(value)}.`);
  if (isStructType(type)) {
    if (!isPlainRecord(value)) throw bad('an object');
    for (const key of Object.keys(value)) {
      if (!type.fields.some((f) => f.name === key)) throw violation(where, `unknown struct field '${key}'.`);
    }
    const parts = type.fields.map((field) => {
      const child = value[field.name];
      const childWhere = `${where}.${field.name}`;
      if ((child === null || child === undefined) && !field.nullable)
        throw violation(childWhere, 'the field is not nullable.');
      return `${quoteLiteral(field.name)}: ${literal(field.type, child, childWhere)}`;
    });
    return `CAST({${parts.join(', ')}} AS ${duckType})`;
  }
  if (isArrayType(type)) {
    if (!Array.isArray(value)) throw bad('an array');
    const items = value.map((item: DeltaRowValue, i: number) => {
      if ((item === null || item === undefined) && !type.containsNull) {
        throw violation(`${where}[${i}]`, 'the array does not allow null elements.');
      }
      return literal(type.elementType, item, `${where}[${i}]`);
    });
    return `CAST([${items.join(', ')}] AS ${duckType})`;
  }
  if (isMapType(type)) {
    let pairs: Array<[DeltaRowValue, DeltaRowValue]>;
    if (value instanceof Map) pairs = [...value.entries()];
    else if (isPlainRecord(value)) pairs = Object.entries(value);
    else throw bad('a Map or an object');
    if (pairs.length === 0) return `CAST(MAP {} AS ${duckType})`;
    const items = pairs.map(([k, v]) => {
      if (k === null || k === undefined) throw violation(where, 'map keys cannot be null.');
      if ((v === null || v === undefined) && !type.valueContainsNull) {
        throw violation(`${where}[${String(k)}]`, 'the map does not allow null values.');
      }
      return `${literal(type.keyType, typeof k === 'number' && type.keyType === 'string' ? String(k) : k, `${where} key`)}: ${literal(type.valueType, v, `${where}[${String(k)}]`)}`;
    });
    return `CAST(MAP {${items.join(', ')}} AS ${duckType})`;
  }
  switch (type) {
    case 'string':
      if (typeof value !== 'string') throw bad('a string');
      // A NUL cannot appear inside a SQL string literal; chr(0) joins the pieces.
      if (value.includes('\u0000')) {
        return `(${value.split('\u0000').map(quoteLiteral).join(' || chr(0) || ')})::VARCHAR`;
      }
      return `${quoteLiteral(value)}::VARCHAR`;
    case 'boolean':
      if (typeof value !== 'boolean') throw bad('a boolean');
      return value ? 'TRUE' : 'FALSE';
    case 'byte':
    case 'short':
    case 'integer':
    case 'long': {
      let int: bigint;
      if (typeof value === 'bigint') int = value;
      else if (typeof value === 'number' && Number.isSafeInteger(value)) int = BigInt(value);
      else if (typeof value === 'string' && /^-?\d+$/.test(value)) int = BigInt(value);
      else throw bad(`an integer (${type})`);
      const [lo, hi] = INTEGER_RANGES[type] as readonly [bigint, bigint];
      if (int < lo || int > hi) throw violation(where, `${int} is out of range for ${type}.`);
      return `CAST(${int} AS ${duckType})`;
    }
    case 'float':
    case 'double': {
      // String(-0) is '0': keep the sign of a negative zero.
      if (typeof value === 'number')
        return `${quoteLiteral(Object.is(value, -0) ? '-0.0' : String(value))}::${duckType}`;
      if (
        typeof value === 'string' &&
        /^(NaN|[+-]?Infinity|[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)$/.test(value)
      ) {
        return `${quoteLiteral(value)}::${duckType}`;
      }
      throw bad(`a number (${type})`);
    }
    case 'binary':
      if (!(value instanceof Uint8Array)) throw bad('a Uint8Array or Buffer');
      return `from_hex(${quoteLiteral(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex'))})`;
    case 'date': {
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) throw bad('a valid Date');
        return `${quoteLiteral(value.toISOString().slice(0, 10))}::DATE`;
      }
      if (typeof value === 'string' && DATE_RE.test(value)) return `${quoteLiteral(value)}::DATE`;
      throw bad('a Date or "YYYY-MM-DD"');
    }
    case 'timestamp': {
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) throw bad('a valid Date');
        return `${quoteLiteral(value.toISOString())}::TIMESTAMPTZ`;
      }
      if (typeof value === 'bigint') return `${quoteLiteral(microsToIso(value))}::TIMESTAMPTZ`;
      if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)) {
        // A string without a zone is UTC (never the session's zone).
        return `${quoteLiteral(ZONE_RE.test(value.trim()) ? value.trim() : `${value.trim()}Z`)}::TIMESTAMPTZ`;
      }
      throw bad('a Date, an ISO-8601 string or bigint microseconds since the epoch');
    }
    default: {
      if (decimalParams(type)) {
        if (typeof value === 'number' && Number.isFinite(value))
          return `${quoteLiteral(String(value))}::${duckType}`;
        if (typeof value === 'bigint') return `CAST(${value} AS ${duckType})`;
        if (typeof value === 'string' && /^[+-]?(\d+\.?\d*|\.\d+)$/.test(value))
          return `${quoteLiteral(value)}::${duckType}`;
        throw bad(`a decimal number or numeric string (${type})`);
      }
      throw violation(where, `type ${JSON.stringify(type)} cannot be written.`);
    }
  }
}

/** A VALUES query producing the table's columns from JS rows; throws on any mismatch before writing. */
export function rowsToValuesSql(schema: DeltaStructType, rows: readonly DeltaRow[]): string {
  const names = new Set(schema.fields.map((f) => f.name));
  const tuples = rows.map((row, i) => {
    if (!isPlainRecord(row)) throw violation(`row ${i}`, 'a row must be a plain object.');
    for (const key of Object.keys(row)) {
      if (!names.has(key)) throw violation(`row ${i}`, `unknown column '${key}'.`);
    }
    const cells = schema.fields.map((field) => {
      const value = row[field.name];
      const where = `row ${i} column ${field.name}`;
      if ((value === null || value === undefined) && !field.nullable)
        throw violation(where, 'the column is not nullable.');
      return literal(field.type, value, where);
    });
    return `(${cells.join(', ')})`;
  });
  const columns = schema.fields.map((f) => quoteIdentifier(f.name)).join(', ');
  return `SELECT * FROM (VALUES ${tuples.join(',\n')}) AS delta_rows(${columns})`;
}

/**
 * The SELECT that COPY writes: every table column cast to its type, in schema order (a column the
 * source lacks is NULL); a null in a non-nullable top-level column aborts the statement, so nothing
 * is committed.
 */
export function castSelectSql(
  schema: DeltaStructType,
  sourceSql: string,
  options: { emptyStringAsNull?: ReadonlySet<string>; sourceColumns?: ReadonlySet<string> | undefined } = {},
): string {
  const columns = schema.fields.map((field) => {
    const id = quoteIdentifier(field.name);
    const type = deltaTypeToDuckDb(field.type);
    const present = options.sourceColumns === undefined || options.sourceColumns.has(field.name);
    let expr = present ? `CAST(src.${id} AS ${type})` : `NULL::${type}`;
    if (options.emptyStringAsNull?.has(field.name)) expr = `NULLIF(${expr}, '')`;
    if (!field.nullable) {
      const message = `Column '${field.name}' is not nullable but the data holds a NULL.`;
      expr = `CASE WHEN ${expr} IS NULL THEN error(${quoteLiteral(message)}) ELSE ${expr} END`;
    }
    return `${expr} AS ${id}`;
  });
  return `SELECT ${columns.join(', ')} FROM (${sourceSql}) AS src`;
}

/** Checks a SQL source's column names against the schema; returns the names it has. */
export function checkSourceColumns(schema: DeltaStructType, sourceColumns: readonly string[]): Set<string> {
  const names = new Set(schema.fields.map((f) => f.name));
  for (const column of sourceColumns) {
    if (!names.has(column))
      throw violation('the query result', `unknown column '${column}' (not in the table schema).`);
  }
  const present = new Set(sourceColumns);
  for (const field of schema.fields) {
    if (!field.nullable && !present.has(field.name)) {
      throw violation('the query result', `column '${field.name}' is missing and not nullable.`);
    }
  }
  return present;
}
