import type { DuckDBConnection } from '@duckdb/node-api';
import type { AppendResult, Predicate } from '../delta/index.js';
import { appendToLake, createLakeView, type LakeWriteOptions } from './lake.js';
import { fromDbRow, type SnapshotRecord, selectList, toDeltaRow } from './records.js';
import { FUTURES_SNAPSHOTS, snapshotsTable } from './tables.js';

/**
 * Appends one collection round to futures_snapshots in ONE commit. With `txn` the write is
 * idempotent: a round retried after a crash is skipped when its txn version already landed.
 */
export async function appendSnapshots(
  dataDir: string,
  records: readonly SnapshotRecord[],
  options: LakeWriteOptions & { txn?: { appId: string; version: number } } = {},
): Promise<AppendResult> {
  return appendToLake(dataDir, FUTURES_SNAPSHOTS, records.map(toDeltaRow), {
    ...options,
    operation: 'WRITE',
  });
}

export interface ReadRange {
  symbols?: readonly string[];
  /** Inclusive lower bound on ts. */
  from?: Date;
  /** Inclusive upper bound on ts (as-of). */
  to?: Date;
  /** Trade dates to read (partition pruning); derived from from/to by the caller. */
  tradeDates?: { from: string; to: string };
}

export function rangePredicate(range: ReadRange, dateColumn = 'trade_date'): Predicate | undefined {
  const parts: Predicate[] = [];
  if (range.tradeDates) {
    parts.push({
      kind: 'between',
      column: dateColumn,
      low: range.tradeDates.from,
      high: range.tradeDates.to,
    });
  }
  if (range.from) parts.push({ kind: 'compare', column: 'ts', op: '>=', value: range.from });
  if (range.to) parts.push({ kind: 'compare', column: 'ts', op: '<=', value: range.to });
  if (range.symbols?.length) parts.push({ kind: 'in', column: 'symbol', values: [...range.symbols] });
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : { kind: 'and', args: parts };
}

/** Reads snapshots in ts order (pruned by trade date, ts and symbol). */
export async function readSnapshots(
  connection: DuckDBConnection,
  dataDir: string,
  range: ReadRange,
): Promise<{ records: SnapshotRecord[]; version: number | undefined }> {
  const view = `snapshots_${Math.random().toString(36).slice(2, 10)}`;
  const snapshot = await createLakeView(connection, dataDir, FUTURES_SNAPSHOTS, view, rangePredicate(range));
  try {
    const reader = await connection.runAndReadAll(
      `SELECT ${selectList(snapshotsTable.schema.fields)} FROM "${view}" ORDER BY ts, symbol`,
    );
    const records = reader
      .getRowObjectsJS()
      .map((row) => fromDbRow(row, ['ts', 'slot_ts']) as unknown as SnapshotRecord)
      .map((r) => ({ ...r, quality: Array.isArray(r.quality) ? r.quality.map(String) : [] }));
    return { records, version: snapshot?.version };
  } finally {
    await connection.run(`DROP VIEW IF EXISTS "${view}"`);
  }
}
