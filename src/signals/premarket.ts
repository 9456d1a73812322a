import { addDays, daysBetween, etParts, etWallTime, weekdayOf } from '../market/zoned.js';
import {
  dailySigma,
  echoIndex,
  fmtPct,
  fmtSigma,
  perIndexRecord,
  regimeContext,
  screenIndex,
  validateContextInputs,
  validateIndexInput,
  vixContext,
  volRatios,
} from './context.js';
import {
  BUCKET_RULES,
  biasSign,
  confidenceOf,
  type Decision,
  decide,
  type VixBucket,
  vixBucketOf,
} from './decision.js';
import { InvalidSignalInputError, NoUsableInputError } from './errors.js';
import { defaultSignalsConfig, OVERNIGHT_LIMIT, type SignalsConfig } from './params.js';
import { priceAt, resampleByOrder, seriesUntil } from './path.js';
import {
  type DroppedIndex,
  type EtfGuidance,
  PREMARKET_SCHEMA_ID,
  type PremarketDocument,
  type PremarketTag,
} from './schemas.js';
import { referenceInstant } from './sessions.js';
import {
  ETF_BY_INDEX,
  INDEX_SYMBOLS,
  type IndexSymbol,
  type PremarketIndexInput,
  type PremarketInputs,
} from './types.js';
import { requireDate, requireFinite, requireInstant } from './validate.js';
import {
  blendSigma,
  ewmaVariance,
  gapFactor,
  sigmaDayFromVix,
  vixEquivalentOfOvernightSigma,
} from './volatility.js';

type IndexMeasures = NonNullable<PremarketDocument['measures']['perIndex']['ES']>;

const SPARKLINE_POINTS = 24;
const AGREE_MIN_Z = 0.5;
const LATE_SHARE = 0.5;
const LIMIT_DISTANCE_PCT = 0.5;
const PHI_FLOOR = 0.05;

function validate(inputs: PremarketInputs): void {
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
function nightProgress(asOf: Date, sessionDate: string): number {
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

/** Same-day gap-fill rate by |gap| bucket (tradeintel SPX study, research §3.1) [practitioner]. */
export function fillProbabilityHint(absPct: number): number | null {
  if (absPct < 0.1) return null;
  if (absPct < 0.5) return 0.7;
  if (absPct < 1) return 0.47;
  return 0.35;
}

interface IndexWork {
  symbol: IndexSymbol;
  input: PremarketIndexInput;
  ageSeconds: number;
  measures: IndexMeasures;
  /** ln move after 08:25 ET, or null. */
  late: number | null;
}

function measureIndex(
  symbol: IndexSymbol,
  input: PremarketIndexInput,
  ageSeconds: number,
  ctx: {
    asOf: Date;
    refTime: Date;
    sessionDate: string;
    sigmaOn: number;
    gap: number;
    ratio: { ratio: number; source: 'rv20' | 'default' | 'es' };
    phi: number;
    config: SignalsConfig;
  },
): IndexWork {
  const ref = input.reference.price;
  const price = input.current.price;
  const logReturn = Math.log(price / ref);
  const sigmaGap = ctx.sigmaOn * ctx.ratio.ratio * ctx.gap;
  const z = logReturn / sigmaGap;
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
  const down = input.limitDownPrice ?? ref * (1 - OVERNIGHT_LIMIT);
  const up = input.limitUpPrice ?? ref * (1 + OVERNIGHT_LIMIT);
  const distanceDownPct = (price / down - 1) * 100;
  const distanceUpPct = (up / price - 1) * 100;
  const pct = (price / ref - 1) * 100;
  return {
    symbol,
    input,
    ageSeconds,
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

const BAND_TEXT = {
  t1_t2: 'between T1 and T2',
  t2_t3: 'between T2 and T3',
  ge_t3: 'at or beyond T3',
} as const;

const OVERRIDE_TEXT = {
  narrowAgreement: 'at most one index confirms the move: one step toward neutral',
  highVixCap:
    'VIX ≥ 30: nothing stronger than lean_* unless |z| ≥ T3, all agree and the move goes with the regime',
  lateMove: 'most of the move came after 08:25 ET: wait for the first 15–30 minutes to settle the news',
  limitNear:
    'an index is near its price limit: the early warning sets the bias (signals regime); no pre-market signal',
} as const;

function guidanceFor(
  symbol: IndexSymbol,
  work: IndexWork | undefined,
  dropped: DroppedIndex | undefined,
  decision: Decision,
  confidence: number,
  compositeZ: number,
  t1: number,
  reducedRisk: boolean,
  sigmaDay: number,
  ratio: number,
): EtfGuidance {
  const etf = ETF_BY_INDEX[symbol];
  const expectedDayMovePct = sigmaDay * ratio * 100;
  const base = { index: symbol, etf, riskPosture: reducedRisk ? ('reduced' as const) : ('normal' as const) };
  if (work === undefined) {
    return {
      ...base,
      direction: 'neutral',
      conviction: 0,
      entry: 'none',
      gapPct: null,
      z: null,
      expectedDayMovePct,
      fillProbabilityHint: null,
      notes: [dropped?.reason ?? `${symbol}: no data`],
    };
  }
  const { z, pct } = work.measures;
  const confirms = Math.sign(z) === Math.sign(compositeZ) && Math.abs(z) >= AGREE_MIN_Z;
  const opposes = Math.sign(z) === -Math.sign(compositeZ) && Math.abs(z) >= t1;
  const sign = biasSign(decision.bias);
  const notes: string[] = [];
  let direction: EtfGuidance['direction'] = sign > 0 ? 'bullish' : sign < 0 ? 'bearish' : 'neutral';
  let conviction = direction === 'neutral' ? 0 : confidence * (confirms ? 1 : 0.5);
  if (direction !== 'neutral' && opposes) {
    direction = 'neutral';
    conviction = 0;
    notes.push(`${symbol} moved against the composite (${fmtSigma(z)})`);
  } else if (direction !== 'neutral' && !confirms) {
    notes.push(`${symbol} does not confirm the composite (${fmtSigma(z)}): conviction halved`);
  }
  const entry: EtfGuidance['entry'] =
    decision.mode === 'no_signal' || (direction === 'neutral' && opposes)
      ? 'none'
      : decision.mode === 'wait_for_confirmation' || direction === 'neutral'
        ? 'after_confirmation'
        : 'at_open';
  return {
    ...base,
    direction,
    conviction,
    entry,
    gapPct: pct,
    z,
    expectedDayMovePct,
    fillProbabilityHint: fillProbabilityHint(Math.abs(pct)),
    notes,
  };
}

/**
 * The pre-market surge signal (research §3): the overnight move of ES/NQ/RTY against the prior 16:00 ET
 * reference, in units of the expected overnight move, turned into a bias for the cash open.
 * Pure: everything comes from `inputs`; throws InvalidSignalInputError on impossible values and
 * NoUsableInputError when no index or no volatility reference is usable.
 */
export function computePremarket(
  inputs: PremarketInputs,
  config: SignalsConfig = defaultSignalsConfig(),
): PremarketDocument {
  validate(inputs);
  const { asOf, sessionDate } = inputs;
  const refTime = referenceInstant(inputs.reference.sessionDate, inputs.reference.earlyClose);
  const fOn = config.overnightVarianceShare;
  const vix = vixContext(inputs.vix, inputs.vix3m);
  const esCloses = inputs.perIndex.ES?.dailyCloses ?? [];
  const regime = regimeContext(inputs.regimeOverride, esCloses, inputs.vixCloses);
  const { extraDays, holiday } = gapDays(inputs.reference.sessionDate, sessionDate);
  const gap = gapFactor(extraDays, config.gapKappa);

  const esOvernight = inputs.overnightHistory
    .map((row) => row.returns.ES)
    .filter((r): r is number => r !== undefined);
  const sessionsForRV = esOvernight.length;
  const onVix = vix.level === null ? null : sigmaDayFromVix(vix.level) * Math.sqrt(fOn);
  const onRealized =
    sessionsForRV >= config.minRealizedSessions
      ? Math.sqrt(ewmaVariance(esOvernight, config.ewmaLambda))
      : null;
  const sigmaOn = blendSigma(onVix, onRealized, config.vixBlendWeight);
  if (sigmaOn === null || sigmaOn <= 0) {
    throw new NoUsableInputError(
      `no volatility reference: no VIX and ${sessionsForRV} sessions of realised overnight history (need ${config.minRealizedSessions})`,
      { hint: 'Pass --vix N, or collect/import VIX, or wait until enough sessions are in the lake.' },
    );
  }
  const daily = dailySigma(vix.level, esCloses, config);
  const sigmaDay = daily.used ?? sigmaOn / Math.sqrt(fOn);
  const ratios = volRatios(
    perIndexRecord((s) => inputs.perIndex[s]?.dailyCloses),
    config,
  );
  const phi = elapsedShare(asOf, sessionDate);

  const works = new Map<IndexSymbol, IndexWork>();
  const dropped: DroppedIndex[] = [];
  for (const symbol of INDEX_SYMBOLS) {
    const input = inputs.perIndex[symbol];
    const screen = screenIndex(symbol, input, asOf, config.maxInputAgeSeconds, refTime);
    if (!screen.ok || input === undefined) {
      if (!screen.ok) dropped.push(screen.dropped);
      continue;
    }
    works.set(
      symbol,
      measureIndex(symbol, input, screen.ageSeconds, {
        asOf,
        refTime,
        sessionDate,
        sigmaOn,
        gap,
        ratio: ratios[symbol],
        phi,
        config,
      }),
    );
  }
  const usable = INDEX_SYMBOLS.filter((s) => works.has(s));
  const weightSum = usable.reduce((sum, s) => sum + config.compositeWeights[s], 0);
  if (usable.length === 0 || weightSum <= 0) {
    throw new NoUsableInputError(
      `no usable index for the pre-market signal: ${dropped.map((d) => d.reason).join('; ') || 'all weights are zero'}`,
      { hint: 'Check `futures status` for collection gaps, or replay with --as-of inside collected data.' },
    );
  }
  const weights = perIndexRecord((s) => (works.has(s) ? config.compositeWeights[s] / weightSum : 0));
  const zOf = (s: IndexSymbol) => works.get(s)?.measures.z;
  const compositeZ = usable.reduce((sum, s) => sum + weights[s] * zOf(s)!, 0);
  const agree = usable.filter(
    (s) =>
      Math.sign(zOf(s)!) === Math.sign(compositeZ) && compositeZ !== 0 && Math.abs(zOf(s)!) >= AGREE_MIN_Z,
  ).length;
  const zs = usable.map((s) => zOf(s)!);
  const dispersion = Math.max(...zs) - Math.min(...zs);

  const bucketVix = vix.level ?? vixEquivalentOfOvernightSigma(sigmaOn, fOn);
  const bucket: VixBucket = vixBucketOf(bucketVix);
  const rule = BUCKET_RULES[bucket];
  const termInverted = vix.term !== null && vix.term >= 1;
  const withLate = usable.filter((s) => works.get(s)!.late !== null);
  const lateMove = withLate.reduce((sum, s) => sum + weights[s] * works.get(s)!.late!, 0);
  const allMove = withLate.reduce((sum, s) => sum + weights[s] * works.get(s)!.measures.logReturn, 0);
  const lateDominant = withLate.length > 0 && allMove !== 0 && lateMove / allMove >= LATE_SHARE;
  const limitNear = usable.some((s) => works.get(s)!.measures.limit.near);

  const decision = decide({ z: compositeZ, agree, regime: regime.value, bucket, lateDominant, limitNear });
  const staleQuote = usable.some((s) => works.get(s)!.ageSeconds > config.staleQuoteSeconds);
  const shortHistory = sessionsForRV < config.minRealizedSessions;
  const confidence = confidenceOf({
    absZ: Math.abs(compositeZ),
    bucket,
    mode: decision.mode,
    agree,
    alignment: decision.alignment,
    termInverted,
    nightProgress: nightProgress(asOf, sessionDate),
    staleQuote,
    shortHistory,
  });

  const tags: PremarketTag[] = [];
  const has = (s: IndexSymbol) => works.has(s);
  if (has('ES') && has('NQ') && zOf('NQ')! - zOf('ES')! >= 1) tags.push('techLed');
  if (has('ES') && has('RTY') && zOf('RTY')! - zOf('ES')! <= -1) tags.push('smallCapWeak');
  if (dispersion >= 1.5 || decision.overrides.includes('narrowAgreement')) tags.push('narrow');
  if (extraDays > 0) tags.push(holiday ? 'holidayGap' : 'weekendGap');
  if (inputs.calendar.rollWeek) tags.push('rollWeek');
  if (inputs.calendar.expiryDay) tags.push('expiryDay');
  if (termInverted) tags.push('termInverted');
  if (limitNear) tags.push('limitNear');
  if (inputs.calendar.macro0830 === true) tags.push('macro0830');
  if (decision.overrides.includes('lateMove')) tags.push('lateMove');
  if (regime.disagreement) tags.push('regimeDisagreement');

  const flags: string[] = [];
  if (vix.level === null) flags.push('vixMissing');
  else if (vix.live === false) flags.push('vixFromClose');
  if (regime.source === 'default') flags.push('regimeUnavailable');
  if (shortHistory) flags.push('shortHistory');
  for (const s of usable) {
    if (works.get(s)!.ageSeconds > config.staleQuoteSeconds) flags.push(`staleQuote:${s}`);
    if (ratios[s].source === 'default') flags.push(`volRatioDefault:${s}`);
    if (works.get(s)!.input.reference.kind === 'spliced') flags.push(`referenceSpliced:${s}`);
  }
  const { date: asOfDate, minuteOfDay } = etParts(asOf);
  if (asOfDate !== sessionDate || minuteOfDay < 240 || minuteOfDay >= 570) flags.push('outsideWindow');

  const reducedRisk = bucket === 'ge30' || termInverted || tags.includes('narrow') || limitNear;
  const guidanceOf = (s: IndexSymbol) =>
    guidanceFor(
      s,
      works.get(s),
      dropped.find((d) => d.symbol === s),
      decision,
      confidence.value,
      compositeZ,
      rule.t1,
      reducedRisk,
      sigmaDay,
      ratios[s].ratio,
    );

  const reasons: string[] = [];
  for (const s of usable) {
    const m = works.get(s)!.measures;
    reasons.push(
      `${s} ${works.get(s)!.input.localSymbol} ${fmtPct(m.pct)} since the ${inputs.reference.earlyClose ? '13:00' : '16:00'} ET reference = ${fmtSigma(m.z)} (σ_gap ${m.sigmaGapPct.toFixed(2)}%)`,
    );
  }
  for (const d of dropped) reasons.push(`dropped ${d.reason}`);
  const vixText =
    vix.level === null
      ? 'no VIX'
      : `VIX ${vix.level.toFixed(1)}${vix.source === 'override' ? ' (override)' : ''}`;
  reasons.push(
    onRealized === null
      ? `σ_ON ${(sigmaOn * 100).toFixed(2)}% from ${vixText} (f_ON ${fOn}); ${sessionsForRV} sessions of realised history, ${config.minRealizedSessions} needed for the blend`
      : `σ_ON ${(sigmaOn * 100).toFixed(2)}%: ${vixText} blended with realised overnight vol ${(onRealized * 100).toFixed(2)}% over ${sessionsForRV} sessions`,
  );
  if (extraDays > 0) {
    reasons.push(
      `${holiday ? 'holiday' : 'weekend'} gap: ${extraDays} extra days scale σ by ${gap.toFixed(2)}`,
    );
  }
  reasons.push(
    `composite ${fmtSigma(compositeZ)}, ${agree}/${usable.length} indices agree, dispersion ${dispersion.toFixed(2)}σ`,
  );
  reasons.push(
    `regime ${regime.value} (${regime.source}${regime.disagreement ? `; derived says ${regime.derived.value}` : ''}${regime.source === 'default' ? `: ${regime.derived.reason}` : ''})`,
  );
  reasons.push(
    `${vix.level === null ? `VIX-equivalent ${bucketVix.toFixed(1)}` : vixText} → bucket ${rule.label}: thresholds ${rule.t1}/${rule.t2}/${rule.t3}σ, confidence cap ${rule.cap}`,
  );
  if (decision.cell === null) {
    reasons.push(`|z| ${Math.abs(compositeZ).toFixed(2)} < T1 ${rule.t1}: no signal`);
  } else {
    reasons.push(
      `table: ${decision.cell.regime} regime, ${decision.cell.direction} move ${BAND_TEXT[decision.cell.band]} → ${decision.cell.bias}, ${decision.cell.mode} (${decision.cell.note})`,
    );
  }
  for (const o of decision.overrides) reasons.push(OVERRIDE_TEXT[o]);
  if (tags.includes('techLed')) reasons.push('NQ leads ES by at least 1σ (techLed)');
  if (tags.includes('smallCapWeak')) reasons.push('RTY lags ES by at least 1σ (smallCapWeak)');
  if (termInverted) {
    reasons.push(
      `VIX/VIX3M ${vix.term!.toFixed(2)} ≥ 1: stress (confidence ×0.8), not a bearish trigger by itself`,
    );
  }
  const f = confidence.factors;
  reasons.push(
    `confidence ${confidence.value.toFixed(2)} = min(cap ${f.cap}, s ${f.s.toFixed(2)} × A ${f.A} × R ${f.R} × V ${f.V.toFixed(2)} × Tm ${f.Tm.toFixed(2)} × Q ${f.Q.toFixed(2)})`,
  );

  return {
    schema: PREMARKET_SCHEMA_ID,
    asOf: asOf.toISOString(),
    sessionDate,
    reference: {
      time: refTime.toISOString(),
      sessionDate: inputs.reference.sessionDate,
      earlyClose: inputs.reference.earlyClose,
      extraDays,
    },
    lake: inputs.lake ?? [],
    inputs: {
      vix,
      regime,
      perIndex: perIndexRecord((s) => echoIndex(inputs.perIndex[s], asOf)),
      calendar: {
        rollWeek: inputs.calendar.rollWeek,
        expiryDay: inputs.calendar.expiryDay,
        macro0830: inputs.calendar.macro0830 === true,
      },
    },
    measures: {
      perIndex: perIndexRecord((s) => works.get(s)?.measures ?? null),
      composite: { z: compositeZ, weights, agree, dispersion },
      expectedMovePct: {
        onVix: onVix === null ? null : onVix * 100,
        onRealized: onRealized === null ? null : onRealized * 100,
        used: sigmaOn * 100,
        gapFactor: gap,
        sessionsForRV,
      },
      sigmaDayPct: sigmaDay * 100,
    },
    decision: {
      bias: decision.bias,
      mode: decision.mode,
      strength: decision.strength,
      confidence: confidence.value,
      factors: confidence.factors,
      vixBucket: bucket,
      vixBucketSource: vix.level === null ? 'realized' : 'vix',
      thresholds: { t1: rule.t1, t2: rule.t2, t3: rule.t3 },
      band: decision.band,
      cell:
        decision.cell === null
          ? null
          : {
              regime: decision.cell.regime,
              direction: decision.cell.direction,
              band: decision.cell.band,
              bias: decision.cell.bias,
              mode: decision.cell.mode,
              note: decision.cell.note,
            },
      overrides: decision.overrides,
      alignment: decision.alignment,
      earlyWarningFloor: decision.raiseEarlyWarning ? 'watch' : null,
    },
    guidance: { SPY: guidanceOf('ES'), QQQ: guidanceOf('NQ'), IWM: guidanceOf('RTY') },
    tags,
    dataQuality: {
      usable,
      dropped,
      quoteAgeSeconds: perIndexRecord((s) => works.get(s)?.ageSeconds ?? null),
      flags,
      sessionsForRV,
    },
    reasons,
  };
}
