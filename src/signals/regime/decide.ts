import { measuredOf } from '../context.js';
import { type StepResult, stepEarlyWarning } from '../hysteresis.js';
import {
  atLeast,
  breadthThresholds,
  type Candidate,
  candidateLevel,
  levelAbove,
  maxLevel,
  type Triple,
} from '../measures.js';
import type { SignalsConfig } from '../params.js';
import type { IndexSymbol, RegimeInputs, WarningLevel } from '../types.js';
import type { MeasuredIndex, RegimeMeasures } from './measure.js';

/** Step 2 of the regime early warning: breadth, the candidate levels (§4.2) and the hysteresis step (§4.3). */

const STRESS_GAP = -1.5;

export interface Breadth {
  m4: { breadth: number; level: WarningLevel; counted: IndexSymbol[] };
  smallCapStress: boolean;
  techStress: boolean;
}

/** M4 breadth with the M9 modifier: a stressed index with a negative day move counts once if not already in. */
function breadthOf(usable: readonly MeasuredIndex[], pick: 'entry' | 'exit', thresholds: Triple): Breadth {
  const counted = usable.filter((w) => atLeast(w[pick].breadthLevel, 'watch')).map((w) => w.symbol);
  const m1 = (s: IndexSymbol) => measuredOf(usable, s)?.raw.m1.value;
  const es = m1('ES');
  const rty = m1('RTY');
  const nq = m1('NQ');
  const smallCapStress = es !== undefined && rty !== undefined && rty - es <= STRESS_GAP;
  const techStress = es !== undefined && nq !== undefined && nq - es <= STRESS_GAP;
  if (smallCapStress && rty !== undefined && rty < 0 && !counted.includes('RTY')) counted.push('RTY');
  if (techStress && nq !== undefined && nq < 0 && !counted.includes('NQ')) counted.push('NQ');
  const breadth = Math.min(3, counted.length);
  return { m4: { breadth, level: levelAbove(breadth, thresholds), counted }, smallCapStress, techStress };
}

export interface Evaluation {
  global: Breadth;
  candidate: Candidate;
}

/**
 * With one usable index and breadthBasis 'available' that index is the whole market: M4 is its own
 * price-based level (max of M1/M2/M3), the analogue of "every index at that level", and counts. A move
 * at warning on it is then a market-wide warning, as the same move on all three indices would be.
 */
function singleIndexBreadth(only: MeasuredIndex, pick: 'entry' | 'exit'): Breadth {
  const l = only[pick];
  const level = maxLevel(l.m1, l.m2, l.m3);
  const counted = atLeast(level, 'watch') ? [only.symbol] : [];
  return { m4: { breadth: counted.length, level, counted }, smallCapStress: false, techStress: false };
}

function evaluate(
  m: RegimeMeasures,
  pick: 'entry' | 'exit',
  breadth: Triple,
  basis: 'absolute' | 'available',
): Evaluation {
  const th = m[pick];
  const only = m.usable.length === 1 && basis === 'available' ? m.usable[0] : undefined;
  const global = only === undefined ? breadthOf(m.usable, pick, breadth) : singleIndexBreadth(only, pick);
  const candidate = candidateLevel({
    perIndex: m.usable.map((w) => w[pick]),
    m4: global.m4.level,
    m6: levelAbove(m.m6.value, th.m6),
    m7: levelAbove(m.m7, th.m7),
    breadthCounts: m.usable.length >= 2 || only !== undefined,
  });
  return { global, candidate };
}

export interface RegimeCall {
  breadth: Triple;
  onEntry: Evaluation;
  onExit: Evaluation;
  step: StepResult;
  overlay: 'bear_risk' | null;
}

export function decideRegime(inputs: RegimeInputs, m: RegimeMeasures, config: SignalsConfig): RegimeCall {
  const cfg = config.earlyWarning;
  const breadth = breadthThresholds(cfg.breadthBasis, m.usable.length);
  const onEntry = evaluate(m, 'entry', breadth, cfg.breadthBasis);
  const onExit = evaluate(m, 'exit', breadth, cfg.breadthBasis);
  const step = stepEarlyWarning(
    inputs.previousState,
    {
      now: inputs.asOf,
      candidate: onEntry.candidate.level,
      exitCandidate: onExit.candidate.level,
      hardCritical: onEntry.candidate.hardCritical,
      stale: m.stale || m.atLimit,
      segment: m.segment,
    },
    cfg,
  );
  const until = step.state.bearRiskUntil;
  const overlay = until !== null && Date.parse(until) > inputs.asOf.getTime() ? 'bear_risk' : null;
  return { breadth, onEntry, onExit, step, overlay };
}
