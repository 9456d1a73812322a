import type { LakeRead } from '../../signals/types.js';

/**
 * What the signal loaders read from the lake, before it is cut to one evaluation instant.
 * A slice is fetched once (one run, or one replay day) and evaluated at one or many `asOf`s by
 * the pure builders in build.ts, which never look past `asOf`.
 */

/** One price observation of one contract: a snapshot (mid when the spread is sane, else last) or a 1-min bar close. */
export interface SeriesPoint {
  /** Observation instant; a 1-minute bar is stamped at its END (start + 60 s). */
  ts: Date;
  price: number;
  /** 0 when the source has no contract id (imported continuous series). */
  conId: number;
  localSymbol: string;
  kind: 'mid' | 'last' | 'bar_close';
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

/** A 1-day bar (futures_bars bar_size '1 day'); usable from `availableAt` (17:00 ET of its date). */
export interface DailyBar {
  date: string;
  conId: number;
  close: number;
  availableAt: Date;
}

/** An intraday print of an index (VIX, VIX3M) from futures_snapshots. */
export interface IndexPrint {
  ts: Date;
  level: number;
  /** The prior daily close the feed carried (snapshot `close`), when known. */
  priorClose: number | null;
}

export const CONTEXT_SYMBOLS = ['VIX', 'VIX3M'] as const;
export type ContextSymbol = (typeof CONTEXT_SYMBOLS)[number];

export interface LakeSlice {
  /** Points cover [from, to]. */
  from: Date;
  to: Date;
  /** Per futures symbol, ascending by ts (all contracts mixed; the builders split by conId). */
  points: Map<string, SeriesPoint[]>;
  /** Per futures symbol, ascending by target. */
  fixings: Map<string, Fixing[]>;
  /** Per symbol (futures and VIX/VIX3M), ascending by date. */
  daily: Map<string, DailyBar[]>;
  /** VIX/VIX3M intraday prints, ascending by ts. */
  prints: Map<ContextSymbol, IndexPrint[]>;
  /** Tables and versions read (echoed into the documents). */
  lake: LakeRead[];
}
