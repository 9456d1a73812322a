/**
 * `futures collect` as a function: the collect lock, crash recovery, rounds, waits and reconnects.
 *
 * Start-up (holding the collect lock, so no other round can be live):
 *   1. rounds a killed collector left begun are resolved against the Delta txn of 'futures-collect'
 *      (committed → finished with the version that carried it; not committed → abandoned, slots pending);
 *   2. slots still leased to this host's collector (a killed run) go back to pending.
 * Then rounds run until the mode says stop or ctx.signal aborts (the current round always finishes).
 * One-shot modes (--once, --rounds) fail with exit 3 when the gateway is unavailable, the slots staying
 * pending; --until and --loop keep a long-running IB session and retry with back-off on this clock.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { UpstreamUnavailableError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { IbFactory, IbSession, IbSymbol } from '../ibkr/index.js';
import { appendSnapshots, FUTURES_SNAPSHOTS, loadLakeSnapshot } from '../lake/index.js';
import { cmeStatusAt, createCalendar, type MarketCalendar } from '../market/index.js';
import {
  acquireLock,
  COLLECT_LOCK,
  type MarketStatusFn,
  openQueue,
  queuePaths,
  queuePolicyFromConfig,
  resolvePendingRounds,
} from '../queue/index.js';
import { findTxnCommit, latestSnapshots } from './lake-reads.js';
import type { PreviousQuote } from './quality.js';
import {
  COLLECT_APP_ID,
  finishPendingRound,
  type RoundDeps,
  type RoundResult,
  type RoundSettings,
  type RoundStepHook,
  runRound,
  type SlotFailure,
} from './round.js';

export type CollectMode =
  | { kind: 'once' }
  | { kind: 'rounds'; rounds: number }
  | { kind: 'until'; until: Date }
  | { kind: 'loop' };

export interface CollectRunOptions {
  dataDir: string;
  config: Config;
  mode: CollectMode;
  symbols: readonly IbSymbol[];
  intervalSeconds: number;
  clock: Clock;
  /** True when the clock was injected (tests, demo): IB pacing then follows it too. */
  clockInjected?: boolean;
  log: Logger;
  signal: AbortSignal;
  ibFactory: IbFactory | undefined;
  source: 'ibkr' | 'sim';
  /** The command line recorded in the lock file. */
  command: string;
  onStep?: RoundStepHook | undefined;
  /** Called after every round (benchmarks, progress). */
  onRound?: ((round: RoundResult) => void) | undefined;
}

export interface PhaseStats {
  totalMs: number;
  medianMs: number | null;
  p95Ms: number | null;
}

export type StopReason = 'once' | 'rounds' | 'until' | 'signal';

export interface CollectSummary {
  runId: string;
  mode: CollectMode['kind'];
  source: 'ibkr' | 'sim';
  symbols: string[];
  intervalSeconds: number;
  startedAt: Date;
  endedAt: Date;
  stopReason: StopReason;
  rounds: number;
  /** Rounds that wrote a Delta commit. */
  commits: number;
  rowsWritten: number;
  slots: {
    done: number;
    /** Newly recorded as skipped (market closed), with the reason. */
    skipped: number;
    failed: number;
    retried: number;
    /** Newly recorded as missed (too late to collect; eligible for backfill). */
    missed: number;
    lost: number;
  };
  deltaVersion: { first: number | null; last: number | null };
  recovery: { finishedRounds: number[]; abandonedRounds: number[]; releasedSlots: number };
  /** Failures of this run, newest last (at most 100). */
  failures: SlotFailure[];
  /** IB unavailable episodes survived in --loop/--until (at most the last 20 messages). */
  transientErrors: string[];
  sessionsOpened: number;
  timings: {
    wallMs: number;
    /** Over the rounds that stored rows (the last 1000). */
    round: PhaseStats;
    ib: PhaseStats;
    delta: PhaseStats;
    queue: PhaseStats;
  };
}

const KEEP_ROUND_TIMINGS = 1000;
const KEEP_FAILURES = 100;
const KEEP_ERRORS = 20;

function newRunId(clock: Clock): string {
  const stamp = clock
    .now()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** CME Globex equity open/closed as the queue scheduler wants it (the VIX index is collected alongside). */
export function cmeMarketStatus(calendar: MarketCalendar): MarketStatusFn {
  let lastAt = Number.NaN;
  let last = { open: false, reason: 'closed' };
  return (at) => {
    if (at.getTime() !== lastAt) {
      const status = cmeStatusAt(at, calendar);
      lastAt = at.getTime();
      last = { open: status.open, reason: status.reason };
    }
    return last;
  };
}

function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? null;
}

function phase(samples: readonly number[], total: number): PhaseStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
  return {
    totalMs: Math.round(total),
    medianMs: round(quantile(sorted, 0.5)),
    p95Ms: round(quantile(sorted, 0.95)),
  };
}

export async function runCollect(options: CollectRunOptions): Promise<CollectSummary> {
  const { clock, config, log, signal } = options;
  const wallStart = performance.now();
  const runId = newRunId(clock);
  const startedAt = clock.now();
  const paths = queuePaths(options.dataDir);
  const keepAlive = options.mode.kind === 'loop' || options.mode.kind === 'until';
  const lock = await acquireLock(paths.stateDir, COLLECT_LOCK, {
    now: startedAt,
    owner: `collect:${runId}`,
    command: options.command,
  });
  const owner = `collect@${hostname()}`;
  const calendar = createCalendar(config.calendar.overrides);
  const summary: CollectSummary = {
    runId,
    mode: options.mode.kind,
    source: options.source,
    symbols: [...options.symbols],
    intervalSeconds: options.intervalSeconds,
    startedAt,
    endedAt: startedAt,
    stopReason: 'once',
    rounds: 0,
    commits: 0,
    rowsWritten: 0,
    slots: { done: 0, skipped: 0, failed: 0, retried: 0, missed: 0, lost: 0 },
    deltaVersion: { first: null, last: null },
    recovery: { finishedRounds: [], abandonedRounds: [], releasedSlots: 0 },
    failures: [],
    transientErrors: [],
    sessionsOpened: 0,
    timings: {
      wallMs: 0,
      round: phase([], 0),
      ib: phase([], 0),
      delta: phase([], 0),
      queue: phase([], 0),
    },
  };
  const samples = { round: [] as number[], ib: [] as number[], delta: [] as number[], queue: [] as number[] };
  const totals = { round: 0, ib: 0, delta: 0, queue: 0 };

  const ib: { session: IbSession | null } = { session: null };
  const queue = await openQueue({
    path: paths.queueDb,
    policy: queuePolicyFromConfig(config.collect),
    busyTimeoutMs: config.collect.queueBusyTimeoutMs,
    soleSnapshotWriter: true,
  }).catch(async (error: unknown) => {
    await lock.release();
    throw error;
  });
  const { openMemoryConnection } = await import('../delta/index.js');
  const duck = await openMemoryConnection();
  // The last round committed to Delta whose queue finish is still due (round.ts).
  const unfinished: RoundDeps['unfinished'] = { round: null };
  try {
    // 1. Crash recovery against the Delta txn.
    const lake = await loadLakeSnapshot(options.dataDir, FUTURES_SNAPSHOTS);
    const committedThrough = lake?.txns.get(COLLECT_APP_ID)?.version ?? null;
    const pending = await queue.pendingRounds();
    const versions = new Map<number, number | null>();
    for (const round of pending) {
      if (committedThrough !== null && round.roundSeq <= committedThrough) {
        versions.set(round.roundSeq, await findTxnCommit(options.dataDir, COLLECT_APP_ID, round.roundSeq));
      }
    }
    const resolved = await resolvePendingRounds(queue, {
      now: clock.now(),
      committedThrough,
      deltaVersionOf: (seq) => versions.get(seq) ?? null,
    });
    summary.recovery.finishedRounds = resolved.finished;
    summary.recovery.abandonedRounds = resolved.abandoned;
    summary.recovery.releasedSlots = (await queue.releaseOwned(owner, { now: clock.now() })).length;
    if (resolved.finished.length + resolved.abandoned.length + summary.recovery.releasedSlots > 0) {
      log.info(
        `recovered after an interrupted run: rounds finished ${resolved.finished.join(',') || '-'}, ` +
          `abandoned ${resolved.abandoned.join(',') || '-'}, ${summary.recovery.releasedSlots} slot(s) released`,
      );
    }
    const minSeq = (committedThrough ?? 0) + 1;

    // 2. The last stored quote per symbol (outlier and stale checks across runs).
    const previous = new Map<string, PreviousQuote>();
    for (const row of (
      await latestSnapshots(duck.connection, options.dataDir, {
        now: clock.now(),
        calendar,
        symbols: options.symbols,
        sources: ['ibkr', 'sim'],
      })
    ).values()) {
      previous.set(row.symbol, { ...row, unchangedSince: row.ts });
    }

    const { IbSession: Session } = await import('../ibkr/index.js');
    const pacerClock = options.clockInjected ? clock : undefined;
    const settings: RoundSettings = {
      symbols: options.symbols,
      intervalSeconds: options.intervalSeconds,
      leaseSeconds: config.collect.leaseSeconds,
      staleQuoteSeconds: config.collect.staleQuoteSeconds,
      outlierSigma: config.collect.outlierSigma,
      firstRunLookbackSeconds: config.collect.firstRunLookbackSeconds,
      catchUpSeconds: config.collect.catchUpSeconds,
      checkpointInterval: config.lake.checkpointInterval,
    };
    const deps: RoundDeps = {
      queue,
      clock,
      log,
      calendar,
      marketStatus: cmeMarketStatus(calendar),
      settings,
      owner,
      runId,
      source: options.source,
      previous,
      unfinished,
      reclaim: { dueAt: 0 },
      // Back-to-back rounds (a manual clock never waits): each Delta commit overlaps the next session.
      overlapCommit: clock.instant === true,
      onStep: options.onStep,
      minSeq: () => minSeq,
      versionOfTxn: (seq: number) => findTxnCommit(options.dataDir, COLLECT_APP_ID, seq),
      append: async (
        records: Parameters<typeof appendSnapshots>[1],
        txn: { appId: string; version: number },
      ) => {
        const written = await appendSnapshots(options.dataDir, records, {
          txn,
          now: () => clock.now(),
          checkpointInterval: config.lake.checkpointInterval,
          onWarning: (m) => log.warn(m),
        });
        return { version: written.version, skipped: written.skipped };
      },
      session: async (): Promise<IbSession> => {
        const current = ib.session;
        if (current && (current.state === 'down' || current.state === 'closed')) {
          await current.close();
          ib.session = null;
        }
        if (!ib.session) {
          ib.session = await Session.open(config.ib, {
            factory: options.ibFactory,
            now: () => clock.now(),
            log,
            keepAlive,
            ...(pacerClock ? { pacerClock } : {}),
          });
          summary.sessionsOpened += 1;
        }
        return ib.session;
      },
    };

    // Back-to-back rounds (a manual clock never waits) keep the queue file attached between them.
    if (clock.instant) queue.hold();
    const settle = (round: RoundResult) => {
      accumulate(summary, round);
      if (round.rows > 0) {
        const t = round.timings;
        for (const [key, value] of [
          ['round', t.totalMs],
          ['ib', t.ibMs],
          ['delta', t.deltaMs],
          ['queue', t.queueMs],
        ] as const) {
          samples[key].push(value);
          if (samples[key].length > KEEP_ROUND_TIMINGS) samples[key].shift();
          totals[key] += value;
        }
      }
      options.onRound?.(round);
    };
    // A round whose Delta commit was still landing when runRound returned (overlapped rounds); its result
    // is complete once the commit settled, at the latest when the next round's session has finished it.
    let landing: { round: RoundResult; committed: Promise<unknown> } | null = null;
    const settleLanding = async () => {
      if (!landing) return;
      const { round, committed } = landing;
      landing = null;
      await committed.catch(() => {});
      settle(round);
    };
    let backoffMs = config.ib.reconnectBaseMs;
    for (;;) {
      if (signal.aborted) {
        summary.stopReason = 'signal';
        break;
      }
      let round: RoundResult;
      try {
        round = await runRound(deps);
      } catch (error) {
        await settleLanding();
        if (!keepAlive || !(error instanceof UpstreamUnavailableError)) throw error;
        summary.transientErrors.push(`${clock.now().toISOString()} ${error.message}`);
        if (summary.transientErrors.length > KEEP_ERRORS) summary.transientErrors.shift();
        log.warn(`${error.message} (retrying in ${Math.round(backoffMs / 1000)} s)`);
        await clock.sleep(backoffMs, signal);
        backoffMs = Math.min(backoffMs * 2, config.ib.reconnectMaxMs);
        if (options.mode.kind === 'until' && clock.now().getTime() >= options.mode.until.getTime()) {
          summary.stopReason = 'until';
          break;
        }
        continue;
      }
      await settleLanding();
      backoffMs = config.ib.reconnectBaseMs;
      summary.rounds += 1;
      const pending = unfinished.round;
      if (deps.overlapCommit && pending && pending.roundSeq === round.roundSeq) {
        landing = { round, committed: pending.committed };
      } else {
        settle(round);
      }

      const mode = options.mode;
      if (mode.kind === 'once') {
        summary.stopReason = 'once';
        break;
      }
      if (mode.kind === 'rounds' && summary.rounds >= mode.rounds) {
        summary.stopReason = 'rounds';
        break;
      }
      const now = clock.now().getTime();
      if (mode.kind === 'until' && now >= mode.until.getTime()) {
        summary.stopReason = 'until';
        break;
      }
      if (signal.aborted) continue;
      const step = options.intervalSeconds * 1000;
      const nextSlot = Math.floor(now / step) * step + step;
      let wakeAt = Math.max(now + config.collect.waitSeconds * 1000, nextSlot);
      if (mode.kind === 'until') wakeAt = Math.min(wakeAt, mode.until.getTime());
      await clock.sleep(wakeAt - now, signal);
    }
    await finishPendingRound(deps);
    await settleLanding();
  } finally {
    const left = unfinished.round;
    if (left) {
      // Stopping on an error: try to finish the round (or abandon it, if its commit failed); if that fails
      // too, the next start resolves it from the lake's txn. The hooks' own errors are the run's error.
      await finishPendingRound({ queue, clock, unfinished }).catch((error: unknown) => {
        if (unfinished.round === null) return;
        log.warn(
          `round ${left.roundSeq} is not finished in the queue; the next run resolves it from the lake's txn (${error instanceof Error ? error.message : String(error)})`,
        );
      });
    }
    await ib.session?.close().catch(() => {});
    duck.close();
    await queue.release().catch(() => {});
    queue.close();
    await lock.release();
  }
  summary.endedAt = clock.now();
  summary.timings = {
    wallMs: Math.round(performance.now() - wallStart),
    round: phase(samples.round, totals.round),
    ib: phase(samples.ib, totals.ib),
    delta: phase(samples.delta, totals.delta),
    queue: phase(samples.queue, totals.queue),
  };
  return summary;
}

function accumulate(summary: CollectSummary, round: RoundResult): void {
  const s = summary.slots;
  s.done += round.done;
  s.skipped += round.scheduled.skipped;
  s.missed += round.scheduled.missed + round.scheduled.expired;
  s.failed += round.failed;
  s.retried += round.retried;
  s.lost += round.lost;
  summary.rowsWritten += round.rows;
  if (round.deltaVersion !== null) {
    summary.commits += 1;
    summary.deltaVersion.first ??= round.deltaVersion;
    summary.deltaVersion.last = round.deltaVersion;
  }
  for (const failure of round.failures) {
    summary.failures.push(failure);
    if (summary.failures.length > KEEP_FAILURES) summary.failures.shift();
  }
}
