/**
 * `futures queue rebuild`: a queue file that is lost or damaged is recreated from the lake, which is the
 * authority for what was collected. The damaged file (and its WAL) is moved aside under a new name, never
 * deleted; the new queue holds the slots futures_snapshots has rows for in the last LATEST_LOOKBACK_DAYS
 * trade dates as `done` (so the collector neither re-collects them nor status calls them gaps). Round
 * numbers need nothing: a collector seeds them from the lake's txn (docs/round-protocol.md). Slots the
 * old queue knew as missed, skipped or failed are not recovered: they show as gaps in `futures status`.
 * Holds the collect and backfill locks, so no writer uses the queue meanwhile.
 */
import { existsSync } from 'node:fs';
import { lstat, rename } from 'node:fs/promises';
import { UsageError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { openMemoryConnection } from '../../delta/index.js';
import { createLakeView, FUTURES_SNAPSHOTS } from '../../lake/index.js';
import { addDays, type MarketCalendar, tradeDateOf } from '../../market/index.js';
import {
  acquireLock,
  BACKFILL_LOCK,
  COLLECT_LOCK,
  type LockHandle,
  openQueue,
  type QueuePolicy,
  queuePaths,
} from '../../queue/index.js';
import { LATEST_LOOKBACK_DAYS } from './lake-reads.js';
import { lakeCommitState } from './reconcile.js';

export interface RebuildOptions {
  dataDir: string;
  calendar: MarketCalendar;
  now: Date;
  policy: QueuePolicy;
  busyTimeoutMs: number;
  /** Rebuild even when the queue file opens fine (it is moved aside all the same). */
  force: boolean;
  log: Logger;
  command: string;
}

export interface RebuildResult {
  queuePath: string;
  /** Where the old file and its WAL went (empty when there was no file). */
  movedAside: Array<{ from: string; to: string }>;
  /** Why the old file was replaced: its error, 'missing', or 'forced'. */
  reason: string;
  restoredSlots: number;
  window: { from: string; to: string };
  /** The lake's txn version for futures-collect: the next round is numbered above it. */
  committedRound: number | null;
}

const RESTORE_CHUNK = 5000;

export async function rebuildQueue(options: RebuildOptions): Promise<RebuildResult> {
  const paths = queuePaths(options.dataDir);
  const locks: LockHandle[] = [];
  try {
    for (const name of [COLLECT_LOCK, BACKFILL_LOCK]) {
      const lock = await acquireLock(paths.stateDir, name, { now: options.now, command: options.command });
      if (lock.replacedGarbage) options.log.warn(lock.replacedGarbage);
      locks.push(lock);
    }
    const reason = await queueProblem(paths.queueDb, options);
    if (reason === null) {
      throw new UsageError(`queue ${paths.queueDb} opens and reads fine; nothing to rebuild`, {
        hint: 'Pass --force to move it aside and rebuild it from the lake anyway.',
      });
    }
    const movedAside = await moveAside(paths.queueDb, options.now);
    const { slots, window } = await lakeSlots(options);
    const queue = await openQueue({
      path: paths.queueDb,
      policy: options.policy,
      busyTimeoutMs: options.busyTimeoutMs,
    });
    let restoredSlots = 0;
    try {
      for (let i = 0; i < slots.length; i += RESTORE_CHUNK) {
        restoredSlots += await queue.restoreDone(slots.slice(i, i + RESTORE_CHUNK), {
          now: options.now,
          reason: 'rebuilt from the lake',
        });
      }
      await queue.release();
    } finally {
      queue.close();
    }
    const { committedThrough } = await lakeCommitState(options.dataDir);
    return {
      queuePath: paths.queueDb,
      movedAside,
      reason,
      restoredSlots,
      window,
      committedRound: committedThrough,
    };
  } finally {
    for (const lock of locks.reverse()) await lock.release();
  }
}

/** Why the queue file must go: its error, 'missing', 'forced'; null when it is sound and not forced. */
async function queueProblem(path: string, options: RebuildOptions): Promise<string | null> {
  // lstat: a link to nothing is a damaged queue to move aside, not a missing one.
  if (!(await lstat(path).catch(() => null))) return 'missing';
  try {
    const queue = await openQueue({ path, policy: options.policy, busyTimeoutMs: options.busyTimeoutMs });
    try {
      await queue.counts();
    } finally {
      queue.close();
    }
  } catch (error) {
    // A damaged or foreign file: a data error. Anything else (busy, permissions) is not ours to fix.
    if (error instanceof Error && 'kind' in error && error.kind === 'data') return error.message;
    throw error;
  }
  return options.force ? 'forced' : null;
}

async function moveAside(path: string, now: Date): Promise<Array<{ from: string; to: string }>> {
  const stamp = now
    .toISOString()
    .replaceAll(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const moved: Array<{ from: string; to: string }> = [];
  for (const from of [path, `${path}.wal`]) {
    if (!(await lstat(from).catch(() => null))) continue;
    let to = `${from}.damaged-${stamp}`;
    for (let n = 2; existsSync(to); n += 1) to = `${from}.damaged-${stamp}-${n}`;
    await rename(from, to);
    moved.push({ from, to });
  }
  return moved;
}

/** The (symbol, slot_ts) of the snapshot rows of the last LATEST_LOOKBACK_DAYS trade dates. */
async function lakeSlots(
  options: RebuildOptions,
): Promise<{ slots: Array<{ symbol: string; slotTs: Date }>; window: { from: string; to: string } }> {
  const to = tradeDateOf(options.now, options.calendar);
  const from = addDays(to, -LATEST_LOOKBACK_DAYS);
  const duck = await openMemoryConnection();
  const view = `rebuild_${Math.random().toString(36).slice(2, 10)}`;
  try {
    const snapshot = await createLakeView(duck.connection, options.dataDir, FUTURES_SNAPSHOTS, view, {
      kind: 'between',
      column: 'trade_date',
      low: from,
      high: to,
    });
    if (!snapshot) return { slots: [], window: { from, to } };
    const reader = await duck.connection.runAndReadAll(
      `SELECT DISTINCT symbol, epoch_ms(slot_ts) AS slot FROM "${view}" WHERE slot_ts IS NOT NULL ORDER BY slot, symbol`,
    );
    const slots = reader
      .getRowObjectsJS()
      .map((row) => ({ symbol: String(row.symbol), slotTs: new Date(Number(row.slot)) }));
    return { slots, window: { from, to } };
  } finally {
    await duck.connection.run(`DROP VIEW IF EXISTS "${view}"`).catch(() => {});
    duck.close();
  }
}
