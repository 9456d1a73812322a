/** Pure signal functions over inputs a loader fills from the lake. No I/O, never src/ibkr. */

export {
  type Bias,
  BUCKET_RULES,
  confidenceOf,
  DECISION_TABLE,
  decide,
  type Mode,
  type Strength,
  type VixBucket,
  vixBucketOf,
} from './decision.js';
export { type DerivedRegime, deriveRegime, REGIME_RULES, type RegimeFeatures } from './derived-regime.js';
export { InvalidSignalInputError, NoUsableInputError } from './errors.js';
export { type Observation, parseEarlyWarningState, type StepResult, stepEarlyWarning } from './hysteresis.js';
export { candidateLevel, ENTRY_THRESHOLDS, entryThresholds, exitThresholds } from './measures.js';
export { defaultSignalsConfig, type EarlyWarningConfig, type SignalsConfig } from './params.js';
export { computePremarket, fillProbabilityHint } from './premarket/index.js';
export { computeRegime, levelReaches } from './regime/index.js';
export * from './schemas.js';
export { referenceInstant, type Segment, segmentAt } from './sessions.js';
export * from './types.js';
