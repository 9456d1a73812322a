import { etMinutesOfWindow } from '../market/zoned.js';
import { NON_RTH_MINUTES, RTH_MINUTES, TRADING_DAYS_PER_YEAR } from './params.js';
import { segmentAtMinute } from './sessions.js';

/** VIX-implied daily 1σ as a fraction ("rule of 16"). */
export function sigmaDayFromVix(vix: number): number {
  return vix / 100 / Math.sqrt(TRADING_DAYS_PER_YEAR);
}

/** The VIX level whose overnight σ equals `sigmaOn` (labels the VIX bucket when no VIX exists). */
export function vixEquivalentOfOvernightSigma(sigmaOn: number, overnightShare: number): number {
  return (sigmaOn / Math.sqrt(overnightShare)) * Math.sqrt(TRADING_DAYS_PER_YEAR) * 100;
}

const EWMA_SEED = 10;

/**
 * RiskMetrics EWMA of squared returns, σ²_t = λσ²_{t−1} + (1−λ)r²_t, seeded with the mean square of
 * the first ten returns so one early outlier does not dominate. Returns the variance after the last return.
 */
export function ewmaVariance(returns: readonly number[], lambda: number): number {
  if (returns.length === 0) return Number.NaN;
  const seedCount = Math.min(EWMA_SEED, returns.length);
  let variance = returns.slice(0, seedCount).reduce((sum, r) => sum + r * r, 0) / seedCount;
  for (const r of returns.slice(seedCount)) variance = lambda * variance + (1 - lambda) * r * r;
  return variance;
}

/** σ = √(w·σ_VIX² + (1−w)·σ_RV²); either side alone when the other is missing. */
export function blendSigma(
  vixSigma: number | null,
  realizedSigma: number | null,
  vixWeight: number,
): number | null {
  if (vixSigma !== null && realizedSigma !== null) {
    return Math.sqrt(vixWeight * vixSigma ** 2 + (1 - vixWeight) * realizedSigma ** 2);
  }
  return vixSigma ?? realizedSigma;
}

export function logReturns(closes: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < closes.length; i++) out.push(Math.log(closes[i]! / closes[i - 1]!));
  return out;
}

export function sampleStdev(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return Number.NaN;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
}

/** Annualised close-to-close volatility of the last `window` returns (fraction); null without enough closes. */
export function realizedVolAnnual(closes: readonly number[], window = 20): number | null {
  if (closes.length < window + 1) return null;
  return Math.sqrt(TRADING_DAYS_PER_YEAR) * sampleStdev(logReturns(closes.slice(-(window + 1))));
}

/** σ_gap = σ_ON·√(1 + κ·n_extra): non-trading days add far less variance than sessions (research §3.3 step 6). */
export function gapFactor(extraCalendarDays: number, kappa: number): number {
  return Math.sqrt(1 + kappa * Math.max(0, extraCalendarDays));
}

/** v(m): the share of a day's variance expected in one minute at New York minute-of-day `m` (research §4.1). */
export function minuteVarianceShare(minuteOfDay: number, overnightShare: number, earlyClose = false): number {
  switch (segmentAtMinute(minuteOfDay, earlyClose)) {
    case 'rth':
      return (1 - overnightShare) / RTH_MINUTES;
    case 'halt':
      return 0;
    default:
      return overnightShare / NON_RTH_MINUTES;
  }
}

const SHARE_CACHE_SIZE = 64;
/** Recent window shares: every index of a check (and the check's windows) asks for the same ones. */
const shareCache = new Map<string, number>();

/** Σ v(m) over the whole minutes of [end − minutes, end). */
export function windowVarianceShare(
  end: Date,
  minutes: number,
  overnightShare: number,
  earlyClose = false,
): number {
  const key = `${Math.floor(end.getTime() / 60_000)}|${minutes}|${overnightShare}|${earlyClose}`;
  const hit = shareCache.get(key);
  if (hit !== undefined) return hit;
  const value = etMinutesOfWindow(end, minutes).reduce(
    (sum, m) => sum + minuteVarianceShare(m, overnightShare, earlyClose),
    0,
  );
  if (shareCache.size >= SHARE_CACHE_SIZE) shareCache.delete(shareCache.keys().next().value as string);
  shareCache.set(key, value);
  return value;
}
