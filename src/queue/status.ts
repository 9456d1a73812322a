/**
 * The read side for `futures status`: works while a collector runs, because the collector only holds the
 * queue file for a few milliseconds per operation (db.ts) and this reader retries for busyTimeoutMs.
 * Opens the file READ_ONLY and never creates it.
 */

import { QueueDatabase } from './db.js';
import { type LockStatus, readLock } from './lock.js';
import { COLLECT_LOCK, queuePaths } from './paths.js';
import { QueueReads, type SlotRow } from './reads.js';
import { alignDown, alignUp } from './scheduler.js';
import type { Job, JobCounts, JobStatus, Round } from './types.js';

export interface QueueStatusOptions {
  dataDir: string;
  now: Date;
  /** The configured instruments and slot grid (collect.symbols, collect.intervalSeconds). */
  symbols: readonly string[];
  intervalSeconds: number;
  maxLatenessSeconds: number;
  /** How far back to look for gaps (default 86 400 s). */
  windowSeconds?: number;
  /** Retry budget while a writer holds the file (default 3000 ms). */
  busyTimeoutMs?: number;
  /** Names the cause of each gap slot (default: its kind). */
  causeOf?: GapCauseFn;
  /**
   * The lake's txn version for futures-collect (null: none), when the caller wants the done slots of
   * rounds above it (`doneAboveLake`); undefined skips that read.
   */
  committedThrough?: number | null;
}

/**
 * What a slot of a gap is in the queue:
 * - 'no_row': nothing was ever queued for it (no collector ran, or it was down longer than its catch-up);
 * - 'overdue': queued but still pending (or running under an expired lease) past maxLateness;
 * - 'missed': marked missed (not collected in time; `backfill --missed` fills it);
 * - 'failed': IB refused it for good, or its attempts ran out.
 */
export type GapKind = 'no_row' | 'overdue' | 'missed' | 'failed';

/** Names what explains a slot of a gap (the caller knows IB's codes; the queue does not). */
export type GapCauseFn = (slot: { kind: GapKind; row: SlotRow | null }) => string;

/** A run of consecutive slots of one symbol with no data, of one kind and one cause. */
export interface QueueGap {
  symbol: string;
  kind: GapKind;
  /** What explains the run: causeOf's answer (default: the kind). */
  cause: string;
  from: Date;
  to: Date;
  slots: number;
  /** The first slot's recorded reason and IB code, as an example of the run's. */
  reason: string | null;
  code: number | null;
}

export interface LastDone {
  symbol: string;
  slotTs: Date;
  deltaVersion: number | null;
}

export interface QueueStatus {
  path: string;
  /** False before the first collector run created the file. */
  exists: boolean;
  counts: JobCounts;
  /** Last done snapshot slot per symbol. */
  lastDone: LastDone[];
  /** Symbols of the configuration that have no snapshot row at all yet. */
  neverScheduled: string[];
  gaps: QueueGap[];
  /** Rounds begun and not resolved (a collector crashed between its Delta commit and marking the slots). */
  openRounds: Round[];
  /** The collector process lock, or null when no collector runs. */
  collectorLock: LockStatus | null;
  /** Done snapshot slots of rounds above options.committedThrough (empty when not asked). */
  doneAboveLake: Job[];
  window: { from: Date; to: Date };
}

function emptyCounts(): JobCounts {
  const zero = (): Record<JobStatus, number> => ({
    pending: 0,
    running: 0,
    done: 0,
    skipped: 0,
    failed: 0,
    missed: 0,
  });
  return { total: 0, byStatus: zero(), byKind: { snapshot: zero(), bars: zero() } };
}

export async function readQueueStatus(options: QueueStatusOptions): Promise<QueueStatus> {
  const paths = queuePaths(options.dataDir);
  const windowSeconds = options.windowSeconds ?? 86_400;
  const windowFrom = alignUp(new Date(options.now.getTime() - windowSeconds * 1000), options.intervalSeconds);
  // Slots newer than this may legitimately still be pending.
  const windowTo = alignDown(
    new Date(options.now.getTime() - options.maxLatenessSeconds * 1000),
    options.intervalSeconds,
  );
  const collectorLock = await readLock(paths.stateDir, COLLECT_LOCK);
  const db = new QueueDatabase(paths.queueDb, { busyTimeoutMs: options.busyTimeoutMs ?? 3000 });
  try {
    const data = await db.read(async (tx) => {
      const reads = new QueueReads(tx);
      return {
        counts: await reads.counts(),
        lastDone: await reads.lastDoneBySymbol('snapshot'),
        bounds: await reads.slotBounds('snapshot'),
        rows: await reads.snapshotRowsBetween(windowFrom, windowTo),
        openRounds: await reads.pendingRounds(),
        doneAboveLake:
          options.committedThrough === undefined
            ? []
            : await reads.doneSlotsOfRoundsAbove(options.committedThrough),
      };
    });
    const base = { path: paths.queueDb, collectorLock, window: { from: windowFrom, to: windowTo } };
    if (data === null) {
      return {
        ...base,
        exists: false,
        counts: emptyCounts(),
        lastDone: [],
        neverScheduled: [...options.symbols],
        gaps: [],
        openRounds: [],
        doneAboveLake: [],
      };
    }
    const firstBySymbol = new Map(data.bounds.map((b) => [b.symbol, b.first]));
    const gaps = findGaps({
      symbols: options.symbols.filter((s) => firstBySymbol.has(s)),
      firstBySymbol,
      rows: data.rows,
      from: windowFrom,
      to: windowTo,
      intervalSeconds: options.intervalSeconds,
      now: options.now,
      causeOf: options.causeOf,
    });
    return {
      ...base,
      exists: true,
      counts: data.counts,
      lastDone: data.lastDone,
      neverScheduled: options.symbols.filter((s) => !firstBySymbol.has(s)),
      gaps,
      openRounds: data.openRounds,
      doneAboveLake: data.doneAboveLake,
    };
  } finally {
    db.close();
  }
}

function gapKindOf(row: SlotRow | undefined, now: Date): GapKind | null {
  if (!row) return 'no_row';
  if (row.status === 'pending') return 'overdue';
  if (row.status === 'running' && (row.leaseExpires === null || row.leaseExpires <= now)) return 'overdue';
  if (row.status === 'missed' || row.status === 'failed') return row.status;
  return null;
}

/**
 * Pure: runs of slots without data per symbol on the grid in [from, to], starting at each symbol's first
 * slot, split where the kind or the cause changes.
 */
export function findGaps(input: {
  symbols: readonly string[];
  firstBySymbol: ReadonlyMap<string, Date>;
  rows: ReadonlyArray<Pick<SlotRow, 'symbol' | 'slotTs' | 'status' | 'leaseExpires'> & Partial<SlotRow>>;
  from: Date;
  to: Date;
  intervalSeconds: number;
  now: Date;
  causeOf?: GapCauseFn | undefined;
}): QueueGap[] {
  const step = input.intervalSeconds * 1000;
  const bySlot = new Map<string, SlotRow>();
  for (const row of input.rows) {
    bySlot.set(`${row.symbol}@${row.slotTs.getTime()}`, {
      reason: null,
      ibErrorCode: null,
      ibErrorMessage: null,
      ...row,
    });
  }
  const causeOf = input.causeOf ?? ((slot) => slot.kind);
  const gaps: QueueGap[] = [];
  for (const symbol of input.symbols) {
    const first = input.firstBySymbol.get(symbol);
    const start = Math.max(
      input.from.getTime(),
      first ? alignUp(first, input.intervalSeconds).getTime() : Infinity,
    );
    let open: QueueGap | null = null;
    for (let t = start; t <= input.to.getTime(); t += step) {
      const row = bySlot.get(`${symbol}@${t}`);
      const kind = gapKindOf(row, input.now);
      const cause = kind === null ? null : causeOf({ kind, row: row ?? null });
      if (kind && open && open.kind === kind && open.cause === cause && open.to.getTime() + step === t) {
        open.to = new Date(t);
        open.slots += 1;
        continue;
      }
      if (open) gaps.push(open);
      open =
        kind && cause !== null
          ? {
              symbol,
              kind,
              cause,
              from: new Date(t),
              to: new Date(t),
              slots: 1,
              reason: row?.reason ?? null,
              code: row?.ibErrorCode ?? null,
            }
          : null;
    }
    if (open) gaps.push(open);
  }
  return gaps;
}
