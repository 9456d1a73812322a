import { INSTRUMENTS, isSymbol } from './instruments.js';

/**
 * The price of a snapshot, written once: the mid when the quote's spread is sane, else the last trade,
 * else no price. A spread is sane when bid > 0, ask ≥ bid and ask − bid is at most SANE_SPREAD_TICKS
 * ticks or SANE_SPREAD_FRACTION of the mid, whichever is wider. `snapshotPrice` is the rule in
 * TypeScript; SNAPSHOT_PRICE_SQL / SNAPSHOT_KIND_SQL are the same rule for a DuckDB row with columns
 * symbol, bid, ask, last, generated from the same constants and the tick sizes of INSTRUMENTS.
 *
 * Also here: the plain records a window of prices is made of (what the signal inputs are built from),
 * so the lake read that fills them and the pure builders that read them share one definition.
 */

/** A quote's spread is sane (use the mid) up to this many ticks … */
export const SANE_SPREAD_TICKS = 4;
/** … or this fraction of the mid, whichever is wider. */
export const SANE_SPREAD_FRACTION = 0.0002;
/** Tick size of a symbol INSTRUMENTS does not list (VIX3M, an imported series). */
export const DEFAULT_TICK_SIZE = 0.01;

export function tickSizeOf(symbol: string): number {
  return isSymbol(symbol) ? INSTRUMENTS[symbol].tickSize : DEFAULT_TICK_SIZE;
}

export interface Quote {
  bid: number | null;
  ask: number | null;
  last: number | null;
}

export type SnapshotPriceKind = 'mid' | 'last';

function saneSpread(symbol: string, bid: number | null, ask: number | null): boolean {
  if (bid === null || ask === null || !(bid > 0) || !(ask >= bid)) return false;
  return (
    ask - bid <= Math.max(SANE_SPREAD_TICKS * tickSizeOf(symbol), (SANE_SPREAD_FRACTION * (bid + ask)) / 2)
  );
}

/** The price of one snapshot of `symbol`, or null when it has neither a sane quote nor a last trade. */
export function snapshotPrice(
  symbol: string,
  quote: Quote,
): { price: number; kind: SnapshotPriceKind } | null {
  const { bid, ask, last } = quote;
  if (saneSpread(symbol, bid, ask)) return { price: ((bid as number) + (ask as number)) / 2, kind: 'mid' };
  if (last !== null && last > 0) return { price: last, kind: 'last' };
  return null;
}

const TICK_SQL = `CASE symbol ${Object.values(INSTRUMENTS)
  .map((i) => `WHEN '${i.symbol}' THEN ${i.tickSize}`)
  .join(' ')} ELSE ${DEFAULT_TICK_SIZE} END`;
const SANE_SQL = `(bid > 0 AND ask >= bid AND ask - bid <= greatest(${SANE_SPREAD_TICKS} * ${TICK_SQL}, ${SANE_SPREAD_FRACTION} * (bid + ask) / 2))`;
/** snapshotPrice(...).price as SQL: NULL when neither a sane quote nor a last trade exists. */
export const SNAPSHOT_PRICE_SQL = `CASE WHEN ${SANE_SQL} THEN (bid + ask) / 2 WHEN last > 0 THEN last ELSE NULL END`;
/** snapshotPrice(...).kind as SQL ('last' also for a row without a price; its price is NULL). */
export const SNAPSHOT_KIND_SQL = `CASE WHEN ${SANE_SQL} THEN 'mid' ELSE 'last' END`;

// ---------------------------------------------------------------------------------------------
// A window of prices

/** One price observation of one contract: a snapshot (snapshotPrice) or a 1-min bar close. */
export interface SeriesPoint {
  /** Observation instant; a 1-minute bar is stamped at its END (start + 60 s). */
  ts: Date;
  price: number;
  /** 0 when the source has no contract id (imported continuous series). */
  conId: number;
  localSymbol: string;
  kind: SnapshotPriceKind | 'bar_close';
  spread: number | null;
}

/** The price in force at a fixing instant (a session's 09:30 open or its 16:00/13:00 close) for one contract. */
export interface Fixing {
  target: Date;
  conId: number;
  localSymbol: string;
  price: number;
  ts: Date;
  kind: 'snapshot' | 'bar_close';
}

/** A 1-day bar; usable from `availableAt` (17:00 ET of its date). */
export interface DailyBar {
  date: string;
  conId: number;
  close: number;
  availableAt: Date;
}

/** An intraday print of an index (VIX, VIX3M). */
export interface IndexPrint {
  ts: Date;
  level: number;
  /** The prior daily close the feed carried, when known. */
  priorClose: number | null;
}

export const CONTEXT_SYMBOLS = ['VIX', 'VIX3M'] as const;
export type ContextSymbol = (typeof CONTEXT_SYMBOLS)[number];

/** Which prices to read for one evaluation (or one replay day). */
export interface SliceSpec {
  /** Futures symbols (ES, NQ, RTY); VIX and VIX3M are always read for context. */
  symbols: readonly string[];
  pointsFrom: Date;
  pointsTo: Date;
  /** Instants at which to fix each contract's price (session opens/closes of the lookback). */
  fixingTargets: readonly Date[];
  /** A fixing uses the latest price at most this old. */
  fixingMaxAgeMs: number;
  /** 1-day bars with date in [dailyFrom, dailyTo]. */
  dailyFrom: string;
  dailyTo: string;
  /**
   * NYSE closes (16:00 ET, 13:00 on half-days) at which to take each contract's intraday price as that
   * date's daily close, for the dates a symbol has no 1-day bar.
   */
  closeTargets?: readonly CloseTarget[];
}

export interface CloseTarget {
  date: string;
  at: Date;
}

/** A table and the version of it that was read. */
export interface TableVersion {
  table: string;
  version: number;
}

/**
 * The prices read for a SliceSpec, before they are cut to one evaluation instant. A slice is read
 * once (one run, or one replay day) and evaluated at one or many instants.
 */
export interface PriceSlice {
  /** Points cover [from, to]. */
  from: Date;
  to: Date;
  /** Per futures symbol, ascending by ts (all contracts mixed; the builders split by conId). */
  points: Map<string, SeriesPoint[]>;
  /** Per futures symbol, ascending by target. */
  fixings: Map<string, Fixing[]>;
  /** Per symbol (futures and VIX/VIX3M), ascending by date. */
  daily: Map<string, DailyBar[]>;
  /** Per futures symbol, intraday prices at the spec's closeTargets (ascending by target), if asked. */
  closes?: Map<string, Fixing[]>;
  /** VIX/VIX3M intraday prints, ascending by ts. */
  prints: Map<ContextSymbol, IndexPrint[]>;
  /** Tables and versions read (echoed into the signal documents). */
  sources: TableVersion[];
}

/** Decimal places of a step such as a tick (0.25 → 2, 0.1 → 1, 0.005 → 3). */
function decimalsOf(step: number): number {
  const text = String(step);
  const dot = text.indexOf('.');
  return dot === -1 ? 0 : text.length - dot - 1;
}

/** `value` on the grid of `step`, without binary noise (2564.1499999999996 → 2564.15). */
function onGrid(value: number, step: number): number {
  return Number((Math.round(value / step) * step).toFixed(decimalsOf(step)));
}

/** A price of `symbol` on its tick grid; null and non-finite values pass through. */
export function onTick<T extends number | null>(symbol: string, price: T): T {
  if (price === null || !Number.isFinite(price)) return price;
  return onGrid(price, tickSizeOf(symbol)) as T;
}

/** The mid of a quote on the half-tick grid, or null when a side is missing or the quote is crossed. */
export function midOnTick(symbol: string, bid: number | null, ask: number | null): number | null {
  if (bid === null || ask === null || bid > ask) return null;
  return onGrid((bid + ask) / 2, tickSizeOf(symbol) / 2);
}

/** A price difference of `symbol` (a spread, a move in points) as a whole number of ticks. */
export function pointsOnTick(symbol: string, points: number): number {
  return onGrid(points, tickSizeOf(symbol));
}

/** A mid-like price of `symbol` (the average of two tick prices) on the half-tick grid. */
export function onHalfTick(symbol: string, price: number): number {
  return Number.isFinite(price) ? onGrid(price, tickSizeOf(symbol) / 2) : price;
}

/**
 * A value read back from storage or computed from two tick prices, with binary noise removed: snapped to
 * the grid of `step` only when it is within a millionth of a step of a grid point (an off-grid value, such
 * as an imported series' price, is kept as it is).
 */
function tidy(value: number, step: number): number {
  if (!Number.isFinite(value)) return value;
  const snapped = onGrid(value, step);
  return Math.abs(snapped - value) <= step * 1e-6 ? snapped : value;
}

/** A price (a mid included) without binary noise: 2564.1499999999996 → 2564.15 on RTY's half-tick grid. */
export function tidyPrice(symbol: string, price: number): number {
  return tidy(price, tickSizeOf(symbol) / 2);
}

/** A price difference (a spread, points) without binary noise: 0.09999999999990905 → 0.1 on RTY. */
export function tidyPoints(symbol: string, points: number): number {
  return tidy(points, tickSizeOf(symbol) / 2);
}
