/**
 * One collection round (the queue's round protocol, see src/queue/queue.ts). Normally ONE queue session:
 *
 *   session: schedule due slots (closed → skipped with the reason, too late → missed) + claim the due ones
 *            and begin the round with them + finish the previous round once its Delta commit has landed
 *   → take one snapshot per instrument through src/ibkr (requested as soon as the claim is known, so they
 *     arrive while the session finishes and commits; used only once it has committed) → flag quality
 *   → ONE Delta commit with txn {appId 'futures-collect', version: round seq}
 *   → remember the round as committed-but-unfinished: the next round's session finishes it, and the
 *     collector finishes the last one before it exits (finishPendingRound).
 *
 * Rounds that run back to back (deps.overlapCommit: a manual clock, the demo) do not wait for their Delta
 * commit: it lands while the next round's session schedules and claims, and that session waits for it
 * before it finishes the round and commits. The order that makes a crash safe is unchanged — a round's
 * slots are durable in the queue before its Delta write, its finish is durable only after the commit
 * landed, and the next round's Delta write comes after that session — so at most one begun round can be
 * unresolved at any instant. A commit that fails makes the waiting session roll back (its claims too);
 * the round is then abandoned and the error thrown, as without the overlap.
 *
 * Every queue write session costs a checkpoint of the file (~20 ms, see src/queue/db.ts), so the round
 * begins in the session that claims its slots, and the finish rides on the next round's session.
 * Safety is the protocol's: the round is durable in the queue before the Delta write, and a round that
 * is begun but not finished — whether the process died or is only waiting for its next round — is
 * resolved from the Delta txn (collector.ts start-up: committed → finished, else abandoned).
 * Extra sessions happen only off the happy path: slots whose snapshot failed leave the round and fail
 * (before the Delta write); a lost gateway abandons the round without counting an attempt (slots
 * pending again) and rethrows, so one-shot runs exit 3 and the loop reconnects; a failed Delta commit
 * abandons it counting one.
 *
 * Between rounds the previous round's slots therefore show as running (in an open round) in the queue
 * for up to one interval; their rows are already in the lake.
 * Several due slots of one instrument (a collector that fell behind) share that instrument's one
 * snapshot; rows taken more than an interval after their slot carry the `late` flag.
 */

import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { IbSession, IbSymbol, ResolvedContract } from '../ibkr/index.js';
import { IbRequestError, IbTimeoutError } from '../ibkr/index.js';
import type { SnapshotRecord } from '../lake/index.js';
import type { MarketCalendar } from '../market/index.js';
import {
  type ClaimedRound,
  type Job,
  type MarketStatusFn,
  type QueueOps,
  type ScheduleResult,
  scheduleDueSlots,
} from '../queue/index.js';
import { DEFAULT_MINUTE_VOLATILITY, MINUTE_VOLATILITY, type PreviousQuote } from './quality.js';
import { nextPrevious, type SnapshotSource, snapshotRecord, type TakenSnapshot } from './records.js';

export const COLLECT_APP_ID = 'futures-collect';

/**
 * Named points of a round; tests SIGKILL a collector at one of them. 'round-finished' fires when a
 * round's finish has committed: inside the NEXT round's first session (before that round's
 * 'round:start'), or in finishPendingRound when the collector stops. 'round:start' fires once the
 * round's first session (claim + begin) has committed.
 */
export type RoundStep =
  | 'round:start'
  | 'claimed'
  | 'snapshots'
  | 'round-begun'
  | 'delta-committed'
  | 'round-finished';
export type RoundStepHook = (step: RoundStep) => void | Promise<void>;

export interface RoundSettings {
  symbols: readonly IbSymbol[];
  intervalSeconds: number;
  leaseSeconds: number;
  staleQuoteSeconds: number;
  outlierSigma: number;
  firstRunLookbackSeconds: number;
  catchUpSeconds: number;
  checkpointInterval: number;
}

/** Writes one round's rows; the real one is src/lake's appendSnapshots (tests may wrap it). */
export type AppendRound = (
  records: readonly SnapshotRecord[],
  txn: { appId: string; version: number },
) => Promise<{ version: number; skipped: boolean }>;

export interface RoundDeps {
  queue: QueueOps;
  clock: Clock;
  log: Logger;
  calendar: MarketCalendar;
  marketStatus: MarketStatusFn;
  settings: RoundSettings;
  /** Lease owner of the claimed slots (stable per host, so a restart can release a killed run's leases). */
  owner: string;
  runId: string;
  source: SnapshotSource;
  /** Opens (or returns the open) IB session; throws UpstreamUnavailableError when the gateway is down. */
  session(): Promise<IbSession>;
  append: AppendRound;
  /** Finds the Delta version that carried a txn version (after a skipped, already-committed append). */
  versionOfTxn(txnVersion: number): Promise<number | null>;
  /** The lowest round seq to use: Delta's committed txn version + 1. */
  minSeq(): number;
  /** Last quote per symbol (outlier and stale checks); updated by the round. */
  previous: Map<string, PreviousQuote>;
  /** The round committed to Delta but not yet finished in the queue; set and cleared by the rounds. */
  unfinished: { round: UnfinishedRound | null };
  /**
   * When the next round returns expired leases (ms on the clock; 0 = the first round). The collector's
   * own slots sit in begun rounds, which lease expiry never touches, so expired leases come only from a
   * process that died (a backfill on another host: its leases last hours); every ten minutes of the
   * clock is soon enough and saves a statement in most rounds.
   */
  reclaim: { dueAt: number };
  /** True when rounds run back to back: the Delta commit overlaps the next round's session (see above). */
  overlapCommit?: boolean;
  onStep?: RoundStepHook | undefined;
}

/**
 * How a round's Delta commit ended. `stepError`: the 'delta-committed' hook threw after the commit landed;
 * the round is still finished, and the run stops with that error.
 */
export type CommitOutcome =
  | { ok: true; deltaVersion: number | null; stepError?: unknown }
  | { ok: false; error: unknown };

/** A round whose Delta commit started; finishing it in the queue is deferred to the next session. */
export interface UnfinishedRound {
  roundSeq: number;
  /**
   * Settles once the commit landed or failed (never rejects); the round's result is complete from then on.
   */
  committed: Promise<CommitOutcome>;
}

/** Thrown inside the next round's session to roll it back when the previous round's commit failed. */
class PreviousCommitFailed extends Error {
  constructor(
    readonly roundSeq: number,
    override readonly cause: unknown,
  ) {
    super(`the Delta commit of round ${roundSeq} failed`);
  }
}

export interface SlotFailure {
  symbol: string;
  slotTs: Date;
  ibCode: number | null;
  message: string;
  permanent: boolean;
}

export interface RoundTimings {
  /** Queue sessions: finish the previous round + schedule + claim + begin; fail or abandon when needed. */
  queueMs: number;
  /** Connecting (first round), contracts and snapshots; overlaps the end of the queue session. */
  ibMs: number;
  /** The Delta commit (Parquet write, commit file, checkpoint when due). */
  deltaMs: number;
  /** From the round's start until its commit landed (with overlapped rounds, that overlaps the next round). */
  totalMs: number;
}

export interface RoundResult {
  at: Date;
  scheduled: ScheduleResult;
  claimed: number;
  /** Slots stored and marked done. */
  done: number;
  /** Slots that failed for good (e.g. IB 200) … */
  failed: number;
  /** … or will be retried after a back-off (timeouts). */
  retried: number;
  /** Claimed slots whose lease was lost before the round began (not written). */
  lost: number;
  rows: number;
  roundSeq: number | null;
  deltaVersion: number | null;
  failures: SlotFailure[];
  timings: RoundTimings;
}

const CLAIM_SLOTS_PER_SYMBOL = 16;
const RECLAIM_EVERY_MS = 600_000;

interface Failure {
  ids: number[];
  symbol: string;
  slots: Date[];
  error: IbRequestError | IbTimeoutError;
}

export async function runRound(deps: RoundDeps): Promise<RoundResult> {
  const started = performance.now();
  const timings: RoundTimings = { queueMs: 0, ibMs: 0, deltaMs: 0, totalMs: 0 };
  const timed = async <T>(key: 'queueMs' | 'ibMs' | 'deltaMs', fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await fn();
    } finally {
      timings[key] += performance.now() - t;
    }
  };
  const { settings, queue, clock } = deps;
  const at = clock.now();
  const previousRound = deps.unfinished.round;
  let pendingReclaimAt: number | null = null;

  // Waiting for the previous round's commit (overlapped rounds) is not queue time.
  let waitedMs = 0;
  let session: {
    scheduled: ScheduleResult;
    claimed: Job[];
    begun: { round: NonNullable<ClaimedRound['round']>; snapshots: Promise<TakenSnapshots> } | null;
  };
  try {
    session = await timed('queueMs', () =>
      queue.batch(async (ops) => {
        const result = await scheduleDueSlots(ops, {
          now: at,
          symbols: settings.symbols,
          intervalSeconds: settings.intervalSeconds,
          marketStatus: deps.marketStatus,
          firstRunLookbackSeconds: settings.firstRunLookbackSeconds,
          catchUpSeconds: settings.catchUpSeconds,
        });
        if (deps.reclaim.dueAt <= at.getTime()) {
          await ops.reclaimExpired(at);
          pendingReclaimAt = at.getTime() + RECLAIM_EVERY_MS;
        }
        const { jobs, round: begun } = await ops.claimRound({
          owner: deps.owner,
          now: at,
          // The slots stay running until the NEXT round's session finishes this round: cover that wait,
          // so `futures status` does not call them overdue (lease expiry never moves slots of a begun round).
          leaseSeconds: settings.leaseSeconds + settings.intervalSeconds,
          limit: settings.symbols.length * CLAIM_SLOTS_PER_SYMBOL,
          kind: 'snapshot',
          minSeq: deps.minSeq(),
        });
        // The snapshots need only the claim: they are requested now and arrive while this session finishes
        // the previous round and commits. Nothing is written before both are done (the slots are durable
        // in the queue before the Delta write); should this session fail, the snapshots are dropped.
        const requested = begun
          ? { round: begun, snapshots: takeSnapshots(deps, at, jobs, begun.slotIds, timings) }
          : null;
        requested?.snapshots.catch(() => {});
        if (previousRound) {
          const waitStarted = performance.now();
          const outcome = await previousRound.committed;
          waitedMs = performance.now() - waitStarted;
          if (!outcome.ok) throw new PreviousCommitFailed(previousRound.roundSeq, outcome.error);
          // The run stops here; finishPendingRound finishes the round on the way out.
          if (outcome.stepError !== undefined) throw outcome.stepError;
          await ops.finishRound(previousRound.roundSeq, { now: at, deltaVersion: outcome.deltaVersion });
        }
        return {
          scheduled: result,
          claimed: jobs,
          begun: requested,
        };
      }),
    );
  } catch (error) {
    if (!(error instanceof PreviousCommitFailed)) throw error;
    deps.unfinished.round = null;
    await abandonUncommitted(deps, error.roundSeq, error.cause);
    throw error.cause;
  }
  timings.queueMs -= waitedMs;
  const { scheduled, claimed, begun } = session;
  if (pendingReclaimAt !== null) deps.reclaim.dueAt = pendingReclaimAt;
  if (previousRound) {
    deps.unfinished.round = null;
    await deps.onStep?.('round-finished');
  }
  await deps.onStep?.('round:start');
  const result: RoundResult = {
    at,
    scheduled,
    claimed: claimed.length,
    done: 0,
    failed: 0,
    retried: 0,
    lost: 0,
    rows: 0,
    roundSeq: null,
    deltaVersion: null,
    failures: [],
    timings,
  };
  const finish = () => {
    timings.totalMs = performance.now() - started;
    return result;
  };
  if (!begun) return finish();
  const { round, snapshots } = begun;
  result.roundSeq = round.roundSeq;
  result.lost = round.lost.length;
  await deps.onStep?.('claimed');
  await deps.onStep?.('round-begun');
  let taken: Array<{ jobs: Job[]; snapshot: TakenSnapshot }>;
  let failures: Failure[];
  try {
    ({ taken, failures } = await snapshots);
  } catch (error) {
    // The gateway is down or went away (or a bug): nothing was written, so the round is abandoned and its
    // slots are pending again for the next run or reconnect, without counting an attempt.
    await timed('queueMs', () =>
      queue.batch(async (ops) => {
        const now = clock.now();
        await ops.abandonRound(round.roundSeq, {
          now,
          reason: `no snapshots: ${error instanceof Error ? error.message : String(error)}`,
          countAttempt: false,
        });
        await ops.releaseOwned(deps.owner, { now });
      }),
    );
    throw error;
  }
  await deps.onStep?.('snapshots');

  const now = clock.now();
  const records: Array<{ jobId: number; record: SnapshotRecord }> = [];
  for (const { jobs, snapshot } of taken) {
    const symbol = snapshot.contract.symbol;
    const previous = deps.previous.get(symbol) ?? null;
    for (const job of [...jobs].sort((a, b) => a.slotTs.getTime() - b.slotTs.getTime())) {
      const record = snapshotRecord(snapshot, {
        slotTs: job.slotTs,
        calendar: deps.calendar,
        source: deps.source,
        runId: deps.runId,
        previous,
        quality: {
          staleQuoteSeconds: settings.staleQuoteSeconds,
          outlierSigma: settings.outlierSigma,
          minuteVolatility: MINUTE_VOLATILITY[symbol] ?? DEFAULT_MINUTE_VOLATILITY,
          intervalSeconds: settings.intervalSeconds,
        },
      });
      records.push({ jobId: job.id, record });
    }
  }

  // The round must hold exactly the slots whose rows the Delta commit carries.
  const recorded = new Set(records.map((r) => r.jobId));
  const unrecorded = round.slotIds.filter((id) => !recorded.has(id));
  if (unrecorded.length > 0) {
    await timed('queueMs', () =>
      queue.batch(async (ops) => {
        // Out of the round first: fail() and releaseOwned() leave slots of an open round alone, and
        // finishing the round must not mark them done.
        await ops.leaveRound(round.roundSeq, unrecorded, { now });
        if (records.length === 0) {
          await ops.abandonRound(round.roundSeq, { now, reason: 'no snapshot taken', countAttempt: false });
        }
        for (const failure of failures) {
          const permanent = failure.error instanceof IbRequestError;
          const code = failure.error instanceof IbRequestError ? failure.error.ibCode : null;
          const outcome = await ops.fail(failure.ids, {
            now,
            error: failure.error.message,
            code,
            permanent,
          });
          result.failed += outcome.failed.length;
          result.retried += outcome.retried.length;
          failure.slots.forEach((slotTs) => {
            result.failures.push({
              symbol: failure.symbol,
              slotTs,
              ibCode: code,
              message: failure.error.message,
              permanent: permanent || outcome.failed.length > 0,
            });
          });
        }
        // Anything neither stored nor failed (none expected) goes back to pending.
        await ops.releaseOwned(deps.owner, { now });
      }),
    );
    for (const failure of failures) deps.log.warn(`${failure.symbol}: ${failure.error.message}`);
  }
  if (records.length === 0) return finish();
  const rows = records.map((r) => r.record);

  const commitStarted = performance.now();
  const committed = (async (): Promise<CommitOutcome> => {
    let deltaVersion: number | null;
    try {
      const written = await deps.append(rows, { appId: COLLECT_APP_ID, version: round.roundSeq });
      deltaVersion = written.skipped ? await deps.versionOfTxn(round.roundSeq) : written.version;
    } catch (error) {
      return { ok: false, error };
    } finally {
      timings.deltaMs += performance.now() - commitStarted;
    }
    result.rows = rows.length;
    result.done = rows.length;
    result.deltaVersion = deltaVersion;
    for (const row of rows) {
      deps.previous.set(row.symbol, nextPrevious(row, deps.previous.get(row.symbol) ?? null));
    }
    finish();
    try {
      await deps.onStep?.('delta-committed');
    } catch (stepError) {
      return { ok: true, deltaVersion, stepError };
    }
    return { ok: true, deltaVersion };
  })();
  // Finished by the next round's session, or by finishPendingRound when the collector stops.
  deps.unfinished.round = { roundSeq: round.roundSeq, committed };
  if (deps.overlapCommit) return finish();
  const outcome = await committed;
  if (!outcome.ok) {
    deps.unfinished.round = null;
    await abandonUncommitted(deps, round.roundSeq, outcome.error);
    throw outcome.error;
  }
  if (outcome.stepError !== undefined) throw outcome.stepError;
  return result;
}

interface TakenSnapshots {
  taken: Array<{ jobs: Job[]; snapshot: TakenSnapshot }>;
  /** Symbols whose contract or snapshot request failed (the others were taken). */
  failures: Failure[];
}

/**
 * One snapshot per instrument of the round's slots, through src/ibkr. Throws when the gateway is down or
 * goes away (or on a bug); request errors and timeouts of single symbols are returned as failures.
 */
async function takeSnapshots(
  deps: Pick<RoundDeps, 'session'>,
  at: Date,
  claimed: readonly Job[],
  slotIds: readonly number[],
  timings: RoundTimings,
): Promise<TakenSnapshots> {
  const started = performance.now();
  try {
    const inRound = new Set(slotIds);
    // Slots of symbols this collector does not collect (config changed) are taken with the rest.
    const bySymbol = new Map<IbSymbol, Job[]>();
    for (const job of claimed) {
      if (!inRound.has(job.id)) continue;
      const symbol = job.symbol as IbSymbol;
      bySymbol.set(symbol, [...(bySymbol.get(symbol) ?? []), job]);
    }
    const failures: Failure[] = [];
    const session = await deps.session();
    const symbols = [...bySymbol.keys()];
    const resolved = await Promise.allSettled(symbols.map((s) => session.resolveFrontMonth(s, at)));
    const contracts: ResolvedContract[] = [];
    resolved.forEach((outcome, i) => {
      const symbol = symbols[i] as IbSymbol;
      const jobs = bySymbol.get(symbol) ?? [];
      if (outcome.status === 'fulfilled') {
        contracts.push(outcome.value);
        return;
      }
      const error: unknown = outcome.reason;
      if (error instanceof IbRequestError || error instanceof IbTimeoutError) {
        failures.push({ ids: jobs.map((j) => j.id), symbol, slots: jobs.map((j) => j.slotTs), error });
        return;
      }
      throw error;
    });
    const outcomes = contracts.length === 0 ? [] : await session.takeSnapshots(contracts);
    const taken: TakenSnapshots['taken'] = [];
    for (const outcome of outcomes) {
      const jobs = bySymbol.get(outcome.contract.symbol) ?? [];
      if (outcome.ok) taken.push({ jobs, snapshot: outcome.snapshot });
      else {
        failures.push({
          ids: jobs.map((j) => j.id),
          symbol: outcome.contract.symbol,
          slots: jobs.map((j) => j.slotTs),
          error: outcome.error,
        });
      }
    }
    return { taken, failures };
  } finally {
    timings.ibMs += performance.now() - started;
  }
}

/** A round whose Delta commit failed: its slots go back to pending, counting an attempt. */
async function abandonUncommitted(
  deps: Pick<RoundDeps, 'queue' | 'clock'>,
  roundSeq: number,
  error: unknown,
): Promise<void> {
  await deps.queue.abandonRound(roundSeq, {
    now: deps.clock.now(),
    reason: `Delta commit failed: ${error instanceof Error ? error.message : String(error)}`,
  });
}

/**
 * Finishes the round the last runRound left committed-but-unfinished (one queue session), if any. The
 * collector calls it before it releases its lock; if it never runs (a crash), start-up recovery finishes
 * the round from the Delta txn instead.
 */
export async function finishPendingRound(
  deps: Pick<RoundDeps, 'queue' | 'clock' | 'unfinished' | 'onStep'>,
): Promise<{ roundSeq: number; deltaVersion: number | null } | null> {
  const round = deps.unfinished.round;
  if (!round) return null;
  const outcome = await round.committed;
  if (!outcome.ok) {
    deps.unfinished.round = null;
    await abandonUncommitted(deps, round.roundSeq, outcome.error);
    throw outcome.error;
  }
  await deps.queue.finishRound(round.roundSeq, { now: deps.clock.now(), deltaVersion: outcome.deltaVersion });
  deps.unfinished.round = null;
  await deps.onStep?.('round-finished');
  if (outcome.stepError !== undefined) throw outcome.stepError;
  return { roundSeq: round.roundSeq, deltaVersion: outcome.deltaVersion };
}
