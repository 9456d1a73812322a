import { measuredOf } from '../context.js';
import { type StepResult, stepEarlyWarning } from '../hysteresis.js';
import {
  atLeast,
  breadthThresholds,
  type Candidate,
  candidateLevel,
  levelAbove,
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

function evaluate(m: RegimeMeasures, pick: 'entry' | 'exit', breadth: Triple): Evaluation {
  const th = m[pick];
  const global = breadthOf(m.usable, pick, breadth);
  const candidate = candidateLevel({
    perIndex: m.usable.map((w) => w[pick]),
    m4: global.m4.level,
    m6: levelAbove(m.m6.value, th.m6),
    m7: levelAbove(m.m7, th.m7),
    breadthCounts: m.usable.length >= 2,
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
  const onEntry = evaluate(m, 'entry', breadth);
  const onExit = evaluate(m, 'exit', breadth);
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
