/**
 * The queue's vocabulary: jobs, rounds, the policy, and QueueOps, everything that can be done to the queue.
 *
 * Status machine of a job (`attempts` counts failed attempts: transient failures, expired leases, abandoned
 * rounds):
 *
 *   pending ──claimDue──> running ──finishRound / complete──> done
 *      ▲                    │ fail(transient), reclaimExpired, abandonRound   (attempts+1; → failed at maxAttempts)
 *      └────────────────────┘
 *   running ──fail(permanent)──> failed          pending (snapshot, older than maxLateness) ──> missed
 *   (closed market at scheduling) ──> skipped    missed ──markBackfilled──> done (reason 'backfilled')
 *
 * Rounds (beginRound, claimRound, finishRound, abandonRound, leaveRound) carry the exactly-once protocol
 * between the queue and Delta: docs/round-protocol.md.
 *
 * All instants are passed in (`now`); nothing in the queue reads the clock.
 */
export const JOB_KINDS = ['snapshot', 'bars'] as const;
export type JobKind = (typeof JOB_KINDS)[number];
export const JOB_STATUSES = ['pending', 'running', 'done', 'skipped', 'failed', 'missed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export type JobParamValue = string | number | boolean | null;
export type JobParams = Readonly<Record<string, JobParamValue>>;

export interface Job {
  id: number;
  kind: JobKind;
  symbol: string;
  slotTs: Date;
  params: JobParams;
  /** Higher is claimed first. */
  priority: number;
  status: JobStatus;
  /** Skip reason (halt, weekend, holiday, early_close, closed), failure text, or 'backfilled'. */
  reason: string | null;
  attempts: number;
  notBefore: Date;
  leaseOwner: string | null;
  leaseExpires: Date | null;
  ibErrorCode: number | null;
  ibErrorMessage: string | null;
  /** The Delta table version whose commit stored this job's rows. */
  deltaVersion: number | null;
  /** The last round this job was part of. */
  roundSeq: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface QueuePolicy {
  /** A snapshot slot not collected within this many seconds becomes `missed`. */
  maxLatenessSeconds: number;
  /** Failed attempts after which a job becomes `failed`. */
  maxAttempts: number;
  /** Transient failure n waits retryBaseSeconds * 2^(n-1), capped at retryMaxSeconds. */
  retryBaseSeconds: number;
  retryMaxSeconds: number;
  /**
   * Finished rows move from the hot table to the archive this long after their last update (default
   * 129 600 s = 36 h; see schema.ts for why the hot table is kept small). Reads see both.
   */
  archiveAfterSeconds?: number;
}

export interface NewJob {
  kind: JobKind;
  symbol: string;
  slotTs: Date;
  params?: JobParams;
  priority?: number;
  status: 'pending' | 'skipped' | 'missed';
  reason?: string | null;
  /** Default: slotTs for snapshots, now for bars. */
  notBefore?: Date;
}

export interface InsertResult {
  /** Ids of newly inserted rows. */
  inserted: number[];
  /** Newly inserted rows by their initial status. */
  insertedByStatus: Record<'pending' | 'skipped' | 'missed', number>;
  /** Rows that already existed (same kind, symbol, slot and params) and were left alone. */
  existing: number;
}

export interface ClaimOptions {
  owner: string;
  now: Date;
  leaseSeconds: number;
  limit: number;
  kind?: JobKind;
}

export interface FailOptions {
  now: Date;
  error: string;
  /** IB error code (e.g. 200), when the failure came from IB. */
  code?: number | null;
  /** Permanent failures (e.g. IB 200 "no security definition") are not retried. */
  permanent?: boolean;
}

export interface FailResult {
  /** Back to pending with a backoff. */
  retried: number[];
  /** Now failed (permanent, or attempts exhausted). */
  failed: number[];
  /** Not running, or part of a begun round (resolve those through the round protocol): untouched. */
  ignored: number[];
}

export interface ReturnResult {
  /** Back to pending. */
  returned: number[];
  /** attempts reached maxAttempts: failed. */
  failed: number[];
}

export type RoundStatus = 'begun' | 'finished' | 'abandoned';

export interface Round {
  roundSeq: number;
  owner: string;
  status: RoundStatus;
  slotIds: number[];
  beganAt: Date;
  endedAt: Date | null;
  deltaVersion: number | null;
  note: string | null;
}

export interface BeginRoundOptions {
  owner: string;
  slotIds: readonly number[];
  now: Date;
  /** The sequence is at least this (pass Delta's committed txn version for 'futures-collect' + 1). */
  minSeq?: number;
}

export interface AbandonOptions {
  now: Date;
  reason: string;
  /**
   * Whether the return to pending counts a failed attempt (default true). False for a clean give-up
   * that says nothing about the slots, e.g. the gateway went away before the Delta write.
   */
  countAttempt?: boolean;
}

export interface ClaimRoundOptions extends ClaimOptions {
  /** The sequence is at least this (pass Delta's committed txn version for 'futures-collect' + 1). */
  minSeq?: number;
}

/** claimRound's result: the claimed jobs and the round they were begun in (null when nothing was due). */
export interface ClaimedRound {
  jobs: Job[];
  round: RoundStart | null;
}

export interface RoundStart {
  roundSeq: number;
  /** The slots recorded in the round: write rows for exactly these. */
  slotIds: number[];
  /** Requested slots no longer running under this owner (lease lost): do not write them. */
  lost: number[];
}

export interface BarsJobSpec {
  symbol: string;
  /** IB bar size, e.g. '1 min', '1 day'. */
  barSize: string;
  /** IB whatToShow, e.g. 'TRADES'. */
  whatToShow: string;
  start: Date;
  end: Date;
  priority?: number;
}

export interface BarsParams {
  barSize: string;
  whatToShow: string;
  /** ISO-8601 UTC. */
  start: string;
  end: string;
}

export interface JobFilter {
  ids?: readonly number[];
  kind?: JobKind;
  status?: JobStatus | readonly JobStatus[];
  symbols?: readonly string[];
  /** Inclusive bounds on slot_ts. */
  from?: Date;
  to?: Date;
  limit?: number;
}

export interface JobCounts {
  total: number;
  byStatus: Record<JobStatus, number>;
  byKind: Record<JobKind, Record<JobStatus, number>>;
}

export interface SlotBounds {
  symbol: string;
  first: Date;
  last: Date;
}

/** Everything that can be done to the queue. A Queue runs each call as its own session; batch() runs many in one. */
export interface QueueOps {
  readonly policy: QueuePolicy;
  /** Runs fn with all calls in ONE session (one transaction, one file open). Nested batches join the outer one. */
  batch<T>(fn: (ops: QueueOps) => Promise<T>): Promise<T>;

  insertJobs(jobs: readonly NewJob[], options: { now: Date }): Promise<InsertResult>;
  /** First and last slot per symbol of a kind (snapshot params '{}' only for kind snapshot), archive included. */
  slotBounds(kind: JobKind): Promise<SlotBounds[]>;
  /** The last slot per symbol (hot table only: the archive never takes a symbol's latest snapshot slot). */
  lastSlots(kind: JobKind): Promise<Map<string, Date>>;
  /** Pending snapshot slots older than maxLateness become missed. Returns their ids. */
  markLate(now: Date): Promise<number[]>;
  /** Atomically moves due pending jobs to running under a lease: highest priority first, then oldest slot. */
  claimDue(options: ClaimOptions): Promise<Job[]>;
  /** Marks jobs done (outside the round protocol, e.g. bars jobs). Returns how many changed. */
  complete(ids: readonly number[], options: { now: Date; deltaVersion: number | null }): Promise<number>;
  fail(ids: readonly number[], options: FailOptions): Promise<FailResult>;
  /** Running jobs whose lease expired (a crashed worker) go back to pending, attempts+1. */
  reclaimExpired(now: Date): Promise<ReturnResult>;
  /**
   * Why pending jobs could not be collected (the gateway down, IB interrupted): the reason and IB code are
   * kept on the pending rows, so a slot that later becomes missed says why. Returns how many changed.
   */
  noteUncollected(
    ids: readonly number[],
    options: { now: Date; reason: string; code: number | null },
  ): Promise<number>;
  /** Clean shutdown: this owner's running jobs go back to pending without counting an attempt. */
  releaseOwned(owner: string, options: { now: Date }): Promise<number[]>;

  beginRound(options: BeginRoundOptions): Promise<RoundStart>;
  /**
   * claimDue + beginRound with every claimed job, in three statements instead of six (the collector's
   * round; docs/round-protocol.md). Nothing due: no round is begun.
   */
  claimRound(options: ClaimRoundOptions): Promise<ClaimedRound>;
  finishRound(
    roundSeq: number,
    options: { now: Date; deltaVersion: number | null },
  ): Promise<{ slots: number; alreadyFinished: boolean }>;
  abandonRound(roundSeq: number, options: AbandonOptions): Promise<ReturnResult>;
  /**
   * Takes slots out of an open round (their snapshot failed before the Delta write), so that fail() or
   * releaseOwned() can move them and finishing the round does not mark them done. Returns the ids moved.
   */
  leaveRound(roundSeq: number, ids: readonly number[], options: { now: Date }): Promise<number[]>;
  /** Rounds begun but neither finished nor abandoned (a crash between beginRound and finishRound). */
  pendingRounds(): Promise<Round[]>;
  getRound(roundSeq: number): Promise<Round | null>;

  /** Queues historical-bar jobs idempotently (same symbol, bar size, whatToShow, start and end → one job). */
  enqueueBars(specs: readonly BarsJobSpec[], options: { now: Date }): Promise<InsertResult>;
  /** Snapshot slots marked missed with from ≤ slot_ts ≤ to. */
  missedSlots(options: { from: Date; to: Date; symbols?: readonly string[] }): Promise<Job[]>;
  /** Missed slots filled by backfill: done, reason 'backfilled'. Returns how many changed. */
  markBackfilled(
    ids: readonly number[],
    options: { now: Date; deltaVersion: number | null },
  ): Promise<number>;
  doneSlotsOfRoundsAbove(roundSeq: number | null): Promise<Job[]>;
  markLost(ids: readonly number[], options: { now: Date; reason: string }): Promise<number[]>;
  restoreDone(
    slots: ReadonlyArray<{ symbol: string; slotTs: Date }>,
    options: { now: Date; reason: string },
  ): Promise<number>;

  listJobs(filter?: JobFilter): Promise<Job[]>;
  counts(): Promise<JobCounts>;
  /** Deletes terminal jobs with slot_ts < before (hot and archive), and ended rounds that began before it. */
  prune(options: { before: Date }): Promise<{ jobs: number; rounds: number }>;
  /**
   * Moves finished jobs last updated before `before` to the archive (keeping each symbol's latest snapshot
   * slot hot) and deletes rounds that ended before it. Default before: now − archiveAfterSeconds.
   */
  archive(options: { now: Date; before?: Date }): Promise<{ jobs: number; rounds: number }>;
  /** archive() when the last one ran more than an hour ago (scheduleDueSlots calls this). */
  archiveIfDue(now: Date): Promise<{ jobs: number; rounds: number } | null>;
}

export interface OpenQueueOptions {
  /** The queue file, normally queuePaths(dataDir).queueDb. */
  path: string;
  policy: QueuePolicy;
  /** How long a session waits for another process's session to end (default 5000 ms). */
  busyTimeoutMs?: number;
  /**
   * The caller holds the collect lock, so no other process queues snapshot slots while this object is open:
   * slots after the last one it knows per symbol are new without reading the queue first.
   */
  soleSnapshotWriter?: boolean;
}
