/**
 * The lake is the authority for what was collected. A queue slot is `done` once its round's Delta commit
 * landed, so the lake's txn for futures-collect covers every finished round — unless the lake lost its
 * newest commit(s) (a restored backup, a deleted commit file). Then the slots of the rounds above the
 * txn are `done` without rows: never re-collected, never backfilled. A collector, at start-up and holding
 * the collect lock, moves them back to `missed` (reason LOST_COMMIT_REASON) so `backfill --missed`
 * fills them; `futures status` reports them (read-only). Also detected: `_last_checkpoint` naming a
 * version the log no longer reaches. docs/round-protocol.md, "The lake is the authority".
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { latestVersion, readLastCheckpointHint, type Snapshot } from '../../delta/index.js';
import {
  FUTURES_SNAPSHOTS,
  loadLakeSnapshot,
  slotKeyOf,
  storedSlotKeys,
  tablePath,
} from '../../lake/index.js';
import type { MarketCalendar } from '../../market/index.js';
import type { Job, Queue } from '../../queue/index.js';
import { LOST_COMMIT_REASON } from '../gap-causes.js';
import { sessionOfSlot } from './records.js';
import { COLLECT_APP_ID } from './round.js';

export { LOST_COMMIT_REASON };

export interface LakeLoss {
  /** The lake's txn version for futures-collect (null: none). */
  committedThrough: number | null;
  /** Done slots of rounds above it that have no row in the lake. */
  lostSlots: Job[];
  /** The rounds those slots belong to. */
  lostRounds: number[];
  /** `_last_checkpoint` names a version above the log's newest: commits were lost after `latest`. */
  checkpointAhead: { hint: number; latest: number } | null;
}

/** The lake's txn version for futures-collect, and whether `_last_checkpoint` is ahead of the log. */
export async function lakeCommitState(dataDir: string): Promise<{
  snapshot: Snapshot | undefined;
  committedThrough: number | null;
  checkpointAhead: LakeLoss['checkpointAhead'];
}> {
  const snapshot = await loadLakeSnapshot(dataDir, FUTURES_SNAPSHOTS);
  const committedThrough = snapshot?.txns.get(COLLECT_APP_ID)?.version ?? null;
  let checkpointAhead: LakeLoss['checkpointAhead'] = null;
  if (snapshot) {
    const path = tablePath(dataDir, FUTURES_SNAPSHOTS);
    const hint = await readLastCheckpointHint(path);
    // Listed after the hint was read: a checkpoint written meanwhile (its file comes before the hint) is
    // in the listing, so only a version the log really lacks counts.
    if (hint && hint.version > snapshot.version) {
      const latest = await latestVersion(path);
      if (hint.version > latest) checkpointAhead = { hint: hint.version, latest };
    }
  }
  return { snapshot, committedThrough, checkpointAhead };
}

/** Of `candidates` (done slots of rounds above the lake's txn), those whose row the lake lacks. */
export async function slotsWithoutRows(
  snapshot: Snapshot | undefined,
  candidates: readonly Job[],
  calendar: MarketCalendar,
  connection?: DuckDBConnection,
): Promise<Job[]> {
  if (candidates.length === 0) return [];
  const stored = await storedSlotKeys(
    snapshot,
    candidates.map((job) => ({
      symbol: job.symbol,
      slotTs: job.slotTs,
      tradeDate: sessionOfSlot(job.slotTs, calendar).tradeDate,
    })),
    connection,
  );
  return candidates.filter((job) => !stored.has(slotKeyOf(job.symbol, job.slotTs)));
}

export function describeLoss(loss: LakeLoss): string | null {
  const parts: string[] = [];
  if (loss.lostSlots.length > 0) {
    parts.push(
      `${loss.lostSlots.length} slot(s) of round(s) ${loss.lostRounds.join(',')} are done in the queue but ` +
        `have no row in futures_snapshots (its txn for ${COLLECT_APP_ID} is at ${loss.committedThrough ?? 'none'})`,
    );
  }
  if (loss.checkpointAhead) {
    parts.push(
      `_last_checkpoint of futures_snapshots names version ${loss.checkpointAhead.hint} but the log ends at ` +
        `${loss.checkpointAhead.latest}`,
    );
  }
  return parts.length === 0 ? null : `the lake lost acknowledged commits: ${parts.join('; ')}`;
}

function lossOf(state: Awaited<ReturnType<typeof lakeCommitState>>, lostSlots: Job[]): LakeLoss {
  const rounds = [...new Set(lostSlots.map((job) => job.roundSeq ?? 0))].sort((a, b) => a - b);
  return {
    committedThrough: state.committedThrough,
    lostSlots,
    lostRounds: rounds,
    checkpointAhead: state.checkpointAhead,
  };
}

/**
 * Collector start-up (after the begun rounds were resolved): done slots without rows go back to
 * `missed` with reason LOST_COMMIT_REASON. The caller holds the collect lock.
 */
export async function reconcileWithLake(
  queue: Queue,
  options: { dataDir: string; calendar: MarketCalendar; now: Date; connection?: DuckDBConnection },
): Promise<LakeLoss> {
  const state = await lakeCommitState(options.dataDir);
  const candidates = await queue.doneSlotsOfRoundsAbove(state.committedThrough);
  const lost = await slotsWithoutRows(state.snapshot, candidates, options.calendar, options.connection);
  if (lost.length > 0) {
    await queue.markLost(
      lost.map((job) => job.id),
      { now: options.now, reason: LOST_COMMIT_REASON },
    );
  }
  return lossOf(state, lost);
}

/**
 * `futures status`: the same check, read-only and without the collect lock. `doneAboveLake` was read
 * from the queue after the lake state the caller passed to it; a collector may have committed and
 * finished rounds in between, so the lake is read again and only rounds above its newer txn count.
 */
export async function lakeLossOf(
  dataDir: string,
  doneAboveLake: readonly Job[],
  calendar: MarketCalendar,
): Promise<LakeLoss> {
  if (doneAboveLake.length === 0) return lossOf(await lakeCommitState(dataDir), []);
  const state = await lakeCommitState(dataDir);
  const candidates = doneAboveLake.filter((job) => (job.roundSeq ?? 0) > (state.committedThrough ?? 0));
  return lossOf(state, await slotsWithoutRows(state.snapshot, candidates, calendar));
}
