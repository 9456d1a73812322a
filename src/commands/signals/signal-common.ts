/**
 * Shared by `signals premarket` and `signals regime`: flag parsing, the loader options from config,
 * the lake connection, recording to signal_runs, and replay plumbing. Light at top level: DuckDB,
 * src/delta and src/lake are imported inside the functions that need them.
 */
import path from 'node:path';
import { z } from 'zod';
import type { RunContext } from '../../app/context.js';
import { globalOptionsShape } from '../../cli/command.js';
import { StaleDataError, UsageError } from '../../core/errors.js';
import { etParts, isIsoDate, parseInstant } from '../../market/index.js';
import { ENGINE_REGIMES, INDEX_SYMBOLS, type IndexSymbol } from '../../signals/types.js';

/** Replays evaluate at most this many instants per run (every document is held until printed). */
export const MAX_REPLAY_EVALUATIONS = 30_000;
/** Calendar days of 1-day bars the loaders read (SMA200, 252-session drawdown of the derived regime). */
export const DAILY_LOOKBACK_DAYS = 400;

const isoDate = z.string().refine(isIsoDate, 'expected a date YYYY-MM-DD');

export const signalOptionsShape = {
  ...globalOptionsShape,
  asOf: z.string().optional(),
  vix: z.coerce.number().positive('must be a positive VIX level').optional(),
  regime: z.enum(ENGINE_REGIMES).optional(),
  symbols: z.string().optional(),
  record: z.boolean().optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
};

export const SIGNAL_FLAGS = [
  {
    flags: '--as-of <time>',
    description:
      "evaluate with only data stamped at or before TIME (ISO-8601, or 'YYYY-MM-DD HH:MM' ET); not recorded unless --record",
  },
  { flags: '--vix <n>', description: 'VIX level from the caller (else derived from the lake)' },
  {
    flags: '--regime <regime>',
    description: 'market regime from the caller (else derived from ES daily closes)',
    choices: ENGINE_REGIMES,
  },
  {
    flags: '--symbols <list>',
    description: 'indices to use, comma-separated',
    defaultDescription: 'ES,NQ,RTY',
  },
  { flags: '--record', description: 'record this run to signal_runs even with --as-of or a replay' },
  { flags: '--no-record', description: 'do not record this run to signal_runs' },
  { flags: '--from <date>', description: 'replay from this date (YYYY-MM-DD); prints JSON Lines' },
  { flags: '--to <date>', description: 'replay through this date (YYYY-MM-DD)' },
] as const;

export type SignalOptions = z.infer<z.ZodObject<typeof signalOptionsShape>>;

export function parseSymbols(value: string | undefined): IndexSymbol[] {
  if (value === undefined) return [...INDEX_SYMBOLS];
  const items = value
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s.length > 0);
  if (items.length === 0) throw new UsageError('--symbols: give at least one of ES, NQ, RTY.');
  const known = INDEX_SYMBOLS as readonly string[];
  const unknown = items.filter((s) => !known.includes(s));
  if (unknown.length > 0) {
    throw new UsageError(`--symbols: unknown symbol ${unknown.map((s) => `'${s}'`).join(', ')}.`, {
      hint: `The signals use ${INDEX_SYMBOLS.join(', ')}.`,
    });
  }
  return INDEX_SYMBOLS.filter((s) => items.includes(s));
}

/** --as-of: a past instant; a time in the future or unparseable is a usage error. */
export function parseAsOf(value: string | undefined, now: Date): Date | undefined {
  if (value === undefined) return undefined;
  let at: Date;
  try {
    at = parseInstant(value);
  } catch (error) {
    throw new UsageError(`--as-of: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (at.getTime() > now.getTime()) {
    throw new UsageError(`--as-of ${at.toISOString()} is in the future (now ${now.toISOString()}).`, {
      hint: 'Evaluate a past instant, or leave --as-of out to evaluate now.',
    });
  }
  return at;
}

export interface ReplayRange {
  from: string;
  to: string;
}

export function replayRange(opts: SignalOptions, now: Date, json: boolean): ReplayRange | undefined {
  if (opts.from === undefined && opts.to === undefined) return undefined;
  if (opts.from === undefined || opts.to === undefined) {
    throw new UsageError('A replay needs both --from and --to.');
  }
  if (opts.to < opts.from) throw new UsageError(`--to ${opts.to} is before --from ${opts.from}.`);
  if (opts.asOf !== undefined) throw new UsageError('Use either --as-of or --from/--to, not both.');
  if (opts.from > etParts(now).date) throw new UsageError(`--from ${opts.from} is in the future.`);
  if (json) {
    throw new UsageError('A replay prints JSON Lines (one document per evaluation); drop --json.', {
      hint: 'Each line is a signals.premarket/v1, signals.regime/v1 or signals.replay-skip/v1 document.',
    });
  }
  return { from: opts.from, to: opts.to };
}

export function dataDirOf(ctx: RunContext): string {
  return path.resolve(ctx.cwd, ctx.config.dataDir);
}

export function loaderOptions(ctx: RunContext, symbols: readonly IndexSymbol[]) {
  return {
    symbols,
    calendar: ctx.calendar,
    maxInputAgeSeconds: ctx.config.signals.maxInputAgeSeconds,
    rollDays: ctx.config.ib.rollDaysBeforeExpiry,
    lookbackSessions: ctx.config.signals.minRealizedSessions + 6,
    dailyLookbackDays: DAILY_LOOKBACK_DAYS,
  };
}

export function emptyLakeError(dataDir: string): StaleDataError {
  return new StaleDataError(
    `The lake under ${dataDir} holds no futures data (neither futures_snapshots nor futures_bars exists).`,
    {
      hint: 'Collect with `futures collect`, or bring history in with `futures backfill` or `futures import`; or pass --data-dir.',
    },
  );
}

/** Whether to record: --record/--no-record win; by default only live runs (no --as-of, no replay). */
export function shouldRecord(opts: SignalOptions, live: boolean): boolean {
  return opts.record ?? live;
}

export interface RecordRow {
  date: string;
  kind: 'premarket' | 'regime';
  asOf: Date;
  level: string | null;
  bias: string | null;
  tableVersion: number | null;
  payload: string;
}

/** Appends runs to signal_runs in ONE commit. */
export async function recordRuns(
  dataDir: string,
  rows: readonly RecordRow[],
  now: () => Date,
): Promise<void> {
  if (rows.length === 0) return;
  const { appendToLake, SIGNAL_RUNS } = await import('../../lake/index.js');
  const { toDeltaRow } = await import('../../lake/records.js');
  const recordedAt = now();
  const runId = `signals-${recordedAt.getTime().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  await appendToLake(
    dataDir,
    SIGNAL_RUNS,
    rows.map((r) => toDeltaRow({ ...r, recordedAt, runId })),
    { operation: 'WRITE', now },
  );
}

export function tableVersionOf(lake: readonly { table: string; version: number }[]): number | null {
  return lake.find((l) => l.table === 'futures_snapshots')?.version ?? lake[0]?.version ?? null;
}

/** One `signals.replay-skip/v1` line body for an evaluation that failed with a user error. */
export function replaySkip(kind: 'premarket' | 'regime', asOf: Date, error: unknown) {
  const e = error as { code?: string; message?: string; hint?: string; exitCode?: number };
  return {
    schema: 'signals.replay-skip/v1' as const,
    kind,
    asOf: asOf.toISOString(),
    error: {
      code: e.code ?? 'error',
      message: e.message ?? String(error),
      hint: e.hint ?? null,
      exitCode: e.exitCode ?? 1,
    },
  };
}

export function tooManyEvaluations(count: number): UsageError {
  return new UsageError(
    `The replay would evaluate ${count} instants (at most ${MAX_REPLAY_EVALUATIONS} per run).`,
    { hint: 'Split the range into shorter --from/--to runs, or use a longer --every.' },
  );
}
