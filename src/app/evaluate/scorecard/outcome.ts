/**
 * What happened after a call, measured on one contract of the reference index from the window slice:
 * the session's open → 10:00 and open → close returns, the worst adverse move, the drawdown below the
 * prior 16:00 ET reference, and the intraday-momentum pair. Only outcomes read prices after the call.
 */
import { etInstant, type NyseSession } from '../../../market/index.js';
import type { PriceSlice, SeriesPoint } from '../../../market/price.js';
import type { LoaderOptions } from '../../../signals/inputs/index.js';
import { contractPoints, latestOf, signalContract } from '../../../signals/inputs/series.js';
import {
  type Direction,
  firstBreach,
  maxAdverseMove,
  type SessionOutcome,
  sessionOutcome,
} from '../../../signals/scorecard.js';
import type { IndexSymbol } from '../../../signals/types.js';

const MINUTE_MS = 60_000;

export interface ContractPrices {
  points: readonly SeriesPoint[];
  conId: number;
  maxAgeMs: number;
}

function priceAt(c: ContractPrices, at: Date): number | null {
  return latestOf(c.points, c.conId, at.getTime(), c.maxAgeMs)?.price ?? null;
}

/** The reference index's contract for a session: `conId` when given (the call's), else the signal contract at the open. */
export function contractOf(
  slice: PriceSlice,
  symbol: IndexSymbol,
  session: NyseSession,
  options: LoaderOptions,
  conId?: number,
): ContractPrices | undefined {
  const points = slice.points.get(symbol) ?? [];
  const maxAgeMs = options.maxInputAgeSeconds * 1000;
  if (conId !== undefined) return { points, conId, maxAgeMs };
  const contract = signalContract(symbol, points, session.open.getTime() - maxAgeMs, session.open, options);
  return contract && { points, conId: contract.conId, maxAgeMs };
}

export interface GradedOutcome extends SessionOutcome {
  maxAdverse: number | null;
}

export function outcomeOf(c: ContractPrices, session: NyseSession, direction: Direction): GradedOutcome {
  const open = priceAt(c, session.open);
  const at1000 = priceAt(c, etInstant(session.date, '10:00'));
  const close = priceAt(c, session.close);
  const path = contractPoints(c.points, c.conId, session.open.getTime(), session.close.getTime());
  return { ...sessionOutcome(open, at1000, close), maxAdverse: maxAdverseMove(open, path, direction) };
}

export interface SessionDrawdownOf {
  referenceAt: Date;
  reference: number | null;
  breachAt: Date | null;
  /** Percent below the reference at the breach. */
  movePct: number | null;
}

/** The first fall of `dropPct` below the prior 16:00 ET (13:00) reference, from that close to this session's. */
export function drawdownOf(
  c: ContractPrices,
  previousClose: Date,
  session: NyseSession,
  dropPct: number,
): SessionDrawdownOf {
  const reference = priceAt(c, previousClose);
  if (reference === null) return { referenceAt: previousClose, reference, breachAt: null, movePct: null };
  const path = contractPoints(c.points, c.conId, previousClose.getTime(), session.close.getTime());
  const breachAt = firstBreach(reference, path, dropPct / 100);
  const at = breachAt === null ? undefined : path.find((p) => p.ts.getTime() === breachAt.getTime());
  return {
    referenceAt: previousClose,
    reference,
    breachAt,
    movePct: at === undefined ? null : (at.price / reference - 1) * 100,
  };
}

/**
 * Gao et al. (signal-anchors.md §2): x = ln(P 10:00 / P prior close), y = ln(P close / P 30 min before
 * the close), on one contract; null when a price is missing.
 */
export function momentumPairOf(
  c: ContractPrices,
  previousClose: Date,
  session: NyseSession,
): { x: number; y: number } | null {
  const prior = priceAt(c, previousClose);
  const at1000 = priceAt(c, etInstant(session.date, '10:00'));
  const late = priceAt(c, new Date(session.close.getTime() - 30 * MINUTE_MS));
  const close = priceAt(c, session.close);
  if (prior === null || at1000 === null || late === null || close === null) return null;
  return { x: Math.log(at1000 / prior), y: Math.log(close / late) };
}
