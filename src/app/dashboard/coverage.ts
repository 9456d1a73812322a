/**
 * Collection coverage per symbol and hour: the snapshots the lake holds against the slots the collector's
 * period allows while CME equity trades (the calendar's answer, as for the charts' shading). An hour the
 * market was closed all through carries the calendar's reason (halt, weekend, holiday, early close). What a
 * backfill filled is counted apart: snapshot rows it wrote and 1-minute bars (each covers a minute of
 * slots). Read-only: an in-memory DuckDB over the lake, closed per call.
 */
import { openMemoryConnection } from '../../delta/index.js';
import { FUTURES_BARS, FUTURES_SNAPSHOTS, readBars, readSnapshots } from '../../lake/index.js';
import { type MarketCalendar, tradeDateOf } from '../../market/index.js';
import { type SessionBand, sessionBands } from './series.js';

export const COVERAGE_SCHEMA_ID = 'futures.dashboard.coverage/v1';

const HOUR_MS = 3_600_000;

export interface CoverageHour {
  /** Milliseconds since the epoch of the hour's start. */
  hour: number;
  /** Slots the collector's period allows in the hour's open minutes. */
  expected: number;
  /** Rows collected live (any source but backfill); slots a backfill filled (its rows, 1-minute bars). */
  rows: number;
  backfilled: number;
  /** Why the market was closed all hour (a SessionBand kind), or null when it traded. */
  closed: string | null;
}

export interface CoverageDocument {
  from: string;
  to: string;
  intervalSeconds: number;
  lake: Array<{ table: string; version: number }>;
  symbols: Record<string, CoverageHour[]>;
}

export interface CoverageRequest {
  dataDir: string;
  calendar: MarketCalendar;
  /** The window ends here; it covers the `hours` whole hours before (the current hour included). */
  to: Date;
  hours: number;
  intervalSeconds: number;
  symbols: readonly string[];
}

const OPEN_KINDS = new Set(['overnight', 'rth', 'post']);

/** Open milliseconds per hour, and the closed kind that covered most of each fully closed hour. */
function hoursOf(bands: readonly SessionBand[], first: number, count: number) {
  const open = new Array<number>(count).fill(0);
  const closedBy = Array.from({ length: count }, () => new Map<string, number>());
  for (const band of bands) {
    for (let t = band.from; t < band.to; ) {
      const i = Math.floor((t - first) / HOUR_MS);
      const end = Math.min(band.to, first + (i + 1) * HOUR_MS);
      if (i >= 0 && i < count) {
        if (OPEN_KINDS.has(band.kind)) open[i]! += end - t;
        else closedBy[i]!.set(band.kind, (closedBy[i]!.get(band.kind) ?? 0) + end - t);
      }
      t = end;
    }
  }
  const closed = closedBy.map((kinds, i) => {
    if (open[i]! > 0) return null;
    return [...kinds].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'closed';
  });
  return { open, closed };
}

export async function readCoverage(request: CoverageRequest): Promise<CoverageDocument> {
  const last = Math.floor(request.to.getTime() / HOUR_MS) * HOUR_MS;
  const first = last - (request.hours - 1) * HOUR_MS;
  const from = new Date(first);
  const bands = sessionBands(from, request.to, request.calendar);
  const { open, closed } = hoursOf(bands, first, request.hours);
  const step = request.intervalSeconds * 1000;
  const symbols: Record<string, CoverageHour[]> = {};
  for (const symbol of request.symbols) {
    symbols[symbol] = open.map((ms, i) => ({
      hour: first + i * HOUR_MS,
      expected: Math.round(ms / step),
      rows: 0,
      backfilled: 0,
      closed: closed[i] ?? null,
    }));
  }
  const owned = await openMemoryConnection();
  try {
    const range = {
      symbols: request.symbols,
      from,
      to: request.to,
      tradeDates: {
        from: tradeDateOf(from, request.calendar),
        to: tradeDateOf(request.to, request.calendar),
      },
    };
    const hourOf = (symbol: string, ts: Date) =>
      symbols[symbol]?.[Math.floor((ts.getTime() - first) / HOUR_MS)];
    const { records, version } = await readSnapshots(owned.connection, request.dataDir, range);
    for (const record of records) {
      const hour = hourOf(record.symbol, record.ts);
      if (hour === undefined) continue;
      if (record.source === 'backfill') hour.backfilled += 1;
      else hour.rows += 1;
    }
    const bars = await readBars(owned.connection, request.dataDir, { ...range, barSize: '1 min' });
    for (const bar of bars.records) {
      const hour = hourOf(bar.symbol, bar.ts);
      if (hour !== undefined) hour.backfilled += 60_000 / step;
    }
    for (const hours of Object.values(symbols)) {
      for (const hour of hours) hour.backfilled = Math.round(hour.backfilled);
    }
    const lake = [];
    if (version !== undefined) lake.push({ table: FUTURES_SNAPSHOTS, version });
    if (bars.version !== undefined) lake.push({ table: FUTURES_BARS, version: bars.version });
    return {
      from: from.toISOString(),
      to: request.to.toISOString(),
      intervalSeconds: request.intervalSeconds,
      lake,
      symbols,
    };
  } finally {
    owned.close();
  }
}
