/**
 * Pure builders: a PriceSlice + an instant → the typed inputs of src/signals. They never use anything
 * stamped after `asOf` (see series.ts for how one contract's prices are cut).
 */
import {
  addDays,
  daysBetween,
  etParts,
  type FuturesSymbol,
  isExpiryDay,
  isRollWeek,
  localSymbol,
  rollStateAt,
} from '../../market/index.js';
import type { PriceSlice, SeriesPoint } from '../../market/price.js';
import { REGIME_RULES } from '../derived-regime.js';
import type {
  IndexSymbol,
  PremarketIndexInput,
  PremarketInputs,
  PricePoint,
  ReferenceCloses,
  RegimeIndexInput,
  RegimeInputs,
} from '../types.js';
import {
  type ContextOverrides,
  dailyFromOf,
  type LoaderOptions,
  type PremarketPlan,
  regimePathFrom,
  regimeReference,
  sessionsBefore,
} from './plan.js';
import {
  type CloseWindow,
  contractPoints,
  dailyCloseSeries,
  latestOf,
  overnightHistoryOf,
  quoteOf,
  referenceOf,
  type SignalContract,
  signalContract,
} from './series.js';
import { vix3mOf, vixClosesOf, vixOf } from './vix.js';

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

/** Where one evaluation cuts each index: reference instant, path start, and the sessions of its closes. */
interface IndexCut extends CloseWindow {
  refAt: Date;
  /** The path covers (pathFrom, asOf]; the signal contract must have a price after pathFrom − maxAge. */
  pathFrom: number;
}

/** One index's input at asOf, with the signal contract chosen (also when no input could be built). */
function indexInputOf(
  slice: PriceSlice,
  symbol: IndexSymbol,
  asOf: Date,
  options: LoaderOptions,
  cut: IndexCut,
): { contract: SignalContract; input: RegimeIndexInput | undefined } | undefined {
  const maxAge = options.maxInputAgeSeconds * 1000;
  const points = slice.points.get(symbol) ?? [];
  const contract = signalContract(symbol, points, cut.pathFrom - maxAge, asOf, options);
  if (!contract) return undefined;
  const latest = latestOf(points, contract.conId, asOf.getTime(), Number.POSITIVE_INFINITY);
  const reference = referenceOf(contract, cut.refAt, points, slice.fixings.get(symbol), asOf, maxAge);
  if (!latest || !reference) return { contract, input: undefined };
  return {
    contract,
    input: {
      conId: contract.conId,
      localSymbol: contract.localSymbol,
      reference,
      current: quoteOf(latest),
      path: toPath(contractPoints(points, contract.conId, cut.pathFrom, asOf.getTime())),
      dailyCloses: dailyCloseSeries(symbol, slice, cut, asOf, contract.conId).closes,
    },
  };
}

/**
 * The closes of the market reference: ES when it has the derived regime's minimum, else the first index
 * that has it, else the index with the most closes. Read whether or not the index has intraday data now
 * (ES daily bars imported without ES intraday still give the regime).
 */
export function referenceClosesOf(
  slice: PriceSlice,
  asOf: Date,
  options: LoaderOptions,
  window: CloseWindow,
  prefer: Partial<Record<IndexSymbol, number>>,
): ReferenceCloses | undefined {
  let best: ReferenceCloses | undefined;
  for (const symbol of options.symbols) {
    const { closes, source } = dailyCloseSeries(symbol, slice, window, asOf, prefer[symbol]);
    if (source === null) continue;
    if (closes.length >= REGIME_RULES.minSessions) return { symbol, closes, source };
    if (best === undefined || closes.length > best.closes.length) best = { symbol, closes, source };
  }
  return best;
}

/** VIX, VIX3M, the regime override and the VIX closes up to `lastDate`: the context of both signals. */
function contextInputsOf(
  slice: PriceSlice,
  asOf: Date,
  options: LoaderOptions,
  overrides: ContextOverrides,
  lastDate: string,
) {
  const maxAge = options.maxInputAgeSeconds * 1000;
  return {
    vix: vixOf(slice, asOf, maxAge, overrides.vix),
    vix3m: vix3mOf(slice, asOf, maxAge),
    regimeOverride: overrides.regime,
    vixCloses: vixClosesOf(slice, asOf, lastDate),
  };
}

export function buildPremarketInputs(
  slice: PriceSlice,
  asOf: Date,
  plan: PremarketPlan,
  options: LoaderOptions,
  overrides: ContextOverrides = {},
): PremarketInputs {
  const refAt = plan.reference.at;
  const cut: IndexCut = {
    refAt,
    pathFrom: refAt.getTime(),
    sessions: plan.sessions,
    firstDate: dailyFromOf(plan.sessionDate, options),
    lastDate: plan.reference.sessionDate,
  };
  const perIndex: Partial<Record<IndexSymbol, PremarketIndexInput>> = {};
  const prefer: Partial<Record<IndexSymbol, number>> = {};
  for (const symbol of options.symbols) {
    const cutOut = indexInputOf(slice, symbol, asOf, options, cut);
    if (cutOut === undefined) continue;
    prefer[symbol] = cutOut.contract.conId;
    if (cutOut.input === undefined) continue;
    perIndex[symbol] = {
      ...cutOut.input,
      daysToExpiry: daysToExpiry(cutOut.contract, symbol, asOf, options),
    };
  }
  return {
    asOf,
    sessionDate: plan.sessionDate,
    reference: { sessionDate: plan.reference.sessionDate, earlyClose: plan.reference.earlyClose },
    perIndex,
    ...contextInputsOf(slice, asOf, options, overrides, plan.reference.sessionDate),
    overnightHistory: overnightHistoryOf(
      slice,
      options.symbols,
      plan.sessions.filter((s) => s.date < plan.sessionDate),
      prefer,
    ),
    referenceCloses: referenceClosesOf(slice, asOf, options, cut, prefer),
    calendar: {
      rollWeek: isRollWeek(asOf, options.rollDays, options.calendar),
      expiryDay: isExpiryDay(plan.sessionDate, options.calendar),
    },
    lake: slice.sources,
  };
}

export function buildRegimeInputs(
  slice: PriceSlice,
  asOf: Date,
  options: LoaderOptions,
  overrides: ContextOverrides = {},
): RegimeInputs {
  const { calendar } = options;
  const ref = regimeReference(asOf, calendar);
  const today = etParts(asOf).date;
  const cut: IndexCut = {
    refAt: ref.close,
    pathFrom: regimePathFrom(asOf, ref.close).getTime(),
    sessions: sessionsBefore(addDays(today, 1), options.lookbackSessions + 1, calendar),
    firstDate: dailyFromOf(today, options),
    lastDate: today,
  };
  const perIndex: Partial<Record<IndexSymbol, RegimeIndexInput>> = {};
  const prefer: Partial<Record<IndexSymbol, number>> = {};
  for (const symbol of options.symbols) {
    const cutOut = indexInputOf(slice, symbol, asOf, options, cut);
    if (cutOut === undefined) continue;
    prefer[symbol] = cutOut.contract.conId;
    if (cutOut.input !== undefined) perIndex[symbol] = cutOut.input;
  }
  return {
    asOf,
    perIndex,
    ...contextInputsOf(slice, asOf, options, overrides, today),
    earlyClose: calendar.nyseSession(today)?.earlyClose === true,
    referenceCloses: referenceClosesOf(slice, asOf, options, cut, prefer),
    lake: slice.sources,
  };
}
