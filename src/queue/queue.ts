/**
 * The queue table: one row per job (a snapshot slot, or a historical-bars request).
 *
 * Status machine (`attempts` counts failed attempts: transient failures, expired leases, abandoned rounds):
 *
 *   pending ──claimDue──> running ──finishRound / complete──> done
 *      ▲                    │ fail(transient), reclaimExpired, abandonRound   (attempts+1; → failed at maxAttempts)
 *      └────────────────────┘
 *   running ──fail(permanent)──> failed          pending (snapshot, older than maxLateness) ──> missed
 *   (closed market at scheduling) ──> skipped    missed ──markBackfilled──> done (reason 'backfilled')
 *
 * Round protocol (exactly-once appends to Delta across crashes; the collector drives it):
 *   1. claimDue → slots running under a lease.
 *   2. Take the snapshots (IB). Slots that failed go to fail(); they are not part of the round.
 *   3. beginRound({owner, slotIds, minSeq}) → roundSeq. Recorded in the queue BEFORE the Delta write, with the
 *      slot ids. Slots whose lease was lost are returned in `lost` and must not be written.
 *      Pass minSeq = (Delta's txn version for appId 'futures-collect') + 1 so the sequence can never fall
 *      behind Delta, even if this file was deleted and recreated.
 *   4. Append all rows of the round to Delta in ONE commit carrying txn {appId: 'futures-collect', version: roundSeq}.
 *   5. finishRound(roundSeq, {deltaVersion}) → the round's slots become done with that Delta version.
 *   If the Delta commit fails for sure (conflict, I/O error), abandonRound(roundSeq) returns the slots to pending.
 *   After a crash anywhere in 3–5, the next collector (holding the collect lock, so no round is live) calls
 *   resolvePendingRounds({committedThrough: Delta's txn version for 'futures-collect'}): a begun round with
 *   roundSeq ≤ committedThrough landed → finishRound; otherwise it did not → abandonRound (slots pending again).
 *   Slots of a begun round are never reclaimed by lease expiry (that could write them twice); only this
 *   resolution step moves them.
 *
 * The collector's one-session form of the same protocol (src/collect/round.ts), because every write session
 * costs a checkpoint (db.ts):
 *   session of round N: schedule + claimRound (= claimDue + beginRound(N, all claimed slots), with the
 *   claim and the round tag in one statement) + finishRound(N−1), once N−1's Delta commit has landed
 *   → IB → [only if some snapshot failed: one more session, leaveRound(N, failed) + fail]
 *   → Delta commit with txn version N → nothing more: round N is finished by round N+1's session, or by
 *     the collector before it exits.
 * Why this keeps every guarantee: round N is durable, with exactly the slots whose rows the commit carries
 * (failed slots leave it BEFORE the commit), before the Delta write — the protocol's step 3 merely moves
 * ahead of the IB requests. At any instant at most one round is begun (N−1 is finished in the transaction
 * that begins N), and a begun round is resolved exactly as after a crash: its txn version in Delta means
 * its rows landed (finish), its absence means they did not (abandon). A crash anywhere therefore loses no
 * slot and writes none twice; the only visible difference is that a committed round's slots stay
 * `running` (in an open round) until the next round's session, at most one interval plus the wait. A round
 * abandoned because the gateway went away counts no attempt (abandonRound countAttempt: false), like
 * releaseOwned before it did.
 *
 * Sessions: every Queue method is one short session on the file (db.ts); `queue.batch(ops => …)` runs several
 * in one session and one transaction (e.g. reclaimExpired + scheduleDueSlots + claimDue, or fail + beginRound).
 *
 * All instants are passed in (`now`); nothing here reads the clock.
 */
import { QueueDatabase, type SqlCell, type SqlRow, type SqlValue, type Tx } from './db.js';
import { QueueUsageError } from './errors.js';

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

export const DEFAULT_ARCHIVE_AFTER_SECONDS = 129_600;
/** archiveIfDue runs at most this often. */
const ARCHIVE_EVERY_MS = 3_600_000;

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
  /** Clean shutdown: this owner's running jobs go back to pending without counting an attempt. */
  releaseOwned(owner: string, options: { now: Date }): Promise<number[]>;

  beginRound(options: BeginRoundOptions): Promise<RoundStart>;
  /**
   * claimDue + beginRound with every claimed job, in three statements instead of six (the collector's
   * round; see the module header). Nothing due: no round is begun.
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

const iso = (d: Date): string => d.toISOString();

/** The canonical JSON of job params (sorted keys): it is part of the job's unique key. */
export function canonicalParams(params: JobParams = {}): string {
  const keys = Object.keys(params).sort();
  const out: Record<string, JobParamValue> = {};
  for (const key of keys) {
    const value = params[key];
    if (value !== undefined) out[key] = value;
  }
  return JSON.stringify(out);
}

export function barsParams(spec: Pick<BarsJobSpec, 'barSize' | 'whatToShow' | 'start' | 'end'>): BarsParams {
  return { barSize: spec.barSize, whatToShow: spec.whatToShow, start: iso(spec.start), end: iso(spec.end) };
}

/** The bars request of a 'bars' job, or null when the job is not one. */
export function readBarsParams(job: Job): BarsParams | null {
  if (job.kind !== 'bars') return null;
  const { barSize, whatToShow, start, end } = job.params;
  if (typeof barSize !== 'string' || typeof whatToShow !== 'string') return null;
  if (typeof start !== 'string' || typeof end !== 'string') return null;
  return { barSize, whatToShow, start, end };
}

export function retryDelaySeconds(policy: QueuePolicy, attempts: number): number {
  return Math.min(policy.retryMaxSeconds, policy.retryBaseSeconds * 2 ** Math.max(0, attempts - 1));
}

// ---- row decoding ---------------------------------------------------------------------------------------

function toNumber(value: SqlCell, column: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  throw new Error(`queue column ${column}: expected a number, got ${String(value)}`);
}
function toNumberOrNull(value: SqlCell, column: string): number | null {
  return value === null || value === undefined ? null : toNumber(value, column);
}
function toStringValue(value: SqlCell, column: string): string {
  if (typeof value === 'string') return value;
  throw new Error(`queue column ${column}: expected a string, got ${String(value)}`);
}
function toStringOrNull(value: SqlCell, column: string): string | null {
  return value === null || value === undefined ? null : toStringValue(value, column);
}
function toDate(value: SqlCell, column: string): Date {
  if (value instanceof Date) return value;
  throw new Error(`queue column ${column}: expected a timestamp, got ${String(value)}`);
}
function toDateOrNull(value: SqlCell, column: string): Date | null {
  return value === null || value === undefined ? null : toDate(value, column);
}
function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}
function parseParams(text: string): JobParams {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const out: Record<string, JobParamValue> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[key] = v;
  }
  return out;
}

export function rowToJob(row: SqlRow): Job {
  const kind = row.kind;
  const status = row.status;
  if (!isOneOf(JOB_KINDS, kind)) throw new Error(`queue: unknown job kind ${String(kind)}`);
  if (!isOneOf(JOB_STATUSES, status)) throw new Error(`queue: unknown job status ${String(status)}`);
  return {
    id: toNumber(row.id, 'id'),
    kind,
    symbol: toStringValue(row.symbol, 'symbol'),
    slotTs: toDate(row.slot_ts, 'slot_ts'),
    params: parseParams(toStringValue(row.params, 'params')),
    priority: toNumber(row.priority, 'priority'),
    status,
    reason: toStringOrNull(row.reason, 'reason'),
    attempts: toNumber(row.attempts, 'attempts'),
    notBefore: toDate(row.not_before, 'not_before'),
    leaseOwner: toStringOrNull(row.lease_owner, 'lease_owner'),
    leaseExpires: toDateOrNull(row.lease_expires, 'lease_expires'),
    ibErrorCode: toNumberOrNull(row.ib_error_code, 'ib_error_code'),
    ibErrorMessage: toStringOrNull(row.ib_error_message, 'ib_error_message'),
    deltaVersion: toNumberOrNull(row.delta_version, 'delta_version'),
    roundSeq: toNumberOrNull(row.round_seq, 'round_seq'),
    createdAt: toDate(row.created_at, 'created_at'),
    updatedAt: toDate(row.updated_at, 'updated_at'),
  };
}

function rowToRound(row: SqlRow): Round {
  const status = row.status;
  if (!isOneOf(['begun', 'finished', 'abandoned'] as const, status)) {
    throw new Error(`queue: unknown round status ${String(status)}`);
  }
  const ids = row.slot_ids;
  return {
    roundSeq: toNumber(row.round_seq, 'round_seq'),
    owner: toStringValue(row.owner, 'owner'),
    status,
    slotIds: Array.isArray(ids) ? ids.map((id) => toNumber(id, 'slot_ids')) : [],
    beganAt: toDate(row.began_at, 'began_at'),
    endedAt: toDateOrNull(row.ended_at, 'ended_at'),
    deltaVersion: toNumberOrNull(row.delta_version, 'delta_version'),
    note: toStringOrNull(row.note, 'note'),
  };
}

function sortForClaim(a: Job, b: Job): number {
  return b.priority - a.priority || a.slotTs.getTime() - b.slotTs.getTime() || a.id - b.id;
}

function emptyStatusCounts(): Record<JobStatus, number> {
  return { pending: 0, running: 0, done: 0, skipped: 0, failed: 0, missed: 0 };
}

/** `id IN (…)` for a list parameter. */
const IN_IDS = (param: string) => `id IN (SELECT unnest(${param}::BIGINT[]))`;
/** Not part of a round that was begun and not yet resolved. */
const NOT_IN_OPEN_ROUND = `(round_seq IS NULL OR round_seq NOT IN (SELECT round_seq FROM rounds WHERE status = 'begun'))`;
const TERMINAL = `'done', 'skipped', 'failed', 'missed'`;

// ---- the operations, on one open session ------------------------------------------------------------------

/** Read-only queries, usable on a read-only session (futures status). */
export class QueueReads {
  constructor(protected readonly tx: Tx) {}

  protected ids(ids: readonly number[]): SqlValue {
    return this.tx.list(ids.map((id) => BigInt(id)));
  }

  async listJobs(filter: JobFilter = {}): Promise<Job[]> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    const add = (clause: (p: string) => string, value: SqlValue) => {
      params.push(value);
      where.push(clause(`$${params.length}`));
    };
    if (filter.ids) add((p) => IN_IDS(p), this.ids(filter.ids));
    if (filter.kind) add((p) => `kind = ${p}`, filter.kind);
    if (filter.status !== undefined) {
      const statuses = typeof filter.status === 'string' ? [filter.status] : [...filter.status];
      add((p) => `status IN (SELECT unnest(${p}::VARCHAR[]))`, this.tx.list(statuses));
    }
    if (filter.symbols)
      add((p) => `symbol IN (SELECT unnest(${p}::VARCHAR[]))`, this.tx.list([...filter.symbols]));
    if (filter.from) add((p) => `slot_ts >= ${p}::TIMESTAMPTZ`, iso(filter.from));
    if (filter.to) add((p) => `slot_ts <= ${p}::TIMESTAMPTZ`, iso(filter.to));
    let sql = `SELECT * FROM all_jobs${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY slot_ts, symbol, id`;
    if (filter.limit !== undefined) sql += ` LIMIT ${Math.max(0, Math.floor(filter.limit))}`;
    return (await this.tx.all(sql, params)).map(rowToJob);
  }

  async counts(): Promise<JobCounts> {
    const rows = await this.tx.all(
      `SELECT kind, status, count(*)::BIGINT AS n FROM all_jobs GROUP BY kind, status`,
    );
    const result: JobCounts = {
      total: 0,
      byStatus: emptyStatusCounts(),
      byKind: { snapshot: emptyStatusCounts(), bars: emptyStatusCounts() },
    };
    for (const row of rows) {
      const n = toNumber(row.n, 'n');
      if (!isOneOf(JOB_KINDS, row.kind) || !isOneOf(JOB_STATUSES, row.status)) continue;
      result.total += n;
      result.byStatus[row.status] += n;
      result.byKind[row.kind][row.status] += n;
    }
    return result;
  }

  async slotBounds(kind: JobKind): Promise<SlotBounds[]> {
    const rows = await this.tx.all(
      `SELECT symbol, min(slot_ts) AS first, max(slot_ts) AS last FROM all_jobs
       WHERE kind = $1 AND (kind <> 'snapshot' OR params = '{}') GROUP BY symbol ORDER BY symbol`,
      [kind],
    );
    return rows.map((row) => ({
      symbol: toStringValue(row.symbol, 'symbol'),
      first: toDate(row.first, 'first'),
      last: toDate(row.last, 'last'),
    }));
  }

  async lastSlots(kind: JobKind): Promise<Map<string, Date>> {
    const rows = await this.tx.all(
      `SELECT symbol, max(slot_ts) AS last FROM jobs
       WHERE kind = $1 AND (kind <> 'snapshot' OR params = '{}') GROUP BY symbol`,
      [kind],
    );
    return new Map(rows.map((row) => [toStringValue(row.symbol, 'symbol'), toDate(row.last, 'last')]));
  }

  async pendingRounds(): Promise<Round[]> {
    const rows = await this.tx.all(`SELECT * FROM rounds WHERE status = 'begun' ORDER BY round_seq`);
    return rows.map(rowToRound);
  }

  async getRound(roundSeq: number): Promise<Round | null> {
    const rows = await this.tx.all(`SELECT * FROM rounds WHERE round_seq = $1::BIGINT`, [BigInt(roundSeq)]);
    return rows[0] ? rowToRound(rows[0]) : null;
  }

  async missedSlots(options: { from: Date; to: Date; symbols?: readonly string[] }): Promise<Job[]> {
    return this.listJobs({
      kind: 'snapshot',
      status: 'missed',
      from: options.from,
      to: options.to,
      ...(options.symbols ? { symbols: options.symbols } : {}),
    });
  }

  async lastDoneBySymbol(
    kind: JobKind,
  ): Promise<Array<{ symbol: string; slotTs: Date; deltaVersion: number | null }>> {
    const rows = await this.tx.all(
      `SELECT symbol, arg_max(slot_ts, slot_ts) AS slot_ts, arg_max(delta_version, slot_ts) AS delta_version
       FROM all_jobs WHERE kind = $1 AND status = 'done' GROUP BY symbol ORDER BY symbol`,
      [kind],
    );
    return rows.map((row) => ({
      symbol: toStringValue(row.symbol, 'symbol'),
      slotTs: toDate(row.slot_ts, 'slot_ts'),
      deltaVersion: toNumberOrNull(row.delta_version, 'delta_version'),
    }));
  }

  /** Snapshot rows (params '{}') in a window, for gap analysis. */
  async snapshotRowsBetween(
    from: Date,
    to: Date,
  ): Promise<Array<{ symbol: string; slotTs: Date; status: JobStatus; leaseExpires: Date | null }>> {
    const rows = await this.tx.all(
      `SELECT symbol, slot_ts, status, lease_expires FROM all_jobs
       WHERE kind = 'snapshot' AND params = '{}' AND slot_ts >= $1::TIMESTAMPTZ AND slot_ts <= $2::TIMESTAMPTZ`,
      [iso(from), iso(to)],
    );
    return rows.map((row) => {
      const status = row.status;
      if (!isOneOf(JOB_STATUSES, status)) throw new Error(`queue: unknown job status ${String(status)}`);
      return {
        symbol: toStringValue(row.symbol, 'symbol'),
        slotTs: toDate(row.slot_ts, 'slot_ts'),
        status,
        leaseExpires: toDateOrNull(row.lease_expires, 'lease_expires'),
      };
    });
  }
}

/** What a Queue remembers between its sessions (hints that save a query). */
interface SessionMemo {
  /** The newest last_archive_at this process has seen committed (ms). */
  lastArchiveAt: number | null;
  /**
   * lastSlots('snapshot') as of this object's last committed session, kept up to date by its own inserts.
   * Only a collector inserts snapshot slots and only one runs at a time (its process lock). Without
   * soleSnapshotWriter it is only a hint: should another writer add slots anyway, it is merely low, and
   * scheduling re-plans slots that insertJobs' unique check then drops. With it, insertJobs trusts it for
   * slots after it (allAfterKnownSlots). prune() can delete a latest slot, so it forgets it.
   */
  lastSnapshotSlots: ReadonlyMap<string, Date> | null;
  /**
   * With soleSnapshotWriter: no pending snapshot slot is older than this (ms; Infinity: none is
   * pending), as of this object's last committed session, or null when unknown. Learned by markLate's
   * read, lowered by its own inserts; every other way back to pending (a retry, an expired or released
   * lease, an abandoned round) forgets it. While it is at or after the lateness cutoff, markLate has
   * nothing to mark and skips its scan of the hot table.
   */
  pendingSnapshotFloor: number | null;
}

// Literal SQL for the statements of the collector's round: a statement with parameters costs an extra
// prepare round trip through the addon (~1 ms each), and a multi-statement call takes no parameters.
/** A string as a SQL literal. */
const sqlText = (value: string): string => `'${value.replaceAll("'", "''")}'`;
const sqlTextOrNull = (value: string | null | undefined): string =>
  value === null || value === undefined ? 'NULL' : sqlText(value);
/** An instant as a TIMESTAMPTZ literal. */
const sqlTime = (value: Date): string => `'${iso(value)}'::TIMESTAMPTZ`;
/** A whole number as a SQL literal (refuses anything else, so nothing but digits reaches the SQL). */
function sqlInt(value: number): string {
  if (!Number.isSafeInteger(value)) throw new QueueUsageError(`queue: expected a whole number, got ${value}`);
  return String(value);
}
const sqlIntOrNull = (value: number | null): string => (value === null ? 'NULL' : sqlInt(value));

/** All operations on one read-write session. */

class SessionOps extends QueueReads implements QueueOps {
  private markedLateAt: number | null = null;

  constructor(
    tx: Tx,
    readonly policy: QueuePolicy,
    private readonly memo: SessionMemo,
    /** Memo updates, applied by the Queue only once this session has committed. */
    private readonly pendingMemo: Partial<SessionMemo>,
    private readonly soleSnapshotWriter = false,
  ) {
    super(tx);
  }

  batch<T>(fn: (ops: QueueOps) => Promise<T>): Promise<T> {
    return fn(this);
  }

  private knownSnapshotSlots(): ReadonlyMap<string, Date> | null {
    return this.pendingMemo.lastSnapshotSlots === undefined
      ? this.memo.lastSnapshotSlots
      : this.pendingMemo.lastSnapshotSlots;
  }

  override async lastSlots(kind: JobKind): Promise<Map<string, Date>> {
    if (kind !== 'snapshot') return super.lastSlots(kind);
    const known = this.knownSnapshotSlots();
    if (known) return new Map(known);
    const fresh = await super.lastSlots(kind);
    this.pendingMemo.lastSnapshotSlots = new Map(fresh);
    return fresh;
  }

  async insertJobs(jobs: readonly NewJob[], options: { now: Date }): Promise<InsertResult> {
    const insertedByStatus = { pending: 0, skipped: 0, missed: 0 };
    if (jobs.length === 0) return { inserted: [], insertedByStatus, existing: 0 };
    const keyOf = (kind: string, symbol: string, slotMs: number, params: string) =>
      `${kind}\u0000${symbol}\u0000${slotMs}\u0000${params}`;
    const times = jobs.map((job) => job.slotTs.getTime());
    // (kind, symbol, slot_ts, params) stays unique across the hot table and the archive without an index
    // (schema.ts): the keys already queued in the batch's slot range are read first, inside this write
    // session, which no other writer can interleave with (db.ts). The range lets DuckDB skip every row
    // group outside it for the usual "slots near now" insert.
    const kinds = [...new Set(jobs.map((job) => job.kind))];
    const existingRows = this.allAfterKnownSlots(jobs)
      ? []
      : await this.tx.all(
          `SELECT kind, symbol, epoch_ms(slot_ts) AS slot_ms, params FROM all_jobs
           WHERE slot_ts BETWEEN ${sqlTime(new Date(Math.min(...times)))} AND ${sqlTime(new Date(Math.max(...times)))}
             AND kind IN (${kinds.map(sqlText).join(', ')})`,
        );
    const seen = new Set(
      existingRows.map((row) =>
        keyOf(String(row.kind), String(row.symbol), toNumber(row.slot_ms, 'slot_ms'), String(row.params)),
      ),
    );
    const now = sqlTime(options.now);
    const tuples: string[] = [];
    for (const job of jobs) {
      if (!isOneOf(JOB_KINDS, job.kind)) throw new QueueUsageError(`queue: unknown job kind ${job.kind}`);
      if (!isOneOf(['pending', 'skipped', 'missed'] as const, job.status)) {
        throw new QueueUsageError(`queue: a new job cannot start as ${String(job.status)}`);
      }
      const params = canonicalParams(job.params);
      const key = keyOf(job.kind, job.symbol, job.slotTs.getTime(), params);
      if (seen.has(key)) continue;
      seen.add(key);
      const notBefore = job.notBefore ?? (job.kind === 'snapshot' ? job.slotTs : options.now);
      tuples.push(
        `(nextval('job_id_seq'), '${job.kind}', ${sqlText(job.symbol)}, ${sqlTime(job.slotTs)}, ${sqlText(params)}, ` +
          `${sqlInt(job.priority ?? 0)}, '${job.status}', ${sqlTextOrNull(job.reason)}, 0, ${sqlTime(notBefore)}, ${now}, ${now})`,
      );
    }
    const rows =
      tuples.length === 0
        ? []
        : await this.tx.all(
            `INSERT INTO jobs (id, kind, symbol, slot_ts, params, priority, status, reason, attempts, not_before, created_at, updated_at)
             VALUES ${tuples.join(',\n')}
             RETURNING id, status`,
          );
    const inserted = rows.map((row) => toNumber(row.id, 'id')).sort((a, b) => a - b);
    for (const row of rows) {
      if (row.status === 'pending' || row.status === 'skipped' || row.status === 'missed')
        insertedByStatus[row.status] += 1;
    }
    const floor = this.knownPendingFloor();
    if (floor !== null) {
      let lowest = floor;
      for (const job of jobs) {
        if (job.kind === 'snapshot' && job.status === 'pending')
          lowest = Math.min(lowest, job.slotTs.getTime());
      }
      this.pendingMemo.pendingSnapshotFloor = lowest;
    }
    const known = this.knownSnapshotSlots();
    if (known) {
      const next = new Map(known);
      for (const job of jobs) {
        if (job.kind !== 'snapshot' || canonicalParams(job.params) !== '{}') continue;
        const last = next.get(job.symbol);
        if (!last || last.getTime() < job.slotTs.getTime()) next.set(job.symbol, job.slotTs);
      }
      this.pendingMemo.lastSnapshotSlots = next;
    }
    return { inserted, insertedByStatus, existing: jobs.length - inserted.length };
  }

  /**
   * True when every job is a plain snapshot slot later than the last one queued for its symbol, as this
   * object knows it, and this object is the only writer of snapshot slots (OpenQueueOptions): such slots
   * cannot be queued yet, so the uniqueness read can be skipped.
   */
  private allAfterKnownSlots(jobs: readonly NewJob[]): boolean {
    const known = this.soleSnapshotWriter ? this.knownSnapshotSlots() : null;
    if (!known) return false;
    return jobs.every((job) => {
      if (job.kind !== 'snapshot' || canonicalParams(job.params) !== '{}') return false;
      const last = known.get(job.symbol);
      return last === undefined || last.getTime() < job.slotTs.getTime();
    });
  }

  private knownPendingFloor(): number | null {
    if (!this.soleSnapshotWriter) return null;
    return this.pendingMemo.pendingSnapshotFloor === undefined
      ? this.memo.pendingSnapshotFloor
      : this.pendingMemo.pendingSnapshotFloor;
  }

  /** Some snapshot slot went back to pending: it may be older than anything markLate has seen. */
  private forgetPendingFloor(): void {
    this.pendingMemo.pendingSnapshotFloor = null;
  }

  async markLate(now: Date): Promise<number[]> {
    // scheduleDueSlots and claimDue both mark late slots; within one session at the same instant the
    // second pass cannot find anything (only this transaction writes), so it is skipped.
    if (this.markedLateAt === now.getTime()) return [];
    this.markedLateAt = now.getTime();
    const cutoff = now.getTime() - this.policy.maxLatenessSeconds * 1000;
    const floor = this.knownPendingFloor();
    if (floor !== null && floor >= cutoff) return [];
    // One read finds the late slots and the oldest one that is not late yet (the next floor); the
    // update runs only when something is late. Only this session writes (db.ts), so nothing moves between.
    const [found] = await this.tx.all(
      `SELECT list(id ORDER BY id) FILTER (WHERE slot_ts < ${sqlTime(new Date(cutoff))}) AS late,
         epoch_ms(min(slot_ts) FILTER (WHERE slot_ts >= ${sqlTime(new Date(cutoff))})) AS floor
       FROM jobs WHERE kind = 'snapshot' AND status = 'pending'`,
    );
    const late = Array.isArray(found?.late) ? found.late.map((id) => toNumber(id, 'id')) : [];
    const next = found?.floor === null || found?.floor === undefined ? null : toNumber(found.floor, 'floor');
    this.pendingMemo.pendingSnapshotFloor = next ?? Number.POSITIVE_INFINITY;
    if (late.length === 0) return [];
    const reason = sqlText(`not collected within ${this.policy.maxLatenessSeconds}s`);
    await this.tx.run(
      `UPDATE jobs SET status = 'missed',
         reason = CASE WHEN reason IS NULL THEN ${reason} ELSE ${reason} || '; last error: ' || reason END,
         updated_at = ${sqlTime(now)}
       WHERE id IN (${late.map(sqlInt).join(', ')})`,
    );
    return late;
  }

  async claimDue(options: ClaimOptions): Promise<Job[]> {
    if (options.limit <= 0) return [];
    await this.markLate(options.now);
    const expires = new Date(options.now.getTime() + options.leaseSeconds * 1000);
    const params: SqlValue[] = [options.owner, iso(expires), iso(options.now), Math.floor(options.limit)];
    let kindClause = '';
    if (options.kind) {
      params.push(options.kind);
      kindClause = ` AND kind = $${params.length}`;
    }
    const rows = await this.tx.all(
      `UPDATE jobs SET status = 'running', lease_owner = $1, lease_expires = $2::TIMESTAMPTZ, updated_at = $3::TIMESTAMPTZ,
         round_seq = NULL
       WHERE id IN (
         SELECT id FROM jobs
         WHERE status = 'pending' AND not_before <= $3::TIMESTAMPTZ${kindClause}
         ORDER BY priority DESC, slot_ts, id
         LIMIT $4::INTEGER)
       RETURNING *`,
      params,
    );
    return rows.map(rowToJob).sort(sortForClaim);
  }

  async complete(
    ids: readonly number[],
    options: { now: Date; deltaVersion: number | null },
  ): Promise<number> {
    if (ids.length === 0) return 0;
    const rows = await this.tx.all(
      `UPDATE jobs SET status = 'done', reason = NULL, delta_version = $2::BIGINT,
         lease_owner = NULL, lease_expires = NULL, updated_at = $3::TIMESTAMPTZ
       WHERE ${IN_IDS('$1')} AND status IN ('pending', 'running') AND ${NOT_IN_OPEN_ROUND}
       RETURNING id`,
      [this.ids(ids), options.deltaVersion === null ? null : BigInt(options.deltaVersion), iso(options.now)],
    );
    return rows.length;
  }

  async fail(ids: readonly number[], options: FailOptions): Promise<FailResult> {
    const result: FailResult = { retried: [], failed: [], ignored: [] };
    if (ids.length === 0) return result;
    const rows = await this.tx.all(
      `SELECT id, attempts FROM jobs WHERE ${IN_IDS('$1')} AND status = 'running' AND ${NOT_IN_OPEN_ROUND}`,
      [this.ids(ids)],
    );
    const eligible = new Map(rows.map((row) => [toNumber(row.id, 'id'), toNumber(row.attempts, 'attempts')]));
    for (const id of ids) {
      const previous = eligible.get(id);
      if (previous === undefined) {
        result.ignored.push(id);
        continue;
      }
      const attempts = previous + 1;
      const giveUp = options.permanent === true || attempts >= this.policy.maxAttempts;
      const reason =
        options.permanent === true
          ? options.error
          : giveUp
            ? `gave up after ${attempts} attempts: ${options.error}`
            : options.error;
      const notBefore = giveUp
        ? options.now
        : new Date(options.now.getTime() + retryDelaySeconds(this.policy, attempts) * 1000);
      await this.tx.run(
        `UPDATE jobs SET status = $2, reason = $3, attempts = $4::INTEGER, not_before = $5::TIMESTAMPTZ,
           lease_owner = NULL, lease_expires = NULL, ib_error_code = $6::INTEGER, ib_error_message = $7,
           updated_at = $8::TIMESTAMPTZ
         WHERE id = $1::BIGINT`,
        [
          BigInt(id),
          giveUp ? 'failed' : 'pending',
          reason,
          attempts,
          iso(notBefore),
          options.code ?? null,
          options.code === undefined || options.code === null ? null : options.error,
          iso(options.now),
        ],
      );
      (giveUp ? result.failed : result.retried).push(id);
    }
    if (result.retried.length > 0) this.forgetPendingFloor();
    return result;
  }

  /**
   * Running → pending (attempts+1, or failed at maxAttempts) for the rows matched by `where`, in one
   * statement. `reasonSql` is a SQL text expression over the row (e.g. its lease_owner).
   */
  private async returnToPending(
    where: string,
    params: SqlValue[],
    now: Date,
    reasonSql: string,
  ): Promise<ReturnResult> {
    const at = `$${params.length + 1}::TIMESTAMPTZ`;
    const max = `$${params.length + 2}::INTEGER`;
    const rows = await this.tx.all(
      `UPDATE jobs SET
         status = CASE WHEN attempts + 1 >= ${max} THEN 'failed' ELSE 'pending' END,
         reason = CASE WHEN attempts + 1 >= ${max}
           THEN 'gave up after ' || (attempts + 1) || ' attempts: ' || (${reasonSql}) ELSE (${reasonSql}) END,
         attempts = attempts + 1, not_before = ${at}, lease_owner = NULL, lease_expires = NULL, updated_at = ${at}
       WHERE ${where}
       RETURNING id, status`,
      [...params, iso(now), this.policy.maxAttempts],
    );
    const result: ReturnResult = { returned: [], failed: [] };
    if (rows.length > 0) this.forgetPendingFloor();
    for (const row of [...rows].sort((a, b) => toNumber(a.id, 'id') - toNumber(b.id, 'id'))) {
      (row.status === 'failed' ? result.failed : result.returned).push(toNumber(row.id, 'id'));
    }
    return result;
  }

  async reclaimExpired(now: Date): Promise<ReturnResult> {
    return this.returnToPending(
      `status = 'running' AND lease_expires <= $1::TIMESTAMPTZ AND ${NOT_IN_OPEN_ROUND}`,
      [iso(now)],
      now,
      `'lease of ' || coalesce(lease_owner, 'unknown owner') || ' expired'`,
    );
  }

  async releaseOwned(owner: string, options: { now: Date }): Promise<number[]> {
    const rows = await this.tx.all(
      `UPDATE jobs SET status = 'pending', lease_owner = NULL, lease_expires = NULL, updated_at = $2::TIMESTAMPTZ
       WHERE status = 'running' AND lease_owner = $1 AND ${NOT_IN_OPEN_ROUND}
       RETURNING id`,
      [owner, iso(options.now)],
    );
    if (rows.length > 0) this.forgetPendingFloor();
    return rows.map((row) => toNumber(row.id, 'id')).sort((a, b) => a - b);
  }

  async claimRound(options: ClaimRoundOptions): Promise<ClaimedRound> {
    if (options.limit <= 0) return { jobs: [], round: null };
    await this.markLate(options.now);
    const expires = new Date(options.now.getTime() + options.leaseSeconds * 1000);
    const now = sqlTime(options.now);
    const kindClause = options.kind ? ` AND kind = ${sqlText(options.kind)}` : '';
    const minSeq = Math.max(0, Math.floor(options.minSeq ?? 0));
    // The due slots and the next round sequence in one read; nothing due costs nothing more. Only this
    // session writes (db.ts), so the ids read here are still pending when the write below tags them.
    const due = await this.tx.all(
      `SELECT id, (SELECT value FROM meta WHERE key = 'last_round_seq') AS last_seq FROM jobs
       WHERE status = 'pending' AND not_before <= ${now}${kindClause}
       ORDER BY priority DESC, slot_ts, id
       LIMIT ${sqlInt(Math.floor(options.limit))}`,
    );
    if (due.length === 0) return { jobs: [], round: null };
    const lastSeq = Number(due[0]?.last_seq);
    if (!Number.isSafeInteger(lastSeq) || lastSeq < 0) {
      throw new Error(`queue: meta.last_round_seq is missing or invalid (${String(due[0]?.last_seq)})`);
    }
    const roundSeq = Math.max(lastSeq + 1, minSeq);
    const slotIds = due.map((row) => toNumber(row.id, 'id')).sort((a, b) => a - b);
    const ids = slotIds.join(', ');
    // The sequence, the round row and the claim in one call; the claim's RETURNING is the answer.
    const rows = await this.tx.all(
      `UPDATE meta SET value = '${sqlInt(roundSeq)}' WHERE key = 'last_round_seq';
       INSERT INTO rounds (round_seq, owner, status, slot_ids, began_at)
       VALUES (${sqlInt(roundSeq)}, ${sqlText(options.owner)}, 'begun', [${ids}]::BIGINT[], ${now});
       UPDATE jobs SET status = 'running', lease_owner = ${sqlText(options.owner)}, lease_expires = ${sqlTime(expires)},
         updated_at = ${now}, round_seq = ${sqlInt(roundSeq)}
       WHERE id IN (${ids}) AND status = 'pending'
       RETURNING *`,
    );
    if (rows.length !== slotIds.length) {
      throw new Error(
        `queue: claimed ${rows.length} of the ${slotIds.length} due slots of round ${roundSeq}`,
      );
    }
    const jobs = rows.map(rowToJob).sort(sortForClaim);
    return { jobs, round: { roundSeq, slotIds, lost: [] } };
  }

  async beginRound(options: BeginRoundOptions): Promise<RoundStart> {
    const requested = [...new Set(options.slotIds)];
    const seq = await this.tx.all(
      `UPDATE meta SET value = greatest(value::BIGINT + 1, $1::BIGINT)::VARCHAR WHERE key = 'last_round_seq'
       RETURNING value`,
      [BigInt(Math.max(0, Math.floor(options.minSeq ?? 0)))],
    );
    const roundSeq = Number(seq[0]?.value);
    if (!Number.isSafeInteger(roundSeq) || roundSeq < 1) {
      throw new Error(`queue: meta.last_round_seq is missing or invalid (${String(seq[0]?.value)})`);
    }
    // Tagging the held slots and reading which they are is one statement; the round row follows.
    const held =
      requested.length === 0
        ? []
        : await this.tx.all(
            `UPDATE jobs SET round_seq = $3::BIGINT, updated_at = $4::TIMESTAMPTZ
             WHERE ${IN_IDS('$1')} AND status = 'running' AND lease_owner = $2 AND ${NOT_IN_OPEN_ROUND}
             RETURNING id`,
            [this.ids(requested), options.owner, BigInt(roundSeq), iso(options.now)],
          );
    const heldIds = new Set(held.map((row) => toNumber(row.id, 'id')));
    const slotIds = requested.filter((id) => heldIds.has(id)).sort((a, b) => a - b);
    const lost = requested.filter((id) => !heldIds.has(id)).sort((a, b) => a - b);
    await this.tx.run(
      `INSERT INTO rounds (round_seq, owner, status, slot_ids, began_at) VALUES ($1::BIGINT, $2, 'begun', $3::BIGINT[], $4::TIMESTAMPTZ)`,
      [BigInt(roundSeq), options.owner, this.ids(slotIds), iso(options.now)],
    );
    return { roundSeq, slotIds, lost };
  }

  async leaveRound(roundSeq: number, ids: readonly number[], options: { now: Date }): Promise<number[]> {
    if (ids.length === 0) return [];
    const rounds = await this.tx.all(
      `UPDATE rounds SET slot_ids = list_filter(slot_ids, x -> NOT list_contains($2::BIGINT[], x))
       WHERE round_seq = $1::BIGINT AND status = 'begun'
       RETURNING round_seq`,
      [BigInt(roundSeq), this.ids(ids)],
    );
    if (rounds.length === 0) {
      throw new QueueUsageError(`queue round ${roundSeq} is not open; its slots cannot leave it`);
    }
    const rows = await this.tx.all(
      `UPDATE jobs SET round_seq = NULL, updated_at = $3::TIMESTAMPTZ
       WHERE ${IN_IDS('$1')} AND round_seq = $2::BIGINT
       RETURNING id`,
      [this.ids(ids), BigInt(roundSeq), iso(options.now)],
    );
    return rows.map((row) => toNumber(row.id, 'id')).sort((a, b) => a - b);
  }

  private async requireRound(roundSeq: number): Promise<Round> {
    const round = await this.getRound(roundSeq);
    if (!round) throw new QueueUsageError(`queue round ${roundSeq} does not exist`);
    return round;
  }

  async finishRound(
    roundSeq: number,
    options: { now: Date; deltaVersion: number | null },
  ): Promise<{ slots: number; alreadyFinished: boolean }> {
    const seq = sqlInt(roundSeq);
    const now = sqlTime(options.now);
    const version = sqlIntOrNull(options.deltaVersion);
    // One call: the slots, then the round, whose RETURNING is the answer. Only slots of a begun round are
    // running with its round_seq (a claim outside a round clears round_seq), so the first statement needs
    // no look at the round; when the round is not begun it matches nothing.
    const ended = await this.tx.all(
      `UPDATE jobs SET status = 'done', reason = NULL, delta_version = ${version}, lease_owner = NULL,
         lease_expires = NULL, updated_at = ${now}
       WHERE round_seq = ${seq} AND status = 'running';
       UPDATE rounds SET status = 'finished', ended_at = ${now}, delta_version = ${version}
       WHERE round_seq = ${seq} AND status = 'begun'
       RETURNING len(slot_ids) AS slots`,
    );
    const finished = ended[0];
    if (!finished) {
      const round = await this.requireRound(roundSeq);
      if (round.status === 'finished') return { slots: 0, alreadyFinished: true };
      throw new QueueUsageError(`queue round ${roundSeq} was abandoned; it cannot be finished`, {
        hint: 'Its slots went back to pending; a finished round must not be abandoned first.',
      });
    }
    // slot_ids holds exactly the round's running slots (leaveRound takes failed ones out).
    return { slots: toNumber(finished.slots, 'slots'), alreadyFinished: false };
  }

  async abandonRound(roundSeq: number, options: AbandonOptions): Promise<ReturnResult> {
    const round = await this.requireRound(roundSeq);
    if (round.status === 'abandoned') return { returned: [], failed: [] };
    if (round.status === 'finished') {
      throw new QueueUsageError(
        `queue round ${roundSeq} is finished; its rows are in Delta and it cannot be abandoned`,
      );
    }
    await this.tx.run(
      `UPDATE rounds SET status = 'abandoned', ended_at = $2::TIMESTAMPTZ, note = $3 WHERE round_seq = $1::BIGINT`,
      [BigInt(roundSeq), iso(options.now), options.reason],
    );
    if (options.countAttempt === false) {
      const rows = await this.tx.all(
        `UPDATE jobs SET status = 'pending', lease_owner = NULL, lease_expires = NULL, updated_at = $2::TIMESTAMPTZ
         WHERE round_seq = $1::BIGINT AND status = 'running'
         RETURNING id`,
        [BigInt(roundSeq), iso(options.now)],
      );
      if (rows.length > 0) this.forgetPendingFloor();
      return { returned: rows.map((row) => toNumber(row.id, 'id')).sort((a, b) => a - b), failed: [] };
    }
    return this.returnToPending(
      `round_seq = $1::BIGINT AND status = 'running'`,
      [BigInt(roundSeq), `round ${roundSeq} abandoned: ${options.reason}`],
      options.now,
      '$2::VARCHAR',
    );
  }

  async enqueueBars(specs: readonly BarsJobSpec[], options: { now: Date }): Promise<InsertResult> {
    for (const spec of specs) {
      if (!(spec.start.getTime() < spec.end.getTime())) {
        throw new QueueUsageError(
          `bars job for ${spec.symbol}: start ${iso(spec.start)} is not before end ${iso(spec.end)}`,
        );
      }
    }
    return this.insertJobs(
      specs.map((spec) => ({
        kind: 'bars' as const,
        symbol: spec.symbol,
        slotTs: spec.start,
        params: { ...barsParams(spec) },
        priority: spec.priority ?? 0,
        status: 'pending' as const,
        notBefore: options.now,
      })),
      options,
    );
  }

  async markBackfilled(
    ids: readonly number[],
    options: { now: Date; deltaVersion: number | null },
  ): Promise<number> {
    if (ids.length === 0) return 0;
    let changed = 0;
    for (const table of ['jobs', 'jobs_archive']) {
      const rows = await this.tx.all(
        `UPDATE ${table} SET status = 'done', reason = 'backfilled', delta_version = $2::BIGINT, updated_at = $3::TIMESTAMPTZ
         WHERE ${IN_IDS('$1')} AND status = 'missed'
         RETURNING id`,
        [
          this.ids(ids),
          options.deltaVersion === null ? null : BigInt(options.deltaVersion),
          iso(options.now),
        ],
      );
      changed += rows.length;
    }
    return changed;
  }

  async prune(options: { before: Date }): Promise<{ jobs: number; rounds: number }> {
    const hot = await this.tx.all(
      `DELETE FROM jobs WHERE slot_ts < $1::TIMESTAMPTZ AND status IN (${TERMINAL}) AND ${NOT_IN_OPEN_ROUND} RETURNING id`,
      [iso(options.before)],
    );
    const archived = await this.tx.all(
      `DELETE FROM jobs_archive WHERE slot_ts < $1::TIMESTAMPTZ RETURNING id`,
      [iso(options.before)],
    );
    const rounds = await this.tx.all(
      `DELETE FROM rounds WHERE status <> 'begun' AND began_at < $1::TIMESTAMPTZ RETURNING round_seq`,
      [iso(options.before)],
    );
    if (hot.length > 0) this.pendingMemo.lastSnapshotSlots = null;
    return { jobs: hot.length + archived.length, rounds: rounds.length };
  }

  async archive(options: { now: Date; before?: Date }): Promise<{ jobs: number; rounds: number }> {
    const keep = (this.policy.archiveAfterSeconds ?? DEFAULT_ARCHIVE_AFTER_SECONDS) * 1000;
    const before = iso(options.before ?? new Date(options.now.getTime() - keep));
    const movable = `status IN (${TERMINAL}) AND updated_at < $1::TIMESTAMPTZ AND ${NOT_IN_OPEN_ROUND}
      AND NOT (kind = 'snapshot' AND params = '{}' AND slot_ts >= (
        SELECT max(l.slot_ts) FROM jobs l WHERE l.kind = 'snapshot' AND l.params = '{}' AND l.symbol = jobs.symbol))`;
    const ids = (await this.tx.all(`SELECT id FROM jobs WHERE ${movable}`, [before])).map((row) =>
      toNumber(row.id, 'id'),
    );
    if (ids.length > 0) {
      await this.tx.run(`INSERT INTO jobs_archive SELECT * FROM jobs WHERE ${IN_IDS('$1')}`, [this.ids(ids)]);
      await this.tx.run(`DELETE FROM jobs WHERE ${IN_IDS('$1')}`, [this.ids(ids)]);
    }
    const rounds = await this.tx.all(
      `DELETE FROM rounds WHERE status <> 'begun' AND ended_at < $1::TIMESTAMPTZ RETURNING round_seq`,
      [before],
    );
    await this.tx.run(`UPDATE meta SET value = $1 WHERE key = 'last_archive_at'`, [iso(options.now)]);
    this.pendingMemo.lastArchiveAt = options.now.getTime();
    return { jobs: ids.length, rounds: rounds.length };
  }

  async archiveIfDue(now: Date): Promise<{ jobs: number; rounds: number } | null> {
    // The last archive time this process saw can only be older than the file's (archive() moves it
    // forward), so while it is recent the file need not be asked.
    const known = this.memo.lastArchiveAt;
    if (known !== null && now.getTime() - known < ARCHIVE_EVERY_MS && now.getTime() >= known) return null;
    const rows = await this.tx.all(`SELECT value FROM meta WHERE key = 'last_archive_at'`);
    const last = Date.parse(String(rows[0]?.value ?? ''));
    if (Number.isFinite(last)) this.memo.lastArchiveAt = last;
    if (Number.isFinite(last) && now.getTime() - last < ARCHIVE_EVERY_MS) return null;
    return this.archive({ now });
  }
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

/** The queue file. Each method is one short session (open, transaction, close); see db.ts for why. */
export class Queue implements QueueOps {
  readonly path: string;
  readonly policy: QueuePolicy;
  private readonly db: QueueDatabase;
  private readonly soleSnapshotWriter: boolean;
  private readonly memo: SessionMemo = {
    lastArchiveAt: null,
    lastSnapshotSlots: null,
    pendingSnapshotFloor: null,
  };

  constructor(options: OpenQueueOptions) {
    validatePolicy(options.policy);
    this.db = new QueueDatabase(options.path, { busyTimeoutMs: options.busyTimeoutMs ?? 5000 });
    this.path = this.db.path;
    this.policy = { ...options.policy };
    this.soleSnapshotWriter = options.soleSnapshotWriter ?? false;
  }

  private async run<T>(fn: (ops: SessionOps) => Promise<T>): Promise<T> {
    const learned: Partial<SessionMemo> = {};
    const result = await this.db.write((tx) =>
      fn(new SessionOps(tx, this.policy, this.memo, learned, this.soleSnapshotWriter)),
    );
    Object.assign(this.memo, learned);
    return result;
  }

  batch<T>(fn: (ops: QueueOps) => Promise<T>): Promise<T> {
    return this.run(fn);
  }
  insertJobs(jobs: readonly NewJob[], options: { now: Date }) {
    return this.run((ops) => ops.insertJobs(jobs, options));
  }
  slotBounds(kind: JobKind) {
    return this.run((ops) => ops.slotBounds(kind));
  }
  lastSlots(kind: JobKind) {
    return this.run((ops) => ops.lastSlots(kind));
  }
  markLate(now: Date) {
    return this.run((ops) => ops.markLate(now));
  }
  claimDue(options: ClaimOptions) {
    return this.run((ops) => ops.claimDue(options));
  }
  complete(ids: readonly number[], options: { now: Date; deltaVersion: number | null }) {
    return this.run((ops) => ops.complete(ids, options));
  }
  fail(ids: readonly number[], options: FailOptions) {
    return this.run((ops) => ops.fail(ids, options));
  }
  reclaimExpired(now: Date) {
    return this.run((ops) => ops.reclaimExpired(now));
  }
  releaseOwned(owner: string, options: { now: Date }) {
    return this.run((ops) => ops.releaseOwned(owner, options));
  }
  beginRound(options: BeginRoundOptions) {
    return this.run((ops) => ops.beginRound(options));
  }
  claimRound(options: ClaimRoundOptions) {
    return this.run((ops) => ops.claimRound(options));
  }
  finishRound(roundSeq: number, options: { now: Date; deltaVersion: number | null }) {
    return this.run((ops) => ops.finishRound(roundSeq, options));
  }
  abandonRound(roundSeq: number, options: AbandonOptions) {
    return this.run((ops) => ops.abandonRound(roundSeq, options));
  }
  leaveRound(roundSeq: number, ids: readonly number[], options: { now: Date }) {
    return this.run((ops) => ops.leaveRound(roundSeq, ids, options));
  }
  pendingRounds() {
    return this.run((ops) => ops.pendingRounds());
  }
  getRound(roundSeq: number) {
    return this.run((ops) => ops.getRound(roundSeq));
  }
  enqueueBars(specs: readonly BarsJobSpec[], options: { now: Date }) {
    return this.run((ops) => ops.enqueueBars(specs, options));
  }
  missedSlots(options: { from: Date; to: Date; symbols?: readonly string[] }) {
    return this.run((ops) => ops.missedSlots(options));
  }
  markBackfilled(ids: readonly number[], options: { now: Date; deltaVersion: number | null }) {
    return this.run((ops) => ops.markBackfilled(ids, options));
  }
  listJobs(filter?: JobFilter) {
    return this.run((ops) => ops.listJobs(filter));
  }
  counts() {
    return this.run((ops) => ops.counts());
  }
  prune(options: { before: Date }) {
    return this.run((ops) => ops.prune(options));
  }
  archive(options: { now: Date; before?: Date }) {
    return this.run((ops) => ops.archive(options));
  }
  archiveIfDue(now: Date) {
    return this.run((ops) => ops.archiveIfDue(now));
  }

  /** Keeps the file attached between this object's sessions until release() (db.ts: hold). */
  hold(): void {
    this.db.hold();
  }

  /** Detaches the file if it is held; call before waiting on anything but the next session. */
  release(): Promise<void> {
    return this.db.release();
  }

  /** Releases the in-memory DuckDB instance (the file is detached with it). */
  close(): void {
    this.db.close();
  }
}

/** Opens (creating or migrating) the queue file. Throws QueueSchemaError for a newer or foreign file. */
export async function openQueue(options: OpenQueueOptions): Promise<Queue> {
  const queue = new Queue(options);
  try {
    await queue.batch(async () => undefined);
  } catch (error) {
    queue.close();
    throw error;
  }
  return queue;
}

function validatePolicy(policy: QueuePolicy): void {
  const positive = (name: keyof QueuePolicy, min: number) => {
    const value = policy[name];
    if (value === undefined) return;
    if (!Number.isFinite(value) || value < min) {
      throw new QueueUsageError(`queue policy ${name} must be a number ≥ ${min}, got ${value}`);
    }
  };
  positive('maxLatenessSeconds', 0);
  positive('maxAttempts', 1);
  positive('retryBaseSeconds', 0);
  positive('retryMaxSeconds', 0);
  positive('archiveAfterSeconds', 0);
}

/** Resolves rounds a crashed collector left begun, given what Delta says was committed. See the module header. */
export async function resolvePendingRounds(
  queue: QueueOps,
  options: {
    now: Date;
    /** Delta's txn version for appId 'futures-collect', or null when the table has none. */
    committedThrough: number | null;
    /** The Delta version that carried a round's txn, when the collector can tell; else null is recorded. */
    deltaVersionOf?: (roundSeq: number) => number | null;
  },
): Promise<{ finished: number[]; abandoned: number[] }> {
  return queue.batch(async (ops) => {
    const finished: number[] = [];
    const abandoned: number[] = [];
    for (const round of await ops.pendingRounds()) {
      if (options.committedThrough !== null && round.roundSeq <= options.committedThrough) {
        await ops.finishRound(round.roundSeq, {
          now: options.now,
          deltaVersion: options.deltaVersionOf?.(round.roundSeq) ?? null,
        });
        finished.push(round.roundSeq);
      } else {
        await ops.abandonRound(round.roundSeq, {
          now: options.now,
          reason: 'collector stopped before the Delta commit',
        });
        abandoned.push(round.roundSeq);
      }
    }
    return { finished, abandoned };
  });
}
