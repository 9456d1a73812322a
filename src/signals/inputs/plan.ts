/**
 * What a signal evaluation at `asOf` needs read: the NYSE sessions of the lookback, the reference
 * fixing, and the SliceSpec of prices. Pure calendar logic; the lake read fills the spec.
 */

import { UsageError } from '../../core/errors.js';
import {
  addDays,
  etParts,
  type MarketCalendar,
  type NyseSession,
  previousNyseClose,
} from '../../market/index.js';
import type { CloseTarget, SliceSpec } from '../../market/price.js';
import type { EngineRegime, IndexSymbol } from '../types.js';

const MINUTE_MS = 60_000;
/** The regime's M2 needs 240 minutes of path; a little more covers the 15-min lookback of M3. */
const REGIME_PATH_MINUTES = 250;

export interface LoaderOptions {
  symbols: readonly IndexSymbol[];
  calendar: MarketCalendar;
  /** config signals.maxInputAgeSeconds: the oldest price a reference or fixing may use. */
  maxInputAgeSeconds: number;
  /** config ib.rollDaysBeforeExpiry. */
  rollDays: number;
  /** Past NYSE sessions read for overnight returns and intraday-derived daily closes. */
  lookbackSessions: number;
  /** Calendar days of 1-day bars read (derived regime: SMA50/200, 252-session drawdown). */
  dailyLookbackDays: number;
}

export interface ContextOverrides {
  vix?: number | undefined;
  regime?: EngineRegime | undefined;
}

/**
 * The VIX levels a caller may give (`--vix`, the API's `vix`). VIX has closed between 9 and 90; a level
 * of 0.000001 made σ_ON vanish and the moves −29,645,648σ, a strong call on nothing.
 */
export const VIX_OVERRIDE_RANGE = { min: 1, max: 200 } as const;

/** Refuses a caller's VIX outside VIX_OVERRIDE_RANGE (a usage error naming the value). */
export function checkOverrides(overrides: ContextOverrides): void {
  const vix = overrides.vix;
  if (vix === undefined) return;
  const { min, max } = VIX_OVERRIDE_RANGE;
  if (!Number.isFinite(vix) || vix < min || vix > max) {
    throw new UsageError(`vix ${vix} is not a VIX level: give one between ${min} and ${max}.`, {
      hint: 'VIX has closed between 9 and 90; leave it out to use the level the lake holds.',
    });
  }
}

const sessionsMemo = new WeakMap<MarketCalendar, Map<string, NyseSession[]>>();

/** The NYSE sessions strictly before `date`, `count` of them, ascending (memoised per calendar; do not mutate). */
export function sessionsBefore(date: string, count: number, calendar: MarketCalendar): NyseSession[] {
  let memo = sessionsMemo.get(calendar);
  if (memo === undefined) {
    memo = new Map();
    sessionsMemo.set(calendar, memo);
  }
  const key = `${date}|${count}`;
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  const value = sessionsBeforeNow(date, count, calendar);
  if (memo.size > 4096) memo.clear();
  memo.set(key, value);
  return value;
}

function sessionsBeforeNow(date: string, count: number, calendar: MarketCalendar): NyseSession[] {
  const out: NyseSession[] = [];
  for (let i = 1; out.length < count && i < count * 3 + 30; i++) {
    const s = calendar.nyseSession(addDays(date, -i));
    if (s) out.push(s);
  }
  return out.reverse();
}

/** The NYSE session a pre-market check at `asOf` is for: today's while it has not closed, else the next. */
export function premarketSession(asOf: Date, calendar: MarketCalendar): NyseSession {
  const today = etParts(asOf).date;
  for (let i = 0; i < 30; i++) {
    const s = calendar.nyseSession(addDays(today, i));
    if (s && s.close.getTime() > asOf.getTime()) return s;
  }
  throw new RangeError(`no NYSE session within 30 days after ${asOf.toISOString()}`);
}

/** The last 16:00 ET (13:00 half-day) fixing before the CME session in progress at `asOf` (research §4.3). */
export function regimeReference(asOf: Date, calendar: MarketCalendar): { date: string; close: Date } {
  const tradeDate = tradeDateAt(asOf, calendar);
  const session = calendar.cmeSession(tradeDate);
  const cut = session && session.open.getTime() < asOf.getTime() ? session.open : asOf;
  return previousNyseClose(cut, calendar);
}

function tradeDateAt(asOf: Date, calendar: MarketCalendar): string {
  // Inline of src/market tradeDateOf with the caller's calendar (overrides from config).
  const p = etParts(asOf);
  const nominal = p.minuteOfDay >= 18 * 60 ? addDays(p.date, 1) : p.date;
  for (let i = 0; i < 10; i++) {
    const d = addDays(nominal, i);
    const s = calendar.cmeSession(d);
    if (s && s.close.getTime() > asOf.getTime()) return d;
  }
  return nominal;
}

const closesMemo = new WeakMap<MarketCalendar, Map<string, CloseTarget[]>>();

/** The NYSE closes of the sessions with date in [from, to] that are at or before `until`. */
export function closeTargets(from: string, to: string, until: Date, calendar: MarketCalendar): CloseTarget[] {
  let memo = closesMemo.get(calendar);
  if (memo === undefined) {
    memo = new Map();
    closesMemo.set(calendar, memo);
  }
  const key = `${from}|${to}`;
  let all = memo.get(key);
  if (all === undefined) {
    all = [];
    for (let d = from; d <= to; d = addDays(d, 1)) {
      const s = calendar.nyseSession(d);
      if (s) all.push({ date: d, at: s.close });
    }
    if (memo.size > 4096) memo.clear();
    memo.set(key, all);
  }
  return all.filter((t) => t.at.getTime() <= until.getTime());
}

/** The first date of the daily closes an evaluation on `date` uses. */
export function dailyFromOf(date: string, options: LoaderOptions): string {
  return addDays(date, -options.dailyLookbackDays);
}

function fixingTargets(sessions: readonly NyseSession[], asOf: Date): Date[] {
  const out: Date[] = [];
  for (const s of sessions) {
    if (s.open.getTime() <= asOf.getTime()) out.push(s.open);
    if (s.close.getTime() <= asOf.getTime()) out.push(s.close);
  }
  return out;
}

export interface PremarketPlan {
  kind: 'premarket';
  sessionDate: string;
  reference: { sessionDate: string; earlyClose: boolean; at: Date };
  /** The lookback sessions (ascending) ending with the reference session. */
  sessions: NyseSession[];
  spec: SliceSpec;
}

export interface RegimePlan {
  kind: 'regime';
  reference: { sessionDate: string; at: Date };
  earlyClose: boolean;
  pathFrom: Date;
  sessions: NyseSession[];
  spec: SliceSpec;
}

export function planPremarket(asOf: Date, options: LoaderOptions): PremarketPlan {
  const { calendar } = options;
  const session = premarketSession(asOf, calendar);
  const sessions = sessionsBefore(session.date, options.lookbackSessions + 1, calendar);
  const prev = sessions.at(-1);
  if (prev === undefined) throw new RangeError(`no NYSE session before ${session.date}`);
  const maxAge = options.maxInputAgeSeconds * 1000;
  return {
    kind: 'premarket',
    sessionDate: session.date,
    reference: { sessionDate: prev.date, earlyClose: prev.earlyClose, at: prev.close },
    sessions,
    spec: {
      symbols: options.symbols,
      pointsFrom: new Date(prev.close.getTime() - maxAge),
      pointsTo: asOf,
      fixingTargets: fixingTargets(sessions, asOf),
      fixingMaxAgeMs: maxAge,
      dailyFrom: dailyFromOf(session.date, options),
      dailyTo: session.date,
      closeTargets: closeTargets(dailyFromOf(session.date, options), prev.date, asOf, calendar),
    },
  };
}

export function planRegime(asOf: Date, options: LoaderOptions, until: Date = asOf): RegimePlan {
  const { calendar } = options;
  const ref = regimeReference(asOf, calendar);
  const today = etParts(asOf).date;
  const sessions = sessionsBefore(addDays(etParts(until).date, 1), options.lookbackSessions + 1, calendar);
  const maxAge = options.maxInputAgeSeconds * 1000;
  const pathFrom = regimePathFrom(asOf, ref.close);
  return {
    kind: 'regime',
    reference: { sessionDate: ref.date, at: ref.close },
    earlyClose: calendar.nyseSession(today)?.earlyClose === true,
    pathFrom,
    sessions,
    spec: {
      symbols: options.symbols,
      pointsFrom: new Date(pathFrom.getTime() - maxAge),
      pointsTo: until,
      fixingTargets: fixingTargets(sessions, until),
      fixingMaxAgeMs: maxAge,
      dailyFrom: dailyFromOf(today, options),
      dailyTo: etParts(until).date,
      closeTargets: closeTargets(dailyFromOf(today, options), etParts(until).date, until, calendar),
    },
  };
}

/** The regime path starts at the reference close or 250 minutes before asOf, whichever is earlier. */
export function regimePathFrom(asOf: Date, referenceClose: Date): Date {
  return new Date(Math.min(referenceClose.getTime(), asOf.getTime() - REGIME_PATH_MINUTES * MINUTE_MS));
}
