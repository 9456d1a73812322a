import type { EngineRegime } from './types.js';

/** The pre-market decision of research §3.6–3.7, as data plus two small pure functions. */

export const BIASES = [
  'strong_bull',
  'bull',
  'lean_bull',
  'neutral',
  'lean_bear',
  'bear',
  'strong_bear',
] as const;
export type Bias = (typeof BIASES)[number];
/**
 * limit_move: an index is at or near its price limit. The call keeps the move's direction and strength,
 * but it is not a plain go-with-gap: fills at the open are uncertain and a limit halt can follow.
 */
export const MODES = ['go_with_gap', 'fade_gap', 'wait_for_confirmation', 'limit_move', 'no_signal'] as const;
export type Mode = (typeof MODES)[number];
export const STRENGTHS = ['none', 'weak', 'moderate', 'strong'] as const;
export type Strength = (typeof STRENGTHS)[number];
export const VIX_BUCKETS = ['lt15', '15to20', '20to30', 'ge30'] as const;
export type VixBucket = (typeof VIX_BUCKETS)[number];
export const BANDS = ['below_t1', 't1_t2', 't2_t3', 'ge_t3'] as const;
export type Band = (typeof BANDS)[number];
export type SignalBand = Exclude<Band, 'below_t1'>;
export type Direction = 'up' | 'down';
export type Alignment = 'aligned' | 'neutral_regime' | 'counter';

export interface BucketRule {
  label: string;
  t1: number;
  t2: number;
  t3: number;
  /** Confidence cap. */
  cap: number;
  /** V factor of the confidence before the term-structure multiplier. */
  v: number;
}

export const BUCKET_RULES: Record<VixBucket, BucketRule> = {
  lt15: { label: '<15', t1: 0.5, t2: 1.0, t3: 2.0, cap: 0.9, v: 1.0 },
  '15to20': { label: '15–20', t1: 0.5, t2: 1.0, t3: 2.0, cap: 0.9, v: 1.0 },
  '20to30': { label: '20–30', t1: 0.75, t2: 1.25, t3: 2.5, cap: 0.75, v: 0.85 },
  ge30: { label: '≥30', t1: 1.0, t2: 1.5, t3: 3.0, cap: 0.5, v: 0.65 },
};

export function vixBucketOf(vix: number): VixBucket {
  if (vix < 15) return 'lt15';
  if (vix < 20) return '15to20';
  if (vix < 30) return '20to30';
  return 'ge30';
}

export function bandOf(absZ: number, rule: BucketRule): Band {
  if (absZ >= rule.t3) return 'ge_t3';
  if (absZ >= rule.t2) return 't2_t3';
  if (absZ >= rule.t1) return 't1_t2';
  return 'below_t1';
}

export const STRENGTH_BY_BAND: Record<Band, Strength> = {
  below_t1: 'none',
  t1_t2: 'weak',
  t2_t3: 'moderate',
  ge_t3: 'strong',
};

export interface DecisionCell {
  bias: Bias;
  mode: Mode;
  /** Upgrade to strong_* when all three indices agree. */
  strongIfAllAgree?: true;
  /** A bear move large enough to feed the early warning (≥ watch). */
  raiseEarlyWarning?: true;
  note: string;
}

type CellTable = Record<EngineRegime, Record<Direction, Record<SignalBand, DecisionCell>>>;

/** Research §3.6, "bias and mode by regime". */
export const DECISION_TABLE: CellTable = {
  bullish: {
    up: {
      t1_t2: { bias: 'lean_bull', mode: 'go_with_gap', note: 'a modest gap up in a bull regime' },
      t2_t3: {
        bias: 'bull',
        mode: 'go_with_gap',
        strongIfAllAgree: true,
        note: 'a clear gap up in a bull regime',
      },
      ge_t3: { bias: 'bull', mode: 'wait_for_confirmation', note: 'a very large gap up: exhaustion risk' },
    },
    down: {
      t1_t2: { bias: 'lean_bull', mode: 'fade_gap', note: 'a small dip in a bull regime is usually bought' },
      t2_t3: { bias: 'neutral', mode: 'wait_for_confirmation', note: 'a clear dip tests the bull regime' },
      ge_t3: {
        bias: 'bear',
        mode: 'go_with_gap',
        raiseEarlyWarning: true,
        note: 'a very large drop breaks the bull regime; the early warning goes to at least watch',
      },
    },
  },
  neutral: {
    up: {
      t1_t2: { bias: 'lean_bull', mode: 'go_with_gap', note: 'a modest gap up, neutral regime' },
      t2_t3: { bias: 'bull', mode: 'go_with_gap', note: 'a clear gap up, neutral regime' },
      ge_t3: { bias: 'lean_bull', mode: 'wait_for_confirmation', note: 'a very large gap up: reversal risk' },
    },
    down: {
      t1_t2: { bias: 'lean_bear', mode: 'go_with_gap', note: 'a modest gap down, neutral regime' },
      t2_t3: { bias: 'bear', mode: 'go_with_gap', note: 'a clear gap down, neutral regime' },
      ge_t3: {
        bias: 'lean_bear',
        mode: 'wait_for_confirmation',
        note: 'a very large gap down: reversal risk',
      },
    },
  },
  bearish: {
    up: {
      t1_t2: { bias: 'lean_bear', mode: 'fade_gap', note: 'a small rally in a bear regime is usually sold' },
      t2_t3: {
        bias: 'neutral',
        mode: 'wait_for_confirmation',
        note: 'a clear rally in a bear regime: short-covering risk',
      },
      ge_t3: {
        bias: 'lean_bull',
        mode: 'wait_for_confirmation',
        note: 'a very large rally against the bear regime',
      },
    },
    down: {
      t1_t2: { bias: 'lean_bear', mode: 'go_with_gap', note: 'a modest gap down in a bear regime' },
      t2_t3: {
        bias: 'bear',
        mode: 'go_with_gap',
        strongIfAllAgree: true,
        note: 'a clear gap down in a bear regime',
      },
      ge_t3: {
        bias: 'bear',
        mode: 'wait_for_confirmation',
        note: 'a very large drop: capitulation and limit risk',
      },
    },
  },
};

export function biasSign(bias: Bias): -1 | 0 | 1 {
  if (bias === 'neutral') return 0;
  return bias.endsWith('bull') ? 1 : -1;
}

const ONE_STEP_TOWARD_NEUTRAL: Record<Bias, Bias> = {
  strong_bull: 'bull',
  bull: 'lean_bull',
  lean_bull: 'neutral',
  neutral: 'neutral',
  lean_bear: 'neutral',
  bear: 'lean_bear',
  strong_bear: 'bear',
};

const CAP_AT_LEAN: Record<Bias, Bias> = {
  strong_bull: 'lean_bull',
  bull: 'lean_bull',
  lean_bull: 'lean_bull',
  neutral: 'neutral',
  lean_bear: 'lean_bear',
  bear: 'lean_bear',
  strong_bear: 'lean_bear',
};

export const OVERRIDE_CODES = [
  'narrowAgreement',
  'highVixCap',
  'lateMove',
  'limitNear',
  'keepDirection',
] as const;
export type OverrideCode = (typeof OVERRIDE_CODES)[number];

/** The bias of a move's direction at the strength of its band: lean_* (weak), bull/bear, strong_*. */
const BIAS_BY_BAND: Record<Direction, Record<SignalBand, Bias>> = {
  up: { t1_t2: 'lean_bull', t2_t3: 'bull', ge_t3: 'strong_bull' },
  down: { t1_t2: 'lean_bear', t2_t3: 'bear', ge_t3: 'strong_bear' },
};

export interface DecisionInput {
  /** Composite z. */
  z: number;
  /** Indices agreeing with the composite sign at |z_i| ≥ 0.5. */
  agree: number;
  regime: EngineRegime;
  bucket: VixBucket;
  /** |z| ≥ T3 with most of the move after 08:25 ET. */
  lateDominant: boolean;
  limitNear: boolean;
}

export interface Decision {
  bias: Bias;
  mode: Mode;
  strength: Strength;
  band: Band;
  direction: Direction | null;
  /** The §3.6 cell before overrides; null when |z| < T1. */
  cell: ({ regime: EngineRegime; direction: Direction; band: SignalBand } & DecisionCell) | null;
  overrides: OverrideCode[];
  raiseEarlyWarning: boolean;
  alignment: Alignment;
}

function regimeSign(regime: EngineRegime): -1 | 0 | 1 {
  if (regime === 'bullish') return 1;
  return regime === 'bearish' ? -1 : 0;
}

export function alignmentOf(
  regime: EngineRegime,
  mode: Mode,
  bias: Bias,
  direction: Direction | null,
): Alignment {
  const rs = regimeSign(regime);
  if (rs === 0) return 'neutral_regime';
  if (mode === 'fade_gap') return 'counter';
  const sign = biasSign(bias) !== 0 ? biasSign(bias) : direction === 'up' ? 1 : direction === 'down' ? -1 : 0;
  return sign === rs ? 'aligned' : 'counter';
}

export function decide(input: DecisionInput): Decision {
  const rule = BUCKET_RULES[input.bucket];
  const band = bandOf(Math.abs(input.z), rule);
  const strength = STRENGTH_BY_BAND[band];
  const direction: Direction | null = band === 'below_t1' ? null : input.z > 0 ? 'up' : 'down';
  const overrides: OverrideCode[] = [];
  if (input.limitNear) overrides.push('limitNear');
  if (band === 'below_t1' && input.limitNear && input.z !== 0) {
    // Near a price limit the move is the news even when small against a very high VIX: keep its direction.
    const near: Direction = input.z > 0 ? 'up' : 'down';
    const bias = BIAS_BY_BAND[near].t1_t2;
    return {
      bias,
      mode: 'limit_move',
      strength: 'weak',
      band,
      direction: near,
      cell: null,
      overrides,
      raiseEarlyWarning: false,
      alignment: alignmentOf(input.regime, 'limit_move', bias, near),
    };
  }
  if (band === 'below_t1' || direction === null) {
    return {
      bias: 'neutral',
      mode: 'no_signal',
      strength,
      band,
      direction: null,
      cell: null,
      overrides,
      raiseEarlyWarning: false,
      alignment: alignmentOf(input.regime, 'no_signal', 'neutral', null),
    };
  }
  const cellRule = DECISION_TABLE[input.regime][direction][band];
  const cell = { regime: input.regime, direction, band, ...cellRule };
  let bias: Bias =
    cellRule.strongIfAllAgree && input.agree >= 3
      ? direction === 'up'
        ? 'strong_bull'
        : 'strong_bear'
      : cellRule.bias;
  let mode: Mode = cellRule.mode;
  if (input.agree <= 1) {
    overrides.push('narrowAgreement');
    bias = ONE_STEP_TOWARD_NEUTRAL[bias];
    if (bias === 'neutral' && band === 'ge_t3') {
      // Beyond the top band the move itself is the news: one step toward neutral never erases its direction.
      overrides.push('keepDirection');
      bias = BIAS_BY_BAND[direction].t1_t2;
    }
    if (bias === 'neutral' && mode !== 'no_signal') mode = 'wait_for_confirmation';
  }
  if (input.bucket === 'ge30') {
    const regimeAligned = (direction === 'up' ? 1 : -1) === regimeSign(input.regime);
    const exempt = band === 'ge_t3' && input.agree >= 3 && regimeAligned;
    if (!exempt && CAP_AT_LEAN[bias] !== bias) {
      overrides.push('highVixCap');
      bias = CAP_AT_LEAN[bias];
    }
  }
  if (band === 'ge_t3' && input.lateDominant && mode !== 'wait_for_confirmation') {
    overrides.push('lateMove');
    mode = 'wait_for_confirmation';
  }
  if (input.limitNear) {
    bias = BIAS_BY_BAND[direction][band];
    mode = 'limit_move';
  }
  return {
    bias,
    mode,
    strength,
    band,
    direction,
    cell,
    overrides,
    raiseEarlyWarning: cellRule.raiseEarlyWarning === true,
    alignment: alignmentOf(input.regime, mode, bias, direction),
  };
}

export const AGREEMENT_FACTOR = (agree: number): number => (agree >= 3 ? 1 : agree === 2 ? 0.75 : 0.4);
export const ALIGNMENT_FACTOR: Record<Alignment, number> = { aligned: 1, neutral_regime: 0.85, counter: 0.6 };
export const TERM_INVERTED_FACTOR = 0.8;
export const STALE_QUOTE_FACTOR = 0.7;
export const SHORT_HISTORY_FACTOR = 0.85;

export interface ConfidenceInput {
  absZ: number;
  bucket: VixBucket;
  mode: Mode;
  agree: number;
  alignment: Alignment;
  termInverted: boolean;
  /** 0 at 04:00 ET on the session day (or earlier), 1 at 09:25 ET or later. */
  nightProgress: number;
  staleQuote: boolean;
  shortHistory: boolean;
}

export interface ConfidenceFactors {
  s: number;
  A: number;
  R: number;
  V: number;
  Tm: number;
  Q: number;
  cap: number;
}

/** Research §3.7. A no_signal decision has confidence 0: there is no direction to be confident in. */
export function confidenceOf(input: ConfidenceInput): { value: number; factors: ConfidenceFactors } {
  const rule = BUCKET_RULES[input.bucket];
  const s = Math.min(1, input.absZ / (input.mode === 'fade_gap' ? rule.t2 : rule.t3));
  const A = AGREEMENT_FACTOR(input.agree);
  const R = ALIGNMENT_FACTOR[input.alignment];
  const V = rule.v * (input.termInverted ? TERM_INVERTED_FACTOR : 1);
  const Tm = 0.6 + 0.4 * Math.min(1, Math.max(0, input.nightProgress));
  const Q = (input.staleQuote ? STALE_QUOTE_FACTOR : 1) * (input.shortHistory ? SHORT_HISTORY_FACTOR : 1);
  const factors = { s, A, R, V, Tm, Q, cap: rule.cap };
  if (input.mode === 'no_signal') return { value: 0, factors };
  return { value: Math.min(rule.cap, s * A * R * V * Tm * Q), factors };
}
