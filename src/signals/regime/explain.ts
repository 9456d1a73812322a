import { closesText, fmtPct, fmtSigma } from '../context.js';
import type { SignalsConfig } from '../params.js';
import type { RegimeFlag } from '../schemas.js';
import type { IndexSymbol } from '../types.js';
import type { RegimeCall } from './decide.js';
import type { MeasuredIndex, RegimeMeasures } from './measure.js';

/** Step 3 of the regime early warning: flags, data-quality flags and the reasons, in words. */

export function regimeFlags(m: RegimeMeasures, call: RegimeCall): RegimeFlag[] {
  const { onEntry, step } = call;
  const flags: RegimeFlag[] = [];
  if (onEntry.candidate.hardCritical) flags.push('hardCritical');
  if (m.stale) flags.push('stale');
  if (m.atLimit) flags.push('atLimit');
  if (onEntry.global.smallCapStress) flags.push('smallCapStress');
  if (onEntry.global.techStress) flags.push('techStress');
  if (m.m7 !== null && m.m7 >= 1) flags.push('termInverted');
  if (m.usable.length < 3) flags.push('reducedBreadth');
  if (m.context.regime.disagreement) flags.push('regimeDisagreement');
  flags.push(...step.flags);
  return flags;
}

export function dataQualityFlags(m: RegimeMeasures, config: SignalsConfig): string[] {
  const { vix, regime, ratios } = m.context;
  const flags: string[] = [];
  if (vix.level === null) flags.push('vixMissing');
  else if (vix.live === false) flags.push('vixFromClose');
  if (m.m6.value === null) flags.push('vixJumpUnavailable');
  if (regime.source === 'default') flags.push('regimeUnavailable');
  for (const w of m.usable) {
    if (w.ageSeconds > config.earlyWarning.staleSeconds) flags.push(`staleQuote:${w.symbol}`);
    if (ratios[w.symbol].source === 'default') flags.push(`volRatioDefault:${w.symbol}`);
    if (w.raw.m3.value === null) flags.push(`noPrice15mAgo:${w.symbol}`);
    if (w.raw.m5.rv60 === null) flags.push(`rv60Unavailable:${w.symbol}`);
  }
  if (vix.level !== null && m.impliedScale.source === 'vx_proxy') flags.push('m5VixScaledByVxProxy');
  if (vix.level !== null && !m.impliedScale.live) flags.push('m5CappedAtWatch');
  return flags;
}

/** The index and window of the deepest σ drawdown (M2 under the entry thresholds). */
export function worstWindow(usable: readonly MeasuredIndex[]) {
  let worst: { symbol: IndexSymbol; minutes: 15 | 30 | 60 | 240; z: number } | null = null;
  for (const { symbol, entry } of usable) {
    const w = entry.m2Window;
    if (worst === null || w.z < worst.z) worst = { symbol, minutes: w.minutes, z: w.z };
  }
  return worst;
}

function indexReason(w: MeasuredIndex): string {
  const { raw, entry } = w;
  const limit =
    raw.m8.declinePct > 0
      ? `${raw.m8.distancePct.toFixed(1)}% above the ${raw.m8.nextLimit} limit`
      : 'no decline';
  return `${w.symbol} ${fmtPct(raw.m1.pct)} vs the 16:00 reference = ${fmtSigma(raw.m1.value)} of the σ expected since then (M1 ${entry.m1}); worst drawdown ${fmtSigma(entry.m2Window.z)} over ${entry.m2Window.minutes} min (M2 ${entry.m2}); ${limit}`;
}

export function reasonsOf(m: RegimeMeasures, call: RegimeCall): string[] {
  const { step, onEntry, overlay } = call;
  const { m4 } = onEntry.global;
  const reasons = [
    `level ${step.state.level} (candidate ${onEntry.candidate.level}, ${step.transition}${step.transition === 'held' ? ` since ${step.state.since}` : ''})`,
    ...step.notes,
    ...m.usable.map(indexReason),
    ...m.dropped.map((d) => `dropped ${d.reason}`),
    `breadth ${m4.breadth}/${m.usable.length}${m4.counted.length > 0 ? ` (${m4.counted.join(', ')})` : ''}; measures at ≥ warning: ${onEntry.candidate.counts.warning}, at critical: ${onEntry.candidate.counts.critical}`,
  ];
  if (m.m6.value !== null) reasons.push(`VIX jump ${fmtPct(m.m6.value * 100, 1)} (${m.m6.source})`);
  if (m.m7 !== null)
    reasons.push(`VIX/VIX3M ${m.m7.toFixed(2)}${m.m7 >= 1 ? ' (inverted: stress, not direction)' : ''}`);
  const { regime } = m.context;
  reasons.push(
    `regime ${regime.value} (${regime.source}${regime.source === 'default' ? `: ${regime.derived.reason}` : ''}${closesText(regime.closes)})`,
  );
  if (m.sigmaShift !== 0) {
    reasons.push(
      m.sigmaShift > 0
        ? 'bearish regime: σ thresholds 0.5σ closer (escalate sooner)'
        : 'bullish regime with VIX < 15: σ thresholds 0.5σ further (dips usually bought)',
    );
  }
  if (m.stale) reasons.push('stale inputs: the level is kept, no step down');
  if (m.atLimit) reasons.push('an index is at its price limit: the level is kept, no step down');
  if (overlay !== null)
    reasons.push(`regime overlay bear_risk until ${step.state.bearRiskUntil} (critical this session)`);
  return reasons;
}
