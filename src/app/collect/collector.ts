/**
 * `futures collect` as a function: the collect lock, start-up recovery (recovery.ts), rounds (round.ts),
 * the waits between them and reconnects. One-shot modes (--once, --rounds) fail with exit 3 when the
 * gateway is unavailable, the slots staying pending; --until and --loop keep a long-running IB session
 * and retry with back-off on the run's clock. The round protocol: docs/round-protocol.md.
 *
 * Between rounds the collector waits for the next slot, with the round's Delta commit landed and the
 * queue file released (so `futures status` and `futures backfill` get in). Only when the next slot is
 * already due (the collector is catching up) does the next round start at once: the commit then lands
 * while that round's session schedules and claims, and the queue file stays attached (src/queue/db.ts).
 */
import { hostname } from 'node:os';
import { UpstreamUnavailableError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { openMemoryConnection } from '../../delta/index.js';
import type { IbSession, IbSymbol } from '../../ibkr/index.js';
import { appendNewSnapshots } from '../../lake/index.js';
import { cmeStatusAt, type MarketCalendar } from '../../market/index.js';
import {
  acquireLock,
  COLLECT_LOCK,
  type MarketStatusFn,
  openQueue,
  type Queue,
  queuePaths,
  queuePolicyFromConfig,
} from '../../queue/index.js';
import { type IbRunOptions, openIbSession } from '../ib-session.js';
import { newRunId } from '../run-id.js';
import type { CollectHooks } from './hooks.js';
import { findTxnCommit, latestSnapshots } from './lake-reads.js';
import { type CollectMode, nextRound } from './next-round.js';
import type { PreviousQuote } from './quality.js';
import { recoverInterruptedRun } from './recovery.js';
import {
  COLLECT_APP_ID,
  finishPendingRound,
  landCommit,
  type RoundDeps,
  type RoundResult,
  runRound,
} from './round.js';
import { type CollectSummary, SummaryBuilder } from './summary.js';

export interface CollectRunOptions extends IbRunOptions {
  mode: CollectMode;
  symbols: readonly IbSymbol[];
  intervalSeconds: number;
  hooks?: CollectHooks | undefined;
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

export async function runCollect(options: CollectRunOptions): Promise<CollectSummary> {
  const { clock, config, log } = options;
  const wallStart = performance.now();
  const startedAt = clock.now();
  const runId = newRunId(startedAt);
  const paths = queuePaths(options.dataDir);
  const lock = await acquireLock(paths.stateDir, COLLECT_LOCK, {
    now: startedAt,
    owner: `collect:${runId}`,
    command: options.command,
  });
  if (lock.replacedGarbage) log.warn(lock.replacedGarbage);
  const owner = `collect@${hostname()}`;
  const { calendar } = options;
  const builder = new SummaryBuilder({
    runId,
    mode: options.mode.kind,
    source: options.source,
    symbols: [...options.symbols],
    intervalSeconds: options.intervalSeconds,
    startedAt,
  });
  const queue = await openQueue({
    path: paths.queueDb,
    policy: queuePolicyFromConfig(config.collect),
    busyTimeoutMs: config.collect.queueBusyTimeoutMs,
    soleSnapshotWriter: true,
  }).catch(async (error: unknown) => {
    await lock.release();
    throw error;
  });
  const duck = await openMemoryConnection();
  const ib = new SessionHolder(options, builder);
  // The last round committed to Delta whose queue finish is still due (round.ts).
  const unfinished: RoundDeps['unfinished'] = { round: null };
  try {
    const recovered = await recoverInterruptedRun(queue, {
      dataDir: options.dataDir,
      owner,
      now: () => clock.now(),
      log,
      calendar,
    });
    builder.summary.recovery = recovered.recovery;
    // The last stored quote per symbol (outlier and stale checks across runs).
    const previous = new Map<string, PreviousQuote>();
    const latest = await latestSnapshots(duck.connection, options.dataDir, {
      now: clock.now(),
      calendar,
      symbols: options.symbols,
      sources: ['ibkr', 'sim'],
    });
    for (const row of latest.values()) previous.set(row.symbol, { ...row, unchangedSince: row.ts });
    const deps: RoundDeps = {
      queue,
      clock,
      log,
      calendar,
      marketStatus: cmeMarketStatus(calendar),
      settings: {
        symbols: options.symbols,
        intervalSeconds: options.intervalSeconds,
        leaseSeconds: config.collect.leaseSeconds,
        staleQuoteSeconds: config.collect.staleQuoteSeconds,
        outlierSigma: config.collect.outlierSigma,
        firstRunLookbackSeconds: config.collect.firstRunLookbackSeconds,
        catchUpSeconds: config.collect.catchUpSeconds,
        checkpointInterval: config.lake.checkpointInterval,
      },
      owner,
      runId,
      source: options.source,
      previous,
      deadLines: new Set(),
      unfinished,
      reclaim: { dueAt: 0 },
      onStep: options.hooks?.onStep,
      minSeq: () => recovered.minSeq,
      versionOfTxn: (seq: number) => findTxnCommit(options.dataDir, COLLECT_APP_ID, seq),
      append: async (records, txn) => {
        const { written, alreadyStored } = await appendNewSnapshots(options.dataDir, records, {
          txn,
          now: () => clock.now(),
          checkpointInterval: config.lake.checkpointInterval,
          onWarning: (m) => log.warn(m),
          connection: duck.connection,
        });
        if (alreadyStored.length > 0) {
          log.info(
            `round ${txn.version}: ${alreadyStored.length} slot(s) already in the lake, not written again`,
          );
        }
        if (written.skipped && written.reason === 'no-rows') {
          return { version: null, skipped: false, alreadyStored: alreadyStored.length };
        }
        return { version: written.version, skipped: written.skipped, alreadyStored: alreadyStored.length };
      },
      session: () => ib.session(),
      condition: () => ib.condition(),
    };
    await collectRounds({ options, deps, queue, builder });
  } finally {
    await finishOnExit({ queue, clock, unfinished }, log);
    await ib.close();
    duck.close();
    await queue.release().catch(() => {});
    queue.close();
    await lock.release();
  }
  return builder.finish(clock.now(), performance.now() - wallStart);
}

/** The run's IB session: opened on first use, and again after the gateway went away. */
class SessionHolder {
  private current: IbSession | null = null;

  constructor(
    private readonly options: CollectRunOptions,
    private readonly builder: SummaryBuilder,
  ) {}

  async session(): Promise<IbSession> {
    const current = this.current;
    if (current && (current.state === 'down' || current.state === 'closed')) {
      await current.close();
      this.current = null;
    }
    if (!this.current) {
      const { options } = this;
      this.current = await openIbSession(options.config.ib, {
        access: options.ib,
        clock: options.clock,
        log: options.log,
        keepAlive: keepsAlive(options.mode),
      });
      this.builder.summary.sessionsOpened += 1;
    }
    return this.current;
  }

  condition(): number | null {
    return this.current?.condition() ?? null;
  }

  async close(): Promise<void> {
    await this.current?.close().catch(() => {});
  }
}

function keepsAlive(mode: CollectMode): boolean {
  return mode.kind === 'loop' || mode.kind === 'until';
}

/**
 * Stopping on an error with a round committed but not finished: try to finish it (or abandon it, if its
 * commit failed); if that fails too, the next start resolves it from the lake's txn. The hooks' own
 * errors are the run's error.
 */
async function finishOnExit(deps: Pick<RoundDeps, 'queue' | 'clock' | 'unfinished'>, log: Logger) {
  const left = deps.unfinished.round;
  if (!left) return;
  await finishPendingRound(deps).catch((error: unknown) => {
    if (deps.unfinished.round === null) return;
    log.warn(
      `round ${left.roundSeq} is not finished in the queue; the next run resolves it from the lake's txn (${error instanceof Error ? error.message : String(error)})`,
    );
  });
}

/** The rounds of a run, until its mode says stop or ctx.signal aborts (the current round always finishes). */
async function collectRounds(run: {
  options: CollectRunOptions;
  deps: RoundDeps;
  queue: Queue;
  builder: SummaryBuilder;
}): Promise<void> {
  const { options, deps, queue, builder } = run;
  const { clock, config, log, signal } = options;
  const { summary } = builder;
  const settle = (round: RoundResult) => {
    builder.accumulate(round);
    options.hooks?.onRound?.(round);
  };
  // A round the loop did not wait for (catching up): complete once its commit landed, at the latest when
  // the next round's session has finished it.
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
      if (!keepsAlive(options.mode) || !(error instanceof UpstreamUnavailableError)) throw error;
      builder.transientError(clock.now(), error.message);
      log.warn(`${error.message} (retrying in ${Math.round(backoffMs / 1000)} s)`);
      await queue.release();
      await clock.sleep(backoffMs, signal);
      backoffMs = Math.min(backoffMs * 2, config.ib.reconnectMaxMs);
      const { mode } = options;
      if (mode.kind === 'until' && clock.now().getTime() >= mode.until.getTime()) {
        summary.stopReason = 'until';
        break;
      }
      continue;
    }
    await settleLanding();
    backoffMs = config.ib.reconnectBaseMs;
    summary.rounds += 1;
    await deps.onStep?.('round:end');
    const now = clock.now().getTime();
    const next = nextRound(
      {
        mode: options.mode,
        intervalSeconds: options.intervalSeconds,
        waitSeconds: config.collect.waitSeconds,
      },
      { at: round.at, rounds: summary.rounds, now },
    );
    const committing = deps.unfinished.round;
    if (next.stop === null && next.due && !signal.aborted) {
      queue.hold();
      if (committing && committing.roundSeq === round.roundSeq) {
        landing = { round, committed: committing.committed };
      } else {
        settle(round);
      }
      continue;
    }
    await landCommitted(deps);
    settle(round);
    if (next.stop !== null) {
      summary.stopReason = next.stop;
      break;
    }
    await queue.release();
    if (signal.aborted) continue;
    await clock.sleep(next.wakeAt - now, signal);
  }
  await finishPendingRound(deps);
  await settleLanding();
}

/** Waits for the round's Delta commit; a failed commit (the round abandoned) or a hook's error is thrown. */
async function landCommitted(deps: RoundDeps): Promise<void> {
  const landed = await landCommit(deps);
  if (landed?.stepError !== undefined) throw landed.stepError;
}
