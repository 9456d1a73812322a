/**
 * src/collect — the collection logic behind `futures collect` and `futures backfill`: rounds over the
 * queue (src/queue) through the IB module (src/ibkr) into the lake (src/lake), quality flags, and the
 * Clock every wait goes through. `futures status` imports ./status.js directly (no IB code loaded).
 */
export {
  type Clock,
  clockFromContext,
  clockFromNow,
  isClock,
  type ManualClock,
  manualClock,
  wallSleep,
} from '../core/clock.js';
export {
  type CollectMode,
  type CollectRunOptions,
  type CollectSummary,
  cmeMarketStatus,
  type PhaseStats,
  runCollect,
  type StopReason,
} from './collector.js';
export { findTxnCommit, type LatestSnapshot, latestSnapshots } from './lake-reads.js';
export {
  DEFAULT_MINUTE_VOLATILITY,
  flagQuality,
  MINUTE_VOLATILITY,
  midOf,
  type PreviousQuote,
  type QualityFlag,
  type QualityOptions,
  type QuoteFacts,
} from './quality.js';
export { nextPrevious, sessionOfSlot, snapshotRecord, type TakenSnapshot } from './records.js';
export {
  COLLECT_APP_ID,
  type RoundResult,
  type RoundStep,
  type RoundStepHook,
  type RoundTimings,
  runRound,
  type SlotFailure,
} from './round.js';
