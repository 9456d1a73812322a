import type { DailyClose, EngineRegime } from './types.js';
import { realizedVolAnnual } from './volatility.js';

/** Research §4.5: rule-based regime from ratio back-adjusted daily closes. */
export const REGIME_RULES = {
  minSessions: 60,
  sma200Sessions: 200,
  drawdownLookback: 252,
  priceBand: 0.005,
  slopeBand: 0.002,
  slopeLag: 10,
  bullMaxDrawdown: -0.08,
  bullMaxVol: 0.25,
  bearDrawdown: -0.08,
  bearVol: 0.25,
  bearVix: 25,
  crashDrawdown: -0.2,
  fastDrawdown: -0.15,
  fastVol: 0.35,
  confirmDays: 3,
  fastConfirmDays: 2,
} as const;

export interface RegimeFeatures {
  date: string;
  close: number;
  sma20: number;
  sma50: number;
  sma200: number | null;
  /** SMA50_t / SMA50_{t−10} − 1. */
  slope50: number;
  /** 20-day close-to-close volatility, annualised fraction. */
  rv20: number;
  /** P / max(P over 252 sessions) − 1. */
  drawdown: number;
  /** s(P − SMA50) + s(SMA20 − SMA50) + s(slope50), −3..3. */
  trend: number;
  vix: number | null;
  classification: EngineRegime;
}

export interface DerivedRegime {
  /** The confirmed regime; null before 60 sessions exist. */
  value: EngineRegime | null;
  /** Date the confirmed regime took effect (the confirming close; the first classified day initially). */
  since: string | null;
  /** A different classification waiting for confirmation. */
  pending: { value: EngineRegime; count: number; needed: number } | null;
  features: RegimeFeatures | null;
  sessions: number;
  reason: string | null;
}

/** Mean of values[from, to). */
function meanRange(values: readonly number[], from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += values[i]!;
  return sum / (to - from);
}

function sign(x: number, band: number): number {
  if (x > band) return 1;
  if (x < -band) return -1;
  return 0;
}

function featuresAt(
  closes: readonly number[],
  t: number,
  date: string,
  vix: number | null,
  volScale: number,
): RegimeFeatures {
  const r = REGIME_RULES;
  const close = closes[t]!;
  const end = t + 1;
  const sma20 = meanRange(closes, end - 20, end);
  const sma50 = meanRange(closes, end - 50, end);
  const sma50Lag = meanRange(closes, end - 50 - r.slopeLag, end - r.slopeLag);
  const sma200 = end >= r.sma200Sessions ? meanRange(closes, end - 200, end) : null;
  const slope50 = sma50 / sma50Lag - 1;
  const rv20 = realizedVolAnnual(closes.slice(end - 21, end), 20) ?? 0;
  let peak = close;
  for (let i = Math.max(0, end - r.drawdownLookback); i < end; i++) peak = Math.max(peak, closes[i]!);
  const drawdown = close / peak - 1;
  const trend =
    sign(close / sma50 - 1, r.priceBand) + sign(sma20 / sma50 - 1, r.priceBand) + sign(slope50, r.slopeBand);
  // Vol and drawdown thresholds are ES's; another index's series is compared in ES terms.
  const dd = drawdown / volScale;
  const rv = rv20 / volScale;
  const bull =
    trend >= 2 && dd > r.bullMaxDrawdown && rv < r.bullMaxVol && (sma200 === null || close > sma200);
  const bear =
    (trend <= -2 && (dd <= r.bearDrawdown || rv >= r.bearVol || (vix !== null && vix >= r.bearVix))) ||
    dd <= r.crashDrawdown;
  const classification: EngineRegime = bear ? 'bearish' : bull ? 'bullish' : 'neutral';
  return { date, close, sma20, sma50, sma200, slope50, rv20, drawdown, trend, vix, classification };
}

/**
 * Classify every day from the 60th close on, then apply the confirmation rule: the regime switches only
 * after 3 consecutive agreeing classifications (2 when DD ≤ −15 % or RV20 ≥ 35 %). Deterministic from
 * the series, so no state needs persisting.
 */
export function deriveRegime(
  series: readonly DailyClose[],
  vixCloses: readonly DailyClose[] = [],
  volScale = 1,
): DerivedRegime {
  const r = REGIME_RULES;
  const closes = series.map((row) => row.close);
  if (series.length < r.minSessions) {
    return {
      value: null,
      since: null,
      pending: null,
      features: null,
      sessions: series.length,
      reason: `${series.length} daily closes; the derived regime needs ${r.minSessions}`,
    };
  }
  const vixByDate = new Map(vixCloses.map((row) => [row.date, row.close]));
  let current: EngineRegime | null = null;
  let since: string | null = null;
  let run: { value: EngineRegime; count: number } | null = null;
  let features: RegimeFeatures | null = null;
  let needed: number = r.confirmDays;
  for (let t = r.minSessions - 1; t < series.length; t++) {
    const date = series[t]!.date;
    features = featuresAt(closes, t, date, vixByDate.get(date) ?? null, volScale);
    const cls = features.classification;
    run = run !== null && run.value === cls ? { value: cls, count: run.count + 1 } : { value: cls, count: 1 };
    needed =
      features.drawdown / volScale <= r.fastDrawdown || features.rv20 / volScale >= r.fastVol
        ? r.fastConfirmDays
        : r.confirmDays;
    if (current === null) {
      current = cls;
      since = date;
    } else if (cls !== current && run.count >= needed) {
      current = cls;
      since = date;
    }
  }
  const pending =
    run !== null && run.value !== current ? { value: run.value, count: run.count, needed } : null;
  return { value: current, since, pending, features, sessions: series.length, reason: null };
}
