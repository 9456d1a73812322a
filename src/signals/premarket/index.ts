import { echoIndex, measuredOf, perIndexRecord } from '../context.js';
import { defaultSignalsConfig, type SignalsConfig } from '../params.js';
import { PREMARKET_SCHEMA_ID, type PremarketDocument } from '../schemas.js';
import type { IndexSymbol, PremarketInputs } from '../types.js';
import { decidePremarket, type PremarketCall } from './decide.js';
import { dataQualityFlags, guidanceFor, reasonsOf } from './explain.js';
import { measurePremarket, type PremarketMeasures, validatePremarket } from './measure.js';

export { fillProbabilityHint } from './explain.js';

/**
 * The pre-market surge signal (research §3): the overnight move of ES/NQ/RTY against the prior 16:00 ET
 * reference, in units of the expected overnight move, turned into a bias for the cash open.
 * Pure: everything comes from `inputs`; throws InvalidSignalInputError on impossible values and
 * NoUsableInputError when no index or no volatility reference is usable.
 * Steps: measure → decide → explain → document.
 */
export function computePremarket(
  inputs: PremarketInputs,
  config: SignalsConfig = defaultSignalsConfig(),
): PremarketDocument {
  validatePremarket(inputs);
  const measures = measurePremarket(inputs, config);
  const call = decidePremarket(inputs, measures, config);
  return premarketDocument({
    inputs,
    measures,
    call,
    flags: dataQualityFlags(inputs, measures, config),
    reasons: reasonsOf(inputs, measures, call, config),
  });
}

interface DocumentParts {
  inputs: PremarketInputs;
  measures: PremarketMeasures;
  call: PremarketCall;
  flags: string[];
  reasons: string[];
}

function guidanceOf({ measures: m, call }: DocumentParts, symbol: IndexSymbol) {
  return guidanceFor({
    symbol,
    work: measuredOf(m.usable, symbol),
    dropped: m.dropped.find((d) => d.symbol === symbol),
    decision: call.decision,
    confidence: call.confidence.value,
    compositeZ: m.composite.z,
    t1: call.rule.t1,
    reducedRisk: call.reducedRisk,
    sigmaDay: m.sigma.sigmaDay,
    ratio: m.context.ratios[symbol].ratio,
  });
}

function premarketDocument(parts: DocumentParts): PremarketDocument {
  const { inputs, measures: m, call } = parts;
  const { decision, rule } = call;
  const { asOf } = inputs;
  return {
    schema: PREMARKET_SCHEMA_ID,
    asOf: asOf.toISOString(),
    sessionDate: inputs.sessionDate,
    reference: {
      time: m.refTime.toISOString(),
      sessionDate: inputs.reference.sessionDate,
      earlyClose: inputs.reference.earlyClose,
      extraDays: m.extraDays,
    },
    lake: inputs.lake ?? [],
    inputs: {
      vix: m.context.vix,
      regime: m.context.regime,
      perIndex: perIndexRecord((s) => echoIndex(inputs.perIndex[s], asOf)),
      calendar: {
        rollWeek: inputs.calendar.rollWeek,
        expiryDay: inputs.calendar.expiryDay,
        macro0830: inputs.calendar.macro0830 === true,
      },
    },
    measures: {
      perIndex: perIndexRecord((s) => measuredOf(m.usable, s)?.measures ?? null),
      composite: m.composite,
      expectedMovePct: {
        onVix: m.sigma.onVix === null ? null : m.sigma.onVix * 100,
        onRealized: m.sigma.onRealized === null ? null : m.sigma.onRealized * 100,
        used: m.sigma.used * 100,
        gapFactor: m.gap,
        sessionsForRV: m.sigma.sessionsForRV,
      },
      sigmaDayPct: m.sigma.sigmaDay * 100,
    },
    decision: {
      bias: decision.bias,
      mode: decision.mode,
      strength: decision.strength,
      confidence: call.confidence.value,
      factors: call.confidence.factors,
      vixBucket: call.bucket,
      vixBucketSource: m.context.vix.level === null ? 'realized' : 'vix',
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
    guidance: { SPY: guidanceOf(parts, 'ES'), QQQ: guidanceOf(parts, 'NQ'), IWM: guidanceOf(parts, 'RTY') },
    tags: call.tags,
    earlyWarning: null,
    dataQuality: {
      usable: m.usable.map((w) => w.symbol),
      dropped: m.dropped,
      quoteAgeSeconds: perIndexRecord((s) => measuredOf(m.usable, s)?.ageSeconds ?? null),
      flags: parts.flags,
      sessionsForRV: m.sigma.sessionsForRV,
    },
    reasons: parts.reasons,
  };
}
