/**
 * Pure builders: a fetched LakeSlice + an instant → the typed inputs of src/signals. They never use
 * anything stamped after `asOf`, never mix contracts within one series, and decide which contract is
 * the signal contract (the active one per the roll rule when it has data, else the latest seen).
 */
import {
  addDays,
  daysBetween,
  etParts,
  type FuturesSymbol,
  isExpiryDay,
  isRollWeek,
  localSymbol,
  type MarketCalendar,
  type NyseSession,
  previousNyseClose,
  rollStateAt,
} from '../../market/index.js';
import type {
  DailyClose,
  EngineRegime,
  IndexSymbol,
  OvernightReturn,
  PremarketIndexInput,
  PremarketInputs,
  PricePoint,
  PriceQuote,
  ReferencePrice,
  RegimeIndexInput,
  RegimeInputs,
  Vix3mInput,
  VixInput,
} from '../../signals/types.js';
import { backAdjustedCloses, type CloseObservation } from './daily.js';
import type { FetchSpec } from './fetch.js';
import type { DailyBar, Fixing, LakeSlice, SeriesPoint } from './types.js';

const MINUTE_MS = 60_000;
/** The regime's M2 needs 240 minutes of path; a little more covers the 15-min lookback of M3. */
const REGIME_PATH_MINUTES = 250;
/** Two contracts' quotes count as a synchronous pair (splice) when at most this far apart. */
const SPLICE_PAIR_MS = 2 * MINUTE_MS;

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

/** The NYSE sessions strictly before `date`, `count` of them, ascending. */
export function sessionsBefore(date: string, count: number, calendar: MarketCalendar): NyseSession[] {
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
  spec: FetchSpec;
}

export interface RegimePlan {
  kind: 'regime';
  reference: { sessionDate: string; at: Date };
  earlyClose: boolean;
  pathFrom: Date;
  sessions: NyseSession[];
  spec: FetchSpec;
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
      dailyFrom: addDays(session.date, -options.dailyLookbackDays),
      dailyTo: session.date,
    },
  };
}

export function planRegime(asOf: Date, options: LoaderOptions, until: Date = asOf): RegimePlan {
  const { calendar } = options;
  const ref = regimeReference(asOf, calendar);
  const today = etParts(asOf).date;
  const sessions = sessionsBefore(addDays(etParts(until).date, 1), options.lookbackSessions + 1, calendar);
  const maxAge = options.maxInputAgeSeconds * 1000;
  const pathFrom = new Date(Math.min(ref.close.getTime(), asOf.getTime() - REGIME_PATH_MINUTES * MINUTE_MS));
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
      dailyFrom: addDays(today, -options.dailyLookbackDays),
      dailyTo: etParts(until).date,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Series helpers

/** Index of the last point with ts ≤ t, or −1. */
function lastAtOrBefore<T extends { ts: Date }>(points: readonly T[], t: number): number {
  let lo = 0;
  let hi = points.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((points[mid] as T).ts.getTime() <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Points of one contract with from < ts ≤ to. */
function contractPoints(
  points: readonly SeriesPoint[],
  conId: number,
  from: number,
  to: number,
): SeriesPoint[] {
  const end = lastAtOrBefore(points, to);
  const out: SeriesPoint[] = [];
  for (let i = end; i >= 0; i--) {
    const p = points[i] as SeriesPoint;
    if (p.ts.getTime() <= from) break;
    if (p.conId === conId) out.push(p);
  }
  return out.reverse();
}

function latestOf(points: readonly SeriesPoint[], conId: number, at: number, maxAgeMs: number) {
  const end = lastAtOrBefore(points, at);
  for (let i = end; i >= 0; i--) {
    const p = points[i] as SeriesPoint;
    if (at - p.ts.getTime() > maxAgeMs) return undefined;
    if (p.conId === conId) return p;
  }
  return undefined;
}

interface SignalContract {
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
  const end = lastAtOrBefore(points, asOf.getTime());
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

function quoteOf(p: SeriesPoint): PriceQuote {
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

/** Daily closes usable at asOf (dates ≤ lastDate): 1-day bars first, intraday closes for the dates they miss. */
export function dailyClosesOf(
  symbol: string,
  slice: LakeSlice,
  sessions: readonly NyseSession[],
  asOf: Date,
  lastDate: string,
  prefer: number | undefined,
): DailyClose[] {
  const bars = (slice.daily.get(symbol) ?? []).filter(
    (b) => b.availableAt.getTime() <= asOf.getTime() && b.date <= lastDate,
  );
  const covered = new Set(bars.map((b) => b.date));
  const observations: CloseObservation[] = bars.map((b) => ({
    date: b.date,
    conId: b.conId,
    close: b.close,
  }));
  const fixings = slice.fixings.get(symbol) ?? [];
  for (const s of sessions) {
    if (covered.has(s.date) || s.date > lastDate || s.close.getTime() > asOf.getTime()) continue;
    for (const f of fixings) {
      if (f.target.getTime() === s.close.getTime()) {
        observations.push({ date: s.date, conId: f.conId, close: f.price });
      }
    }
  }
  return backAdjustedCloses(observations, prefer).closes;
}

/** ln(P(09:30 on d) / P(close of the session before d)) per past session, within one contract. */
export function overnightHistoryOf(
  slice: LakeSlice,
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

function latestDaily(bars: readonly DailyBar[] | undefined, asOf: Date, beforeDate?: string) {
  let found: DailyBar | undefined;
  let previous: DailyBar | undefined;
  for (const b of bars ?? []) {
    if (b.availableAt.getTime() > asOf.getTime()) break;
    if (beforeDate !== undefined && b.date >= beforeDate) break;
    if (found && found.date !== b.date) previous = found;
    found = b;
  }
  return { found, previous };
}

/** VIX: an override, else a live print at most maxAge old, else the latest daily close. */
export function vixOf(
  slice: LakeSlice,
  asOf: Date,
  maxAgeMs: number,
  override?: number,
): VixInput | undefined {
  const prints = slice.prints.get('VIX') ?? [];
  const i = lastAtOrBefore(prints, asOf.getTime());
  const print = i >= 0 ? prints[i] : undefined;
  const daily = slice.daily.get('VIX');
  if (override !== undefined) {
    const prior = latestDaily(daily, asOf, etParts(asOf).date).found?.close ?? print?.priorClose ?? null;
    return { level: override, ts: asOf, priorClose: prior, source: 'override', live: false };
  }
  if (print && asOf.getTime() - print.ts.getTime() <= maxAgeMs) {
    const prior = print.priorClose ?? latestDaily(daily, asOf, etParts(print.ts).date).found?.close ?? null;
    return { level: print.level, ts: print.ts, priorClose: prior, source: 'derived', live: true };
  }
  const { found, previous } = latestDaily(daily, asOf);
  if (found) {
    return {
      level: found.close,
      ts: found.availableAt,
      priorClose: previous?.close ?? null,
      source: 'derived',
      live: false,
    };
  }
  if (print)
    return { level: print.level, ts: print.ts, priorClose: print.priorClose, source: 'derived', live: false };
  return undefined;
}

export function vix3mOf(slice: LakeSlice, asOf: Date, maxAgeMs: number): Vix3mInput | undefined {
  const prints = slice.prints.get('VIX3M') ?? [];
  const i = lastAtOrBefore(prints, asOf.getTime());
  const print = i >= 0 ? prints[i] : undefined;
  if (print && asOf.getTime() - print.ts.getTime() <= maxAgeMs) return { level: print.level, ts: print.ts };
  const { found } = latestDaily(slice.daily.get('VIX3M'), asOf);
  if (found) return { level: found.close, ts: found.availableAt };
  return print ? { level: print.level, ts: print.ts } : undefined;
}

function vixClosesOf(slice: LakeSlice, asOf: Date, lastDate: string): DailyClose[] {
  const out: DailyClose[] = [];
  for (const b of slice.daily.get('VIX') ?? []) {
    if (b.availableAt.getTime() > asOf.getTime() || b.date > lastDate) break;
    if (out.at(-1)?.date === b.date) continue;
    out.push({ date: b.date, close: b.close });
  }
  return out;
}

function daysToExpiry(contract: SignalContract, symbol: IndexSymbol, asOf: Date, options: LoaderOptions) {
  try {
    const state = rollStateAt(asOf, options.rollDays, options.calendar);
    for (const c of [state.front, state.next]) {
      if (localSymbol(symbol as FuturesSymbol, c.month) === contract.localSymbol) {
        return daysBetween(etParts(asOf).date, c.lastTradeDate);
      }
    }
  } catch {
    return null;
  }
  return null;
}

function toPath(points: readonly SeriesPoint[]): PricePoint[] {
  return points.map((p) => ({ ts: p.ts, price: p.price }));
}

// ---------------------------------------------------------------------------------------------
// Builders

export function buildPremarketInputs(
  slice: LakeSlice,
  asOf: Date,
  plan: PremarketPlan,
  options: LoaderOptions,
  overrides: ContextOverrides = {},
): PremarketInputs {
  const maxAge = options.maxInputAgeSeconds * 1000;
  const refAt = plan.reference.at;
  const perIndex: Partial<Record<IndexSymbol, PremarketIndexInput>> = {};
  const prefer: Partial<Record<IndexSymbol, number>> = {};
  for (const symbol of options.symbols) {
    const points = slice.points.get(symbol) ?? [];
    const contract = signalContract(symbol, points, refAt.getTime() - maxAge, asOf, options);
    if (!contract) continue;
    prefer[symbol] = contract.conId;
    const latest = latestOf(points, contract.conId, asOf.getTime(), Number.POSITIVE_INFINITY);
    const reference = referenceOf(contract, refAt, points, slice.fixings.get(symbol), asOf, maxAge);
    if (!latest || !reference) continue;
    perIndex[symbol] = {
      conId: contract.conId,
      localSymbol: contract.localSymbol,
      reference,
      current: quoteOf(latest),
      path: toPath(contractPoints(points, contract.conId, refAt.getTime(), asOf.getTime())),
      daysToExpiry: daysToExpiry(contract, symbol, asOf, options),
      dailyCloses: dailyClosesOf(
        symbol,
        slice,
        plan.sessions,
        asOf,
        plan.reference.sessionDate,
        contract.conId,
      ),
    };
  }
  return {
    asOf,
    sessionDate: plan.sessionDate,
    reference: { sessionDate: plan.reference.sessionDate, earlyClose: plan.reference.earlyClose },
    perIndex,
    vix: vixOf(slice, asOf, maxAge, overrides.vix),
    vix3m: vix3mOf(slice, asOf, maxAge),
    regimeOverride: overrides.regime,
    vixCloses: vixClosesOf(slice, asOf, plan.reference.sessionDate),
    overnightHistory: overnightHistoryOf(
      slice,
      options.symbols,
      plan.sessions.filter((s) => s.date < plan.sessionDate),
      prefer,
    ),
    calendar: {
      rollWeek: isRollWeek(asOf, options.rollDays, options.calendar),
      expiryDay: isExpiryDay(plan.sessionDate, options.calendar),
    },
    lake: slice.lake,
  };
}

export function buildRegimeInputs(
  slice: LakeSlice,
  asOf: Date,
  options: LoaderOptions,
  overrides: ContextOverrides = {},
): RegimeInputs {
  const maxAge = options.maxInputAgeSeconds * 1000;
  const { calendar } = options;
  const ref = regimeReference(asOf, calendar);
  const today = etParts(asOf).date;
  const pathFrom = Math.min(ref.close.getTime(), asOf.getTime() - REGIME_PATH_MINUTES * MINUTE_MS);
  const sessions = sessionsBefore(addDays(today, 1), options.lookbackSessions + 1, calendar);
  const perIndex: Partial<Record<IndexSymbol, RegimeIndexInput>> = {};
  for (const symbol of options.symbols) {
    const points = slice.points.get(symbol) ?? [];
    const contract = signalContract(symbol, points, pathFrom - maxAge, asOf, options);
    if (!contract) continue;
    const latest = latestOf(points, contract.conId, asOf.getTime(), Number.POSITIVE_INFINITY);
    const reference = referenceOf(contract, ref.close, points, slice.fixings.get(symbol), asOf, maxAge);
    if (!latest || !reference) continue;
    perIndex[symbol] = {
      conId: contract.conId,
      localSymbol: contract.localSymbol,
      reference,
      current: quoteOf(latest),
      path: toPath(contractPoints(points, contract.conId, pathFrom, asOf.getTime())),
      dailyCloses: dailyClosesOf(symbol, slice, sessions, asOf, today, contract.conId),
    };
  }
  return {
    asOf,
    perIndex,
    vix: vixOf(slice, asOf, maxAge, overrides.vix),
    vix3m: vix3mOf(slice, asOf, maxAge),
    regimeOverride: overrides.regime,
    vixCloses: vixClosesOf(slice, asOf, today),
    earlyClose: calendar.nyseSession(today)?.earlyClose === true,
    lake: slice.lake,
  };
}
