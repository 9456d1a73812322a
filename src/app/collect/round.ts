/**
 * One collection round: ONE queue session (schedule due slots, claim and begin the round, finish the
 * previous round once its Delta commit landed) → one snapshot per instrument → quality flags → ONE Delta
 * commit with txn {appId 'futures-collect', version: round seq}. runRound returns once that commit has
 * started; the round stays committed-but-unfinished (`deps.unfinished`) until the next round's session
 * or finishPendingRound finishes it. The protocol, and why every crash point is safe: docs/round-protocol.md.
 */

import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { IbSession, IbSymbol } from '../../ibkr/index.js';
import { failureCodeOf, IbRequestError } from '../../ibkr/index.js';
import type { SnapshotRecord } from '../../lake/index.js';
import type { MarketCalendar } from '../../market/index.js';
import {
  type ClaimedRound,
  type Job,
  type MarketStatusFn,
  type QueueOps,
  type ScheduleResult,
  scheduleDueSlots,
} from '../../queue/index.js';
import { DEFAULT_MINUTE_VOLATILITY, MINUTE_VOLATILITY, type PreviousQuote } from './quality.js';
import { nextPrevious, type SnapshotSource, snapshotRecord } from './records.js';
import { type SnapshotFailure, type TakenSnapshots, takeSnapshots } from './snapshots.js';

export const COLLECT_APP_ID = 'futures-collect';

/**
 * Named points of a round; tests SIGKILL a collector at one of them. 'round-finished' fires when a
 * round's finish has committed: inside the NEXT round's first session (before that round's
 * 'round:start'), or in finishPendingRound when the collector stops. 'round:start' fires once the
 * round's first session (claim + begin) has committed. 'round:end' fires in the collector when runRound
 * has returned (its Delta commit may still be landing), before the collector decides whether to wait.
 */
export type RoundStep =
  | 'round:start'
  | 'claimed'
  | 'snapshots'
  | 'round-begun'
  | 'delta-committed'
  | 'round-finished'
  | 'round:end';
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

/**
 * Writes one round's rows; the real one is src/lake's appendNewSnapshots (tests may wrap it), which drops
 * rows of slots the lake already holds (`alreadyStored`; `version` null when nothing was left to write).
 */
export type AppendRound = (
  records: readonly SnapshotRecord[],
  txn: { appId: string; version: number },
) => Promise<{ version: number | null; skipped: boolean; alreadyStored?: number }>;

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
  /** The open session's IbConnection.condition() (null when none is open or nothing is wrong). */
  condition(): number | null;
  append: AppendRound;
  /** Finds the Delta version that carried a txn version (after a skipped, already-committed append). */
  versionOfTxn(txnVersion: number): Promise<number | null>;
  /** The lowest round seq to use: Delta's committed txn version + 1. */
  minSeq(): number;
  /** Last quote per symbol (outlier and stale checks); updated by the round. */
  previous: Map<string, PreviousQuote>;
  /** Futures lines found without new data, warned about once until data arrives again (data-age.ts). */
  deadLines: Set<string>;
  /** The round committed to Delta but not yet finished in the queue; set and cleared by the rounds. */
  unfinished: { round: UnfinishedRound | null };
  /**
   * When the next round returns expired leases (ms on the clock; 0 = the first round). The collector's
   * own slots sit in begun rounds, which lease expiry never touches, so expired leases come only from a
   * process that died (a backfill on another host: its leases last hours); every ten minutes of the
   * clock is soon enough and saves a statement in most rounds.
   */
  reclaim: { dueAt: number };
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
  /** Of those, slots whose row the lake already held (not written again; e.g. after a queue reset). */
  alreadyStored: number;
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

export async function runRound(deps: RoundDeps): Promise<RoundResult> {
  const started = performance.now();
  const timings: RoundTimings = { queueMs: 0, ibMs: 0, deltaMs: 0, totalMs: 0 };
  const at = deps.clock.now();
  const hadPrevious = deps.unfinished.round !== null;
  const { scheduled, claimed, begun } = await openRound(deps, at, timings);
  if (hadPrevious) {
    deps.unfinished.round = null;
    await deps.onStep?.('round-finished');
  }
  await deps.onStep?.('round:start');
  const result: RoundResult = {
    at,
    scheduled,
    claimed: claimed.length,
    done: 0,
    alreadyStored: 0,
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
  const { round } = begun;
  result.roundSeq = round.roundSeq;
  result.lost = round.lost.length;
  await deps.onStep?.('claimed');
  await deps.onStep?.('round-begun');
  const { taken, failures } = await awaitSnapshots(deps, begun, timings);
  await deps.onStep?.('snapshots');

  const now = deps.clock.now();
  const records = roundRecords(deps, taken);
  // The round must hold exactly the slots whose rows the Delta commit carries.
  const recorded = new Set(records.map((r) => r.jobId));
  const unrecorded = round.slotIds.filter((id) => !recorded.has(id));
  if (unrecorded.length > 0) {
    await timed(timings, 'queueMs', () =>
      deps.queue.batch((ops) =>
        leaveRound(ops, deps, { roundSeq: round.roundSeq, unrecorded, empty: records.length === 0 }, now, {
          failures,
          result,
        }),
      ),
    );
    for (const failure of failures) deps.log.warn(`${failure.symbol}: ${failure.error.message}`);
  }
  if (records.length === 0) return finish();
  startCommit(
    deps,
    round.roundSeq,
    records.map((r) => r.record),
    { result, finish },
  );
  return finish();
}

async function timed<T>(
  timings: RoundTimings,
  key: 'queueMs' | 'ibMs' | 'deltaMs',
  fn: () => Promise<T>,
): Promise<T> {
  const t = performance.now();
  try {
    return await fn();
  } finally {
    timings[key] += performance.now() - t;
  }
}

type BegunRound = NonNullable<ClaimedRound['round']>;

interface OpenedRound {
  scheduled: ScheduleResult;
  claimed: Job[];
  begun: { round: BegunRound; snapshots: Promise<TakenSnapshots> } | null;
}

/**
 * The round's one session: schedule the due slots, reclaim expired leases when due, claim and begin the
 * round, request its snapshots, and finish the previous round once its Delta commit has landed. When that
 * commit failed, the session rolls back (its claims too) and the previous round is abandoned.
 */
async function openRound(deps: RoundDeps, at: Date, timings: RoundTimings): Promise<OpenedRound> {
  const { settings } = deps;
  const previousRound = deps.unfinished.round;
  let pendingReclaimAt: number | null = null;
  // Waiting for the previous round's commit is not queue time.
  let waitedMs = 0;
  let opened: OpenedRound;
  try {
    opened = await timed(timings, 'queueMs', () =>
      deps.queue.batch(async (ops) => {
        const scheduled = await scheduleDueSlots(ops, {
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
        // The snapshots need only the claim: requested now, they arrive while this session finishes the
        // previous round and commits; should the session fail, they are dropped.
        const requested = begun
          ? {
              round: begun,
              snapshots: timed(timings, 'ibMs', () =>
                takeSnapshots(deps.session, at, jobs, begun.slotIds, {
                  maxAgeMs: settings.staleQuoteSeconds * 1000,
                  expectsTicks: (t) => deps.marketStatus(t, 'ES').open,
                  previous: deps.previous,
                  dead: deps.deadLines,
                  log: deps.log,
                }),
              ),
            }
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
        return { scheduled, claimed: jobs, begun: requested };
      }),
    );
  } catch (error) {
    if (!(error instanceof PreviousCommitFailed)) throw error;
    deps.unfinished.round = null;
    await abandonUncommitted(deps, error.roundSeq, error.cause);
    throw error.cause;
  }
  timings.queueMs -= waitedMs;
  if (pendingReclaimAt !== null) deps.reclaim.dueAt = pendingReclaimAt;
  return opened;
}

/**
 * The round's snapshots. When the gateway is down or went away (or on a bug) nothing was written: the
 * round is abandoned and its slots are pending again, without counting an attempt, and the error thrown.
 */
async function awaitSnapshots(
  deps: RoundDeps,
  begun: NonNullable<OpenedRound['begun']>,
  timings: RoundTimings,
): Promise<TakenSnapshots> {
  try {
    return await begun.snapshots;
  } catch (error) {
    await timed(timings, 'queueMs', () =>
      deps.queue.batch(async (ops) => {
        const now = deps.clock.now();
        const reason = `no snapshots: ${error instanceof Error ? error.message : String(error)}`;
        await ops.abandonRound(begun.round.roundSeq, { now, reason, countAttempt: false });
        await ops.releaseOwned(deps.owner, { now });
        // Why these slots wait: if they are never collected, status names the cause by this code.
        const code = failureCodeOf(error, deps.condition());
        await ops.noteUncollected(begun.round.slotIds, { now, reason, code });
      }),
    );
    throw error;
  }
}

/** One row per claimed slot; several slots of one instrument (a collector behind) share its snapshot. */
function roundRecords(
  deps: RoundDeps,
  taken: TakenSnapshots['taken'],
): Array<{ jobId: number; record: SnapshotRecord }> {
  const { settings } = deps;
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
  return records;
}

/**
 * Takes the slots without a row out of the round, before the Delta write: failed snapshots fail (for good,
 * or to be retried after a back-off), anything else goes back to pending; a round left empty is abandoned.
 */
async function leaveRound(
  ops: QueueOps,
  deps: RoundDeps,
  round: { roundSeq: number; unrecorded: number[]; empty: boolean },
  now: Date,
  out: { failures: SnapshotFailure[]; result: RoundResult },
): Promise<void> {
  const { result } = out;
  // Out of the round first: fail() and releaseOwned() leave slots of an open round alone, and finishing
  // the round must not mark them done.
  await ops.leaveRound(round.roundSeq, round.unrecorded, { now });
  if (round.empty) {
    await ops.abandonRound(round.roundSeq, { now, reason: 'no snapshot taken', countAttempt: false });
  }
  for (const failure of out.failures) {
    const permanent = failure.error instanceof IbRequestError;
    const { code } = failure;
    const outcome = await ops.fail(failure.ids, { now, error: failure.error.message, code, permanent });
    result.failed += outcome.failed.length;
    result.retried += outcome.retried.length;
    for (const slotTs of failure.slots) {
      result.failures.push({
        symbol: failure.symbol,
        slotTs,
        ibCode: code,
        message: failure.error.message,
        permanent: permanent || outcome.failed.length > 0,
      });
    }
  }
  await ops.releaseOwned(deps.owner, { now });
}

/**
 * Starts the round's Delta commit and leaves the round committed-but-unfinished: the next round's session
 * (or finishPendingRound) finishes it once the commit landed. The result is complete from then on.
 */
function startCommit(
  deps: RoundDeps,
  roundSeq: number,
  rows: SnapshotRecord[],
  round: { result: RoundResult; finish: () => RoundResult },
): void {
  const { result } = round;
  const commitStarted = performance.now();
  const committed = (async (): Promise<CommitOutcome> => {
    let deltaVersion: number | null;
    let alreadyStored = 0;
    try {
      const written = await deps.append(rows, { appId: COLLECT_APP_ID, version: roundSeq });
      alreadyStored = written.alreadyStored ?? 0;
      deltaVersion = written.skipped ? await deps.versionOfTxn(roundSeq) : written.version;
    } catch (error) {
      return { ok: false, error };
    } finally {
      result.timings.deltaMs += performance.now() - commitStarted;
    }
    result.rows = rows.length - alreadyStored;
    result.done = rows.length;
    result.alreadyStored = alreadyStored;
    result.deltaVersion = deltaVersion;
    for (const row of rows) {
      deps.previous.set(row.symbol, nextPrevious(row, deps.previous.get(row.symbol) ?? null));
    }
    round.finish();
    try {
      await deps.onStep?.('delta-committed');
    } catch (stepError) {
      return { ok: true, deltaVersion, stepError };
    }
    return { ok: true, deltaVersion };
  })();
  deps.unfinished.round = { roundSeq, committed };
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
 * Waits until the Delta commit of the round runRound left unfinished has landed. A failed commit abandons
 * the round (its slots pending again, one attempt counted) and is thrown; so is an error of the
 * 'delta-committed' hook, the round then staying for finishPendingRound to finish.
 */
export async function landCommit(
  deps: Pick<RoundDeps, 'queue' | 'clock' | 'unfinished'>,
): Promise<{ roundSeq: number; deltaVersion: number | null; stepError?: unknown } | null> {
  const round = deps.unfinished.round;
  if (!round) return null;
  const outcome = await round.committed;
  if (!outcome.ok) {
    deps.unfinished.round = null;
    await abandonUncommitted(deps, round.roundSeq, outcome.error);
    throw outcome.error;
  }
  return { roundSeq: round.roundSeq, deltaVersion: outcome.deltaVersion, stepError: outcome.stepError };
}

/**
 * Finishes the round the last runRound left committed-but-unfinished (one queue session), if any. The
 * collector calls it before it releases its lock; if it never runs (a crash), start-up recovery finishes
 * the round from the Delta txn instead.
 */
export async function finishPendingRound(
  deps: Pick<RoundDeps, 'queue' | 'clock' | 'unfinished' | 'onStep'>,
): Promise<{ roundSeq: number; deltaVersion: number | null } | null> {
  const landed = await landCommit(deps);
  if (!landed) return null;
  const { roundSeq, deltaVersion } = landed;
  await deps.queue.finishRound(roundSeq, { now: deps.clock.now(), deltaVersion });
  deps.unfinished.round = null;
  await deps.onStep?.('round-finished');
  if (landed.stepError !== undefined) throw landed.stepError;
  return { roundSeq, deltaVersion };
}
