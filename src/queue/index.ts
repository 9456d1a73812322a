/**
 * src/queue — the queue table (`<dataDir>/state/queue.duckdb`), slot scheduling, and process locks.
 * Only this layer opens the queue database. See db.ts (access pattern), types.ts (status machine),
 * queue.ts (the Queue object), ops.ts (the operations), scheduler.ts (slot grid and lookback), lock.ts
 * (process locks; their names in paths.ts), and docs/round-protocol.md (exactly-once rounds with Delta).
 */
export { isLockConflict, QueueDatabase } from './db.js';
export {
  corruptQueueError,
  QueueBusyError,
  QueueCorruptError,
  QueueSchemaError,
  QueueUsageError,
  REBUILD_HINT,
} from './errors.js';
export {
  type AcquireLockOptions,
  acquireLock,
  type HolderState,
  holderState,
  type LockHandle,
  LockHeldError,
  type LockInfo,
  LockPathError,
  type LockStatus,
  lockPath,
  readLock,
} from './lock.js';
export { barsParams, canonicalParams, readBarsParams } from './params.js';
export { BACKFILL_LOCK, COLLECT_LOCK, COMPACT_LOCK, type QueuePaths, queuePaths } from './paths.js';
export { queuePolicyFromConfig, retryDelaySeconds } from './policy.js';
export { openQueue, Queue } from './queue.js';
export type { SlotRow } from './reads.js';
export { resolvePendingRounds } from './recovery.js';
export {
  alignDown,
  alignUp,
  type MarketStatus,
  type MarketStatusFn,
  type PlannedSlot,
  type PlanSlotsOptions,
  planSlots,
  type ScheduleOptions,
  type ScheduleResult,
  scheduleDueSlots,
} from './scheduler.js';
export { QUEUE_SCHEMA_VERSION } from './schema.js';
export type { Tx } from './sql.js';
export {
  findGaps,
  type GapCauseFn,
  type GapKind,
  type LastDone,
  type QueueGap,
  type QueueStatus,
  type QueueStatusOptions,
  readQueueStatus,
} from './status.js';
export {
  type AbandonOptions,
  type BarsJobSpec,
  type BarsParams,
  type BeginRoundOptions,
  type ClaimedRound,
  type ClaimOptions,
  type ClaimRoundOptions,
  type FailOptions,
  type FailResult,
  type InsertResult,
  JOB_KINDS,
  JOB_STATUSES,
  type Job,
  type JobCounts,
  type JobFilter,
  type JobKind,
  type JobParams,
  type JobStatus,
  type NewJob,
  type OpenQueueOptions,
  type QueueOps,
  type QueuePolicy,
  type ReturnResult,
  type Round,
  type RoundStart,
  type RoundStatus,
  type SlotBounds,
} from './types.js';
