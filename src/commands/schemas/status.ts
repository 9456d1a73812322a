import { z } from 'zod';
import { GAP_CAUSES } from '../../app/gap-causes.js';
import { calendarDate, count, documentSchema, instant, version } from './common.js';

const byStatus = z
  .object({ pending: count, running: count, done: count, failed: count, skipped: count, missed: count })
  .meta({ id: 'QueueStatusCounts' });

const lock = z
  .object({
    /** alive: its process runs; stale: it does not (the next run replaces the lock); unknown: cannot tell. */
    state: z.enum(['alive', 'stale', 'unknown']),
    path: z.string(),
    name: z.string(),
    pid: z.number().int(),
    hostname: z.string(),
    /** Empty when the lock file is not a lock (garbage the next acquirer replaces). */
    startedAt: z.union([instant, z.literal('')]),
    command: z.string(),
    owner: z.string(),
    token: z.string(),
    procStart: z.string().nullable(),
  })
  .meta({ id: 'LockInfo' });

export const statusBodySchema = z.object({
  now: instant,
  market: z.object({
    open: z.boolean(),
    reason: z.string(),
    tradeDate: calendarDate,
    segment: z.string().nullable(),
    nextOpen: instant.nullable(),
  }),
  maxAgeSeconds: z.number().min(0).nullable(),
  freshness: z.object({ checked: z.boolean(), ok: z.boolean().nullable(), reason: z.string() }),
  instruments: z.array(
    z.object({
      symbol: z.string(),
      lastTs: instant.nullable(),
      ageSeconds: z.number().nullable(),
      localSymbol: z.string().nullable(),
      source: z.string().nullable(),
      quality: z.array(z.string()),
      stale: z.boolean(),
    }),
  ),
  queue: z.object({
    path: z.string(),
    exists: z.boolean(),
    counts: z
      .object({ total: count, byStatus, byKind: z.object({ snapshot: byStatus, bars: byStatus }) })
      .nullable(),
    openRounds: count,
    neverScheduled: z.array(z.string()),
  }),
  locks: z.object({ collect: lock.nullable(), compact: lock.nullable(), backfill: lock.nullable() }),
  tables: z.array(
    z.object({
      name: z.enum(['futures_snapshots', 'futures_bars', 'signal_runs']),
      exists: z.boolean(),
      version: version.nullable(),
      files: count,
      bytes: count,
      lastCommitAt: instant.nullable(),
      /** Why the table cannot be read (the command exits 4); null when it reads. */
      problem: z.string().nullable(),
    }),
  ),
  gapWindowHours: z.number().positive(),
  /** Runs of slots without data while CME equity traded, in the last gapWindowHours. */
  gaps: z.array(
    z.object({
      symbol: z.string(),
      /** no_row: never queued; overdue: still pending; missed: not collected in time; failed: given up. */
      kind: z.enum(['no_row', 'overdue', 'missed', 'failed']),
      /** What explains the run (docs/operations.md, "Gaps and their causes"). */
      cause: z.enum(GAP_CAUSES),
      from: instant,
      to: instant,
      slots: count,
      /** The first slot's recorded reason and IB code, as an example of the run's. */
      reason: z.string().nullable(),
      code: z.number().int().nullable(),
    }),
  ),
  gapCauses: z.array(z.object({ cause: z.enum(GAP_CAUSES), text: z.string(), slots: count })),
  lake: z.object({
    committedRound: z.number().int().nullable(),
    lostSlots: count,
    lostRounds: z.array(z.number().int()),
    checkpointAhead: z.object({ hint: version, latest: version }).nullable(),
    problem: z.string().nullable(),
  }),
});

export const statusDocumentSchema = documentSchema('futures.status/v3', statusBodySchema, {
  title: 'futures status --json',
  description: 'Collection health: freshness per instrument, queue, locks, tables, gaps',
});
