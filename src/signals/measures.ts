import { etParts } from '../market/zoned.js';
import { NON_RTH_MINUTES, OVERNIGHT_LIMIT, RTH_DOWN_LIMITS } from './params.js';
import { maxInWindow, priceAt } from './path.js';
import type { Segment } from './sessions.js';
import type { PricePoint, WarningLevel } from './types.js';
import { WARNING_LEVELS } from './types.js';
import { windowVarianceShare } from './volatility.js';

/** Early-warning measures M1–M9 of research §4.1: raw values first, levels from a threshold set. */

const MINUTE_MS = 60_000;
export const DRAWDOWN_WINDOWS = [15, 30, 60, 240] as const;
export type DrawdownWindow = (typeof DRAWDOWN_WINDOWS)[number];
/** A sampled price may be at most this old (bars exist only for minutes with trades). */
const SAMPLE_TOLERANCE_MS = 5 * MINUTE_MS;
const RV_STEP_MIN = 5;
const RV_WINDOW_MIN = 60;
const RV_MIN_RETURNS = 8;

export type Triple = readonly [watch: number, warning: number, critical: number];

export interface LevelThresholds {
  /** σ units, ≤ (negative). */
  m1: Triple;
  m2: Triple;
  m3: Triple;
  /** RV60/VIX, ≥. */
  m5: Triple;
  /** VIX jump as a fraction, ≥. */
  m6: Triple;
  /** VIX/VIX3M, ≥. */
  m7: Triple;
  /** Percent declines, ≥; decline60 has no watch level. */
  m8: { decline: Triple; decline60Warning: number; decline60Critical: number; limitDistance: number };
  /** |move| in percent that M1/M2/M3 need for warning and critical (low-VIX guard). */
  floors: { warning: number; critical: number };
}

/** Research §4.1 entry thresholds. */
export const ENTRY_THRESHOLDS: LevelThresholds = {
  m1: [-1, -2, -3],
  m2: [-2, -3, -4],
  m3: [-2, -3, -4],
  m5: [1.0, 1.3, 1.7],
  m6: [0.1, 0.2, 0.35],
  m7: [0.95, 1.0, 1.1],
  m8: { decline: [2.5, 3.5, 5], decline60Warning: 2.5, decline60Critical: 3.0, limitDistance: 0.5 },
  floors: { warning: 1.0, critical: 2.0 },
};

function shiftTriple(t: Triple, by: number): Triple {
  return [t[0] + by, t[1] + by, t[2] + by];
}

function scaleTriple(t: Triple, by: number): Triple {
  return [t[0] * by, t[1] * by, t[2] * by];
}

/** Regime context (research §4.2): +0.5σ (escalate sooner) in a bear regime, −0.5σ in a calm bull. */
export function entryThresholds(sigmaShift: number): LevelThresholds {
  const e = ENTRY_THRESHOLDS;
  return {
    ...e,
    m1: shiftTriple(e.m1, sigmaShift),
    m2: shiftTriple(e.m2, sigmaShift),
    m3: shiftTriple(e.m3, sigmaShift),
  };
}

/**
 * Exit thresholds (research §4.3): σ and percent thresholds × exitFactor (−3.0 → −2.1), RV/IV × 0.9
 * (watch exits at 0.9), VIX/VIX3M − 0.03 (warning exits at 0.97); the limit distance widens by 1/exitFactor.
 */
export function exitThresholds(entry: LevelThresholds, exitFactor: number): LevelThresholds {
  return {
    m1: scaleTriple(entry.m1, exitFactor),
    m2: scaleTriple(entry.m2, exitFactor),
    m3: scaleTriple(entry.m3, exitFactor),
    m5: scaleTriple(entry.m5, 0.9),
    m6: scaleTriple(entry.m6, exitFactor),
    m7: shiftTriple(entry.m7, -0.03),
    m8: {
      decline: scaleTriple(entry.m8.decline, exitFactor),
      decline60Warning: entry.m8.decline60Warning * exitFactor,
      decline60Critical: entry.m8.decline60Critical * exitFactor,
      limitDistance: entry.m8.limitDistance / exitFactor,
    },
    floors: { warning: entry.floors.warning * exitFactor, critical: entry.floors.critical * exitFactor },
  };
}

export function levelRank(level: WarningLevel): number {
  return WARNING_LEVELS.indexOf(level);
}

export function maxLevel(...levels: WarningLevel[]): WarningLevel {
  return levels.reduce((a, b) => (levelRank(b) > levelRank(a) ? b : a), 'normal');
}

export function atLeast(level: WarningLevel, threshold: WarningLevel): boolean {
  return levelRank(level) >= levelRank(threshold);
}

/** Level of a "lower is worse" value against negative thresholds. */
export function levelBelow(value: number | null, t: Triple): WarningLevel {
  if (value === null) return 'normal';
  if (value <= t[2]) return 'critical';
  if (value <= t[1]) return 'warning';
  if (value <= t[0]) return 'watch';
  return 'normal';
}

/** Level of a "higher is worse" value. */
export function levelAbove(value: number | null, t: Triple): WarningLevel {
  if (value === null) return 'normal';
  if (value >= t[2]) return 'critical';
  if (value >= t[1]) return 'warning';
  if (value >= t[0]) return 'watch';
  return 'normal';
}

/** Absolute floors: a σ-level needs |move| ≥ 1 % for warning and ≥ 2 % for critical. */
export function applyFloor(
  level: WarningLevel,
  absPct: number,
  floors: LevelThresholds['floors'],
): WarningLevel {
  let out = level;
  if (out === 'critical' && absPct < floors.critical) out = 'warning';
  if (out === 'warning' && absPct < floors.warning) out = 'watch';
  return out;
}

export interface DrawdownWindowValue {
  minutes: DrawdownWindow;
  z: number;
  pct: number;
}

export interface RawIndexMeasures {
  sigmaDay: number;
  m1: { value: number; pct: number };
  m2: { windows: DrawdownWindowValue[] };
  m3: { value: number | null; pct: number | null };
  m5: { rv60: number | null; ratio: number | null };
  m8: {
    declinePct: number;
    decline60Pct: number;
    limitPrice: number;
    distancePct: number;
    nextLimit: string;
  };
}

export interface RawIndexInput {
  /** Path with the current price appended, ascending. */
  points: readonly PricePoint[];
  price: number;
  refPrice: number;
  asOf: Date;
  sigmaDay: number;
  /** VIX × vol ratio: the implied vol this index's RV60 is compared with; null without VIX. */
  impliedVol: number | null;
  overnightShare: number;
  earlyClose: boolean;
  segment: Segment;
  limitDownPrice: number | null;
  /** T_ref (the fixing M1 measures from); M1's σ is the σ of the time elapsed since it. */
  refTime?: Date | undefined;
}

const DAY_MINUTES = 1440;
/** The post-close hour 16:00–17:00 ET after the reference, before the daily halt. */
const POST_CLOSE_MINUTES = 60;

/**
 * Share of the daily variance expected between T_ref and asOf (the variance profile): the post-close
 * hour plus everything since the last 18:00 ET reopen when a closed stretch (weekend, holiday) lies
 * between; capped at 1 (a full day's σ). Without T_ref: 1.
 */
export function elapsedVarianceShare(
  asOf: Date,
  refTime: Date | undefined,
  overnightShare: number,
  earlyClose: boolean,
): number {
  if (refTime === undefined) return 1;
  const minutes = Math.floor((asOf.getTime() - refTime.getTime()) / MINUTE_MS);
  if (minutes <= 0) return 1;
  let share: number;
  if (minutes <= DAY_MINUTES + 2 * 60) {
    share = windowVarianceShare(asOf, minutes, overnightShare, earlyClose);
  } else {
    const { minuteOfDay } = etParts(asOf);
    const sinceReopen = (minuteOfDay - 18 * 60 + DAY_MINUTES) % DAY_MINUTES;
    // The post-close hour is never RTH, also after a 13:00 half-day close (which always precedes a closed day).
    share =
      (overnightShare * POST_CLOSE_MINUTES) / NON_RTH_MINUTES +
      windowVarianceShare(asOf, sinceReopen, overnightShare, earlyClose);
  }
  return Math.min(1, Math.max(share, 1e-4));
}

/** The next downside limit as a price and a label (research §1.1). */
export function nextDownLimit(
  refPrice: number,
  price: number,
  segment: Segment,
  minuteOfDay: number,
  override: number | null,
): { price: number; label: string } {
  if (override !== null) return { price: override, label: 'exchange limit' };
  if (segment === 'rth') {
    const lateRth = minuteOfDay >= 15 * 60 + 25;
    const levels = lateRth ? [RTH_DOWN_LIMITS[2]] : RTH_DOWN_LIMITS;
    for (const level of levels) {
      const limit = refPrice * (1 - level);
      if (price > limit) return { price: limit, label: `RTH −${Math.round(level * 100)}%` };
    }
    return { price: refPrice * (1 - RTH_DOWN_LIMITS[2]), label: 'RTH −20%' };
  }
  return { price: refPrice * (1 - OVERNIGHT_LIMIT), label: `${segment} −7%` };
}

export function rawIndexMeasures(input: RawIndexInput): RawIndexMeasures {
  const t = input.asOf.getTime();
  const { price, refPrice, sigmaDay, points } = input;
  const sigmaOver = (minutes: number) =>
    sigmaDay * Math.sqrt(windowVarianceShare(input.asOf, minutes, input.overnightShare, input.earlyClose));
  const d0 = Math.log(price / refPrice);
  const windows: DrawdownWindowValue[] = DRAWDOWN_WINDOWS.map((minutes) => {
    const peak = Math.max(price, maxInWindow(points, t - minutes * MINUTE_MS, t) ?? price);
    const dd = Math.log(price / peak);
    const sigmaW = sigmaOver(minutes);
    return { minutes, z: sigmaW > 0 ? dd / sigmaW : 0, pct: (price / peak - 1) * 100 };
  });
  const p15 = priceAt(points, t - 15 * MINUTE_MS, SAMPLE_TOLERANCE_MS);
  const sigma15 = sigmaOver(15);
  const m3 =
    p15 === null || sigma15 <= 0
      ? { value: null, pct: null }
      : { value: Math.log(price / p15) / sigma15, pct: (price / p15 - 1) * 100 };
  const rv60 = realizedVol60(input);
  const w60 = windows.find((w) => w.minutes === 60)!;
  const { minuteOfDay } = etParts(input.asOf);
  const limit = nextDownLimit(refPrice, price, input.segment, minuteOfDay, input.limitDownPrice);
  const sigmaSinceRef =
    sigmaDay *
    Math.sqrt(elapsedVarianceShare(input.asOf, input.refTime, input.overnightShare, input.earlyClose));
  return {
    sigmaDay,
    m1: { value: d0 / sigmaSinceRef, pct: (price / refPrice - 1) * 100 },
    m2: { windows },
    m3,
    m5: { rv60, ratio: rv60 === null || input.impliedVol === null ? null : rv60 / input.impliedVol },
    m8: {
      declinePct: (1 - price / refPrice) * 100,
      decline60Pct: -w60.pct,
      limitPrice: limit.price,
      distancePct: (price / limit.price - 1) * 100,
      nextLimit: limit.label,
    },
  };
}

/** RV60 in vol points from 5-minute returns, scaled by the variance profile (research §4.1 M5). */
function realizedVol60(input: RawIndexInput): number | null {
  const t = input.asOf.getTime();
  const samples: (number | null)[] = [];
  for (let k = RV_WINDOW_MIN; k >= 0; k -= RV_STEP_MIN) {
    samples.push(k === 0 ? input.price : priceAt(input.points, t - k * MINUTE_MS, SAMPLE_TOLERANCE_MS));
  }
  let sumSq = 0;
  let returns = 0;
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    if (a === null || a === undefined || b === null || b === undefined) continue;
    sumSq += Math.log(b / a) ** 2;
    returns++;
  }
  if (returns < RV_MIN_RETURNS) return null;
  const share =
    windowVarianceShare(input.asOf, RV_WINDOW_MIN, input.overnightShare, input.earlyClose) *
    (returns / (samples.length - 1));
  if (share <= 0) return null;
  return 100 * Math.sqrt(252) * Math.sqrt(sumSq / share);
}

export interface IndexLevels {
  m1: WarningLevel;
  m2: WarningLevel;
  m2Window: DrawdownWindowValue;
  m3: WarningLevel;
  m5: WarningLevel;
  m8: WarningLevel;
  /** max(M1, M2): what breadth counts. */
  breadthLevel: WarningLevel;
}

/** The lower of a level and a cap. */
export function capLevel(level: WarningLevel, cap: WarningLevel): WarningLevel {
  return levelRank(level) > levelRank(cap) ? cap : level;
}

/**
 * Levels of one index. `m5Cap` bounds M5: RV60 measured now against a VIX that is only a past close
 * (research §4.4: no live VIX overnight) cannot tell realised vol overtaking implied from implied having
 * moved since the close, so such an M5 counts at most as watch.
 */
export function levelIndex(
  raw: RawIndexMeasures,
  th: LevelThresholds,
  m5Cap: WarningLevel = 'critical',
): IndexLevels {
  const m1 = applyFloor(levelBelow(raw.m1.value, th.m1), Math.abs(raw.m1.pct), th.floors);
  let m2: WarningLevel = 'normal';
  let m2Window = raw.m2.windows[0]!;
  for (const w of raw.m2.windows) {
    const level = applyFloor(levelBelow(w.z, th.m2), Math.abs(w.pct), th.floors);
    if (levelRank(level) > levelRank(m2) || (level === m2 && w.z < m2Window.z)) m2Window = w;
    m2 = maxLevel(m2, level);
  }
  const m3 =
    raw.m3.value === null || raw.m3.pct === null
      ? 'normal'
      : applyFloor(levelBelow(raw.m3.value, th.m3), Math.abs(raw.m3.pct), th.floors);
  const m5 = capLevel(levelAbove(raw.m5.ratio, th.m5), m5Cap);
  const { declinePct, decline60Pct, distancePct } = raw.m8;
  const m8: WarningLevel =
    declinePct >= th.m8.decline[2] ||
    distancePct <= th.m8.limitDistance ||
    decline60Pct >= th.m8.decline60Critical
      ? 'critical'
      : declinePct >= th.m8.decline[1] || decline60Pct >= th.m8.decline60Warning
        ? 'warning'
        : declinePct >= th.m8.decline[0]
          ? 'watch'
          : 'normal';
  return { m1, m2, m2Window, m3, m5, m8, breadthLevel: maxLevel(m1, m2) };
}

/** M4 thresholds: absolute 1/2/3, or scaled to the usable indices (1/⌈2n/3⌉/n). */
export function breadthThresholds(basis: 'absolute' | 'available', usable: number): Triple {
  if (basis === 'absolute' || usable >= 3) return [1, 2, 3];
  const n = Math.max(1, usable);
  return [1, Math.ceil((2 * n) / 3), n];
}

export interface CandidateInput {
  /** Levels per usable index. */
  perIndex: IndexLevels[];
  m4: WarningLevel;
  m6: WarningLevel;
  m7: WarningLevel;
  /**
   * Whether M4 counts as one of the "#measures" (default true). With one usable index M4 is a function of
   * that index's M1/M2, not independent evidence, so counting it would double-count the same move.
   */
  breadthCounts?: boolean;
}

export interface Candidate {
  level: WarningLevel;
  hardCritical: boolean;
  counts: { watch: number; warning: number; critical: number };
}

/** Research §4.2: from measure levels to one candidate level. */
export function candidateLevel(input: CandidateInput): Candidate {
  const worst = (pick: (l: IndexLevels) => WarningLevel) => maxLevel(...input.perIndex.map(pick));
  const m1 = worst((l) => l.m1);
  const m2 = worst((l) => l.m2);
  const m3 = worst((l) => l.m3);
  const m5 = worst((l) => l.m5);
  const m8 = worst((l) => l.m8);
  const all = [m1, m2, m3, ...(input.breadthCounts === false ? [] : [input.m4]), m5, input.m6, input.m7, m8];
  const counts = {
    watch: all.filter((l) => atLeast(l, 'watch')).length,
    warning: all.filter((l) => atLeast(l, 'warning')).length,
    critical: all.filter((l) => atLeast(l, 'critical')).length,
  };
  const priceBased = maxLevel(m1, m2, m3);
  const hardCritical = m8 === 'critical' || (m1 === 'critical' && input.m4 === 'critical');
  let level: WarningLevel = 'normal';
  if (hardCritical || (counts.critical >= 2 && input.m4 === 'critical')) level = 'critical';
  else if (counts.warning >= 2 && atLeast(priceBased, 'warning') && atLeast(input.m4, 'warning'))
    level = 'warning';
  else if (atLeast(priceBased, 'watch') || atLeast(input.m6, 'warning') || atLeast(input.m7, 'warning')) {
    level = 'watch';
  }
  return { level, hardCritical, counts };
}
