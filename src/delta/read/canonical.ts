/**
 * The canonical JSON form of a row (see ../shared/delta-golden/README.md): what
 * a scan's JSON lines output holds and what golden tests compare.
 *
 * BIGINT stays exact: values beyond 2^53 are kept as bigint and written as bare JSON digits by
 * canonicalJson (JSON.stringify would throw). Timestamps are formatted from their microseconds,
 * never through the session time zone.
 */
import {
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBValue,
} from '@duckdb/node-api';
import { type CanonicalValue, canonicalJson } from './canonical-json.js';
import { formatDays, formatMicros } from './time.js';

export {
  type CanonicalRow,
  type CanonicalValue,
  canonicalJson,
  sortCanonicalRows,
} from './canonical-json.js';

function timestampText(micros: bigint, utc: boolean): string {
  if (micros === DuckDBTimestampTZValue.PosInf.micros) return 'infinity';
  if (micros === DuckDBTimestampTZValue.NegInf.micros) return '-infinity';
  return `${formatMicros(micros)}${utc ? 'Z' : ''}`;
}

function integer(value: bigint): number | bigint {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(value)
    : value;
}

function floating(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return value;
}

function mapKey(value: CanonicalValue): string {
  if (typeof value === 'string') return value;
  if (value === null) return 'null';
  if (typeof value === 'object') return canonicalJson(value);
  return String(value);
}

/**
 * A DuckDB value as canonical JSON data. Timestamps WITH time zone get a `Z`; plain TIMESTAMP
 * (Delta timestamp_ntz) has no zone.
 */
export function toCanonical(value: DuckDBValue): CanonicalValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return value;
    case 'number':
      return floating(value);
    case 'bigint':
      return integer(value);
  }
  if (value instanceof DuckDBTimestampTZValue) return timestampText(value.micros, true);
  if (value instanceof DuckDBTimestampValue) return timestampText(value.micros, false);
  if (value instanceof DuckDBTimestampMillisecondsValue) return timestampText(value.millis * 1000n, false);
  if (value instanceof DuckDBTimestampSecondsValue) return timestampText(value.seconds * 1_000_000n, false);
  if (value instanceof DuckDBTimestampNanosecondsValue) return timestampText(value.nanos / 1000n, false);
  if (value instanceof DuckDBDateValue) return formatDays(value.days);
  if (value instanceof DuckDBDecimalValue) return value.toString();
  if (value instanceof DuckDBBlobValue) return Buffer.from(value.bytes).toString('base64');
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue)
    return value.items.map(toCanonical);
  if (value instanceof DuckDBStructValue) {
    const out: Record<string, CanonicalValue> = {};
    for (const [k, v] of Object.entries(value.entries)) out[k] = toCanonical(v);
    return out;
  }
  if (value instanceof DuckDBMapValue) {
    const out: Record<string, CanonicalValue> = {};
    for (const entry of value.entries) out[mapKey(toCanonical(entry.key))] = toCanonical(entry.value);
    return out;
  }
  return String(value);
}
