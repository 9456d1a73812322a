import { etParts } from '../../market/zoned.js';
import { closesText, fmtPct, fmtSigma } from '../context.js';
import { biasSign, type Decision, type OverrideCode } from '../decision.js';
import type { SignalsConfig } from '../params.js';
import type { DroppedIndex, EtfGuidance } from '../schemas.js';
import { ETF_BY_INDEX, type IndexSymbol, type PremarketInputs } from '../types.js';
import type { PremarketCall } from './decide.js';
import { AGREE_MIN_Z, type MeasuredIndex, type PremarketMeasures } from './measure.js';

/** Step 3 of the pre-market signal: data-quality flags, per-ETF guidance and the reasons, in words. */

/** Same-day gap-fill rate by |gap| bucket (tradeintel SPX study, research §3.1) [practitioner]. */
export function fillProbabilityHint(absPct: number): number | null {
  if (absPct < 0.1) return null;
  if (absPct < 0.5) return 0.7;
  if (absPct < 1) return 0.47;
  return 0.35;
}

export function dataQualityFlags(
  inputs: PremarketInputs,
  m: PremarketMeasures,
  config: SignalsConfig,
): string[] {
  const { vix, regime } = m.context;
  const flags: string[] = [];
  if (vix.level === null) flags.push('vixMissing');
  else if (vix.live === false) flags.push('vixFromClose');
  if (regime.source === 'default') flags.push('regimeUnavailable');
  if (m.sigma.sessionsForRV < config.minRealizedSessions) flags.push('shortHistory');
  for (const w of m.usable) {
    if (w.ageSeconds > config.staleQuoteSeconds) flags.push(`staleQuote:${w.symbol}`);
    if (m.context.ratios[w.symbol].source === 'default') flags.push(`volRatioDefault:${w.symbol}`);
    if (w.input.reference.kind === 'spliced') flags.push(`referenceSpliced:${w.symbol}`);
  }
  const { date: asOfDate, minuteOfDay } = etParts(inputs.asOf);
  if (asOfDate !== inputs.sessionDate || minuteOfDay < 240 || minuteOfDay >= 570) flags.push('outsideWindow');
  return flags;
}

export interface GuidanceInput {
  symbol: IndexSymbol;
  /** The measured index, or undefined when it was dropped. */
  work: MeasuredIndex | undefined;
  dropped: DroppedIndex | undefined;
  decision: Decision;
  confidence: number;
  compositeZ: number;
  /** T1 of the VIX bucket: an index moving at least this far against the composite opposes it. */
  t1: number;
  reducedRisk: boolean;
  /** Daily σ of ES (fraction) and this index's σ_i/σ_ES, for the expected day move. */
  sigmaDay: number;
  ratio: number;
}

export function guidanceFor(g: GuidanceInput): EtfGuidance {
  const { symbol, work, decision } = g;
  const base = {
    index: symbol,
    etf: ETF_BY_INDEX[symbol],
    riskPosture: g.reducedRisk ? ('reduced' as const) : ('normal' as const),
  };
  const expectedDayMovePct = g.sigmaDay * g.ratio * 100;
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
      notes: [g.dropped?.reason ?? `${symbol}: no data`],
    };
  }
  const { z, pct } = work.measures;
  const confirms = Math.sign(z) === Math.sign(g.compositeZ) && Math.abs(z) >= AGREE_MIN_Z;
  const opposes = Math.sign(z) === -Math.sign(g.compositeZ) && Math.abs(z) >= g.t1;
  const sign = biasSign(decision.bias);
  const notes: string[] = [];
  let direction: EtfGuidance['direction'] = sign > 0 ? 'bullish' : sign < 0 ? 'bearish' : 'neutral';
  let conviction = direction === 'neutral' ? 0 : g.confidence * (confirms ? 1 : 0.5);
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
      : decision.mode === 'wait_for_confirmation' || decision.mode === 'limit_move' || direction === 'neutral'
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

const BAND_TEXT = {
  t1_t2: 'between T1 and T2',
  t2_t3: 'between T2 and T3',
  ge_t3: 'at or beyond T3',
} as const;

const OVERRIDE_TEXT: Record<OverrideCode, string> = {
  narrowAgreement: 'at most one index confirms the move: one step toward neutral',
  highVixCap:
    'VIX ≥ 30: nothing stronger than lean_* unless |z| ≥ T3, all agree and the move goes with the regime',
  lateMove: 'most of the move came after 08:25 ET: wait for the first 15–30 minutes to settle the news',
  limitNear:
    'an index is at or near its price limit: the bias keeps the move’s direction and strength, mode limit_move (not a plain go-with-gap: open fills are uncertain and a limit halt can follow; see signals regime)',
  keepDirection:
    '|z| is beyond T3: the call keeps the move’s direction (lean_* at least) and waits for confirmation',
};

/** How σ_ON came about, and the gap scaling. */
function sigmaReasons(m: PremarketMeasures, vixText: string, config: SignalsConfig): string[] {
  const { used, onRealized, sessionsForRV } = m.sigma;
  const fOn = config.overnightVarianceShare;
  const out = [
    onRealized === null
      ? `σ_ON ${(used * 100).toFixed(2)}% from ${vixText} (f_ON ${fOn}); ${sessionsForRV} sessions of realised history, ${config.minRealizedSessions} needed for the blend`
      : `σ_ON ${(used * 100).toFixed(2)}%: ${vixText} blended with realised overnight vol ${(onRealized * 100).toFixed(2)}% over ${sessionsForRV} sessions${m.sigma.realizedSymbol === 'ES' ? '' : ` of ${m.sigma.realizedSymbol} (÷ its vol ratio to ES)`}`,
  ];
  if (m.extraDays > 0) {
    out.push(
      `${m.holiday ? 'holiday' : 'weekend'} gap: ${m.extraDays} extra days scale σ by ${m.gap.toFixed(2)}`,
    );
  }
  return out;
}

/** The decision table cell, the overrides, the tags worth a sentence and the confidence product. */
function decisionReasons(m: PremarketMeasures, call: PremarketCall, vixText: string): string[] {
  const { vix, regime } = m.context;
  const { rule, decision } = call;
  const out = [
    `regime ${regime.value} (${regime.source}${regime.disagreement ? `; derived says ${regime.derived.value}` : ''}${regime.source === 'default' ? `: ${regime.derived.reason}` : ''}${closesText(regime.closes)})`,
    `${vix.level === null ? `VIX-equivalent ${call.bucketVix.toFixed(1)}` : vixText} → bucket ${rule.label}: thresholds ${rule.t1}/${rule.t2}/${rule.t3}σ, confidence cap ${rule.cap}`,
  ];
  if (decision.cell === null && decision.mode === 'limit_move') {
    out.push(
      `|z| ${Math.abs(m.composite.z).toFixed(2)} < T1 ${rule.t1}, but near the price limit: the call keeps the move's direction (${decision.bias})`,
    );
  } else if (decision.cell === null) {
    out.push(`|z| ${Math.abs(m.composite.z).toFixed(2)} < T1 ${rule.t1}: no signal`);
  } else {
    out.push(
      `table: ${decision.cell.regime} regime, ${decision.cell.direction} move ${BAND_TEXT[decision.cell.band]} → ${decision.cell.bias}, ${decision.cell.mode} (${decision.cell.note})`,
    );
  }
  for (const o of decision.overrides) out.push(OVERRIDE_TEXT[o]);
  if (call.tags.includes('techLed')) out.push('NQ leads ES by at least 1σ (techLed)');
  if (call.tags.includes('smallCapWeak')) out.push('RTY lags ES by at least 1σ (smallCapWeak)');
  if (call.termInverted && vix.term !== null) {
    out.push(
      `VIX/VIX3M ${vix.term.toFixed(2)} ≥ 1: stress (confidence ×0.8), not a bearish trigger by itself`,
    );
  }
  const f = call.confidence.factors;
  out.push(
    `confidence ${call.confidence.value.toFixed(2)} = min(cap ${f.cap}, s ${f.s.toFixed(2)} × A ${f.A} × R ${f.R} × V ${f.V.toFixed(2)} × Tm ${f.Tm.toFixed(2)} × Q ${f.Q.toFixed(2)})`,
  );
  return out;
}

export function reasonsOf(
  inputs: PremarketInputs,
  m: PremarketMeasures,
  call: PremarketCall,
  config: SignalsConfig,
): string[] {
  const { vix } = m.context;
  const refClock = inputs.reference.earlyClose ? '13:00' : '16:00';
  const reasons = m.usable.map(
    (w) =>
      `${w.symbol} ${w.input.localSymbol} ${fmtPct(w.measures.pct)} since the ${refClock} ET reference = ${fmtSigma(w.measures.z)} (σ_gap ${w.measures.sigmaGapPct.toFixed(2)}%)`,
  );
  for (const d of m.dropped) reasons.push(`dropped ${d.reason}`);
  const vixText =
    vix.level === null
      ? 'no VIX'
      : `VIX ${vix.level.toFixed(1)}${vix.source === 'override' ? ' (override)' : ''}`;
  reasons.push(...sigmaReasons(m, vixText, config));
  reasons.push(
    `composite ${fmtSigma(m.composite.z)}, ${m.composite.agree}/${m.usable.length} indices agree, dispersion ${m.composite.dispersion.toFixed(2)}σ`,
  );
  reasons.push(...decisionReasons(m, call, vixText));
  return reasons;
}
