/**
 * The `signals evaluate` use case: a scorecard of our own calls over NYSE sessions, graded against what
 * happened next. The window is read from the lake once; every call and check is evaluated in memory from
 * the part of it stamped at or before its instant. Returns a typed result; never prints.
 */
import { StaleDataError, UsageError } from '../../../core/errors.js';
import { openMemoryConnection } from '../../../delta/index.js';
import { etInstant, type NyseSession, nyseSessions } from '../../../market/index.js';
import type { PriceSlice } from '../../../market/price.js';
import { EVALUATE_SCHEMA_ID, type EvaluateDocument } from '../../../signals/scorecard-schema.js';
import type { IndexSymbol, WarningLevel } from '../../../signals/types.js';
import type { RunContext } from '../../context.js';
import { emptyLakeError, loaderOptionsOf } from '../evaluate.js';
import { loadTableSnapshots } from '../inputs.js';
import { gradedCall } from './calls.js';
import { type ReplayedCheck, replayChecks, sessionCheckInstants } from './checks.js';
import { scoreDocument } from './score.js';
import type { ScorecardRequest } from './types.js';
import { loadWindow, planWindow, sessionSlice } from './window.js';

export type { ScorecardRequest };

/** Sessions per run: a window is held in memory whole (a year of 1-min bars of three indices ≈ 1 M points). */
export const MAX_SCORECARD_SESSIONS = 520;

export interface ScorecardTimings {
  loadMs: number;
  checksMs: number;
  callsMs: number;
  checks: number;
  sessions: number;
}

export interface ScorecardResult {
  document: EvaluateDocument;
  /** Every early-warning check of the replay (not in the document). */
  checks: ReplayedCheck[];
  timings: ScorecardTimings;
}

/** The sessions of the range whose close has passed (their outcome is known). */
export function gradableSessions(request: ScorecardRequest, ctx: RunContext): NyseSession[] {
  const now = ctx.clock.now().getTime();
  const sessions = nyseSessions(request.from, request.to, ctx.calendar)
    .map((d) => d.session)
    .filter((s): s is NyseSession => s !== null && s.close.getTime() <= now);
  if (sessions.length === 0) {
    throw new UsageError(`No NYSE session between ${request.from} and ${request.to} has closed yet.`, {
      hint: 'Give a --from/--to range of past sessions.',
    });
  }
  if (sessions.length > MAX_SCORECARD_SESSIONS) {
    throw new UsageError(
      `${request.from}..${request.to} holds ${sessions.length} NYSE sessions; one run grades at most ${MAX_SCORECARD_SESSIONS}.`,
      { hint: 'Split the range into runs of about two years at most.' },
    );
  }
  return sessions;
}

function referenceOf(request: ScorecardRequest, window: PriceSlice, dataDir: string): IndexSymbol {
  if (request.reference !== undefined) return request.reference;
  const found = request.symbols.find((s) => (window.points.get(s)?.length ?? 0) > 0);
  if (found === undefined) {
    throw new StaleDataError(
      `The lake under ${dataDir} has no ${request.symbols.join('/')} prices between ${request.from} and ${request.to}.`,
      {
        hint: 'Import or backfill that history first (`futures import`, `futures backfill`), or pick another range.',
      },
    );
  }
  return found;
}

/** Per session, the level of its last check at or before `at` (the early warning as the call saw it). */
function levelsAt(checks: readonly ReplayedCheck[], at: Map<string, Date>): Map<string, WarningLevel> {
  const out = new Map<string, WarningLevel>();
  for (const c of checks) {
    const limit = at.get(c.session);
    if (limit !== undefined && c.at.getTime() <= limit.getTime()) out.set(c.session, c.level);
  }
  return out;
}

export async function evaluateScorecard(
  request: ScorecardRequest,
  ctx: RunContext,
): Promise<ScorecardResult> {
  const sessions = gradableSessions(request, ctx);
  const options = loaderOptionsOf(ctx, request.symbols);
  const config = ctx.config.signals;
  const dataDir = ctx.config.dataDir;
  const owned = await openMemoryConnection();
  const started = performance.now();
  let window: PriceSlice | undefined;
  try {
    const tables = await loadTableSnapshots(dataDir);
    if (!tables.snapshots && !tables.bars) throw emptyLakeError(dataDir);
    const first = sessions[0] as NyseSession;
    const firstCheck = sessionCheckInstants(first, request.checksFrom, request.everyMs, ctx.calendar)[0];
    const firstAt = new Date(
      Math.min(firstCheck?.getTime() ?? Infinity, etInstant(first.date, request.at).getTime()),
    );
    const plan = planWindow(sessions, firstAt, config.earlyWarning.deriveWindowMinutes, options);
    window = await loadWindow({ connection: owned.connection, dataDir, tables }, plan, options);
  } finally {
    owned.close();
  }
  if (window === undefined) throw emptyLakeError(dataDir);
  const loaded = performance.now();
  const reference = referenceOf(request, window, dataDir);
  const { overrides } = request;
  const replay = replayChecks(window, sessions, {
    checksFrom: request.checksFrom,
    everyMs: request.everyMs,
    options,
    overrides,
    config,
  });
  const replayed = performance.now();
  const settings = {
    at: request.at,
    reference,
    naiveMinMove: request.naiveMinMovePct / 100,
    options,
    overrides,
    config,
  };
  const callAt = new Map(sessions.map((s) => [s.date, etInstant(s.date, request.at)]));
  const levels = levelsAt(replay.checks, callAt);
  const calls = sessions.map((session) => {
    const asOf = callAt.get(session.date) as Date;
    const slice = sessionSlice(window, session, asOf, options);
    return gradedCall(window, slice, session, levels.get(session.date) ?? null, settings);
  });
  const called = performance.now();
  const document = scoreDocument({ request, reference, window, sessions, replay, calls, options });
  ctx.log.debug(
    `evaluate: read the window in ${Math.round(loaded - started)} ms, ${replay.checks.length} checks in ${Math.round(replayed - loaded)} ms, ${calls.length} calls in ${Math.round(called - replayed)} ms`,
  );
  return {
    document: { schema: EVALUATE_SCHEMA_ID, ...document },
    checks: replay.checks,
    timings: {
      loadMs: loaded - started,
      checksMs: replayed - loaded,
      callsMs: called - replayed,
      checks: replay.checks.length,
      sessions: sessions.length,
    },
  };
}
