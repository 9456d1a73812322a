/**
 * Delta `add.stats`, partition values and `add.path` built from what DuckDB's
 * `COPY ... (RETURN_STATS true)` reports per written file.
 *
 * Rules (PROTOCOL.md §Per-file Statistics, §Partition Value Serialization):
 * - stats JSON nests like the schema: numRecords, minValues, maxValues, nullCount; partition columns are
 *   not in stats; only the first `delta.dataSkippingNumIndexedCols` (default 32) leaf columns get stats;
 * - timestamps as "YYYY-MM-DDTHH:MM:SS.mmmZ", floored to milliseconds (a reader widens max by 999 µs);
 *   dates "YYYY-MM-DD"; numbers as JSON numbers written from DuckDB's text, so 64-bit integers and
 *   decimals keep every digit; no min/max for a float column that holds NaN; strings: min cut to a
 *   32-character prefix (still a lower bound), max left out when longer (a cut max would be too small);
 *   boolean, binary, arrays and maps carry no min/max;
 * - partition values: dates YYYY-MM-DD, timestamps ISO-8601 UTC with microseconds, null as JSON null.
 */

import type { DeltaStructType, DeltaType } from '../log/types.js';
import { decimalParams, isArrayType, isMapType, isStructType, quoteIdentifier } from '../read/schema.js';

export const DEFAULT_NUM_INDEXED_COLS = 32;
const STRING_PREFIX_LENGTH = 32;

/** DuckDB's statistics for one leaf column of one file (all values as DuckDB renders them). */
export interface ColumnStatistics {
  min?: string | undefined;
  max?: string | undefined;
  nullCount?: string | undefined;
  hasNan?: boolean | undefined;
}

/** Key of a leaf column in RETURN_STATS' column_statistics: `"a"."b"` (each part quoted). */
export function statisticsKey(pathParts: readonly string[]): string {
  return pathParts.map(quoteIdentifier).join('.');
}

function entries(value: unknown): Array<{ key: string; value: unknown }> {
  if (!Array.isArray(value)) return [];
  const out: Array<{ key: string; value: unknown }> = [];
  for (const item of value) {
    if (typeof item === 'object' && item !== null && 'key' in item && typeof item.key === 'string') {
      out.push({ key: item.key, value: 'value' in item ? item.value : undefined });
    }
  }
  return out;
}

/** Parses the `column_statistics` MAP of a RETURN_STATS row (as getRowObjectsJson renders it). */
export function parseColumnStatistics(json: unknown): Map<string, ColumnStatistics> {
  const result = new Map<string, ColumnStatistics>();
  for (const { key, value } of entries(json)) {
    const stats: ColumnStatistics = {};
    for (const entry of entries(value)) {
      const text = typeof entry.value === 'string' ? entry.value : undefined;
      if (entry.key === 'min') stats.min = text;
      else if (entry.key === 'max') stats.max = text;
      else if (entry.key === 'null_count') stats.nullCount = text;
      else if (entry.key === 'has_nan') stats.hasNan = text === 'true';
    }
    result.set(key, stats);
  }
  return result;
}

/** Parses the `partition_keys` MAP of a RETURN_STATS row: column → DuckDB text (null for NULL). */
export function parsePartitionKeys(json: unknown): Map<string, string | null> {
  const result = new Map<string, string | null>();
  for (const { key, value } of entries(json)) result.set(key, typeof value === 'string' ? value : null);
  return result;
}

const DUCKDB_TIMESTAMPTZ_RE =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)?$/;

/** Microseconds since the epoch of a DuckDB TIMESTAMPTZ text (any offset; no offset means UTC). */
export function parseTimestampMicros(text: string): bigint | undefined {
  const m = DUCKDB_TIMESTAMPTZ_RE.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', , sign, oh = '0', om = '0', os = '0'] = m;
  // Date.UTC maps years 0-99 to 1900+; such values get no stats rather than wrong ones.
  if (Number(y) < 1000) return undefined;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (!Number.isFinite(ms)) return undefined;
  const micros = BigInt(ms) * 1000n + BigInt(frac.padEnd(6, '0').slice(0, 6));
  const offsetSeconds = (Number(oh) * 3600 + Number(om) * 60 + Number(os)) * (sign === '-' ? -1 : 1);
  return micros - BigInt(offsetSeconds) * 1_000_000n;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function isoFromMillis(ms: bigint): string | undefined {
  const date = new Date(Number(ms));
  const iso = date.toISOString();
  return /^\d{4}-/.test(iso) ? iso : undefined;
}

/** "YYYY-MM-DDTHH:MM:SS.mmmZ", floored to milliseconds, as Delta stats want timestamps. */
export function timestampStatText(micros: bigint): string | undefined {
  return isoFromMillis(floorDiv(micros, 1000n));
}

/** "YYYY-MM-DDTHH:MM:SS.ffffffZ": the recommended partition value form for timestamps. */
export function timestampPartitionText(micros: bigint): string | undefined {
  const iso = isoFromMillis(floorDiv(micros, 1000n));
  if (!iso) return undefined;
  const subMillis = ((micros % 1000n) + 1000n) % 1000n;
  return `${iso.slice(0, -1)}${String(subMillis).padStart(3, '0')}Z`;
}

/** The Delta partition value string for DuckDB's text of a partition key. */
export function serializePartitionValue(type: DeltaType, duckdbText: string | null): string | null {
  if (duckdbText === null) return null;
  if (type === 'timestamp') {
    const micros = parseTimestampMicros(duckdbText);
    const text = micros === undefined ? undefined : timestampPartitionText(micros);
    if (text === undefined) throw new Error(`Cannot serialise timestamp partition value '${duckdbText}'.`);
    return text;
  }
  return duckdbText;
}

/** A JSON fragment already in its final text form (so digits beyond 2^53 survive). */
class RawJson {
  constructor(readonly text: string) {}
}
type StatTree = { [key: string]: StatTree | RawJson | string };

function renderJson(value: StatTree | RawJson | string): string {
  if (value instanceof RawJson) return value.text;
  if (typeof value === 'string') return JSON.stringify(value);
  return `{${Object.entries(value)
    .map(([k, v]) => `${JSON.stringify(k)}:${renderJson(v)}`)
    .join(',')}}`;
}

const INTEGER_TEXT_RE = /^-?\d+$/;
const DECIMAL_TEXT_RE = /^-?\d+(\.\d+)?$/;
const DATE_TEXT_RE = /^\d{4}-\d{2}-\d{2}$/;

function boundValue(type: DeltaType, text: string, bound: 'min' | 'max'): RawJson | string | undefined {
  switch (type) {
    case 'byte':
    case 'short':
    case 'integer':
    case 'long':
      return INTEGER_TEXT_RE.test(text) ? new RawJson(text) : undefined;
    case 'float':
    case 'double': {
      const n = Number(text);
      if (!Number.isFinite(n)) return undefined;
      return new RawJson(JSON.stringify(type === 'float' ? Math.fround(n) : n));
    }
    case 'date':
      return DATE_TEXT_RE.test(text) ? text : undefined;
    case 'timestamp': {
      const micros = parseTimestampMicros(text);
      return micros === undefined ? undefined : timestampStatText(micros);
    }
    case 'string': {
      const chars = Array.from(text);
      if (chars.length <= STRING_PREFIX_LENGTH) return text;
      return bound === 'min' ? chars.slice(0, STRING_PREFIX_LENGTH).join('') : undefined;
    }
    default:
      if (decimalParams(type) && DECIMAL_TEXT_RE.test(text)) return new RawJson(text);
      return undefined;
  }
}

export interface FileStatsInput {
  schema: DeltaStructType;
  partitionColumns: readonly string[];
  numRecords: string | number;
  columns: ReadonlyMap<string, ColumnStatistics>;
  /** `delta.dataSkippingNumIndexedCols`; -1 means all columns. */
  numIndexedCols?: number;
}

/** The `add.stats` JSON string for one data file. */
export function buildFileStats(input: FileStatsInput): string {
  let budget = input.numIndexedCols ?? DEFAULT_NUM_INDEXED_COLS;
  const unlimited = budget < 0;
  const partition = new Set(input.partitionColumns);
  const minValues: StatTree = {};
  const maxValues: StatTree = {};
  const nullCount: StatTree = {};

  const visit = (type: DeltaType, parts: string[], mins: StatTree, maxs: StatTree, nulls: StatTree): void => {
    const name = parts[parts.length - 1] as string;
    if (isStructType(type)) {
      const childMins: StatTree = {};
      const childMaxs: StatTree = {};
      const childNulls: StatTree = {};
      for (const field of type.fields)
        visit(field.type, [...parts, field.name], childMins, childMaxs, childNulls);
      if (Object.keys(childMins).length > 0) mins[name] = childMins;
      if (Object.keys(childMaxs).length > 0) maxs[name] = childMaxs;
      if (Object.keys(childNulls).length > 0) nulls[name] = childNulls;
      return;
    }
    if (!unlimited && budget <= 0) return;
    budget--;
    if (isArrayType(type) || isMapType(type)) return;
    const stats = input.columns.get(statisticsKey(parts));
    if (!stats) return;
    if (stats.nullCount !== undefined && INTEGER_TEXT_RE.test(stats.nullCount))
      nulls[name] = new RawJson(stats.nullCount);
    if (stats.hasNan) return;
    const min = stats.min === undefined ? undefined : boundValue(type, stats.min, 'min');
    const max = stats.max === undefined ? undefined : boundValue(type, stats.max, 'max');
    if (min !== undefined) mins[name] = min;
    if (max !== undefined) maxs[name] = max;
  };
  for (const field of input.schema.fields) {
    if (partition.has(field.name)) continue;
    visit(field.type, [field.name], minValues, maxValues, nullCount);
  }
  return renderJson({
    numRecords: new RawJson(String(input.numRecords)),
    minValues,
    maxValues,
    nullCount,
  });
}

/**
 * `add.path` for a file at `relativePath` (as on disk, `/`-separated). DuckDB already percent-encodes
 * partition directory values (`a/b` → `a%2Fb`), so the on-disk name holds `%`; the logged path is
 * URI-encoded once more so a reader that decodes once gets the on-disk name back.
 */
export function encodeAddPath(relativePath: string): string {
  return relativePath
    .split('/')
    .map((segment) => encodeURIComponent(segment).replaceAll('%3D', '='))
    .join('/');
}
