/**
 * The dashboard's price paths: each symbol's stored snapshots between two instants, as parallel arrays
 * (what a chart draws). Read-only: an in-memory DuckDB over the lake's Parquet files, closed per call.
 */
import { UsageError } from '../../core/errors.js';
import { openMemoryConnection } from '../../delta/index.js';
import { FUTURES_SNAPSHOTS, readSnapshots, type SnapshotRecord } from '../../lake/index.js';
import { type MarketCalendar, tradeDateOf } from '../../market/index.js';

export const SERIES_SCHEMA_ID = 'futures.dashboard.series/v1';

/** A request spans at most this long: the Tonight view needs one night, not a year. */
export const MAX_SERIES_MS = 7 * 86_400_000;

export interface SymbolSeries {
  localSymbol: string | null;
  /** Milliseconds since the epoch, ascending. */
  ts: number[];
  /** The mid, else the last trade, else the close (an index such as VIX has no quote). */
  price: number[];
}

export interface SeriesDocument {
  from: string;
  to: string;
  lake: Array<{ table: string; version: number }>;
  series: Record<string, SymbolSeries>;
}

export interface SeriesRequest {
  dataDir: string;
  calendar: MarketCalendar;
  from: Date;
  to: Date;
  symbols: readonly string[];
}

const priceOf = (r: SnapshotRecord): number | null => r.mid ?? r.last ?? r.close;

export async function readSeries(request: SeriesRequest): Promise<SeriesDocument> {
  const { from, to } = request;
  if (!(from.getTime() <= to.getTime())) {
    throw new UsageError(`from ${from.toISOString()} is after to ${to.toISOString()}.`);
  }
  if (to.getTime() - from.getTime() > MAX_SERIES_MS) {
    throw new UsageError('A series spans at most 7 days.', { hint: 'Ask for a shorter from/to range.' });
  }
  const series: Record<string, SymbolSeries> = {};
  for (const symbol of request.symbols) series[symbol] = { localSymbol: null, ts: [], price: [] };
  const owned = await openMemoryConnection();
  try {
    const { records, version } = await readSnapshots(owned.connection, request.dataDir, {
      symbols: request.symbols,
      from,
      to,
      tradeDates: { from: tradeDateOf(from, request.calendar), to: tradeDateOf(to, request.calendar) },
    });
    for (const record of records) {
      const price = priceOf(record);
      const target = series[record.symbol];
      if (price === null || target === undefined) continue;
      target.ts.push(record.ts.getTime());
      target.price.push(price);
      target.localSymbol = record.localSymbol;
    }
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      lake: version === undefined ? [] : [{ table: FUTURES_SNAPSHOTS, version }],
      series,
    };
  } finally {
    owned.close();
  }
}
