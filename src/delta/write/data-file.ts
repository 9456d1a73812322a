/**
 * A data file written before its commit, and the facts both writers (DuckDB COPY and the small-append
 * writer) derive the same way: the single partition of a batch of JS rows and the stats column limit.
 */
import type { AddAction, Metadata, Snapshot } from '../log/types.js';
import { DEFAULT_NUM_INDEXED_COLS } from './stats.js';
import type { DeltaRow } from './write-sql.js';

/** A data file written into its partition directory, not yet committed (and durable before it is). */
export interface WrittenFile {
  absolute: string;
  add: AddAction;
  rows: number;
}

/** `delta.dataSkippingNumIndexedCols`: how many leading columns get min/max/nullCount stats (-1: all). */
export function numIndexedCols(metadata: Metadata): number {
  const raw = metadata.configuration['delta.dataSkippingNumIndexedCols'];
  const n = raw === undefined || raw === null ? DEFAULT_NUM_INDEXED_COLS : Number(raw);
  return Number.isInteger(n) && n >= -1 ? n : DEFAULT_NUM_INDEXED_COLS;
}

/** The one partition all rows of a write fall into: Delta's serialized values and the Hive directory. */
export interface SinglePartition {
  values: Record<string, string>;
  /** `col=value/…` — only built from values that need no escaping. */
  directory: string;
}

const SAFE_PARTITION_TEXT = /^[A-Za-z0-9_.+-]+$/;

/** A partition value of a JS row as Delta serializes it, or undefined when DuckDB's path must decide. */
function partitionText(type: unknown, value: unknown): string | undefined {
  switch (type) {
    case 'date':
      if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString().slice(0, 10);
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : undefined;
    case 'string':
      return typeof value === 'string' && value !== '' ? value : undefined;
    case 'byte':
    case 'short':
    case 'integer':
    case 'long':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
      return typeof value === 'bigint' ? String(value) : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? String(value) : undefined;
    default:
      return undefined;
  }
}

/**
 * The single partition of JS rows when they all share one and its values are plain text (dates, plain
 * strings, integers, booleans — no null, nothing a directory name would have to escape); else undefined
 * and the write goes through COPY … PARTITION_BY. Row validation happens in rowsToValuesSql either way.
 */
export function singlePartitionOf(
  snapshot: Pick<Snapshot, 'schema' | 'partitionColumns'>,
  rows: readonly DeltaRow[],
): SinglePartition | undefined {
  if (snapshot.partitionColumns.length === 0 || rows.length === 0) return undefined;
  const types = new Map(snapshot.schema.fields.map((f) => [f.name, f.type]));
  const values: Record<string, string> = {};
  for (const column of snapshot.partitionColumns) {
    let shared: string | undefined;
    for (const row of rows) {
      const text = partitionText(types.get(column), row[column]);
      if (text === undefined || !SAFE_PARTITION_TEXT.test(text)) return undefined;
      if (shared !== undefined && shared !== text) return undefined;
      shared = text;
    }
    if (shared === undefined) return undefined;
    values[column] = shared;
  }
  const directory = snapshot.partitionColumns.map((column) => `${column}=${values[column]}`).join('/');
  if (!snapshot.partitionColumns.every((column) => SAFE_PARTITION_TEXT.test(column))) return undefined;
  return { values, directory };
}
