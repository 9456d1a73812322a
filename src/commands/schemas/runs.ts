import { z } from 'zod';
import { premarketDocumentSchema, regimeDocumentSchema } from '../../signals/schemas.js';
import { calendarDate, count, documentSchema, instant, milliseconds, version } from './common.js';

/** The documents of the commands that talk to IB (or the simulator): collect, backfill, gateway, demo. */

const phaseStats = z
  .object({ totalMs: milliseconds, medianMs: milliseconds.nullable(), p95Ms: milliseconds.nullable() })
  .meta({ id: 'PhaseStats' });

const ibSymbol = z.string();

export const collectBodySchema = z.object({
  runId: z.string(),
  mode: z.enum(['once', 'rounds', 'until', 'loop']),
  stopReason: z.enum(['once', 'rounds', 'until', 'signal']),
  source: z.enum(['ibkr', 'sim']),
  symbols: z.array(ibSymbol),
  intervalSeconds: z.number().int().min(1),
  startedAt: instant,
  endedAt: instant,
  rounds: count,
  commits: count,
  rowsWritten: count,
  slots: z.object({
    done: count,
    skipped: count,
    failed: count,
    retried: count,
    missed: count,
    lost: count,
    alreadyStored: count,
  }),
  deltaVersion: z.object({ first: version.nullable(), last: version.nullable() }),
  recovery: z.object({
    finishedRounds: z.array(z.number().int()),
    abandonedRounds: z.array(z.number().int()),
    releasedSlots: count,
    lostSlots: count,
    lostRounds: z.array(z.number().int()),
  }),
  failures: z.array(
    z.object({
      slotTs: instant,
      symbol: ibSymbol,
      ibCode: z.number().int().nullable(),
      message: z.string(),
      permanent: z.boolean(),
    }),
  ),
  transientErrors: z.array(z.string()),
  sessionsOpened: count,
  /** IB answered no request: nothing stored (exit 3). */
  upstreamSilent: z.boolean(),
  timings: z.object({
    wallMs: milliseconds,
    round: phaseStats,
    ib: phaseStats,
    delta: phaseStats,
    queue: phaseStats,
  }),
});

export const collectDocumentSchema = documentSchema('futures.collect/v1', collectBodySchema, {
  title: 'futures collect --json',
  description: 'What one collect run did: rounds, slots, Delta versions, failures and phase timings',
});

export const backfillBodySchema = z.object({
  runId: z.string(),
  range: z.object({ from: calendarDate, to: calendarDate }),
  symbols: z.array(ibSymbol),
  /** IB bar sizes, e.g. "1 min", "1 day". */
  barSizes: z.array(z.string()),
  whatToShow: z.string(),
  jobs: z.object({
    queued: count,
    alreadyQueued: count,
    run: count,
    done: count,
    failed: count,
    retried: count,
  }),
  bars: z.object({ fetched: count, written: count, duplicates: count }),
  missed: z.object({ found: count, filled: count, alreadyStored: count, unfilled: count }),
  deltaVersion: z.object({ bars: version.nullable(), snapshots: version.nullable() }),
  pacing: z.object({ historicalRequests: count, pacingViolations: count, waitedMs: milliseconds }),
  failures: z.array(
    z.object({
      symbol: ibSymbol,
      job: z.string(),
      ibCode: z.number().int().nullable(),
      message: z.string(),
      permanent: z.boolean(),
    }),
  ),
  stopped: z.boolean(),
  timings: z.object({ wallMs: milliseconds }),
  /** Present (true) when IB answered no request: nothing stored (exit 3). */
  upstreamSilent: z.boolean().optional(),
});

export const backfillDocumentSchema = documentSchema('futures.backfill/v1', backfillBodySchema, {
  title: 'futures backfill --json',
  description: 'Historical-bar jobs queued and run, bars written, missed slots filled, IB pacing',
});

export const gatewayBodySchema = z.object({
  gateway: z.object({
    host: z.string(),
    port: z.number().int().min(0).max(65535),
    serverVersion: z.number().int(),
    seed: z.number().int(),
    scenario: z.string(),
    speed: z.number().positive(),
    simStart: instant,
    simStop: instant,
    uptimeSeconds: z.number().min(0),
    connectionsAccepted: count,
    historicalRequests: count,
    faultsFired: z.array(z.string()),
    record: z.string().nullable(),
  }),
});

export const gatewayDocumentSchema = documentSchema('futures.gateway/v1', gatewayBodySchema, {
  title: 'futures gateway --json',
  description: 'The IB Gateway simulator run, printed when it stops',
});

export const demoBodySchema = z.object({
  dataDir: z.string(),
  kept: z.boolean(),
  temporary: z.boolean(),
  /** An earlier demo's lake in the same directory was cleared first. */
  rebuilt: z.boolean(),
  scenario: z.enum(['calm', 'selloff', 'gap-up']),
  night: z.object({ sessionDate: calendarDate, from: instant, to: instant }),
  simulator: z.object({ host: z.string(), port: z.number().int().min(0).max(65535), seed: z.number().int() }),
  steps: z.array(z.object({ name: z.string(), command: z.string(), ms: milliseconds, summary: z.string() })),
  collect: z.object({
    rounds: count,
    rowsWritten: count,
    bySymbol: z.record(z.string(), count),
    deltaVersion: version.nullable(),
  }),
  compact: z.object({ filesBefore: count, filesAfter: count }),
  /** The two signal documents the demo computed, as `signals premarket|regime --json` print them. */
  signals: z.object({ premarket: premarketDocumentSchema, regime: regimeDocumentSchema }),
  nextCommands: z.array(z.string()),
  wallMs: milliseconds,
});

export const demoDocumentSchema = documentSchema('futures.demo/v1', demoBodySchema, {
  title: 'futures demo --json',
  description: 'The demo night on the simulator: steps, rows collected, compaction and both signals',
});
