/**
 * The dashboard's price paths: each symbol's stored snapshots between two instants, as parallel arrays
 * (what a chart draws). Read-only: an in-memory DuckDB over the lake's Parquet files, closed per call.
 */
import { UsageError } from '../../core/errors.js';
import { openMemoryConnection } from '../../delta/index.js';
import { FUTURES_SNAPSHOTS, readSnapshots, type SnapshotRecord } from '../../lake/index.js';
import { cmeStatusAt, type MarketCalendar, tradeDateOf } from '../../market/index.js';
import { premarketSession, sessionsBefore } from '../../signals/inputs/index.js';

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

/** What CME equity was doing over a stretch: a trading segment, or why it was closed. */
export type SessionKind =
  | 'overnight'
  | 'rth'
  | 'post'
  | 'halt'
  | 'weekend'
  | 'holiday'
  | 'early_close'
  | 'closed';

export interface SessionBand {
  kind: SessionKind;
  /** Milliseconds since the epoch, [from, to). */
  from: number;
  to: number;
}

export interface SeriesDocument {
  from: string;
  to: string;
  lake: Array<{ table: string; version: number }>;
  series: Record<string, SymbolSeries>;
  /** The sessions over [from, to], for shading the charts. */
  sessions: SessionBand[];
}

/** Every session boundary (open, halt, segment change, early close) falls on a multiple of five minutes. */
const BAND_STEP_MS = 5 * 60_000;

/** The market's state over [from, to] as bands, from the calendar's own answer at each five minutes. */
export function sessionBands(from: Date, to: Date, calendar: MarketCalendar): SessionBand[] {
  const bands: SessionBand[] = [];
  const end = to.getTime();
  let t = from.getTime();
  while (t < end) {
    const status = cmeStatusAt(new Date(t), calendar);
    const kind: SessionKind = status.open
      ? (status.segment ?? 'overnight')
      : status.reason === 'open'
        ? 'closed'
        : status.reason;
    const next = Math.min(end, (Math.floor(t / BAND_STEP_MS) + 1) * BAND_STEP_MS);
    const last = bands.at(-1);
    if (last !== undefined && last.kind === kind && last.to === t) last.to = next;
    else bands.push({ kind, from: t, to: next });
    t = next;
  }
  return bands;
}

/**
 * The stretch a session's charts cover: from the 16:00 ET reference of the pre-market call at `asOf`
 * (the same reference the call measures from) to `asOf`.
 */
export function sessionWindow(asOf: Date, calendar: MarketCalendar): { from: Date; to: Date } {
  const session = premarketSession(asOf, calendar);
  const reference = sessionsBefore(session.date, 1, calendar).at(-1);
  if (reference === undefined) throw new RangeError(`no NYSE session before ${session.date}`);
  return { from: reference.close, to: asOf };
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
      sessions: sessionBands(from, to, request.calendar),
    };
  } finally {
    owned.close();
  }
}
