import { addDays, daysBetween, etParts, etWallTime, weekdayOf } from '../../market/zoned.js';
import {
  type Measured,
  measuredOf,
  perIndexRecord,
  type SignalContext,
  screenIndices,
  signalContext,
  validateContextInputs,
  validateIndexInput,
} from '../context.js';
import { InvalidSignalInputError, NoUsableInputError } from '../errors.js';
import { OVERNIGHT_LIMIT, type SignalsConfig } from '../params.js';
import { priceAt, resampleByOrder, seriesUntil } from '../path.js';
import type { DroppedIndex, PremarketDocument } from '../schemas.js';
import { referenceInstant } from '../sessions.js';
import { INDEX_SYMBOLS, type IndexSymbol, type PremarketIndexInput, type PremarketInputs } from '../types.js';
import { requireDate, requireFinite, requireInstant } from '../validate.js';
import { blendSigma, ewmaVariance, gapFactor, sigmaDayFromVix } from '../volatility.js';

/** Step 1 of the pre-market signal: validate the inputs and measure every index against σ_gap. */

export type IndexMeasures = NonNullable<PremarketDocument['measures']['perIndex']['ES']>;

const SPARKLINE_POINTS = 24;
export const AGREE_MIN_Z = 0.5;
const LATE_SHARE = 0.5;
const LIMIT_DISTANCE_PCT = 0.5;
const PHI_FLOOR = 0.05;

export function validatePremarket(inputs: PremarketInputs): void {
  requireInstant(inputs.asOf, 'asOf');
  requireDate(inputs.sessionDate, 'sessionDate');
  requireDate(inputs.reference.sessionDate, 'reference.sessionDate');
  if (inputs.reference.sessionDate >= inputs.sessionDate) {
    throw new InvalidSignalInputError(
      'reference.sessionDate',
      `(${inputs.reference.sessionDate}) must be before sessionDate ${inputs.sessionDate}`,
    );
  }
  const refTime = referenceInstant(inputs.reference.sessionDate, inputs.reference.earlyClose);
  if (inputs.asOf.getTime() <= refTime.getTime()) {
    throw new InvalidSignalInputError(
      'asOf',
      `(${inputs.asOf.toISOString()}) must be after T_ref ${refTime.toISOString()}`,
    );
  }
  validateContextInputs(inputs.vix, inputs.vix3m, inputs.regimeOverride, inputs.vixCloses);
  inputs.overnightHistory.forEach((row, i) => {
    requireDate(row.sessionDate, `overnightHistory[${i}].sessionDate`);
    if (row.sessionDate >= inputs.sessionDate) {
      throw new InvalidSignalInputError(
        `overnightHistory[${i}].sessionDate`,
        `(${row.sessionDate}) is not before sessionDate ${inputs.sessionDate}: no look-ahead`,
      );
    }
    for (const [symbol, r] of Object.entries(row.returns))
      requireFinite(r, `overnightHistory[${i}].returns.${symbol}`);
  });
  for (const symbol of INDEX_SYMBOLS) {
    const input = inputs.perIndex[symbol];
    if (input === undefined) continue;
    validateIndexInput(symbol, input, inputs.asOf);
    if (input.limitUpPrice !== undefined && input.limitUpPrice !== null) {
      requireFinite(input.limitUpPrice, `perIndex.${symbol}.limitUpPrice`);
    }
  }
}

/** Extra calendar days in the gap and whether any of them is a weekday (a holiday). */
function gapDays(referenceDate: string, sessionDate: string): { extraDays: number; holiday: boolean } {
  const extraDays = daysBetween(referenceDate, sessionDate) - 1;
  let holiday = false;
  for (let k = 1; k <= extraDays; k++) {
    const weekday = weekdayOf(addDays(referenceDate, k));
    if (weekday !== 0 && weekday !== 6) holiday = true;
  }
  return { extraDays, holiday };
}

/** Share of the night elapsed: 0 at or before 04:00 ET on D, 1 at 09:25 ET or later (research §3.7 Tm). */
export function nightProgress(asOf: Date, sessionDate: string): number {
  const { date, minuteOfDay } = etParts(asOf);
  if (date < sessionDate) return 0;
  if (date > sessionDate) return 1;
  return Math.min(1, Math.max(0, (minuteOfDay - 240) / (565 - 240)));
}

/** φ(t): share of the overnight variance normally realised by t; linear from the 18:00 ET reopen to 09:30. */
function elapsedShare(asOf: Date, sessionDate: string): number {
  const start = etWallTime(addDays(sessionDate, -1), 18).getTime();
  const open = etWallTime(sessionDate, 9, 30).getTime();
  return Math.min(1, Math.max(PHI_FLOOR, (asOf.getTime() - start) / (open - start)));
}

export interface IndexWork {
  input: PremarketIndexInput;
  measures: IndexMeasures;
  /** ln move after 08:25 ET, or null. */
  late: number | null;
}

export type MeasuredIndex = Measured<IndexWork>;

interface IndexScale {
  asOf: Date;
  refTime: Date;
  sessionDate: string;
  sigmaOn: number;
  gap: number;
  ratio: { ratio: number; source: 'rv20' | 'default' | 'es' };
  phi: number;
  config: SignalsConfig;
}

function pathMeasures(input: PremarketIndexInput, ctx: IndexScale) {
  const ref = input.reference.price;
  const price = input.current.price;
  const series = seriesUntil(input.path, ctx.refTime.getTime() - 1, ctx.asOf.getTime(), {
    ts: input.current.ts,
    price,
  });
  const prices = [ref, ...series.map((p) => p.price)];
  const high = Math.max(...prices);
  const low = Math.min(...prices);
  const giveBack =
    price >= ref
      ? high > ref
        ? (high - price) / (high - ref)
        : null
      : low < ref
        ? (price - low) / (ref - low)
        : null;
  const t0825 = etWallTime(ctx.sessionDate, 8, 25).getTime();
  const p0825 =
    ctx.asOf.getTime() >= t0825 ? priceAt(series, t0825, ctx.config.maxInputAgeSeconds * 1000) : null;
  const late = p0825 === null ? null : Math.log(price / p0825);
  return { series, prices, high, low, giveBack, late };
}

function measureIndex(input: PremarketIndexInput, ctx: IndexScale): IndexWork {
  const ref = input.reference.price;
  const price = input.current.price;
  const logReturn = Math.log(price / ref);
  const sigmaGap = ctx.sigmaOn * ctx.ratio.ratio * ctx.gap;
  const z = logReturn / sigmaGap;
  const { series, prices, high, low, giveBack, late } = pathMeasures(input, ctx);
  const down = input.limitDownPrice ?? ref * (1 - OVERNIGHT_LIMIT);
  const up = input.limitUpPrice ?? ref * (1 + OVERNIGHT_LIMIT);
  const distanceDownPct = (price / down - 1) * 100;
  const distanceUpPct = (up / price - 1) * 100;
  const pct = (price / ref - 1) * 100;
  return {
    input,
    late,
    measures: {
      pct,
      logReturn,
      sigmaGapPct: sigmaGap * 100,
      volRatio: ctx.ratio.ratio,
      volRatioSource: ctx.ratio.source,
      z,
      zElapsed: z / Math.sqrt(ctx.phi),
      path: {
        points: series.length,
        high,
        low,
        posInRange: high > low ? (price - low) / (high - low) : null,
        giveBack,
        rangeZ: Math.log(high / low) / sigmaGap,
        latePct: late === null ? null : late * 100,
        sparkline: resampleByOrder(prices, SPARKLINE_POINTS),
      },
      limit: {
        downPrice: down,
        upPrice: up,
        distanceDownPct,
        distanceUpPct,
        near:
          Math.abs(pct) >= ctx.config.limitNearPct ||
          distanceDownPct <= LIMIT_DISTANCE_PCT ||
          distanceUpPct <= LIMIT_DISTANCE_PCT,
      },
    },
  };
}

export interface OvernightSigma {
  onVix: number | null;
  onRealized: number | null;
  /** σ_ON used (fraction). */
  used: number;
  sessionsForRV: number;
  /** Daily σ of ES used for the expected day move. */
  sigmaDay: number;
  /** Whose overnight returns the realised side is measured on (in ES terms). */
  realizedSymbol: IndexSymbol;
}

/**
 * The overnight returns behind σ_ON,RV in ES terms: ES's, else (too few) the first index with enough,
 * divided by its vol ratio to ES.
 */
function realizedOvernight(
  inputs: PremarketInputs,
  context: SignalContext,
  config: SignalsConfig,
): { returns: number[]; symbol: IndexSymbol } {
  const of = (symbol: IndexSymbol) =>
    inputs.overnightHistory.map((row) => row.returns[symbol]).filter((r): r is number => r !== undefined);
  const es = of('ES');
  if (es.length >= config.minRealizedSessions) return { returns: es, symbol: 'ES' };
  const order = [context.reference.symbol, ...INDEX_SYMBOLS].filter((s): s is IndexSymbol => s !== null);
  for (const symbol of order) {
    const own = of(symbol);
    if (symbol === 'ES' || own.length < config.minRealizedSessions) continue;
    const ratio = context.ratios[symbol].ratio;
    return { returns: own.map((r) => r / ratio), symbol };
  }
  return { returns: es, symbol: 'ES' };
}

/** σ_ON (research §3.3): VIX-implied overnight σ blended with the EWMA of realised overnight returns. */
function overnightSigma(
  inputs: PremarketInputs,
  context: SignalContext,
  config: SignalsConfig,
): OvernightSigma {
  const fOn = config.overnightVarianceShare;
  const realized = realizedOvernight(inputs, context, config);
  const sessionsForRV = realized.returns.length;
  const level = context.vix.level;
  const onVix = level === null ? null : sigmaDayFromVix(level) * Math.sqrt(fOn);
  const onRealized =
    sessionsForRV >= config.minRealizedSessions
      ? Math.sqrt(ewmaVariance(realized.returns, config.ewmaLambda))
      : null;
  const used = blendSigma(onVix, onRealized, config.vixBlendWeight);
  if (used === null || used <= 0) {
    throw new NoUsableInputError(
      `no volatility reference: no VIX and ${sessionsForRV} sessions of realised overnight history (need ${config.minRealizedSessions})`,
      { hint: 'Pass --vix N, or collect/import VIX, or wait until enough sessions are in the lake.' },
    );
  }
  const sigmaDay = context.daily.used ?? used / Math.sqrt(fOn);
  return { onVix, onRealized, used, sessionsForRV, sigmaDay, realizedSymbol: realized.symbol };
}

export interface Composite {
  z: number;
  weights: Record<IndexSymbol, number>;
  agree: number;
  dispersion: number;
}

function compositeOf(usable: readonly MeasuredIndex[], weightSum: number, config: SignalsConfig): Composite {
  const weights = perIndexRecord((s) =>
    measuredOf(usable, s) === undefined ? 0 : config.compositeWeights[s] / weightSum,
  );
  const z = usable.reduce((sum, w) => sum + weights[w.symbol] * w.measures.z, 0);
  const agree = usable.filter(
    (w) => Math.sign(w.measures.z) === Math.sign(z) && z !== 0 && Math.abs(w.measures.z) >= AGREE_MIN_Z,
  ).length;
  const zs = usable.map((w) => w.measures.z);
  return { z, weights, agree, dispersion: Math.max(...zs) - Math.min(...zs) };
}

export interface PremarketMeasures {
  refTime: Date;
  context: SignalContext;
  extraDays: number;
  holiday: boolean;
  gap: number;
  sigma: OvernightSigma;
  usable: MeasuredIndex[];
  dropped: DroppedIndex[];
  composite: Composite;
  /** Most of the weighted move came after 08:25 ET. */
  lateDominant: boolean;
  limitNear: boolean;
}

/** Everything the decision needs, measured; throws NoUsableInputError without σ or a usable index. */
export function measurePremarket(inputs: PremarketInputs, config: SignalsConfig): PremarketMeasures {
  const { asOf, sessionDate } = inputs;
  const refTime = referenceInstant(inputs.reference.sessionDate, inputs.reference.earlyClose);
  const context = signalContext(inputs, config);
  const { extraDays, holiday } = gapDays(inputs.reference.sessionDate, sessionDate);
  const gap = gapFactor(extraDays, config.gapKappa);
  const sigma = overnightSigma(inputs, context, config);
  const phi = elapsedShare(asOf, sessionDate);
  const screenOptions = { asOf, maxAgeSeconds: config.maxInputAgeSeconds, referenceTime: refTime };
  const { usable, dropped } = screenIndices(inputs.perIndex, screenOptions, (symbol, input) =>
    measureIndex(input, {
      asOf,
      refTime,
      sessionDate,
      sigmaOn: sigma.used,
      gap,
      ratio: context.ratios[symbol],
      phi,
      config,
    }),
  );
  const weightSum = usable.reduce((sum, w) => sum + config.compositeWeights[w.symbol], 0);
  if (usable.length === 0 || weightSum <= 0) {
    throw new NoUsableInputError(
      `no usable index for the pre-market signal: ${dropped.map((d) => d.reason).join('; ') || 'all weights are zero'}`,
      { hint: 'Check `futures status` for collection gaps, or replay with --as-of inside collected data.' },
    );
  }
  const composite = compositeOf(usable, weightSum, config);
  const withLate = usable.flatMap((w) => (w.late === null ? [] : [{ w, late: w.late }]));
  const lateMove = withLate.reduce((sum, { w, late }) => sum + composite.weights[w.symbol] * late, 0);
  const allMove = withLate.reduce(
    (sum, { w }) => sum + composite.weights[w.symbol] * w.measures.logReturn,
    0,
  );
  return {
    refTime,
    context,
    extraDays,
    holiday,
    gap,
    sigma,
    usable,
    dropped,
    composite,
    lateDominant: withLate.length > 0 && allMove !== 0 && lateMove / allMove >= LATE_SHARE,
    limitNear: usable.some((w) => w.measures.limit.near),
  };
}
