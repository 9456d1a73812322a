import {
  type Measured,
  type SignalContext,
  screenIndices,
  signalContext,
  validateContextInputs,
  validateIndexInput,
} from '../context.js';
import { NoUsableInputError } from '../errors.js';
import {
  entryThresholds,
  exitThresholds,
  type IndexLevels,
  type LevelThresholds,
  levelIndex,
  type RawIndexMeasures,
  rawIndexMeasures,
} from '../measures.js';
import type { SignalsConfig } from '../params.js';
import { resampleByOrder, seriesUntil } from '../path.js';
import type { DroppedIndex } from '../schemas.js';
import { type Segment, segmentAt } from '../sessions.js';
import { INDEX_SYMBOLS, type RegimeIndexInput, type RegimeInputs, type WarningLevel } from '../types.js';
import { requireInstant, requirePositive } from '../validate.js';

/** Step 1 of the regime early warning: validate the inputs and measure M1–M9 (research §4.1). */

const SPARKLINE_POINTS = 24;
const SIGMA_SHIFT = 0.5;
const CALM_VIX = 15;

export function validateRegime(inputs: RegimeInputs): void {
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

/** A fresh VX proxy: stamped at or before asOf and at most maxAgeSeconds old. */
function freshVxProxy(inputs: Pick<RegimeInputs, 'asOf' | 'vxProxy'>, maxAgeSeconds: number) {
  const { vxProxy, asOf } = inputs;
  if (vxProxy === undefined) return undefined;
  const fresh =
    vxProxy.ts.getTime() <= asOf.getTime() && (asOf.getTime() - vxProxy.ts.getTime()) / 1000 <= maxAgeSeconds;
  return fresh ? vxProxy : undefined;
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
  const { vix } = inputs;
  if (vix === undefined || vix.live || vix.source === 'override')
    return { factor: 1, live: true, source: 'vix' };
  const proxy = freshVxProxy(inputs, maxAgeSeconds);
  if (proxy !== undefined) return { factor: proxy.price / proxy.priorClose, live: true, source: 'vx_proxy' };
  return { factor: 1, live: false, source: 'close' };
}

/** M6: the VIX day change from a live or overridden VIX, else from a fresh VX proxy. */
function vixJump(inputs: RegimeInputs, maxAgeSeconds: number) {
  const { vix } = inputs;
  if (vix !== undefined && vix.priorClose !== null && (vix.live || vix.source === 'override')) {
    return { value: vix.level / vix.priorClose - 1, source: 'vix' as const };
  }
  const proxy = freshVxProxy(inputs, maxAgeSeconds);
  if (proxy !== undefined) return { value: proxy.price / proxy.priorClose - 1, source: 'vx_proxy' as const };
  return { value: null, source: null };
}

/** Research §4.2: σ thresholds move 0.5σ closer in a bear regime, 0.5σ further in a calm bull one. */
function sigmaShiftOf(context: SignalContext): number {
  const { regime, vix } = context;
  if (regime.value === 'bearish') return SIGMA_SHIFT;
  return regime.value === 'bullish' && vix.level !== null && vix.level < CALM_VIX ? -SIGMA_SHIFT : 0;
}

export interface IndexWork {
  raw: RawIndexMeasures;
  entry: IndexLevels;
  exit: IndexLevels;
  ratio: number;
  sparkline: number[];
}

export type MeasuredIndex = Measured<IndexWork>;

interface IndexScale {
  asOf: Date;
  earlyClose: boolean;
  segment: Segment;
  sigmaDay: number;
  ratio: number;
  /** VIX level × the stale-VIX factor, or null without VIX. */
  impliedVix: number | null;
  entry: LevelThresholds;
  exit: LevelThresholds;
  m5Cap: WarningLevel;
  config: SignalsConfig;
}

function measureIndex(input: RegimeIndexInput, ctx: IndexScale): IndexWork {
  const { asOf, ratio } = ctx;
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
    sigmaDay: ctx.sigmaDay * ratio,
    impliedVol: ctx.impliedVix === null ? null : ctx.impliedVix * ratio,
    overnightShare: ctx.config.overnightVarianceShare,
    earlyClose: ctx.earlyClose,
    segment: ctx.segment,
    limitDownPrice: input.limitDownPrice ?? null,
    refTime: input.reference.ts,
  });
  return {
    raw,
    entry: levelIndex(raw, ctx.entry, ctx.m5Cap),
    exit: levelIndex(raw, ctx.exit, ctx.m5Cap),
    ratio,
    sparkline: resampleByOrder([input.reference.price, ...sinceReference], SPARKLINE_POINTS),
  };
}

export interface RegimeMeasures {
  segment: Segment;
  context: SignalContext;
  sigmaShift: number;
  entry: LevelThresholds;
  exit: LevelThresholds;
  impliedScale: ReturnType<typeof staleVixScale>;
  usable: MeasuredIndex[];
  dropped: DroppedIndex[];
  /** An index was dropped as stale or its quote is older than the early warning's stale limit. */
  stale: boolean;
  /** An index trades at its price limit. */
  atLimit: boolean;
  m6: { value: number | null; source: 'vix' | 'vx_proxy' | null };
  /** VIX/VIX3M. */
  m7: number | null;
}

/** Everything the level needs, measured; throws NoUsableInputError without σ or a usable index. */
export function measureRegime(inputs: RegimeInputs, config: SignalsConfig): RegimeMeasures {
  const { asOf } = inputs;
  const cfg = config.earlyWarning;
  const earlyClose = inputs.earlyClose === true;
  const segment = segmentAt(asOf, earlyClose);
  const context = signalContext(inputs, config);
  const sigmaDay = context.daily.used;
  if (sigmaDay === null) {
    throw new NoUsableInputError(
      `no volatility reference: no VIX and ${context.daily.sessions} daily ES returns (need ${config.minRealizedSessions})`,
      { hint: 'Pass --vix N, or collect/import VIX and daily bars.' },
    );
  }
  const sigmaShift = sigmaShiftOf(context);
  const entry = entryThresholds(sigmaShift);
  const impliedScale = staleVixScale(inputs, config.maxInputAgeSeconds);
  const exit = exitThresholds(entry, cfg.exitFactor);
  const vixLevel = context.vix.level;
  const screenOptions = { asOf, maxAgeSeconds: config.maxInputAgeSeconds, referenceTime: null };
  const { usable, dropped } = screenIndices(inputs.perIndex, screenOptions, (symbol, input) =>
    measureIndex(input, {
      asOf,
      earlyClose,
      segment,
      sigmaDay,
      ratio: context.ratios[symbol].ratio,
      impliedVix: vixLevel === null ? null : vixLevel * impliedScale.factor,
      entry,
      exit,
      m5Cap: impliedScale.live ? 'critical' : 'watch',
      config,
    }),
  );
  if (usable.length === 0) {
    throw new NoUsableInputError(
      `no usable index for the early warning: ${dropped.map((d) => d.reason).join('; ')}`,
      { hint: 'Check `futures status` for collection gaps; the level is kept from the last recorded run.' },
    );
  }
  return {
    segment,
    context,
    sigmaShift,
    entry,
    exit,
    impliedScale,
    usable,
    dropped,
    stale: dropped.some((d) => d.code === 'stale') || usable.some((w) => w.ageSeconds > cfg.staleSeconds),
    atLimit: usable.some((w) => w.raw.m8.distancePct <= 0),
    m6: vixJump(inputs, config.maxInputAgeSeconds),
    m7: context.vix.term,
  };
}
