/**
 * A small Parquet writer for tiny appends (a handful of rows), in plain TypeScript.
 *
 * Why: handing a few rows to DuckDB as `COPY (VALUES ...) TO ... (RETURN_STATS true)` costs milliseconds
 * of SQL parsing and binding; encoding them here costs a small fraction of that.
 *
 * What it writes: Parquet format 1, one row group, one uncompressed data page v1 per column, PLAIN
 * values, RLE definition/repetition levels; flat primitive columns and the 3-level LIST of a primitive.
 * Struct, map, decimal, binary, timestamp_ntz and nested arrays are not supported (use DuckDB).
 *
 * The returned statistics imitate DuckDB's RETURN_STATS text for the same data (checked against DuckDB
 * in the tests), so stats.ts's buildFileStats can use them unchanged: keys `"col"` or `"col"."element"`;
 * bounds as DuckDB prints them (booleans 0/1, ±inf, -0.0, timestamps `... +00`); strings compared as
 * UTF-8 bytes and cut to 256 bytes the way DuckDB cuts them (see `bounds`); NaN left out of min/max but
 * flagged; a ±0 tie keeps the zero seen first; in a list column empty and null lists count as nulls.
 * The footer carries the same bounds, except that a float column holding NaN gets none: DuckDB sorts NaN
 * above every number, so a max without it would let DuckDB's reader skip rows that `x > 1` must return.
 */
import { crc32 } from 'node:zlib';
import { ByteWriter, T, ThriftWriter } from './parquet-thrift.js';
import { type ColumnStatistics, statisticsKey } from './stats.js';

const PRIMITIVES = [
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
] as const;
export type ParquetPrimitiveType = (typeof PRIMITIVES)[number];
export type ParquetColumnType =
  | ParquetPrimitiveType
  | { type: 'array'; elementType: ParquetPrimitiveType; containsNull: boolean };
export interface ParquetColumn {
  name: string;
  type: ParquetColumnType;
  nullable: boolean;
}

function isPrimitive(type: unknown): type is ParquetPrimitiveType {
  return typeof type === 'string' && (PRIMITIVES as readonly string[]).includes(type);
}

/** Whether writeParquet can write a column of this Delta schema type. */
export function supportsParquetType(type: unknown): boolean {
  if (isPrimitive(type)) return true;
  if (typeof type !== 'object' || type === null) return false;
  const array = type as { type?: unknown; elementType?: unknown; containsNull?: unknown };
  return array.type === 'array' && isPrimitive(array.elementType) && typeof array.containsNull === 'boolean';
}

// parquet.thrift enums
const TYPE = { BOOLEAN: 0, INT32: 1, INT64: 2, FLOAT: 4, DOUBLE: 5, BYTE_ARRAY: 6 } as const;
const CONVERTED = { UTF8: 0, LIST: 3, DATE: 6, TIMESTAMP_MICROS: 10, INT_8: 15, INT_16: 16 } as const;
const REPETITION = { REQUIRED: 0, OPTIONAL: 1, REPEATED: 2 } as const;
const ENCODING = { PLAIN: 0, RLE: 3 } as const;
type Value = number | bigint | Uint8Array;

interface PrimitiveSpec {
  physical: number;
  converted?: number;
  /** Writes the member of the LogicalType union. */
  logical?: (t: ThriftWriter) => void;
  toValue(value: unknown, where: string): Value;
  /** DuckDB's text for a bound; undefined where DuckDB would not print YYYY-MM-DD (years outside 1..9999). */
  text(value: Value): string | undefined;
}

function bad(where: string, expected: string, value: unknown): TypeError {
  const shown = typeof value === 'bigint' ? `${value}n` : value instanceof Date ? 'a Date' : String(value);
  return new TypeError(`Cannot write ${where}: expected ${expected}, got ${shown}.`);
}

function int32Spec(bits: number, converted?: number): PrimitiveSpec {
  const limit = 2 ** (bits - 1);
  const spec: PrimitiveSpec = {
    physical: TYPE.INT32,
    toValue(value, where) {
      const n = typeof value === 'bigint' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < -limit || n >= limit)
        throw bad(where, `a ${bits}-bit integer`, value);
      return n;
    },
    text: String,
  };
  if (converted === undefined) return spec;
  const logical = (t: ThriftWriter) =>
    t.struct(10, () => {
      t.byte(1, bits);
      t.bool(2, true);
    });
  return { ...spec, converted, logical };
}

function floatSpec(physical: number): PrimitiveSpec {
  return {
    physical,
    toValue(value, where) {
      if (typeof value !== 'number') throw bad(where, 'a number', value);
      if (physical === TYPE.DOUBLE) return value;
      const f = Math.fround(value);
      if (Number.isFinite(value) && !Number.isFinite(f)) throw bad(where, 'a number in float range', value);
      return f;
    },
    text(v) {
      if (v === Number.POSITIVE_INFINITY) return 'inf';
      if (v === Number.NEGATIVE_INFINITY) return '-inf';
      return Object.is(v, -0) ? '-0.0' : String(v);
    },
  };
}

const MIN_LONG = -(2n ** 63n);
const MAX_LONG = 2n ** 63n - 1n;
const DAY_MS = 86_400_000;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** "YYYY-MM-DD" and "HH:MM:SS.mmm" of a UTC millisecond, if its year is 1..9999. */
function isoParts(ms: number): [string, string] | undefined {
  if (!(Math.abs(ms) <= 8.64e15)) return undefined;
  const iso = new Date(ms).toISOString();
  return /^\d{4}-/.test(iso) && !iso.startsWith('0000') ? [iso.slice(0, 10), iso.slice(11, 23)] : undefined;
}

const SPECS: Readonly<Record<ParquetPrimitiveType, PrimitiveSpec>> = {
  string: {
    physical: TYPE.BYTE_ARRAY,
    converted: CONVERTED.UTF8,
    logical: (t) => t.struct(1),
    toValue(value, where) {
      if (typeof value !== 'string') throw bad(where, 'a string', value);
      return Buffer.from(value, 'utf8');
    },
    text: (v) => Buffer.from(v as Uint8Array).toString('utf8'),
  },
  long: {
    physical: TYPE.INT64,
    toValue(value, where) {
      const n = typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value;
      if (typeof n !== 'bigint' || n < MIN_LONG || n > MAX_LONG) throw bad(where, 'a 64-bit integer', value);
      return n;
    },
    text: String,
  },
  integer: int32Spec(32),
  short: int32Spec(16, CONVERTED.INT_16),
  byte: int32Spec(8, CONVERTED.INT_8),
  double: floatSpec(TYPE.DOUBLE),
  float: floatSpec(TYPE.FLOAT),
  boolean: {
    physical: TYPE.BOOLEAN,
    toValue(value, where) {
      if (typeof value !== 'boolean') throw bad(where, 'a boolean', value);
      return value ? 1 : 0;
    },
    text: String,
  },
  date: {
    physical: TYPE.INT32,
    converted: CONVERTED.DATE,
    logical: (t) => t.struct(6),
    toValue(value, where) {
      let ms = Number.NaN;
      if (value instanceof Date) ms = value.getTime();
      else if (typeof value === 'string' && DATE_RE.test(value)) {
        ms = Date.parse(value);
        // Date.parse reads 2023-02-29 as March 1.
        if (new Date(ms).getUTCDate() !== Number(value.slice(8))) ms = Number.NaN;
      }
      if (!Number.isFinite(ms)) throw bad(where, 'a Date or "YYYY-MM-DD"', value);
      return Math.floor(ms / DAY_MS);
    },
    text: (v) => isoParts((v as number) * DAY_MS)?.[0],
  },
  timestamp: {
    physical: TYPE.INT64,
    converted: CONVERTED.TIMESTAMP_MICROS,
    logical: (t) =>
      t.struct(8, () => {
        t.bool(1, true); // isAdjustedToUTC
        t.struct(2, () => t.struct(2)); // unit: MICROS
      }),
    toValue(value, where) {
      if (value instanceof Date && Number.isFinite(value.getTime())) return BigInt(value.getTime()) * 1000n;
      if (typeof value === 'bigint' && value >= MIN_LONG && value <= MAX_LONG) return value;
      throw bad(where, 'a Date or bigint microseconds since the epoch', value);
    },
    text(v) {
      const micros = v as bigint;
      const subMillis = Number(((micros % 1000n) + 1000n) % 1000n);
      const parts = isoParts(Number((micros - BigInt(subMillis)) / 1000n));
      if (!parts) return undefined;
      const fraction = `${parts[1].slice(9)}${String(subMillis).padStart(3, '0')}`.replace(/0+$/, '');
      return `${parts[0]} ${parts[1].slice(0, 8)}${fraction ? `.${fraction}` : ''}+00`;
    },
  },
};

/** One leaf column: its Dremel levels (one per slot) and its non-null values. */
interface Leaf {
  column: ParquetColumn;
  spec: PrimitiveSpec;
  list: boolean;
  maxDef: number;
  defs: number[];
  reps: number[];
  values: Value[];
  nullCount: number;
}

function shred(column: ParquetColumn, rows: readonly Record<string, unknown>[]): Leaf {
  const { name, type, nullable } = column;
  const list = typeof type === 'object' ? type : undefined;
  const spec = SPECS[list ? list.elementType : (type as ParquetPrimitiveType)];
  // Every column and list element is OPTIONAL in the file whatever the table schema says (as Spark and
  // DuckDB write them), so files of all writers concatenate; `nullable` is enforced on the values instead.
  const outerDef = 1;
  const maxDef = list ? outerDef + 2 : outerDef;
  const leaf: Leaf = { column, spec, list: !!list, maxDef, defs: [], reps: [], values: [], nullCount: 0 };
  const slot = (def: number, rep: number) => {
    leaf.defs.push(def);
    leaf.reps.push(rep);
    if (def < maxDef) leaf.nullCount++;
  };
  rows.forEach((row, i) => {
    const where = `row ${i} column ${name}`;
    const cell = row[name];
    if (cell === null || cell === undefined) {
      if (!nullable) throw new TypeError(`Cannot write ${where}: the column is not nullable.`);
      slot(0, 0);
    } else if (!list) {
      leaf.values.push(spec.toValue(cell, where));
      slot(maxDef, 0);
    } else if (!Array.isArray(cell)) {
      throw bad(where, 'an array', cell);
    } else if (cell.length === 0) {
      slot(outerDef, 0);
    } else {
      cell.forEach((item: unknown, j: number) => {
        if (item === null || item === undefined) {
          if (!list.containsNull)
            throw new TypeError(`Cannot write ${where}[${j}]: the array holds no nulls.`);
          slot(maxDef - 1, j === 0 ? 0 : 1);
        } else {
          leaf.values.push(spec.toValue(item, `${where}[${j}]`));
          slot(maxDef, j === 0 ? 0 : 1);
        }
      });
    }
  });
  return leaf;
}

const STRING_STATS_BYTES = 256;

/** DuckDB's bound for a long max: cut to 256 bytes, then bump the last byte below 0x7F (ASCII, not DEL). */
function truncatedMax(b: Uint8Array): Uint8Array | undefined {
  if (b.length <= STRING_STATS_BYTES) return b;
  for (let i = STRING_STATS_BYTES - 1; i >= 0; i--) {
    const byte = b[i] as number;
    if (byte < 0x7f) return Uint8Array.of(...b.subarray(0, i), byte + 1);
  }
  return undefined;
}

/** DuckDB's bound for a long min: the longest prefix of whole UTF-8 characters within 256 bytes. */
function truncatedMin(b: Uint8Array): Uint8Array {
  if (b.length <= STRING_STATS_BYTES) return b;
  let end = STRING_STATS_BYTES;
  while (end > 0 && ((b[end] as number) & 0xc0) === 0x80) end--;
  return b.subarray(0, end);
}

interface Bounds {
  min?: Value;
  max?: Value;
  minExact: boolean;
  maxExact: boolean;
  hasNan: boolean;
}

/**
 * Min and max as DuckDB's writer finds them: NaN is skipped; each string is compared with the bounds
 * kept so far, which are already cut to 256 bytes, so a long value can shadow a later, larger short one;
 * a value that would become the max but cannot be cut drops both bounds.
 */
function bounds(values: readonly Value[]): Bounds {
  const result: Bounds = { minExact: true, maxExact: true, hasNan: false };
  let min: Value | undefined;
  let max: Value | undefined;
  let uncuttable = false;
  for (const v of values) {
    if (typeof v === 'number' && Number.isNaN(v)) {
      result.hasNan = true;
    } else if (v instanceof Uint8Array) {
      const exact = v.length <= STRING_STATS_BYTES;
      if (min === undefined || Buffer.compare(v, min as Uint8Array) < 0) {
        min = truncatedMin(v);
        result.minExact = exact;
      }
      if (max === undefined || Buffer.compare(v, max as Uint8Array) > 0) {
        const cut = truncatedMax(v);
        if (cut) {
          max = cut;
          result.maxExact = exact;
        } else uncuttable = true;
      }
    } else {
      if (min === undefined || v < (min as number)) min = v;
      if (max === undefined || v > (max as number)) max = v;
    }
  }
  if (min !== undefined && max !== undefined && !uncuttable) Object.assign(result, { min, max });
  return result;
}

function writePlain(out: ByteWriter, physical: number, values: readonly Value[]): void {
  if (physical === TYPE.BOOLEAN) {
    for (let i = 0; i < values.length; i += 8) {
      let byte = 0;
      for (let bit = 0; bit < 8 && i + bit < values.length; bit++) byte |= (values[i + bit] as number) << bit;
      out.u8(byte);
    }
    return;
  }
  for (const v of values) {
    if (physical === TYPE.BYTE_ARRAY) {
      out.u32((v as Uint8Array).length);
      out.raw(v as Uint8Array);
    } else if (physical === TYPE.INT32 || physical === TYPE.FLOAT) {
      const at = out.room(4);
      if (physical === TYPE.INT32) out.view.setInt32(at, v as number, true);
      else out.view.setFloat32(at, v as number, true);
    } else {
      const at = out.room(8);
      if (physical === TYPE.INT64) out.view.setBigInt64(at, v as bigint, true);
      else out.view.setFloat64(at, v as number, true);
    }
  }
}

/** A statistics bound: a thrift binary holding the PLAIN value (a byte array without its length). */
function writeBound(t: ThriftWriter, id: number, physical: number, v: Value): void {
  if (physical === TYPE.BYTE_ARRAY) t.binary(id, v as Uint8Array);
  else if (physical === TYPE.BOOLEAN) {
    t.binaryHeader(id, 1);
    t.u8(v as number);
  } else {
    t.binaryHeader(id, physical === TYPE.INT32 || physical === TYPE.FLOAT ? 4 : 8);
    writePlain(t, physical, [v]);
  }
}

/** RLE/bit-packed hybrid with its 4-byte length, as RLE runs only; levels are ≤ 3, so one byte each. */
function writeLevels(out: ByteWriter, levels: readonly number[]): void {
  const lengthAt = out.room(4);
  for (let i = 0; i < levels.length; ) {
    let end = i + 1;
    while (end < levels.length && levels[end] === levels[i]) end++;
    out.varint((end - i) * 2);
    out.u8(levels[i] as number);
    i = end;
  }
  out.view.setUint32(lengthAt, out.length - lengthAt - 4, true);
}

function writeSchemaElements(t: ThriftWriter, column: ParquetColumn): void {
  const repetition = REPETITION.OPTIONAL;
  const primitive = (name: string, repetition: number, spec: PrimitiveSpec) =>
    t.struct(undefined, () => {
      t.i32(1, spec.physical);
      t.i32(3, repetition);
      t.binary(4, name);
      if (spec.converted !== undefined) t.i32(6, spec.converted);
      if (spec.logical) t.struct(10, () => spec.logical?.(t));
    });
  if (typeof column.type === 'string') {
    primitive(column.name, repetition, SPECS[column.type]);
    return;
  }
  const group = (name: string, repetition: number, annotate: boolean) =>
    t.struct(undefined, () => {
      t.i32(3, repetition);
      t.binary(4, name);
      t.i32(5, 1);
      if (annotate) t.i32(6, CONVERTED.LIST);
      if (annotate) t.struct(10, () => t.struct(3));
    });
  group(column.name, repetition, true);
  group('list', REPETITION.REPEATED, false);
  primitive('element', REPETITION.OPTIONAL, SPECS[column.type.elementType]);
}

interface Chunk {
  leaf: Leaf;
  offset: number;
  size: number;
  bounds: Bounds;
}

function writeColumnChunk(t: ThriftWriter, { leaf, offset, size, bounds }: Chunk): void {
  const { physical } = leaf.spec;
  const path = leaf.list ? [leaf.column.name, 'list', 'element'] : [leaf.column.name];
  const float = physical === TYPE.FLOAT || physical === TYPE.DOUBLE;
  t.struct(undefined, () => {
    t.i64(2, offset);
    t.struct(3, () => {
      t.i32(1, physical);
      t.list(2, T.I32, leaf.maxDef > 0 ? 2 : 1);
      t.varint(ENCODING.PLAIN * 2);
      if (leaf.maxDef > 0) t.varint(ENCODING.RLE * 2);
      t.list(3, T.BINARY, path.length);
      for (const part of path) t.binary(undefined, part);
      t.i32(4, 0); // UNCOMPRESSED
      t.i64(5, leaf.defs.length);
      t.i64(6, size);
      t.i64(7, size);
      t.i64(9, offset);
      t.struct(12, () => {
        t.i64(3, leaf.nullCount);
        if (bounds.min === undefined || bounds.max === undefined || (float && bounds.hasNan)) return;
        // Parquet's rule for float bounds at zero: a min of ±0 is written -0, a max of ±0 is +0.
        writeBound(t, 5, physical, float && bounds.max === 0 ? 0 : bounds.max);
        writeBound(t, 6, physical, float && bounds.min === 0 ? -0 : bounds.min);
        t.bool(7, bounds.maxExact);
        t.bool(8, bounds.minExact);
      });
    });
  });
}

/** DuckDB's RETURN_STATS entry for a leaf, as parseColumnStatistics would read it. */
function statistics({ leaf, bounds }: Chunk): ColumnStatistics {
  const entry: ColumnStatistics = { nullCount: String(leaf.nullCount) };
  if (leaf.spec.physical === TYPE.FLOAT || leaf.spec.physical === TYPE.DOUBLE) entry.hasNan = bounds.hasNan;
  const min = bounds.min === undefined ? undefined : leaf.spec.text(bounds.min);
  const max = bounds.max === undefined ? undefined : leaf.spec.text(bounds.max);
  if (min !== undefined) entry.min = min;
  if (max !== undefined) entry.max = max;
  return entry;
}

/** One Parquet file holding `rows`, and DuckDB-style RETURN_STATS statistics for it. */
export function writeParquet(
  columns: readonly ParquetColumn[],
  rows: readonly Record<string, unknown>[],
): { bytes: Uint8Array; stats: Map<string, ColumnStatistics> } {
  const names = new Set(columns.map((c) => c.name));
  if (names.size !== columns.length) throw new TypeError('Cannot write Parquet: duplicate column names.');
  for (const { name, type } of columns) {
    if (!supportsParquetType(type))
      throw new TypeError(`Cannot write column ${name}: unsupported type ${JSON.stringify(type)}.`);
  }
  rows.forEach((row, i) => {
    for (const key of Object.keys(row))
      if (!names.has(key)) throw new TypeError(`Cannot write row ${i}: unknown column '${key}'.`);
  });
  const leaves = columns.map((column) => shred(column, rows));

  const out = new ThriftWriter();
  out.raw(Buffer.from('PAR1'));
  const page = new ByteWriter();
  const chunks = leaves.map((leaf): Chunk => {
    page.length = 0;
    if (leaf.list) writeLevels(page, leaf.reps);
    if (leaf.maxDef > 0) writeLevels(page, leaf.defs);
    writePlain(page, leaf.spec.physical, leaf.values);
    const offset = out.length;
    out.struct(undefined, () => {
      out.i32(1, 0); // DATA_PAGE
      out.i32(2, page.length);
      out.i32(3, page.length);
      // PageHeader.crc: CRC32 of the page bytes after the header, as a signed i32 (deep verify checks it).
      out.signedI32(4, crc32(page.bytes.subarray(0, page.length)) | 0);
      out.struct(5, () => {
        out.i32(1, leaf.defs.length);
        out.i32(2, ENCODING.PLAIN);
        out.i32(3, ENCODING.RLE);
        out.i32(4, ENCODING.RLE);
      });
    });
    out.raw(page.bytes.subarray(0, page.length));
    return { leaf, offset, size: out.length - offset, bounds: bounds(leaf.values) };
  });

  const footerStart = out.length;
  const totalSize = chunks.reduce((n, chunk) => n + chunk.size, 0);
  out.struct(undefined, () => {
    out.i32(1, 1); // version
    out.list(2, T.STRUCT, 1 + leaves.reduce((n, leaf) => n + (leaf.list ? 3 : 1), 0));
    out.struct(undefined, () => {
      out.binary(4, 'schema');
      out.i32(5, columns.length);
    });
    for (const column of columns) writeSchemaElements(out, column);
    out.i64(3, rows.length);
    out.list(4, T.STRUCT, 1);
    out.struct(undefined, () => {
      out.list(1, T.STRUCT, chunks.length);
      for (const chunk of chunks) writeColumnChunk(out, chunk);
      out.i64(2, totalSize);
      out.i64(3, rows.length);
      out.i64(5, 4); // file_offset of the row group
      out.i64(6, totalSize);
    });
    out.binary(6, 'futures-signals parquet-writer version 1');
    out.list(7, T.STRUCT, leaves.length);
    for (const _ of leaves) out.struct(undefined, () => out.struct(1)); // TYPE_ORDER
  });
  out.u32(out.length - footerStart);
  out.raw(Buffer.from('PAR1'));

  const stats = new Map<string, ColumnStatistics>();
  for (const chunk of chunks) {
    const { name } = chunk.leaf.column;
    stats.set(statisticsKey(chunk.leaf.list ? [name, 'element'] : [name]), statistics(chunk));
  }
  return { bytes: out.bytes.subarray(0, out.length), stats };
}
