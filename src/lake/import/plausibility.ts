import type { DuckDBConnection } from '@duckdb/node-api';
import { ET_ZONE, type MarketCalendar } from '../../market/index.js';
import { FUTURES_BARS } from '../tables.js';
import { type Plausibility, problemSql, type RowCheck, type RowCheckSpec } from './checks.js';
import { quoteText } from './sql.js';

/** The default of config import.maxMedianFactor. */
export const DEFAULT_MAX_MEDIAN_FACTOR = 8;
/** The defaults of config import.priceBands. */
export const DEFAULT_PRICE_BANDS: Readonly<Record<string, readonly [number, number]>> = {
  ES: [100, 100_000],
  NQ: [100, 500_000],
  RTY: [50, 50_000],
  VIX: [1, 500],
  VIX3M: [1, 500],
};

/** The import options the plausibility checks read (config import.*). */
export interface PlausibilitySettings {
  priceBands?: Readonly<Record<string, readonly [number, number]>>;
  maxMedianFactor?: number;
  timeZone?: string;
}

/**
 * The file-wide facts the plausibility checks compare a row with: each symbol's median price over the
 * rows that pass the basic checks and lie inside the band (approximate: constant memory), and for daily
 * bars the dates that are no trade date.
 */
export async function plausibility(
  connection: DuckDBConnection,
  parsed: string,
  basic: readonly RowCheck[],
  spec: RowCheckSpec,
  options: PlausibilitySettings,
  calendar: MarketCalendar,
): Promise<Plausibility> {
  const bands = options.priceBands ?? DEFAULT_PRICE_BANDS;
  const price = spec.table === FUTURES_BARS ? 'close' : spec.fields.includes('last') ? 'last' : 'bid';
  const inBand = Object.entries(bands)
    .map(([s, [lo, hi]]) => `(symbol = ${quoteText(s)} AND "${price}" BETWEEN ${lo} AND ${hi})`)
    .join(' OR ');
  const medians: Record<string, number> = {};
  const reader = await connection.runAndReadAll(
    `SELECT symbol, approx_quantile("${price}", 0.5) AS m FROM "${parsed}"
     WHERE (${problemSql(basic)}) IS NULL AND (${inBand}) GROUP BY symbol`,
  );
  for (const r of reader.getRowObjectsJS()) {
    if (typeof r.symbol === 'string' && Number(r.m) > 0) medians[r.symbol] = Number(r.m);
  }
  const closedDates: string[] = [];
  if (spec.daily) {
    const dates = await connection.runAndReadAll(
      `SELECT DISTINCT strftime(CAST(ts AT TIME ZONE 'UTC' AS DATE), '%Y-%m-%d') AS d FROM "${parsed}"
       WHERE ts IS NOT NULL AND year(ts AT TIME ZONE 'UTC') BETWEEN 1970 AND 2199`,
    );
    for (const { d } of dates.getRowObjectsJS()) {
      const date = String(d);
      if (calendar.cmeSession(date) === null && calendar.nyseSession(date) === null) closedDates.push(date);
    }
  }
  const zone = options.timeZone ?? ET_ZONE;
  return {
    bands,
    medians,
    maxMedianFactor: options.maxMedianFactor ?? DEFAULT_MAX_MEDIAN_FACTOR,
    closedDates,
    localTimeZone: spec.daily || zone === 'UTC' ? null : zone,
  };
}
