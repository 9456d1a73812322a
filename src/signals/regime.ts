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
import { NoUsableInputError } from './errors.js';
import { stepEarlyWarning } from './hysteresis.js';
import {
  atLeast,
  breadthThresholds,
  candidateLevel,
  entryThresholds,
  exitThresholds,
  type IndexLevels,
  type LevelThresholds,
  levelAbove,
  levelIndex,
  type RawIndexMeasures,
  rawIndexMeasures,
} from './measures.js';
import { defaultSignalsConfig, type SignalsConfig } from './params.js';
import { resampleByOrder, seriesUntil } from './path.js';
import { type DroppedIndex, REGIME_SCHEMA_ID, type RegimeDocument, type RegimeFlag } from './schemas.js';
import { segmentAt } from './sessions.js';
import { INDEX_SYMBOLS, type IndexSymbol, type RegimeInputs, type WarningLevel } from './types.js';
import { requireInstant, requirePositive } from './validate.js';

const STRESS_GAP = -1.5;
const SPARKLINE_POINTS = 24;
const SIGMA_SHIFT = 0.5;
const CALM_VIX = 15;

function validate(inputs: RegimeInputs): void {
  requireInstant(inputs.asOf, 'asOf');
  validateContextInputs(inputs.vix, inputs.vix3m, inputs.regimeOverride, inputs.vixCloses);
  if (inputs.vxProxy !== undefined) {
    requirePositive(inputs.vxProxy.price, 'vxProxy.price');
    requirePositive(inputs.vxProxy.priorClose, 'vxProxy.priorClose');
    requireInstant(inputs.vxProxy.ts, 'vxProxy.ts');
  }
  for (const symbol of INDEX_SYMBOLS) {
    const input = inputs.perIndex[symbol];
    if (input !== undefined) validateIndexInput(symbol, input, inputs.asOf);
  }
}

interface IndexWork {
  raw: RawIndexMeasures;
  entry: IndexLevels;
  exit: IndexLevels;
  ageSeconds: number;
  ratio: number;
  sparkline: number[];
}

interface Global {
  m4: { breadth: number; level: WarningLevel; counted: IndexSymbol[] };
  smallCapStress: boolean;
  techStress: boolean;
}

/** M4 breadth with the M9 modifier: a stressed index with a negative day move counts once if not already in. */
function breadthOf(
  levels: Map<IndexSymbol, IndexLevels>,
  m1: Map<IndexSymbol, number>,
  thresholds: readonly [number, number, number],
): Global {
  const counted = [...levels.entries()].filter(([, l]) => atLeast(l.breadthLevel, 'watch')).map(([s]) => s);
  const z = (s: IndexSymbol) => m1.get(s);
  const es = z('ES');
  const rty = z('RTY');
  const nq = z('NQ');
  const smallCapStress = es !== undefined && rty !== undefined && rty - es <= STRESS_GAP;
  const techStress = es !== undefined && nq !== undefined && nq - es <= STRESS_GAP;
  if (smallCapStress && rty! < 0 && !counted.includes('RTY')) counted.push('RTY');
  if (techStress && nq! < 0 && !counted.includes('NQ')) counted.push('NQ');
  const breadth = Math.min(3, counted.length);
  const level = levelAbove(breadth, thresholds);
  return { m4: { breadth, level, counted }, smallCapStress, techStress };
}

/**
 * The implied vol M5 compares with (research §4.4). A live or overridden VIX is used as is. A VIX that is
 * only a past close is moved by the VX1 change when a fresh VX proxy exists; without one it stays the close,
 * and M5 is capped at watch (`live: false`).
 */
export function staleVixScale(
  inputs: Pick<RegimeInputs, 'asOf' | 'vix' | 'vxProxy'>,
  maxAgeSeconds: number,
): { factor: number; live: boolean; source: 'vix' | 'vx_proxy' | 'close' } {
  const { vix, vxProxy, asOf } = inputs;
  if (vix === undefined || vix.live || vix.source === 'override')
    return { factor: 1, live: true, source: 'vix' };
  if (
    vxProxy !== undefined &&
    vxProxy.ts.getTime() <= asOf.getTime() &&
    (asOf.getTime() - vxProxy.ts.getTime()) / 1000 <= maxAgeSeconds
  ) {
    return { factor: vxProxy.price / vxProxy.priorClose, live: true, source: 'vx_proxy' };
  }
  return { factor: 1, live: false, source: 'close' };
}

function evaluate(
  works: Map<IndexSymbol, IndexWork>,
  pick: 'entry' | 'exit',
  breadth: readonly [number, number, number],
  m6: WarningLevel,
  m7: WarningLevel,
) {
  const levels = new Map([...works.entries()].map(([s, w]) => [s, w[pick]] as const));
  const global = breadthOf(
    levels,
    new Map([...works.entries()].map(([s, w]) => [s, w.raw.m1.value])),
    breadth,
  );
  const candidate = candidateLevel({
    perIndex: [...levels.values()],
    m4: global.m4.level,
    m6,
    m7,
    breadthCounts: works.size >= 2,
  });
  return { global, candidate };
}

/**
 * The regime early warning (research §4): measures M1–M9 per index, a candidate level (§4.2) under the
 * entry thresholds and one under the exit thresholds, then the hysteresis step from `previousState`.
 * Pure; the returned document's `state` is what the next check must receive as `previousState`.
 */
export function computeRegime(
  inputs: RegimeInputs,
  config: SignalsConfig = defaultSignalsConfig(),
): RegimeDocument {
  validate(inputs);
  const { asOf } = inputs;
  const cfg = config.earlyWarning;
  const earlyClose = inputs.earlyClose === true;
  const segment = segmentAt(asOf, earlyClose);
  const vix = vixContext(inputs.vix, inputs.vix3m);
  const esCloses = inputs.perIndex.ES?.dailyCloses ?? [];
  const regime = regimeContext(inputs.regimeOverride, esCloses, inputs.vixCloses);
  const daily = dailySigma(vix.level, esCloses, config);
  if (daily.used === null) {
    throw new NoUsableInputError(
      `no volatility reference: no VIX and ${daily.sessions} daily ES returns (need ${config.minRealizedSessions})`,
      { hint: 'Pass --vix N, or collect/import VIX and daily bars.' },
    );
  }
  const sigmaDay = daily.used;
  const ratios = volRatios(
    perIndexRecord((s) => inputs.perIndex[s]?.dailyCloses),
    config,
  );
  const sigmaShift =
    regime.value === 'bearish'
      ? SIGMA_SHIFT
      : regime.value === 'bullish' && vix.level !== null && vix.level < CALM_VIX
        ? -SIGMA_SHIFT
        : 0;
  const entry: LevelThresholds = entryThresholds(sigmaShift);
  const impliedScale = staleVixScale(inputs, config.maxInputAgeSeconds);
  const m5Cap: WarningLevel = impliedScale.live ? 'critical' : 'watch';
  const exit = exitThresholds(entry, cfg.exitFactor);

  const works = new Map<IndexSymbol, IndexWork>();
  const dropped: DroppedIndex[] = [];
  let stale = false;
  let atLimit = false;
  for (const symbol of INDEX_SYMBOLS) {
    const input = inputs.perIndex[symbol];
    const screen = screenIndex(symbol, input, asOf, config.maxInputAgeSeconds, null);
    if (!screen.ok || input === undefined) {
      if (!screen.ok) {
        dropped.push(screen.dropped);
        if (screen.dropped.code === 'stale') stale = true;
      }
      continue;
    }
    if (screen.ageSeconds > cfg.staleSeconds) stale = true;
    const ratio = ratios[symbol].ratio;
    const points = seriesUntil(input.path, Number.NEGATIVE_INFINITY, asOf.getTime(), {
      ts: input.current.ts,
      price: input.current.price,
    });
    const sinceReference = points
      .filter((p) => p.ts.getTime() > input.reference.ts.getTime())
      .map((p) => p.price);
    const raw = rawIndexMeasures({
      points,
      price: input.current.price,
      refPrice: input.reference.price,
      asOf,
      sigmaDay: sigmaDay * ratio,
      impliedVol: vix.level === null ? null : vix.level * impliedScale.factor * ratio,
      overnightShare: config.overnightVarianceShare,
      earlyClose,
      segment,
      limitDownPrice: input.limitDownPrice ?? null,
    });
    if (raw.m8.distancePct <= 0) atLimit = true;
    works.set(symbol, {
      raw,
      entry: levelIndex(raw, entry, m5Cap),
      exit: levelIndex(raw, exit, m5Cap),
      ageSeconds: screen.ageSeconds,
      ratio,
      sparkline: resampleByOrder([input.reference.price, ...sinceReference], SPARKLINE_POINTS),
    });
  }
  const usable = INDEX_SYMBOLS.filter((s) => works.has(s));
  if (usable.length === 0) {
    throw new NoUsableInputError(
      `no usable index for the early warning: ${dropped.map((d) => d.reason).join('; ')}`,
      { hint: 'Check `futures status` for collection gaps; the level is kept from the last recorded run.' },
    );
  }

  let m6Value: number | null = null;
  let m6Source: 'vix' | 'vx_proxy' | null = null;
  if (
    inputs.vix !== undefined &&
    inputs.vix.priorClose !== null &&
    (inputs.vix.live || inputs.vix.source === 'override')
  ) {
    m6Value = inputs.vix.level / inputs.vix.priorClose - 1;
    m6Source = 'vix';
  } else if (
    inputs.vxProxy !== undefined &&
    (asOf.getTime() - inputs.vxProxy.ts.getTime()) / 1000 <= config.maxInputAgeSeconds &&
    inputs.vxProxy.ts.getTime() <= asOf.getTime()
  ) {
    m6Value = inputs.vxProxy.price / inputs.vxProxy.priorClose - 1;
    m6Source = 'vx_proxy';
  }
  const m7Value = vix.term;
  const breadth = breadthThresholds(cfg.breadthBasis, usable.length);
  const onEntry = evaluate(
    works,
    'entry',
    breadth,
    levelAbove(m6Value, entry.m6),
    levelAbove(m7Value, entry.m7),
  );
  const onExit = evaluate(works, 'exit', breadth, levelAbove(m6Value, exit.m6), levelAbove(m7Value, exit.m7));

  const step = stepEarlyWarning(
    inputs.previousState,
    {
      now: asOf,
      candidate: onEntry.candidate.level,
      exitCandidate: onExit.candidate.level,
      hardCritical: onEntry.candidate.hardCritical,
      stale: stale || atLimit,
      segment,
    },
    cfg,
  );

  const flags: RegimeFlag[] = [];
  if (onEntry.candidate.hardCritical) flags.push('hardCritical');
  if (stale) flags.push('stale');
  if (atLimit) flags.push('atLimit');
  if (onEntry.global.smallCapStress) flags.push('smallCapStress');
  if (onEntry.global.techStress) flags.push('techStress');
  if (m7Value !== null && m7Value >= 1) flags.push('termInverted');
  if (usable.length < 3) flags.push('reducedBreadth');
  if (regime.disagreement) flags.push('regimeDisagreement');
  flags.push(...step.flags);

  const dqFlags: string[] = [];
  if (vix.level === null) dqFlags.push('vixMissing');
  else if (vix.live === false) dqFlags.push('vixFromClose');
  if (m6Value === null) dqFlags.push('vixJumpUnavailable');
  if (regime.source === 'default') dqFlags.push('regimeUnavailable');
  for (const s of usable) {
    const w = works.get(s)!;
    if (w.ageSeconds > cfg.staleSeconds) dqFlags.push(`staleQuote:${s}`);
    if (ratios[s].source === 'default') dqFlags.push(`volRatioDefault:${s}`);
    if (w.raw.m3.value === null) dqFlags.push(`noPrice15mAgo:${s}`);
    if (w.raw.m5.rv60 === null) dqFlags.push(`rv60Unavailable:${s}`);
  }
  if (vix.level !== null && impliedScale.source === 'vx_proxy') dqFlags.push('m5VixScaledByVxProxy');
  if (vix.level !== null && !impliedScale.live) dqFlags.push('m5CappedAtWatch');

  let worst: { symbol: IndexSymbol; minutes: 15 | 30 | 60 | 240; z: number } | null = null;
  for (const s of usable) {
    const w = works.get(s)!.entry.m2Window;
    if (worst === null || w.z < worst.z) worst = { symbol: s, minutes: w.minutes, z: w.z };
  }

  const reasons: string[] = [];
  reasons.push(
    `level ${step.state.level} (candidate ${onEntry.candidate.level}, ${step.transition}${step.transition === 'held' ? ` since ${step.state.since}` : ''})`,
  );
  reasons.push(...step.notes);
  for (const s of usable) {
    const w = works.get(s)!;
    reasons.push(
      `${s} ${fmtPct(w.raw.m1.pct)} vs the 16:00 reference = ${fmtSigma(w.raw.m1.value)} of the daily σ (M1 ${w.entry.m1}); worst drawdown ${fmtSigma(w.entry.m2Window.z)} over ${w.entry.m2Window.minutes} min (M2 ${w.entry.m2}); ${w.raw.m8.declinePct > 0 ? `${w.raw.m8.distancePct.toFixed(1)}% above the ${w.raw.m8.nextLimit} limit` : 'no decline'}`,
    );
  }
  for (const d of dropped) reasons.push(`dropped ${d.reason}`);
  reasons.push(
    `breadth ${onEntry.global.m4.breadth}/${usable.length}${onEntry.global.m4.counted.length > 0 ? ` (${onEntry.global.m4.counted.join(', ')})` : ''}; measures at ≥ warning: ${onEntry.candidate.counts.warning}, at critical: ${onEntry.candidate.counts.critical}`,
  );
  if (m6Value !== null) reasons.push(`VIX jump ${fmtPct(m6Value * 100, 1)} (${m6Source})`);
  if (m7Value !== null)
    reasons.push(
      `VIX/VIX3M ${m7Value.toFixed(2)}${m7Value >= 1 ? ' (inverted: stress, not direction)' : ''}`,
    );
  if (sigmaShift !== 0) {
    reasons.push(
      sigmaShift > 0
        ? 'bearish regime: σ thresholds 0.5σ closer (escalate sooner)'
        : 'bullish regime with VIX < 15: σ thresholds 0.5σ further (dips usually bought)',
    );
  }
  if (stale) reasons.push('stale inputs: the level is kept, no step down');
  if (atLimit) reasons.push('an index is at its price limit: the level is kept, no step down');

  const overlay =
    step.state.bearRiskUntil !== null && Date.parse(step.state.bearRiskUntil) > asOf.getTime()
      ? 'bear_risk'
      : null;
  if (overlay !== null)
    reasons.push(`regime overlay bear_risk until ${step.state.bearRiskUntil} (critical this session)`);

  return {
    schema: REGIME_SCHEMA_ID,
    asOf: asOf.toISOString(),
    session: segment,
    lake: inputs.lake ?? [],
    level: step.state.level,
    candidate: onEntry.candidate.level,
    exitCandidate: onExit.candidate.level,
    transition: step.transition,
    since: step.state.since,
    pending: step.pending,
    inputs: {
      vix,
      vxProxy:
        inputs.vxProxy === undefined
          ? null
          : {
              price: inputs.vxProxy.price,
              priorClose: inputs.vxProxy.priorClose,
              ts: inputs.vxProxy.ts.toISOString(),
            },
      regime,
      perIndex: perIndexRecord((s) => echoIndex(inputs.perIndex[s], asOf)),
      hadPriorState: inputs.previousState !== undefined,
    },
    measures: {
      perIndex: perIndexRecord((s) => {
        const w = works.get(s);
        if (w === undefined) return null;
        const { raw, entry: lv } = w;
        return {
          sigmaDayPct: raw.sigmaDay * 100,
          volRatio: w.ratio,
          sparkline: w.sparkline,
          m1: { value: raw.m1.value, pct: raw.m1.pct, level: lv.m1 },
          m2: {
            value: lv.m2Window.z,
            pct: lv.m2Window.pct,
            windowMin: lv.m2Window.minutes,
            level: lv.m2,
            windows: raw.m2.windows.map((x) => ({ minutes: x.minutes, z: x.z, pct: x.pct })),
          },
          m3: { value: raw.m3.value, pct: raw.m3.pct, level: lv.m3 },
          m5: { value: raw.m5.ratio, rv60: raw.m5.rv60, level: lv.m5 },
          m8: { value: raw.m8.declinePct, ...raw.m8, level: lv.m8 },
        };
      }),
      m4: { ...onEntry.global.m4, thresholds: [breadth[0], breadth[1], breadth[2]] },
      m6: { value: m6Value, source: m6Source, level: levelAbove(m6Value, entry.m6) },
      m7: { value: m7Value, level: levelAbove(m7Value, entry.m7) },
      m9: { smallCapStress: onEntry.global.smallCapStress, techStress: onEntry.global.techStress },
      counts: onEntry.candidate.counts,
      sigmaShift,
    },
    breadth: onEntry.global.m4.breadth,
    worstWindowMin: worst?.minutes ?? null,
    derivedRegime: regime.derived,
    overlay,
    state: step.state,
    flags,
    dataQuality: {
      usable,
      dropped,
      quoteAgeSeconds: perIndexRecord((s) => works.get(s)?.ageSeconds ?? null),
      flags: dqFlags,
      stale: stale || atLimit,
    },
    reasons,
  };
}

/** `--fail-on`: true when the level is at or above the threshold. */
export function levelReaches(level: WarningLevel, threshold: WarningLevel): boolean {
  return atLeast(level, threshold);
}
