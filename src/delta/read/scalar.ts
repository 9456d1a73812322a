/**
 * Typed scalar values of primitive Delta columns, used for partition values, predicate literals and
 * min/max statistics: parsing each source, ordering (for pruning) and rendering as DuckDB SQL.
 *
 * Timestamps are kept as microseconds since the epoch (bigint); a timestamp text without a zone is
 * read as UTC (the golden README's rule for partition values, and our rule for predicate literals).
 */

import type { DeltaType } from '../log/types.js';
import { quoteLiteral } from './schema.js';
import { formatDays } from './time.js';

export interface Decimal {
  unscaled: bigint;
  scale: number;
}

export type Scalar =
  | { type: 'integer'; value: bigint }
  | { type: 'float'; value: number }
  | { type: 'decimal'; value: Decimal }
  | { type: 'string'; value: string }
  | { type: 'boolean'; value: boolean }
  | { type: 'date'; value: number }
  | { type: 'timestamp'; value: bigint }
  | { type: 'timestamp_ntz'; value: bigint }
  | { type: 'binary'; value: Buffer };

export type ScalarType = Scalar['type'];

const INTEGER_TYPES = new Set(['long', 'integer', 'short', 'byte']);
const INTEGER_RANGE: Readonly<Record<string, [bigint, bigint]>> = {
  byte: [-128n, 127n],
  short: [-32768n, 32767n],
  integer: [-2147483648n, 2147483647n],
  long: [-9223372036854775808n, 9223372036854775807n],
};

/** The scalar kind of a primitive Delta type; undefined for nested types. */
export function scalarTypeOf(type: DeltaType): ScalarType | undefined {
  if (typeof type !== 'string') return undefined;
  if (INTEGER_TYPES.has(type)) return 'integer';
  if (type === 'float' || type === 'double') return 'float';
  if (type.startsWith('decimal')) return 'decimal';
  if (type === 'string') return 'string';
  if (type === 'boolean') return 'boolean';
  if (type === 'date') return 'date';
  if (type === 'timestamp') return 'timestamp';
  if (type === 'timestamp_ntz') return 'timestamp_ntz';
  if (type === 'binary') return 'binary';
  return undefined;
}

const DATE_RE = /^(-?\d{4,})-(\d{2})-(\d{2})$/;
const TIMESTAMP_RE =
  /^(-?\d{4,})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$/i;

function daysFromCivil(year: number, month: number, day: number): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const ms = Date.UTC(year, month - 1, day);
  const date = new Date(ms);
  if (date.getUTCDate() !== day || date.getUTCMonth() !== month - 1) return undefined;
  // Date.UTC maps years 0..99 to 1900..1999.
  if (year >= 0 && year < 100) {
    const fixed = new Date(0);
    fixed.setUTCFullYear(year, month - 1, day);
    return Math.round(fixed.getTime() / 86_400_000);
  }
  return Math.round(ms / 86_400_000);
}

/** 'YYYY-MM-DD' → days since the epoch. */
export function parseDate(text: string): number | undefined {
  const m = DATE_RE.exec(text.trim());
  if (!m) return undefined;
  return daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3]));
}

export interface ParsedTimestamp {
  micros: bigint;
  /** Whether the text carried a zone or offset. */
  zoned: boolean;
}

/**
 * ISO-8601-like timestamp text → micros. Accepts 'T' or space, optional seconds and 1-9 fraction
 * digits (beyond 6 truncated), and Z / UTC / ±HH[:MM]; without a zone the wall time is taken as UTC.
 */
export function parseTimestamp(text: string): ParsedTimestamp | undefined {
  const m = TIMESTAMP_RE.exec(text.trim());
  if (!m) return undefined;
  const days = daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3]));
  if (days === undefined) return undefined;
  const hh = Number(m[4] ?? 0);
  const mi = Number(m[5] ?? 0);
  const ss = Number(m[6] ?? 0);
  if (hh > 23 || mi > 59 || ss > 59) return undefined;
  const fraction = BigInt((m[7] ?? '').padEnd(6, '0').slice(0, 6) || '0');
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone && !/^(Z|UTC)$/i.test(zone)) {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
    // Real offsets run from −12:00 to +14:00; ±18:00 is ISO-8601's (and java.time's) bound.
    if (!z || Number(z[2]) > 18 || Number(z[3] ?? 0) > 59) return undefined;
    offsetMinutes = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3] ?? 0));
    if (Math.abs(offsetMinutes) > 18 * 60) return undefined;
  }
  const micros =
    BigInt(days) * 86_400_000_000n +
    BigInt(hh * 3600 + mi * 60 + ss) * 1_000_000n +
    fraction -
    BigInt(offsetMinutes) * 60_000_000n;
  return { micros, zoned: zone !== undefined };
}

const DECIMAL_TEXT_RE = /^([+-])?(\d*)(?:\.(\d*))?$/;

export function parseDecimal(text: string): Decimal | undefined {
  const m = DECIMAL_TEXT_RE.exec(text.trim());
  if (!m || ((m[2] ?? '') === '' && (m[3] ?? '') === '')) return undefined;
  const fraction = m[3] ?? '';
  const unscaled = BigInt(`${m[2] || '0'}${fraction}`) * (m[1] === '-' ? -1n : 1n);
  return { unscaled, scale: fraction.length };
}

function decimalText(d: Decimal): string {
  const negative = d.unscaled < 0n;
  const digits = (negative ? -d.unscaled : d.unscaled).toString().padStart(d.scale + 1, '0');
  const text = d.scale === 0 ? digits : `${digits.slice(0, -d.scale)}.${digits.slice(-d.scale)}`;
  return negative ? `-${text}` : text;
}

function parseInteger(text: string, deltaType: string): bigint | undefined {
  const t = text.trim();
  if (!/^[+-]?\d+$/.test(t)) return undefined;
  const value = BigInt(t);
  const range = INTEGER_RANGE[deltaType];
  if (range && (value < range[0] || value > range[1])) return undefined;
  return value;
}

function parseFloatText(text: string): number | undefined {
  const t = text.trim();
  if (/^[+-]?nan$/i.test(t)) return Number.NaN;
  if (/^\+?inf(inity)?$/i.test(t)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/i.test(t)) return Number.NEGATIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return undefined;
  return Number(t);
}

/** Parses text (a partition value, or a predicate literal) as a value of the Delta primitive type. */
export function parseScalarText(text: string, deltaType: DeltaType): Scalar | undefined {
  const kind = scalarTypeOf(deltaType);
  switch (kind) {
    case 'integer': {
      const value = parseInteger(text, deltaType as string);
      return value === undefined ? undefined : { type: 'integer', value };
    }
    case 'float': {
      const value = parseFloatText(text);
      return value === undefined ? undefined : { type: 'float', value };
    }
    case 'decimal': {
      const value = parseDecimal(text);
      return value === undefined ? undefined : { type: 'decimal', value };
    }
    case 'string':
      return { type: 'string', value: text };
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (t !== 'true' && t !== 'false') return undefined;
      return { type: 'boolean', value: t === 'true' };
    }
    case 'date': {
      const value = parseDate(text);
      return value === undefined ? undefined : { type: 'date', value };
    }
    case 'timestamp': {
      const parsed = parseTimestamp(text);
      return parsed ? { type: 'timestamp', value: parsed.micros } : undefined;
    }
    case 'timestamp_ntz': {
      const parsed = parseTimestamp(text);
      return parsed ? { type: 'timestamp_ntz', value: parsed.micros } : undefined;
    }
    case 'binary':
      return { type: 'binary', value: Buffer.from(text, 'utf8') };
    default:
      return undefined;
  }
}

/** A DuckDB SQL expression for the scalar, typed as the Delta type (never session-time-zone dependent). */
export function scalarToSql(scalar: Scalar, duckDbType: string): string {
  switch (scalar.type) {
    case 'integer':
      return `CAST(${scalar.value.toString()} AS ${duckDbType})`;
    case 'float':
      return `CAST(${quoteLiteral(Number.isNaN(scalar.value) ? 'NaN' : String(scalar.value))} AS ${duckDbType})`;
    case 'decimal':
      return `CAST(${quoteLiteral(decimalText(scalar.value))} AS ${duckDbType})`;
    case 'string':
      return quoteLiteral(scalar.value);
    case 'boolean':
      return scalar.value ? 'TRUE' : 'FALSE';
    case 'date':
      return `DATE '${formatDays(scalar.value)}'`;
    case 'timestamp':
      return `make_timestamptz(CAST(${scalar.value.toString()} AS BIGINT))`;
    case 'timestamp_ntz':
      return `make_timestamp(CAST(${scalar.value.toString()} AS BIGINT))`;
    case 'binary':
      return `from_hex(${quoteLiteral(scalar.value.toString('hex'))})`;
  }
}

function compareDecimals(a: Decimal, b: Decimal): number {
  const scale = Math.max(a.scale, b.scale);
  const x = a.unscaled * 10n ** BigInt(scale - a.scale);
  const y = b.unscaled * 10n ** BigInt(scale - b.scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Orders two scalars of the same type as DuckDB would; undefined when the order is not known
 * (different kinds, NaN), in which case callers must not prune.
 */
export function compareScalars(a: Scalar, b: Scalar): number | undefined {
  if (a.type !== b.type) return undefined;
  switch (a.type) {
    case 'integer':
    case 'timestamp':
    case 'timestamp_ntz': {
      const y = b.value as bigint;
      return a.value < y ? -1 : a.value > y ? 1 : 0;
    }
    case 'float':
    case 'date': {
      const y = b.value as number;
      if (Number.isNaN(a.value) || Number.isNaN(y)) return undefined;
      return a.value < y ? -1 : a.value > y ? 1 : 0;
    }
    case 'decimal':
      return compareDecimals(a.value, b.value as Decimal);
    case 'string':
      // DuckDB orders VARCHAR by UTF-8 bytes; JS string order (UTF-16) differs above the BMP.
      return Math.sign(Buffer.compare(Buffer.from(a.value, 'utf8'), Buffer.from(b.value as string, 'utf8')));
    case 'boolean':
      return a.value === b.value ? 0 : a.value ? 1 : -1;
    case 'binary':
      return Math.sign(Buffer.compare(a.value, b.value as Buffer));
  }
}

/** Display text of a scalar (messages). */
export function scalarText(scalar: Scalar): string {
  switch (scalar.type) {
    case 'decimal':
      return decimalText(scalar.value);
    case 'binary':
      return scalar.value.toString('base64');
    default:
      return String(scalar.value);
  }
}
