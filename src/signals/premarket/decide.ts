import { measuredOf } from '../context.js';
import {
  BUCKET_RULES,
  type BucketRule,
  type ConfidenceFactors,
  confidenceOf,
  type Decision,
  decide,
  type VixBucket,
  vixBucketOf,
} from '../decision.js';
import type { SignalsConfig } from '../params.js';
import type { PremarketTag } from '../schemas.js';
import type { PremarketInputs } from '../types.js';
import { vixEquivalentOfOvernightSigma } from '../volatility.js';
import { nightProgress, type PremarketMeasures } from './measure.js';

/** Step 2 of the pre-market signal: the §3.6 decision, its confidence (§3.7), tags and risk posture. */

export interface PremarketCall {
  /** The VIX level the bucket was chosen by (the VIX-equivalent of σ_ON without VIX). */
  bucketVix: number;
  bucket: VixBucket;
  rule: BucketRule;
  termInverted: boolean;
  shortHistory: boolean;
  decision: Decision;
  confidence: { value: number; factors: ConfidenceFactors };
  tags: PremarketTag[];
  reducedRisk: boolean;
}

function tagsOf(inputs: PremarketInputs, m: PremarketMeasures, decision: Decision, termInverted: boolean) {
  const tags: PremarketTag[] = [];
  const es = measuredOf(m.usable, 'ES');
  const nq = measuredOf(m.usable, 'NQ');
  const rty = measuredOf(m.usable, 'RTY');
  if (es !== undefined && nq !== undefined && nq.measures.z - es.measures.z >= 1) tags.push('techLed');
  if (es !== undefined && rty !== undefined && rty.measures.z - es.measures.z <= -1)
    tags.push('smallCapWeak');
  if (m.composite.dispersion >= 1.5 || decision.overrides.includes('narrowAgreement')) tags.push('narrow');
  if (m.extraDays > 0) tags.push(m.holiday ? 'holidayGap' : 'weekendGap');
  if (inputs.calendar.rollWeek) tags.push('rollWeek');
  if (inputs.calendar.expiryDay) tags.push('expiryDay');
  if (termInverted) tags.push('termInverted');
  if (m.limitNear) tags.push('limitNear');
  if (inputs.calendar.macro0830 === true) tags.push('macro0830');
  if (decision.overrides.includes('lateMove')) tags.push('lateMove');
  if (m.context.regime.disagreement) tags.push('regimeDisagreement');
  return tags;
}

export function decidePremarket(
  inputs: PremarketInputs,
  m: PremarketMeasures,
  config: SignalsConfig,
): PremarketCall {
  const { vix, regime } = m.context;
  const bucketVix = vix.level ?? vixEquivalentOfOvernightSigma(m.sigma.used, config.overnightVarianceShare);
  const bucket = vixBucketOf(bucketVix);
  const termInverted = vix.term !== null && vix.term >= 1;
  const decision = decide({
    z: m.composite.z,
    agree: m.composite.agree,
    regime: regime.value,
    bucket,
    lateDominant: m.lateDominant,
    limitNear: m.limitNear,
  });
  const shortHistory = m.sigma.sessionsForRV < config.minRealizedSessions;
  const confidence = confidenceOf({
    absZ: Math.abs(m.composite.z),
    bucket,
    mode: decision.mode,
    agree: m.composite.agree,
    alignment: decision.alignment,
    termInverted,
    nightProgress: nightProgress(inputs.asOf, inputs.sessionDate),
    staleQuote: m.usable.some((w) => w.ageSeconds > config.staleQuoteSeconds),
    shortHistory,
  });
  const tags = tagsOf(inputs, m, decision, termInverted);
  return {
    bucketVix,
    bucket,
    rule: BUCKET_RULES[bucket],
    termInverted,
    shortHistory,
    decision,
    confidence,
    tags,
    reducedRisk: bucket === 'ge30' || termInverted || tags.includes('narrow') || m.limitNear,
  };
}
