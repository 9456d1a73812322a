/**
 * Start-up of a collector (holding the collect lock, so no other round can be live): the rounds a killed
 * collector left begun are resolved against the Delta txn of 'futures-collect' (committed → finished
 * with the version that carried it; not committed → abandoned, slots pending), and slots still leased to
 * this host's collector go back to pending. See docs/round-protocol.md.
 */
import type { Logger } from '../../core/log.js';
import { FUTURES_SNAPSHOTS, loadLakeSnapshot } from '../../lake/index.js';
import type { MarketCalendar } from '../../market/index.js';
import { type Queue, resolvePendingRounds } from '../../queue/index.js';
import { findTxnCommit } from './lake-reads.js';
import { describeLoss, LOST_COMMIT_REASON, reconcileWithLake } from './reconcile.js';
import { COLLECT_APP_ID } from './round.js';
import type { CollectSummary } from './summary.js';

export interface Recovered {
  recovery: CollectSummary['recovery'];
  /** The lowest round seq to use: Delta's committed txn version + 1. */
  minSeq: number;
}

export async function recoverInterruptedRun(
  queue: Queue,
  options: { dataDir: string; owner: string; now: () => Date; log: Logger; calendar: MarketCalendar },
): Promise<Recovered> {
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
    now: options.now(),
    committedThrough,
    deltaVersionOf: (seq) => versions.get(seq) ?? null,
  });
  const releasedSlots = (await queue.releaseOwned(options.owner, { now: options.now() })).length;
  if (resolved.finished.length + resolved.abandoned.length + releasedSlots > 0) {
    options.log.info(
      `recovered after an interrupted run: rounds finished ${resolved.finished.join(',') || '-'}, ` +
        `abandoned ${resolved.abandoned.join(',') || '-'}, ${releasedSlots} slot(s) released`,
    );
  }
  // Only now: a begun round the lake's txn covers was just finished, and must be checked like the rest.
  const loss = await reconcileWithLake(queue, {
    dataDir: options.dataDir,
    calendar: options.calendar,
    now: options.now(),
  });
  const lostLine = describeLoss(loss);
  if (lostLine) {
    options.log.warn(
      `${lostLine}${loss.lostSlots.length > 0 ? `: ${loss.lostSlots.length} slot(s) are missed again (reason ${LOST_COMMIT_REASON}); run \`futures backfill --missed\` to fill them` : ''}`,
    );
  }
  return {
    recovery: {
      finishedRounds: resolved.finished,
      abandonedRounds: resolved.abandoned,
      releasedSlots,
      lostSlots: loss.lostSlots.length,
      lostRounds: loss.lostRounds,
    },
    minSeq: (committedThrough ?? 0) + 1,
  };
}
