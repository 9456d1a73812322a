/**
 * The signals use case: evaluate one signal now, at a past instant, or over a replay of trade dates,
 * and record the documents to signal_runs. The per-signal parts (what one evaluation reads and how a
 * replay is stepped) are a SignalStrategy; this module owns the lake connection and the loop.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { DataError, isUserError, StaleDataError } from '../../core/errors.js';
import { openMemoryConnection } from '../../delta/index.js';
import { checkSkippedFiles, newScanLedger, SIGNAL_RUNS, tablePath } from '../../lake/index.js';
import { type ContextOverrides, checkOverrides, type LoaderOptions } from '../../signals/inputs/index.js';
import type { IndexSymbol } from '../../signals/types.js';
import type { RunContext } from '../context.js';
import { loadTableSnapshots } from './inputs.js';
import { type RecordRow, recordRuns } from './record.js';
import {
  type EvaluateRequest,
  type Evaluation,
  MAX_REPLAY_EVALUATIONS,
  type ReplayEntry,
  type ReplayRange,
  ReplayTooLongError,
  type SignalDocumentBase,
} from './types.js';

/** Calendar days of 1-day bars the loaders read (SMA200, 252-session drawdown of the derived regime). */
export const DAILY_LOOKBACK_DAYS = 400;

/** What one evaluation reads with: the open connection, the lake's table snapshots and the options. */
export interface EvaluationSession {
  connection: DuckDBConnection;
  dataDir: string;
  tables: Awaited<ReturnType<typeof loadTableSnapshots>>;
  options: LoaderOptions;
  overrides: ContextOverrides;
  ctx: RunContext;
}

export interface SignalStrategy<D extends SignalDocumentBase, Group> {
  kind: 'premarket' | 'regime';
  /** One evaluation at asOf, with where its carried state came from (regime), if anywhere. */
  evaluateOnce(
    session: EvaluationSession,
    asOf: Date,
  ): Promise<{ document: D; priorStateFrom: string | null }>;
  /** The instants of a replay, grouped so each group is read from the lake once. */
  replayInstants(range: ReplayRange, now: Date, session: EvaluationSession): Date[][];
  /** Reads what the evaluations of one group need (outside the per-instant skip: a failure stops the run). */
  loadGroup(session: EvaluationSession, instants: readonly Date[]): Promise<Group>;
  /** One replayed evaluation; `previous` is the last document of the replay so far. */
  evaluateInReplay(session: EvaluationSession, group: Group, asOf: Date, previous: D | undefined): Promise<D>;
  recordOf(document: D): RecordRow;
}

export function emptyLakeError(dataDir: string): StaleDataError {
  return new StaleDataError(
    `The lake under ${dataDir} holds no futures data (neither futures_snapshots nor futures_bars exists).`,
    {
      hint: 'Collect with `futures collect`, or bring history in with `futures backfill` or `futures import`; or pass --data-dir.',
    },
  );
}

export function loaderOptionsOf(ctx: RunContext, symbols: readonly IndexSymbol[]): LoaderOptions {
  return {
    symbols,
    calendar: ctx.calendar,
    maxInputAgeSeconds: ctx.config.signals.maxInputAgeSeconds,
    rollDays: ctx.config.ib.rollDaysBeforeExpiry,
    lookbackSessions: ctx.config.signals.minRealizedSessions + 6,
    dailyLookbackDays: DAILY_LOOKBACK_DAYS,
  };
}

async function replay<D extends SignalDocumentBase, Group>(
  strategy: SignalStrategy<D, Group>,
  session: EvaluationSession,
  groups: readonly Date[][],
): Promise<ReplayEntry<D>[]> {
  const entries: ReplayEntry<D>[] = [];
  let previous: D | undefined;
  for (const instants of groups) {
    const ledger = session.tables.ledger;
    if (ledger) ledger.scans.length = 0;
    const group = await strategy.loadGroup(session, instants);
    let stale = false;
    for (const asOf of instants) {
      try {
        const document = await strategy.evaluateInReplay(session, group, asOf, previous);
        previous = document;
        entries.push({ asOf, document });
      } catch (error) {
        if (!isUserError(error)) throw error;
        stale ||= error instanceof StaleDataError;
        entries.push({ asOf, skipped: error });
      }
    }
    if (stale && ledger) await checkSkippedFiles(session.connection, ledger);
  }
  return entries;
}

/**
 * One evaluation; a stale answer may be rows the reads skipped on lying min/max stats (review finding
 * 11), so the files skipped on stats are re-read before "stale" is believed: then it is a data error.
 */
async function evaluateChecked<T>(session: EvaluationSession, evaluate: () => Promise<T>): Promise<T> {
  const ledger = session.tables.ledger;
  if (ledger) ledger.scans.length = 0;
  try {
    return await evaluate();
  } catch (error) {
    if (error instanceof StaleDataError && ledger) await checkSkippedFiles(session.connection, ledger);
    throw error;
  }
}

/**
 * Records the runs; a failure (read-only lake, full disk) is a warning, not a lost signal: the caller
 * prints the documents anyway.
 */
async function tryRecord(ctx: RunContext, dataDir: string, rows: readonly RecordRow[]): Promise<boolean> {
  try {
    await recordRuns(dataDir, rows, () => ctx.clock.now());
    return true;
  } catch (error) {
    const where = tablePath(dataDir, SIGNAL_RUNS);
    const why = error instanceof Error ? error.message : String(error);
    const todo =
      error instanceof DataError
        ? `the table is damaged: check it with 'futures table verify ${SIGNAL_RUNS}' ('futures table repair ${SIGNAL_RUNS}' restores what can be restored)`
        : `give this user write access to ${where} and free disk space, or pass --no-record`;
    ctx.log.warn(
      `could not record this run to ${where} (${why}); the signal is printed but not recorded: ${todo}.`,
    );
    return false;
  }
}

/** Evaluates a signal once or over a replay, and records the documents when asked (or live). */
export async function evaluateSignal<D extends SignalDocumentBase, Group>(
  strategy: SignalStrategy<D, Group>,
  request: EvaluateRequest,
  ctx: RunContext,
): Promise<Evaluation<D>> {
  checkOverrides(request.overrides);
  const now = ctx.clock.now();
  const dataDir = ctx.config.dataDir;
  const owned = await openMemoryConnection();
  try {
    const tables = { ...(await loadTableSnapshots(dataDir)), ledger: newScanLedger() };
    if (!tables.snapshots && !tables.bars) throw emptyLakeError(dataDir);
    const session: EvaluationSession = {
      connection: owned.connection,
      dataDir,
      tables,
      options: loaderOptionsOf(ctx, request.symbols),
      overrides: request.overrides,
      ctx,
    };
    if (request.range === undefined) {
      const { document, priorStateFrom } = await evaluateChecked(session, () =>
        strategy.evaluateOnce(session, request.asOf ?? now),
      );
      const record = request.record ?? request.asOf === undefined;
      const recorded = record && (await tryRecord(ctx, dataDir, [strategy.recordOf(document)]));
      return { mode: 'single', document, recorded, priorStateFrom };
    }
    const groups = strategy.replayInstants(request.range, now, session);
    const count = groups.reduce((n, g) => n + g.length, 0);
    if (count > MAX_REPLAY_EVALUATIONS) throw new ReplayTooLongError(count);
    const entries = await replay(strategy, session, groups);
    const documents = entries.flatMap((e) => ('document' in e ? [e.document] : []));
    const record = request.record ?? false;
    const recorded = record && (await tryRecord(ctx, dataDir, documents.map(strategy.recordOf)));
    return { mode: 'replay', entries, recorded: recorded ? documents.length : 0 };
  } finally {
    owned.close();
  }
}
