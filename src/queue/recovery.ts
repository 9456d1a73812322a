/**
 * Start-up resolution of the rounds a stopped collector left begun. The caller holds the collect lock, so
 * no round is live: a begun round's txn version in Delta means its rows landed (finish), its absence
 * means they did not (abandon, slots pending again). Only this step moves the slots of a begun round;
 * lease expiry never does (that could write them twice). The protocol: docs/round-protocol.md.
 */
import type { QueueOps } from './types.js';

/** Resolves rounds a crashed collector left begun, given what Delta says was committed. */
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
