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
import type {
  IndexSymbol,
  PremarketIndexInput,
  PremarketInputs,
  PricePoint,
  RegimeIndexInput,
  RegimeInputs,
} from '../types.js';
import {
  type ContextOverrides,
  type LoaderOptions,
  type PremarketPlan,
  regimePathFrom,
  regimeReference,
  sessionsBefore,
} from './plan.js';
import {
  contractPoints,
  dailyClosesOf,
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

export function buildPremarketInputs(
  slice: PriceSlice,
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
    lake: slice.sources,
  };
}

export function buildRegimeInputs(
  slice: PriceSlice,
  asOf: Date,
  options: LoaderOptions,
  overrides: ContextOverrides = {},
): RegimeInputs {
  const maxAge = options.maxInputAgeSeconds * 1000;
  const { calendar } = options;
  const ref = regimeReference(asOf, calendar);
  const today = etParts(asOf).date;
  const pathFrom = regimePathFrom(asOf, ref.close).getTime();
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
    lake: slice.sources,
  };
}
