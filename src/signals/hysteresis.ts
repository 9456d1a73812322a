import { InvalidSignalInputError } from './errors.js';
import { levelRank } from './measures.js';
import type { EarlyWarningConfig } from './params.js';
import { earlyWarningStateSchema } from './schemas.js';
import { nextReopen, type Segment } from './sessions.js';
import { type EarlyWarningState, WARNING_LEVELS, type WarningLevel } from './types.js';

/**
 * Spot-check state machine of the early warning (research §4.3), a Schmitt trigger with a minimum dwell:
 * escalate after N consecutive checks above the level spanning ≥ escalateMinSeconds (hardCritical at once);
 * step down ONE level after M consecutive checks inside the exit thresholds spanning ≥ 30 min (RTH) or
 * 60 min (overnight), and only after the level's minimum dwell. Stale data never steps down.
 */

export interface Observation {
  now: Date;
  /** Level under the entry thresholds. */
  candidate: WarningLevel;
  /** Level under the exit thresholds. */
  exitCandidate: WarningLevel;
  hardCritical: boolean;
  stale: boolean;
  segment: Segment;
}

export type HysteresisFlag = 'noPriorState' | 'priorStateIgnored' | 'streakReset';

export interface Pending {
  direction: 'up' | 'down';
  target: WarningLevel;
  checks: number;
  checksNeeded: number;
  firstAt: string;
}

export interface StepResult {
  state: EarlyWarningState;
  transition: 'escalated' | 'deescalated' | 'held';
  pending: Pending | null;
  flags: HysteresisFlag[];
  notes: string[];
}

const MINUTE_MS = 60_000;

export function parseEarlyWarningState(value: unknown): EarlyWarningState {
  const parsed = earlyWarningStateSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidSignalInputError(
      `previousState${issue && issue.path.length > 0 ? `.${issue.path.join('.')}` : ''}`,
      `is not a valid early-warning state: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

function levelBelowOf(level: WarningLevel): WarningLevel {
  return WARNING_LEVELS[Math.max(0, levelRank(level) - 1)]!;
}

function minLevel(a: WarningLevel, b: WarningLevel): WarningLevel {
  return levelRank(a) <= levelRank(b) ? a : b;
}

export function stepEarlyWarning(
  previous: EarlyWarningState | undefined,
  obs: Observation,
  cfg: EarlyWarningConfig,
): StepResult {
  const now = obs.now.getTime();
  const nowIso = obs.now.toISOString();
  const flags: HysteresisFlag[] = [];
  const notes: string[] = [];
  let prior = previous === undefined ? undefined : parseEarlyWarningState(previous);
  if (prior !== undefined && Date.parse(prior.lastCheckAt) >= now) {
    flags.push('priorStateIgnored');
    notes.push(`prior state from ${prior.lastCheckAt} is not before this check; starting fresh`);
    prior = undefined;
  } else if (prior === undefined) {
    flags.push('noPriorState');
  }
  let level: WarningLevel = prior?.level ?? 'normal';
  let since = prior?.since ?? nowIso;
  let up = prior?.up ?? null;
  let down = prior?.down ?? null;
  if (prior !== undefined && now - Date.parse(prior.lastCheckAt) > cfg.maxCheckGapMinutes * MINUTE_MS) {
    if (up !== null || down !== null) {
      flags.push('streakReset');
      notes.push(
        `${Math.round((now - Date.parse(prior.lastCheckAt)) / MINUTE_MS)} min since the last check: pending streaks restart`,
      );
    }
    up = null;
    down = null;
  }
  let transition: StepResult['transition'] = 'held';

  if (obs.hardCritical && level !== 'critical') {
    notes.push(`hard critical: escalated from ${level} at once`);
    level = 'critical';
    since = nowIso;
    up = null;
    down = null;
    transition = 'escalated';
  } else if (levelRank(obs.candidate) > levelRank(level)) {
    down = null;
    up =
      up === null
        ? { target: obs.candidate, count: 1, firstAt: nowIso }
        : { target: minLevel(up.target, obs.candidate), count: up.count + 1, firstAt: up.firstAt };
    if (up.count >= cfg.escalateChecks && now - Date.parse(up.firstAt) >= cfg.escalateMinSeconds * 1000) {
      notes.push(`escalated ${level} → ${up.target} after ${up.count} checks since ${up.firstAt}`);
      level = up.target;
      since = nowIso;
      up = null;
      transition = 'escalated';
    }
  } else {
    up = null;
    if (levelRank(obs.exitCandidate) < levelRank(level)) {
      if (obs.stale) {
        down = null;
        notes.push('stale data: no step down');
      } else {
        down =
          down === null ? { count: 1, firstAt: nowIso } : { count: down.count + 1, firstAt: down.firstAt };
        const span = obs.segment === 'overnight' ? cfg.deescalateMinutesOvernight : cfg.deescalateMinutesRth;
        const dwell = level === 'normal' ? 0 : cfg.minDwellMinutes[level];
        const streakOk =
          down.count >= cfg.deescalateChecks && now - Date.parse(down.firstAt) >= span * MINUTE_MS;
        const dwellOk = now - Date.parse(since) >= dwell * MINUTE_MS;
        if (streakOk && dwellOk) {
          const next = levelBelowOf(level);
          notes.push(`stepped down ${level} → ${next} after ${down.count} checks inside the exit thresholds`);
          level = next;
          since = nowIso;
          down = null;
          transition = 'deescalated';
        }
      }
    } else {
      down = null;
    }
  }

  const previousRisk = prior?.bearRiskUntil ?? null;
  const bearRiskUntil =
    level === 'critical'
      ? nextReopen(obs.now).toISOString()
      : previousRisk !== null && Date.parse(previousRisk) > now
        ? previousRisk
        : null;
  const state: EarlyWarningState = { level, since, lastCheckAt: nowIso, up, down, bearRiskUntil };
  const pending: Pending | null =
    up !== null
      ? {
          direction: 'up',
          target: up.target,
          checks: up.count,
          checksNeeded: cfg.escalateChecks,
          firstAt: up.firstAt,
        }
      : down !== null
        ? {
            direction: 'down',
            target: levelBelowOf(level),
            checks: down.count,
            checksNeeded: cfg.deescalateChecks,
            firstAt: down.firstAt,
          }
        : null;
  return { state, transition, pending, flags, notes };
}
