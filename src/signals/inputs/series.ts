/**
 * Cutting one signal contract's prices out of a PriceSlice: never anything stamped after `asOf`, never
 * two contracts mixed within one series. The signal contract is the active one per the roll rule when
 * it has data, else the one of the latest price.
 */
import {
  etParts,
  type FuturesSymbol,
  localSymbol,
  type NyseSession,
  rollStateAt,
} from '../../market/index.js';
import type { Fixing, PriceSlice, SeriesPoint } from '../../market/price.js';
import { lastIndexAtOrBefore } from '../path.js';
import type {
  CloseSource,
  DailyClose,
  IndexSymbol,
  OvernightReturn,
  PriceQuote,
  ReferencePrice,
} from '../types.js';
import { backAdjustedCloses, type CloseObservation } from './daily.js';
import type { LoaderOptions } from './plan.js';

const MINUTE_MS = 60_000;
/** Two contracts' quotes count as a synchronous pair (splice) when at most this far apart. */
const SPLICE_PAIR_MS = 2 * MINUTE_MS;

/** Points of one contract with from < ts ≤ to. */
export function contractPoints(
  points: readonly SeriesPoint[],
  conId: number,
  from: number,
  to: number,
): SeriesPoint[] {
  const end = lastIndexAtOrBefore(points, to);
  const out: SeriesPoint[] = [];
  for (let i = end; i >= 0; i--) {
    const p = points[i] as SeriesPoint;
    if (p.ts.getTime() <= from) break;
    if (p.conId === conId) out.push(p);
  }
  return out.reverse();
}

export function latestOf(points: readonly SeriesPoint[], conId: number, at: number, maxAgeMs: number) {
  const end = lastIndexAtOrBefore(points, at);
  for (let i = end; i >= 0; i--) {
    const p = points[i] as SeriesPoint;
    if (at - p.ts.getTime() > maxAgeMs) return undefined;
    if (p.conId === conId) return p;
  }
  return undefined;
}

export interface SignalContract {
  conId: number;
  localSymbol: string;
}

/** The active contract (roll rule) when it has a price in the window, else the contract of the latest price. */
export function signalContract(
  symbol: IndexSymbol,
  points: readonly SeriesPoint[],
  from: number,
  asOf: Date,
  options: LoaderOptions,
): SignalContract | undefined {
  const end = lastIndexAtOrBefore(points, asOf.getTime());
  if (end < 0) return undefined;
  const latest = points[end] as SeriesPoint;
  if (latest.ts.getTime() <= from) return undefined;
  let expected: string | undefined;
  try {
    const state = rollStateAt(asOf, options.rollDays, options.calendar);
    expected = localSymbol(symbol as FuturesSymbol, state.active.month);
  } catch {
    expected = undefined;
  }
  if (expected !== undefined) {
    for (let i = end; i >= 0; i--) {
      const p = points[i] as SeriesPoint;
      if (p.ts.getTime() <= from) break;
      if (p.localSymbol === expected) return { conId: p.conId, localSymbol: p.localSymbol };
    }
  }
  return { conId: latest.conId, localSymbol: latest.localSymbol };
}

export function quoteOf(p: SeriesPoint): PriceQuote {
  return { price: p.price, ts: p.ts, conId: p.conId, kind: p.kind, spread: p.spread };
}

function fixingAt(fixings: readonly Fixing[] | undefined, target: number, conId: number) {
  return fixings?.find((f) => f.target.getTime() === target && f.conId === conId);
}

/**
 * P_ref of the signal contract at T_ref: its fixing (or the latest price at most maxAge before T_ref);
 * when the contract has none (first day of collecting it), the old contract's reference spliced by the
 * ratio of a synchronous pair of quotes after T_ref (research §2.5 rule 1); failing both, the
 * contract's first price after T_ref, which the signal then drops as reference_missing.
 */
export function referenceOf(
  contract: SignalContract,
  refAt: Date,
  points: readonly SeriesPoint[],
  fixings: readonly Fixing[] | undefined,
  asOf: Date,
  maxAgeMs: number,
): ReferencePrice | undefined {
  const t = refAt.getTime();
  const own = fixingAt(fixings, t, contract.conId);
  if (own) return { price: own.price, ts: own.ts, conId: contract.conId, kind: kindOfFixing(own.kind) };
  const near = latestOf(points, contract.conId, t, maxAgeMs);
  if (near) {
    return {
      price: near.price,
      ts: near.ts,
      conId: contract.conId,
      kind: near.kind === 'bar_close' ? 'bar_close' : 'snapshot',
    };
  }
  const after = contractPoints(points, contract.conId, t, asOf.getTime());
  for (const old of fixings?.filter((f) => f.target.getTime() === t && f.conId !== contract.conId) ?? []) {
    for (const p of after) {
      const pair = latestOf(points, old.conId, p.ts.getTime(), SPLICE_PAIR_MS);
      if (pair) {
        return {
          price: (old.price * p.price) / pair.price,
          ts: old.ts,
          conId: contract.conId,
          kind: 'spliced',
        };
      }
    }
  }
  const first = after[0];
  if (first === undefined) return undefined;
  return {
    price: first.price,
    ts: first.ts,
    conId: contract.conId,
    kind: first.kind === 'bar_close' ? 'bar_close' : 'snapshot',
  };
}

function kindOfFixing(kind: Fixing['kind']): ReferencePrice['kind'] {
  return kind === 'bar_close' ? 'bar_close' : 'snapshot';
}

const sliceMemos = new WeakMap<PriceSlice, Map<string, unknown>>();

/**
 * A value computed once per slice and key. The builders cut day-level series (daily closes, VIX closes)
 * from the same slice at every check of a replay; the key holds everything the value depends on.
 */
export function memoOnSlice<T>(slice: PriceSlice, key: string, compute: () => T): T {
  let memo = sliceMemos.get(slice);
  if (memo === undefined) {
    memo = new Map();
    sliceMemos.set(slice, memo);
  }
  if (memo.has(key)) return memo.get(key) as T;
  const value = compute();
  memo.set(key, value);
  return value;
}

/** How many items of an ascending list are at or before `at` (by `time`). */
export function countAtOrBefore<T>(items: readonly T[], at: number, time: (item: T) => number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (time(items[mid] as T) <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The window of daily closes an evaluation reads: [firstDate, lastDate], sessions of the lookback. */
export interface CloseWindow {
  firstDate: string;
  lastDate: string;
  sessions: readonly NyseSession[];
}

/**
 * Daily closes usable at asOf with date in [firstDate, lastDate]: 1-day bars first; for the dates they
 * miss, each contract's intraday price at the NYSE close (the slice's closes, else its fixings). Back-
 * adjusted across rolls (backAdjustedCloses); `source` says which kinds went in.
 */
export function dailyCloseSeries(
  symbol: string,
  slice: PriceSlice,
  window: CloseWindow,
  asOf: Date,
  prefer: number | undefined,
): { closes: DailyClose[]; source: CloseSource | null } {
  const t = asOf.getTime();
  const key = [
    'closes',
    symbol,
    window.firstDate,
    window.lastDate,
    prefer,
    countAtOrBefore(slice.daily.get(symbol) ?? [], t, (b) => b.availableAt.getTime()),
    countAtOrBefore(slice.closes?.get(symbol) ?? [], t, (f) => f.target.getTime()),
    window.sessions[0]?.date,
    countAtOrBefore(window.sessions, t, (s) => s.close.getTime()),
  ].join('|');
  return memoOnSlice(slice, key, () => closeSeriesNow(symbol, slice, window, asOf, prefer));
}

function closeSeriesNow(
  symbol: string,
  slice: PriceSlice,
  window: CloseWindow,
  asOf: Date,
  prefer: number | undefined,
): { closes: DailyClose[]; source: CloseSource | null } {
  const { firstDate, lastDate } = window;
  const bars = (slice.daily.get(symbol) ?? []).filter(
    (b) => b.availableAt.getTime() <= asOf.getTime() && b.date <= lastDate && b.date >= firstDate,
  );
  const covered = new Set(bars.map((b) => b.date));
  const observations: CloseObservation[] = bars.map((b) => ({
    date: b.date,
    conId: b.conId,
    close: b.close,
  }));
  const intraday = new Set<string>();
  const take = (date: string, f: Fixing) => {
    observations.push({ date, conId: f.conId, close: f.price });
    intraday.add(date);
  };
  for (const f of slice.closes?.get(symbol) ?? []) {
    if (f.target.getTime() > asOf.getTime()) break;
    const date = etParts(f.target).date;
    if (date < firstDate || date > lastDate || covered.has(date)) continue;
    take(date, f);
  }
  const fixings = slice.fixings.get(symbol) ?? [];
  for (const s of window.sessions) {
    if (covered.has(s.date) || intraday.has(s.date)) continue;
    if (s.date > lastDate || s.date < firstDate || s.close.getTime() > asOf.getTime()) continue;
    for (const f of fixings) if (f.target.getTime() === s.close.getTime()) take(s.date, f);
  }
  const closes = backAdjustedCloses(observations, prefer).closes;
  const source: CloseSource | null =
    closes.length === 0
      ? null
      : intraday.size === 0
        ? 'daily_bars'
        : covered.size === 0
          ? 'intraday'
          : 'mixed';
  return { closes, source };
}

/** ln(P(09:30 on d) / P(close of the session before d)) per past session, within one contract. */
export function overnightHistoryOf(
  slice: PriceSlice,
  symbols: readonly IndexSymbol[],
  sessions: readonly NyseSession[],
  prefer: Partial<Record<IndexSymbol, number>>,
): OvernightReturn[] {
  const out: OvernightReturn[] = [];
  for (let i = 1; i < sessions.length; i++) {
    const prev = sessions[i - 1] as NyseSession;
    const day = sessions[i] as NyseSession;
    const returns: Partial<Record<IndexSymbol, number>> = {};
    for (const symbol of symbols) {
      const fixings = slice.fixings.get(symbol) ?? [];
      const opens = fixings.filter((f) => f.target.getTime() === day.open.getTime());
      const pairs = opens
        .map((o) => ({ o, c: fixingAt(fixings, prev.close.getTime(), o.conId) }))
        .filter((x): x is { o: Fixing; c: Fixing } => x.c !== undefined);
      const pick = pairs.find((x) => x.o.conId === prefer[symbol]) ?? pairs[0];
      if (pick) returns[symbol] = Math.log(pick.o.price / pick.c.price);
    }
    if (Object.keys(returns).length > 0) out.push({ sessionDate: day.date, returns });
  }
  return out;
}
