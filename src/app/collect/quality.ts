/**
 * Quality flags stored with every snapshot row (futures_snapshots.quality). Pure.
 *
 * - stale: the last trade is older than collect.staleQuoteSeconds, or (when IB sends no trade time) the
 *   quote is unchanged from a previous snapshot at least that old;
 * - crossed (bid > ask) / locked (bid = ask);
 * - missing_bid / missing_ask / missing_last: the side was not delivered (an index has no bid/ask);
 * - delayed / frozen: the market data type IB delivered (3/4, 2/4) or delayed tick ids;
 * - outlier: |log(price / previous price)| is more than collect.outlierSigma standard deviations of a
 *   per-minute volatility scaled by √minutes since the previous snapshot of the same contract;
 * - partial: the snapshot did not end in time (these are the ticks that arrived) or IB said part of the
 *   data is not subscribed; farm_degraded: taken while the market data farm was reported down;
 * - late: taken more than one slot interval after its slot time.
 */

export type QualityFlag =
  | 'stale'
  | 'crossed'
  | 'locked'
  | 'missing_bid'
  | 'missing_ask'
  | 'missing_last'
  | 'delayed'
  | 'frozen'
  | 'outlier'
  | 'partial'
  | 'farm_degraded'
  | 'late'
  | 'backfill';

/** The fields of a quote the flags look at. */
export interface QuoteFacts {
  secType: string;
  bid: number | null;
  ask: number | null;
  last: number | null;
  /** When the row was taken. */
  ts: Date;
  /** Time of the last trade as IB reported it, when it did. */
  lastTradeAt: Date | null;
  marketDataType: number | null;
  /** Flags the IB module already set (SnapshotFlag). */
  ibFlags: readonly string[];
}

/** The previous snapshot of the same contract. */
export interface PreviousQuote {
  conId: number | null;
  ts: Date;
  bid: number | null;
  ask: number | null;
  last: number | null;
  mid: number | null;
  /** When this quote was first seen unchanged (for stale detection without trade times). */
  unchangedSince: Date;
}

export interface QualityOptions {
  staleQuoteSeconds: number;
  outlierSigma: number;
  /** Per-minute standard deviation of log returns for this instrument. */
  minuteVolatility: number;
  /** Slot time and interval, for the `late` flag. */
  slotTs?: Date | null;
  intervalSeconds?: number;
}

/**
 * Per-minute volatility priors (log-return σ): about 17% (ES), 21% (NQ), 24% (RTY) a year over
 * ~23 trading hours a day, and ~80% for the VIX index. Generous on purpose: an outlier flag should mean
 * a jump a quote feed would not normally produce, not a busy minute.
 */
export const MINUTE_VOLATILITY: Readonly<Record<string, number>> = {
  ES: 0.0003,
  NQ: 0.00037,
  RTY: 0.00042,
  VIX: 0.0035,
};
export const DEFAULT_MINUTE_VOLATILITY = 0.0005;

export function midOf(bid: number | null, ask: number | null): number | null {
  if (bid === null || ask === null || bid > ask) return null;
  return (bid + ask) / 2;
}

/** The price a row is judged by: mid when both sides are sane, else last. */
export function referencePrice(q: {
  bid: number | null;
  ask: number | null;
  last: number | null;
}): number | null {
  return midOf(q.bid, q.ask) ?? q.last;
}

export function sameQuote(
  a: { bid: number | null; ask: number | null; last: number | null },
  b: { bid: number | null; ask: number | null; last: number | null },
): boolean {
  return a.bid === b.bid && a.ask === b.ask && a.last === b.last;
}

const ORDER: readonly QualityFlag[] = [
  'backfill',
  'crossed',
  'delayed',
  'farm_degraded',
  'frozen',
  'late',
  'locked',
  'missing_ask',
  'missing_bid',
  'missing_last',
  'outlier',
  'partial',
  'stale',
];

export function flagQuality(
  quote: QuoteFacts,
  previous: PreviousQuote | null,
  options: QualityOptions,
): QualityFlag[] {
  const flags = new Set<QualityFlag>();
  const ib = new Set(quote.ibFlags);
  const isFuture = quote.secType === 'FUT';
  if (isFuture && quote.bid === null) flags.add('missing_bid');
  if (isFuture && quote.ask === null) flags.add('missing_ask');
  if (quote.last === null) flags.add('missing_last');
  if (quote.bid !== null && quote.ask !== null) {
    if (quote.bid > quote.ask) flags.add('crossed');
    else if (quote.bid === quote.ask) flags.add('locked');
  }
  const type = quote.marketDataType;
  if (type === 3 || type === 4 || ib.has('delayed') || ib.has('delayed_fallback')) flags.add('delayed');
  if (type === 2 || type === 4 || ib.has('frozen')) flags.add('frozen');
  if (ib.has('timed_out_partial') || ib.has('partial_data')) flags.add('partial');
  if (ib.has('farm_degraded')) flags.add('farm_degraded');

  const staleMs = options.staleQuoteSeconds * 1000;
  if (quote.lastTradeAt !== null) {
    if (quote.ts.getTime() - quote.lastTradeAt.getTime() > staleMs) flags.add('stale');
  } else if (previous && sameQuote(quote, previous)) {
    if (quote.ts.getTime() - previous.unchangedSince.getTime() >= staleMs) flags.add('stale');
  }

  const price = referencePrice(quote);
  const before = previous ? (previous.mid ?? previous.last) : null;
  if (previous && price !== null && before !== null && price > 0 && before > 0) {
    const minutes = Math.max(1, (quote.ts.getTime() - previous.ts.getTime()) / 60_000);
    const sigma = options.minuteVolatility * Math.sqrt(minutes);
    if (Math.abs(Math.log(price / before)) > options.outlierSigma * sigma) flags.add('outlier');
  }

  if (options.slotTs && options.intervalSeconds) {
    if (quote.ts.getTime() - options.slotTs.getTime() > options.intervalSeconds * 1000) flags.add('late');
  }
  return ORDER.filter((f) => flags.has(f));
}
