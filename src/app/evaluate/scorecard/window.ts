/**
 * The window of a scorecard read once: one PriceSlice covering every call, check and outcome (plus the
 * lookbacks), cut in memory into the slice each session's evaluations would have read. Cutting never
 * changes a price: a fixing of the big read is the fixing a small read computes for the same target.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { fetchSlice, type TableSnapshots } from '../../../lake/signal-inputs.js';
import { etInstant, etParts, type NyseSession } from '../../../market/index.js';
import type { PriceSlice, SliceSpec } from '../../../market/price.js';
import { type LoaderOptions, regimeReference, sessionsBefore } from '../../../signals/inputs/index.js';
import { closeTargets, dailyFromOf, regimePathFrom } from '../../../signals/inputs/plan.js';
import { lastIndexAtOrBefore } from '../../../signals/path.js';

const MINUTE_MS = 60_000;

export interface WindowPlan {
  sessions: NyseSession[];
  /** The first instant any evaluation looks at (derivation, regime path, premarket reference). */
  from: Date;
  to: Date;
  /** Lookback sessions before the first session plus the window's sessions. */
  fixingSessions: NyseSession[];
}

/** Everything a scorecard over `sessions` reads, from `firstCheck` of the first session minus the lookbacks. */
export function planWindow(
  sessions: readonly NyseSession[],
  firstCheckAt: Date,
  deriveMinutes: number,
  options: LoaderOptions,
): WindowPlan {
  const first = sessions[0];
  const last = sessions.at(-1);
  if (first === undefined || last === undefined) throw new RangeError('planWindow: no sessions');
  const lookback = sessionsBefore(first.date, options.lookbackSessions + 2, options.calendar);
  const prevClose = lookback.at(-1)?.close ?? first.open;
  const deriveFrom = new Date(firstCheckAt.getTime() - deriveMinutes * MINUTE_MS);
  const maxAge = options.maxInputAgeSeconds * 1000;
  const earliest = Math.min(prevClose.getTime(), regimePathFrom(deriveFrom, prevClose).getTime()) - maxAge;
  return {
    sessions: [...sessions],
    from: new Date(earliest),
    to: last.close,
    fixingSessions: [...lookback, ...sessions],
  };
}

export function windowSpec(plan: WindowPlan, options: LoaderOptions): SliceSpec {
  const last = plan.sessions.at(-1) as NyseSession;
  return {
    symbols: options.symbols,
    pointsFrom: plan.from,
    pointsTo: plan.to,
    fixingTargets: plan.fixingSessions.flatMap((s) => [s.open, s.close]),
    fixingMaxAgeMs: options.maxInputAgeSeconds * 1000,
    dailyFrom: dailyFromOf(etParts(plan.from).date, options),
    dailyTo: last.date,
    closeTargets: closeTargets(
      dailyFromOf(etParts(plan.from).date, options),
      last.date,
      last.close,
      options.calendar,
    ),
  };
}

/** One read of the whole window; undefined when the lake holds neither futures table. */
export async function loadWindow(
  source: { connection: DuckDBConnection; dataDir: string; tables: TableSnapshots },
  plan: WindowPlan,
  options: LoaderOptions,
): Promise<PriceSlice | undefined> {
  return fetchSlice(source.connection, source.dataDir, windowSpec(plan, options), source.tables);
}

function between<T extends { ts: Date }>(list: readonly T[], from: number, to: number): T[] {
  const end = lastIndexAtOrBefore(list, to);
  const start = lastIndexAtOrBefore(list, from - 1) + 1;
  return end < start ? [] : list.slice(start, end + 1);
}

/**
 * The part of a window slice with points in [from, to], fixings targeted in [fixingsFrom, to] and
 * daily bars dated [dailyFrom, dailyTo]: what one day's evaluations would have read on their own.
 */
export function cutSlice(
  slice: PriceSlice,
  range: {
    from: Date;
    to: Date;
    fixingsFrom: Date;
    dailyFrom: string;
    dailyTo: string;
    /** Keep only daily bars available by then. */
    dailyAvailableBy?: Date;
  },
): PriceSlice {
  const availableBy = range.dailyAvailableBy?.getTime() ?? Number.POSITIVE_INFINITY;
  const from = range.from.getTime();
  const to = range.to.getTime();
  const fixFrom = range.fixingsFrom.getTime();
  const points = new Map([...slice.points].map(([s, list]) => [s, between(list, from, to)]));
  const prints = new Map([...slice.prints].map(([s, list]) => [s, between(list, from, to)]));
  const fixings = new Map(
    [...slice.fixings].map(([s, list]) => [
      s,
      list.filter((f) => f.target.getTime() >= fixFrom && f.target.getTime() <= to),
    ]),
  );
  const closesFrom = etInstant(range.dailyFrom, '00:00').getTime();
  const closesTo = Math.min(to, availableBy);
  const closes =
    slice.closes &&
    new Map(
      [...slice.closes].map(([s, list]) => [
        s,
        list.filter((f) => f.target.getTime() >= closesFrom && f.target.getTime() <= closesTo),
      ]),
    );
  const daily = new Map(
    [...slice.daily].map(([s, list]) => [
      s,
      list.filter(
        (b) => b.date >= range.dailyFrom && b.date <= range.dailyTo && b.availableAt.getTime() <= availableBy,
      ),
    ]),
  );
  const cut: PriceSlice = {
    from: range.from,
    to: range.to,
    points,
    fixings,
    daily,
    prints,
    sources: slice.sources,
  };
  if (closes !== undefined) cut.closes = closes;
  return cut;
}

/**
 * The slice one NYSE session's evaluations read, from the first of them (`firstAt`, at or before the
 * pre-market call) through the session's close: the regime path and reference of `firstAt`, the
 * lookback sessions' fixings and the daily bars.
 */
export function sessionSlice(
  slice: PriceSlice,
  session: NyseSession,
  firstAt: Date,
  options: LoaderOptions,
): PriceSlice {
  const lookback = sessionsBefore(session.date, options.lookbackSessions + 2, options.calendar);
  const maxAge = options.maxInputAgeSeconds * 1000;
  const reference = regimeReference(firstAt, options.calendar).close;
  const prevClose = lookback.at(-1)?.close ?? reference;
  const from = Math.min(regimePathFrom(firstAt, reference).getTime(), prevClose.getTime()) - maxAge;
  return cutSlice(slice, {
    from: new Date(from),
    to: session.close,
    fixingsFrom: lookback[0]?.open ?? etInstant(session.date, '00:00'),
    dailyFrom: dailyFromOf(etParts(firstAt).date, options),
    dailyTo: session.date,
  });
}
