import type { DuckDBConnection } from '@duckdb/node-api';
import {
  type AppendResult,
  loadSnapshot,
  type Predicate,
  planScan,
  type Snapshot,
  scanSql,
  withConnection,
  writeAppend,
} from '../delta/index.js';
import {
  appendToLake,
  createLakeView,
  ensureTable,
  type LakeWriteOptions,
  withLakeReadErrors,
} from './lake.js';
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

/** A snapshot slot: one row per (symbol, slot_ts) in futures_snapshots. */
export interface SlotKey {
  symbol: string;
  slotTs: Date;
  /** The slot's trade date (the partition its row is in). */
  tradeDate: string;
}

export const slotKeyOf = (symbol: string, slotTs: Date): string => `${symbol}@${slotTs.getTime()}`;

/**
 * Which of `keys` futures_snapshots holds at `snapshot` (as slotKeyOf strings). Reads only the keys'
 * trade-date partitions, and of those only the files whose slot_ts statistics overlap the keys' range:
 * for a collector's newest slots that is usually no file at all, so nothing is read.
 */
export async function storedSlotKeys(
  snapshot: Snapshot | undefined,
  keys: readonly SlotKey[],
  connection?: DuckDBConnection,
): Promise<Set<string>> {
  const stored = new Set<string>();
  if (!snapshot || keys.length === 0) return stored;
  const times = keys.map((k) => k.slotTs.getTime());
  const where: Predicate = {
    kind: 'and',
    args: [
      { kind: 'in', column: 'trade_date', values: [...new Set(keys.map((k) => k.tradeDate))] },
      { kind: 'in', column: 'symbol', values: [...new Set(keys.map((k) => k.symbol))] },
      {
        kind: 'between',
        column: 'slot_ts',
        low: new Date(Math.min(...times)),
        high: new Date(Math.max(...times)),
      },
    ],
  };
  const plan = planScan(snapshot, { where, columns: ['symbol', 'slot_ts'] });
  if (plan.files.length === 0) return stored;
  await withConnection(connection, async (db) => {
    const reader = await db.runAndReadAll(
      `SELECT DISTINCT symbol, epoch_ms(slot_ts) AS slot FROM (${await scanSql(db, plan)})`,
    );
    for (const row of reader.getRowObjectsJS()) stored.add(`${String(row.symbol)}@${Number(row.slot)}`);
  });
  const wanted = new Set(keys.map((k) => slotKeyOf(k.symbol, k.slotTs)));
  for (const key of stored) if (!wanted.has(key)) stored.delete(key);
  return stored;
}

/**
 * appendSnapshots for rows of slots (slotTs set): rows whose (symbol, slot_ts) the table already holds are
 * dropped first, so a slot's row is written once whatever the queue remembers (a queue file reset or
 * restored from a backup re-collects slots the lake has). The check and the commit are not one atomic
 * step: the collect lock keeps a second collector out, and a backfill writes only slots the queue calls
 * missed, which no collector claims. `alreadyStored` are the dropped rows; when every row was dropped,
 * nothing is committed (the result is skipped 'no-rows').
 */
export async function appendNewSnapshots(
  dataDir: string,
  records: readonly SnapshotRecord[],
  options: LakeWriteOptions & {
    txn?: { appId: string; version: number };
    connection?: DuckDBConnection;
  } = {},
): Promise<{ written: AppendResult; alreadyStored: SnapshotRecord[] }> {
  const path = await ensureTable(dataDir, snapshotsTable, options);
  // From the process's snapshot cache, and handed to the append, which would load it again otherwise.
  const snapshot = await loadSnapshot(path, { cache: true });
  const keys: SlotKey[] = [];
  for (const r of records)
    if (r.slotTs) keys.push({ symbol: r.symbol, slotTs: r.slotTs, tradeDate: r.tradeDate });
  const stored = await storedSlotKeys(snapshot, keys, options.connection);
  const fresh: SnapshotRecord[] = [];
  const alreadyStored: SnapshotRecord[] = [];
  for (const r of records) {
    if (r.slotTs && stored.has(slotKeyOf(r.symbol, r.slotTs))) alreadyStored.push(r);
    else fresh.push(r);
  }
  const written = await writeAppend(path, fresh.map(toDeltaRow), {
    txn: options.txn,
    operation: 'WRITE',
    connection: options.connection,
    now: options.now,
    onWarning: options.onWarning,
    snapshot,
  });
  return { written, alreadyStored };
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
    const reads = snapshot ? [{ table: FUTURES_SNAPSHOTS, version: snapshot.version }] : [];
    const reader = await withLakeReadErrors(reads, () =>
      connection.runAndReadAll(
        `SELECT ${selectList(snapshotsTable.schema.fields)} FROM "${view}" ORDER BY ts, symbol`,
      ),
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
