/**
 * The job operations of one read-write session: queueing slots and bars jobs, marking late slots,
 * claims, failures and returns to pending. Rounds build on these (rounds.ts); SessionOps (../ops.ts)
 * completes the set.
 */
import { QueueUsageError } from '../errors.js';
import { barsParams, canonicalParams } from '../params.js';
import { retryDelaySeconds } from '../policy.js';
import { QueueReads } from '../reads.js';
import {
  IN_IDS,
  isOneOf,
  iso,
  NOT_IN_OPEN_ROUND,
  rowToJob,
  sortForClaim,
  sqlInt,
  sqlText,
  sqlTextOrNull,
  sqlTime,
  toNumber,
} from '../rows.js';
import type { SqlValue, Tx } from '../sql.js';
import {
  type BarsJobSpec,
  type ClaimOptions,
  type FailOptions,
  type FailResult,
  type InsertResult,
  JOB_KINDS,
  type Job,
  type JobKind,
  type NewJob,
  type QueuePolicy,
  type ReturnResult,
} from '../types.js';

/** What a Queue remembers between its sessions (hints that save a query). */
export interface QueueMemo {
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

/** What a read-write session gets from the Queue that opened it. */
export interface SessionContext {
  policy: QueuePolicy;
  /** What the Queue learned in its committed sessions. */
  memo: QueueMemo;
  /** What this session learns; the Queue applies it to its memo only once the session has committed. */
  learned: Partial<QueueMemo>;
  /** The Queue's caller is the only process that queues snapshot slots (OpenQueueOptions). */
  soleSnapshotWriter: boolean;
}

export class JobOps extends QueueReads {
  readonly policy: QueuePolicy;
  protected readonly memo: QueueMemo;
  protected readonly learned: Partial<QueueMemo>;
  private readonly soleSnapshotWriter: boolean;
  private markedLateAt: number | null = null;

  constructor(tx: Tx, session: SessionContext) {
    super(tx);
    this.policy = session.policy;
    this.memo = session.memo;
    this.learned = session.learned;
    this.soleSnapshotWriter = session.soleSnapshotWriter;
  }

  private knownSnapshotSlots(): ReadonlyMap<string, Date> | null {
    return this.learned.lastSnapshotSlots === undefined
      ? this.memo.lastSnapshotSlots
      : this.learned.lastSnapshotSlots;
  }

  override async lastSlots(kind: JobKind): Promise<Map<string, Date>> {
    if (kind !== 'snapshot') return super.lastSlots(kind);
    const known = this.knownSnapshotSlots();
    if (known) return new Map(known);
    const fresh = await super.lastSlots(kind);
    this.learned.lastSnapshotSlots = new Map(fresh);
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
    this.noteQueued(jobs);
    return { inserted, insertedByStatus, existing: jobs.length - inserted.length };
  }

  /** Keeps what this session knows (the pending floor, the last snapshot slots) up to date with new jobs. */
  private noteQueued(jobs: readonly NewJob[]): void {
    const floor = this.knownPendingFloor();
    if (floor !== null) {
      let lowest = floor;
      for (const job of jobs) {
        if (job.kind === 'snapshot' && job.status === 'pending')
          lowest = Math.min(lowest, job.slotTs.getTime());
      }
      this.learned.pendingSnapshotFloor = lowest;
    }
    const known = this.knownSnapshotSlots();
    if (known) {
      const next = new Map(known);
      for (const job of jobs) {
        if (job.kind !== 'snapshot' || canonicalParams(job.params) !== '{}') continue;
        const last = next.get(job.symbol);
        if (!last || last.getTime() < job.slotTs.getTime()) next.set(job.symbol, job.slotTs);
      }
      this.learned.lastSnapshotSlots = next;
    }
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
    return this.learned.pendingSnapshotFloor === undefined
      ? this.memo.pendingSnapshotFloor
      : this.learned.pendingSnapshotFloor;
  }

  /** Some snapshot slot went back to pending: it may be older than anything markLate has seen. */
  protected forgetPendingFloor(): void {
    this.learned.pendingSnapshotFloor = null;
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
    this.learned.pendingSnapshotFloor = next ?? Number.POSITIVE_INFINITY;
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
  protected async returnToPending(
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

  async noteUncollected(
    ids: readonly number[],
    options: { now: Date; reason: string; code: number | null },
  ): Promise<number> {
    if (ids.length === 0) return 0;
    const rows = await this.tx.all(
      `UPDATE jobs SET reason = $2, ib_error_code = $3::INTEGER, ib_error_message = $4, updated_at = $5::TIMESTAMPTZ
       WHERE ${IN_IDS('$1')} AND status = 'pending'
       RETURNING id`,
      [
        this.ids(ids),
        options.reason,
        options.code,
        options.code === null ? null : options.reason,
        iso(options.now),
      ],
    );
    return rows.length;
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

  /**
   * Done slots whose rows the lake does not hold (its newest commit was lost): back to `missed`, with
   * the reason, so `backfill --missed` fills them. Returns the ids changed.
   */
  async markLost(ids: readonly number[], options: { now: Date; reason: string }): Promise<number[]> {
    if (ids.length === 0) return [];
    const changed: number[] = [];
    for (const table of ['jobs', 'jobs_archive']) {
      const rows = await this.tx.all(
        `UPDATE ${table} SET status = 'missed', reason = $2, delta_version = NULL, updated_at = $3::TIMESTAMPTZ
         WHERE ${IN_IDS('$1')} AND status = 'done'
         RETURNING id`,
        [this.ids(ids), options.reason, iso(options.now)],
      );
      for (const row of rows) changed.push(toNumber(row.id, 'id'));
    }
    return changed.sort((a, b) => a - b);
  }

  /**
   * Records snapshot slots the lake holds as done (a queue rebuilt from the lake): the scheduler then
   * neither re-collects them nor reports them as gaps. Slots already queued are left alone.
   */
  async restoreDone(
    slots: ReadonlyArray<{ symbol: string; slotTs: Date }>,
    options: { now: Date; reason: string },
  ): Promise<number> {
    const inserted = await this.insertJobs(
      slots.map((slot) => ({
        kind: 'snapshot' as const,
        symbol: slot.symbol,
        slotTs: slot.slotTs,
        status: 'skipped' as const,
        reason: options.reason,
      })),
      options,
    );
    if (inserted.inserted.length > 0) {
      await this.tx.run(`UPDATE jobs SET status = 'done' WHERE ${IN_IDS('$1')}`, [
        this.ids(inserted.inserted),
      ]);
    }
    return inserted.inserted.length;
  }
}
