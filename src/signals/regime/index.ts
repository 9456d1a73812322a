import { echoIndex, measuredOf, perIndexRecord } from '../context.js';
import { atLeast, levelAbove } from '../measures.js';
import { defaultSignalsConfig, type SignalsConfig } from '../params.js';
import { REGIME_SCHEMA_ID, type RegimeDocument } from '../schemas.js';
import type { RegimeInputs, WarningLevel } from '../types.js';
import { decideRegime, type RegimeCall } from './decide.js';
import { dataQualityFlags, reasonsOf, regimeFlags, worstWindow } from './explain.js';
import { type MeasuredIndex, measureRegime, type RegimeMeasures, validateRegime } from './measure.js';

export { staleVixScale } from './measure.js';

/**
 * The regime early warning (research §4): measures M1–M9 per index, a candidate level (§4.2) under the
 * entry thresholds and one under the exit thresholds, then the hysteresis step from `previousState`.
 * Pure; the returned document's `state` is what the next check must receive as `previousState`.
 * Steps: measure → decide → explain → document.
 */
export function computeRegime(
  inputs: RegimeInputs,
  config: SignalsConfig = defaultSignalsConfig(),
): RegimeDocument {
  validateRegime(inputs);
  const measures = measureRegime(inputs, config);
  const call = decideRegime(inputs, measures, config);
  return regimeDocument({
    inputs,
    measures,
    call,
    flags: regimeFlags(measures, call),
    dataQualityFlags: dataQualityFlags(measures, config),
    reasons: reasonsOf(measures, call),
  });
}

/** `--fail-on`: true when the level is at or above the threshold. */
export function levelReaches(level: WarningLevel, threshold: WarningLevel): boolean {
  return atLeast(level, threshold);
}

interface DocumentParts {
  inputs: RegimeInputs;
  measures: RegimeMeasures;
  call: RegimeCall;
  flags: RegimeDocument['flags'];
  dataQualityFlags: string[];
  reasons: string[];
}

function indexMeasures(w: MeasuredIndex) {
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
}

function regimeDocument(parts: DocumentParts): RegimeDocument {
  const { inputs, measures: m, call } = parts;
  const { asOf } = inputs;
  const { step, onEntry, onExit, breadth } = call;
  const measured = (s: Parameters<typeof measuredOf>[1]) => measuredOf(m.usable, s);
  return {
    schema: REGIME_SCHEMA_ID,
    asOf: asOf.toISOString(),
    session: m.segment,
    lake: inputs.lake ?? [],
    level: step.state.level,
    candidate: onEntry.candidate.level,
    exitCandidate: onExit.candidate.level,
    transition: step.transition,
    since: step.state.since,
    pending: step.pending,
    inputs: {
      vix: m.context.vix,
      vxProxy:
        inputs.vxProxy === undefined
          ? null
          : {
              price: inputs.vxProxy.price,
              priorClose: inputs.vxProxy.priorClose,
              ts: inputs.vxProxy.ts.toISOString(),
            },
      regime: m.context.regime,
      perIndex: perIndexRecord((s) => echoIndex(inputs.perIndex[s], asOf)),
      hadPriorState: inputs.previousState !== undefined,
    },
    priorState: {
      source: inputs.previousState === undefined ? 'none' : 'carried',
      recordedAt: null,
      staleRecordedAt: null,
      derivation: null,
    },
    measures: {
      perIndex: perIndexRecord((s) => {
        const w = measured(s);
        return w === undefined ? null : indexMeasures(w);
      }),
      m4: { ...onEntry.global.m4, thresholds: [breadth[0], breadth[1], breadth[2]] },
      m6: { value: m.m6.value, source: m.m6.source, level: levelAbove(m.m6.value, m.entry.m6) },
      m7: { value: m.m7, level: levelAbove(m.m7, m.entry.m7) },
      m9: { smallCapStress: onEntry.global.smallCapStress, techStress: onEntry.global.techStress },
      counts: onEntry.candidate.counts,
      sigmaShift: m.sigmaShift,
    },
    breadth: onEntry.global.m4.breadth,
    worstWindowMin: worstWindow(m.usable)?.minutes ?? null,
    derivedRegime: m.context.regime.derived,
    overlay: call.overlay,
    state: step.state,
    flags: parts.flags,
    dataQuality: {
      usable: m.usable.map((w) => w.symbol),
      dropped: m.dropped,
      quoteAgeSeconds: perIndexRecord((s) => measured(s)?.ageSeconds ?? null),
      flags: parts.dataQualityFlags,
      stale: m.stale || m.atLimit,
    },
    reasons: parts.reasons,
  };
}
