import type { DuckDBConnection } from '@duckdb/node-api';
import { createLakeView, ensureTable, type LakeWriteOptions } from './lake.js';
import { type BarRecord, fromDbRow, selectList, toDeltaRow } from './records.js';
import { type ReadRange, rangePredicate } from './snapshots.js';
import { barsTable, FUTURES_BARS } from './tables.js';

export interface AppendBarsResult {
  /** Bars written (new). */
  written: number;
  /** Bars already in the table for the same symbol, contract, bar size, what-to-show and start time. */
  duplicates: number;
  /** Delta version written, or the version read when nothing was new. */
  version: number;
}

/**
 * Appends bars that are not already stored: a bar is identified by (symbol, con_id, bar_size,
 * what_to_show, ts). Re-running a backfill or import therefore never duplicates a bar. Callers
 * serialise writers of futures_bars (the backfill lock), because two concurrent anti-joins could
 * both see a bar as new.
 */
export async function appendBars(
  connection: DuckDBConnection,
  dataDir: string,
  bars: readonly BarRecord[],
  options: LakeWriteOptions & { operation?: string } = {},
): Promise<AppendBarsResult> {
  const { loadSnapshot, writeAppend } = await import('../delta/index.js');
  const { rowsToValuesSql } = await import('../delta/write-sql.js');
  const path = await ensureTable(dataDir, barsTable, options);
  const snapshot = await loadSnapshot(path);
  if (bars.length === 0) return { written: 0, duplicates: 0, version: snapshot.version };
  const dates = [...new Set(bars.map((b) => b.tradeDate))].sort();
  const incoming = `bars_in_${Math.random().toString(36).slice(2, 10)}`;
  const existing = `bars_have_${Math.random().toString(36).slice(2, 10)}`;
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE "${incoming}" AS SELECT DISTINCT ON (symbol, con_id, bar_size, what_to_show, ts) * FROM (${rowsToValuesSql(barsTable.schema, bars.map(toDeltaRow))})`,
  );
  try {
    await createLakeView(
      connection,
      dataDir,
      FUTURES_BARS,
      existing,
      { kind: 'in', column: 'trade_date', values: dates },
      snapshot,
    );
    const fresh = `SELECT n.* FROM "${incoming}" n ANTI JOIN "${existing}" e
      ON n.symbol = e.symbol AND n.con_id IS NOT DISTINCT FROM e.con_id AND n.bar_size = e.bar_size
      AND n.what_to_show = e.what_to_show AND n.ts = e.ts`;
    const counted = await connection.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM (${fresh})`);
    const freshCount = Number(counted.getRowObjectsJS()[0]?.n ?? 0);
    if (freshCount === 0) return { written: 0, duplicates: bars.length, version: snapshot.version };
    const result = await writeAppend(
      path,
      { sql: fresh },
      {
        connection,
        snapshot,
        operation: options.operation ?? 'WRITE',
        ...(options.now ? { now: options.now } : {}),
        ...(options.onWarning ? { onWarning: options.onWarning } : {}),
      },
    );
    return { written: freshCount, duplicates: bars.length - freshCount, version: result.version };
  } finally {
    await connection.run(`DROP TABLE IF EXISTS "${incoming}"`);
    await connection.run(`DROP VIEW IF EXISTS "${existing}"`);
  }
}

/** Reads bars of one size in ts order. */
export async function readBars(
  connection: DuckDBConnection,
  dataDir: string,
  range: ReadRange & { barSize: string; whatToShow?: string },
): Promise<{ records: BarRecord[]; version: number | undefined }> {
  const view = `bars_${Math.random().toString(36).slice(2, 10)}`;
  const snapshot = await createLakeView(connection, dataDir, FUTURES_BARS, view, rangePredicate(range));
  try {
    const what = range.whatToShow ? ` AND what_to_show = '${range.whatToShow.replaceAll("'", "''")}'` : '';
    const reader = await connection.runAndReadAll(
      `SELECT ${selectList(barsTable.schema.fields)} FROM "${view}"
       WHERE bar_size = '${range.barSize.replaceAll("'", "''")}'${what} ORDER BY ts, symbol`,
    );
    const records = reader.getRowObjectsJS().map((row) => fromDbRow(row, ['ts']) as unknown as BarRecord);
    return { records, version: snapshot?.version };
  } finally {
    await connection.run(`DROP VIEW IF EXISTS "${view}"`);
  }
}
