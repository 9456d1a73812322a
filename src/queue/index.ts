/**
 * src/queue — the queue table (`<dataDir>/state/queue.duckdb`), slot scheduling, and process locks.
 * Only this layer opens the queue database. See db.ts (access pattern), queue.ts (status machine and the
 * round protocol), scheduler.ts (slot grid and lookback), lock.ts (process locks).
 */
export { isLockConflict, QueueDatabase, type Tx } from './db.js';
export { LockHeldError, QueueBusyError, QueueSchemaError, QueueUsageError } from './errors.js';
export {
  type AcquireLockOptions,
  acquireLock,
  type HolderState,
  holderState,
  type LockHandle,
  type LockInfo,
  type LockStatus,
  lockPath,
  readLock,
} from './lock.js';
export { COLLECT_LOCK, COMPACT_LOCK, type QueuePaths, queuePaths, queuePolicyFromConfig } from './paths.js';
export {
  type AbandonOptions,
  type BarsJobSpec,
  type BarsParams,
  type BeginRoundOptions,
  barsParams,
  type ClaimedRound,
  type ClaimOptions,
  type ClaimRoundOptions,
  canonicalParams,
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
  openQueue,
  Queue,
  type QueueOps,
  type QueuePolicy,
  type ReturnResult,
  type Round,
  type RoundStart,
  type RoundStatus,
  readBarsParams,
  resolvePendingRounds,
  retryDelaySeconds,
  type SlotBounds,
} from './queue.js';
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
export {
  findGaps,
  type LastDone,
  type QueueGap,
  type QueueStatus,
  type QueueStatusOptions,
  readQueueStatus,
} from './status.js';
