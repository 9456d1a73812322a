/**
 * The early warning at one instant as a spot check would see it: the hysteresis starts from the last
 * recorded run when it is recent, else from a state derived by replaying the preceding window of the lake
 * at the cron's cadence (one slice read, evaluated in memory), so a one-shot answer equals what checks
 * every few minutes would have said. Also echoes that warning into a pre-market document.
 */
import { DataError, describeError, isUserError } from '../../core/errors.js';
import { latestSignalRun, SIGNAL_RUNS } from '../../lake/index.js';
import { signalRunInstants } from '../../lake/signal-inputs.js';
import { addDays, etParts, type MarketCalendar } from '../../market/index.js';
import type { PriceSlice } from '../../market/price.js';
import {
  computeRegime,
  type EarlyWarningState,
  type PremarketDocument,
  parseEarlyWarningState,
  type RegimeDocument,
} from '../../signals/index.js';
import { buildRegimeInputs } from '../../signals/inputs/index.js';
import { priorStateText, regimeHeadline } from '../../signals/regime/headline.js';
import type { PriorStateInfo } from '../../signals/schemas.js';
import { type EvaluationSession, emptyLakeError } from './evaluate.js';
import { loadRegimeSlice, loadSignalInputs } from './inputs.js';

const MINUTE_MS = 60_000;

/**
 * Check instants in [fromMs, toMs) aligned to the clock every `everyMs`, while CME equity trades: not at a
 * session's open, not inside a halt.
 */
export function checkInstants(
  fromMs: number,
  toMs: number,
  everyMs: number,
  calendar: MarketCalendar,
): Date[] {
  const out: Date[] = [];
  const firstDate = etParts(new Date(fromMs)).date;
  const lastDate = etParts(new Date(toMs + 86_400_000)).date;
  let date = firstDate;
  for (let guard = 0; date <= lastDate && guard < 400; guard++) {
    const session = calendar.cmeSession(date);
    if (session) {
      const open = session.open.getTime();
      const lo = Math.max(open, fromMs);
      const hi = Math.min(session.close.getTime(), toMs - 1);
      for (let t = Math.ceil(lo / everyMs) * everyMs; t <= hi; t += everyMs) {
        if (t === open) continue;
        if (session.halts.some((h) => t > h.start.getTime() && t <= h.end.getTime())) continue;
        out.push(new Date(t));
      }
    }
    date = addDays(date, 1);
  }
  return out;
}

/**
 * The state of the last recorded regime run strictly before asOf (a run recorded at asOf itself is this
 * check's own outcome, not the state before it); an unreadable one is skipped with a warning.
 */
async function recordedStateOf(
  session: EvaluationSession,
  asOf: Date,
): Promise<EarlyWarningState | undefined> {
  const run = await readingRecorded(session, undefined, () =>
    latestSignalRun(session.connection, session.dataDir, 'regime', asOf, { before: 'exclusive' }),
  );
  if (!run) return undefined;
  try {
    const payload = JSON.parse(run.payload) as { state?: unknown };
    return parseEarlyWarningState(payload.state);
  } catch (error) {
    session.ctx.log.warn(
      `ignoring the recorded regime run of ${run.asOf.toISOString()}: its state is unreadable (${error instanceof Error ? error.message : String(error)}); deriving the state from the lake`,
    );
    return undefined;
  }
}

/**
 * The recorded runs only shorten the derivation of the state: a signal_runs table that cannot be read
 * (a damaged log or data file, an unsupported protocol, no read access) must not cost the signal, so the state is
 * derived from the prices instead, with a warning that names the table.
 */
async function readingRecorded<T>(
  session: EvaluationSession,
  fallback: T,
  read: () => Promise<T>,
): Promise<T> {
  try {
    return await read();
  } catch (error) {
    // Damaged or unsupported (data), or not readable by this user (a usage error naming the path).
    if (!(error instanceof DataError || (isUserError(error) && error.kind === 'usage'))) throw error;
    session.ctx.log.warn(
      `the recorded signal runs cannot be read, so the regime state is derived from the prices instead: ${describeError(error).replaceAll('\n', ' ')} (check it with 'futures table verify ${SIGNAL_RUNS}'; 'futures table repair ${SIGNAL_RUNS}' restores what can be restored)`,
    );
    return fallback;
  }
}

/** More than latestSignalRun's lookback (7 date partitions): no run this old can be the one it finds. */
const RECORDED_LOOKBACK_DAYS = 9;

/**
 * Where the recorded regime state before an instant comes from. A replay preloads the instants of the
 * recorded runs once (recordedRunsOf), so a call reads a run's payload only when one exists.
 */
export interface RecordedRuns {
  stateBefore(asOf: Date): Promise<EarlyWarningState | undefined>;
}

/** The recorded runs read from the lake at each call (a one-shot check). */
function lakeRecordedRuns(session: EvaluationSession): RecordedRuns {
  return { stateBefore: (asOf) => recordedStateOf(session, asOf) };
}

/** The recorded regime runs near `instants`, their instants read once. */
export async function recordedRunsOf(
  session: EvaluationSession,
  instants: readonly Date[],
): Promise<RecordedRuns> {
  const first = instants[0];
  const last = instants.at(-1);
  if (first === undefined || last === undefined) return { stateBefore: async () => undefined };
  const from = new Date(first.getTime() - RECORDED_LOOKBACK_DAYS * 86_400_000);
  const times = await readingRecorded(session, [] as number[], () =>
    signalRunInstants(session.connection, session.dataDir, 'regime', from, last),
  );
  return {
    stateBefore: async (asOf) => {
      const lo = asOf.getTime() - RECORDED_LOOKBACK_DAYS * 86_400_000;
      const any = times.some((t) => t < asOf.getTime() && t >= lo);
      return any ? recordedStateOf(session, asOf) : undefined;
    },
  };
}

interface Derived {
  state: EarlyWarningState | undefined;
  slice: PriceSlice;
  info: PriorStateInfo['derivation'];
}

/** The checks a derived state at asOf replays (the window before it, at the configured cadence). */
export function derivationInstants(session: EvaluationSession, asOf: Date): Date[] {
  const cfg = session.ctx.config.signals.earlyWarning;
  const fromMs = asOf.getTime() - cfg.deriveWindowMinutes * MINUTE_MS;
  return checkInstants(fromMs, asOf.getTime(), cfg.checkEveryMinutes * MINUTE_MS, session.options.calendar);
}

/** Replays the checks of the window before asOf from one slice of the lake, starting from no state. */
async function deriveState(session: EvaluationSession, asOf: Date, given?: PriceSlice): Promise<Derived> {
  const { options, overrides, ctx } = session;
  const cfg = ctx.config.signals.earlyWarning;
  const fromMs = asOf.getTime() - cfg.deriveWindowMinutes * MINUTE_MS;
  const instants = derivationInstants(session, asOf);
  const source = { connection: session.connection, dataDir: session.dataDir, tables: session.tables };
  const started = performance.now();
  const slice = given ?? (await loadRegimeSlice(source, [...instants, asOf], options));
  if (slice === undefined) throw emptyLakeError(session.dataDir);
  const loaded = performance.now();
  let state: EarlyWarningState | undefined;
  let checks = 0;
  for (const t of instants) {
    try {
      const inputs = buildRegimeInputs(slice, t, options, overrides);
      state = computeRegime({ ...inputs, previousState: state }, ctx.config.signals).state;
      checks += 1;
    } catch (error) {
      if (!isUserError(error)) throw error;
    }
  }
  ctx.log.debug(
    `derived the early-warning state from ${checks} checks since ${instants[0]?.toISOString() ?? '–'}: slice read in ${Math.round(loaded - started)} ms, checks evaluated in ${Math.round(performance.now() - loaded)} ms`,
  );
  return {
    state,
    slice,
    info: {
      from: new Date(fromMs).toISOString(),
      everyMinutes: cfg.checkEveryMinutes,
      checks,
      skipped: instants.length - checks,
      firstCheckAt: instants[0]?.toISOString() ?? null,
    },
  };
}

/**
 * The regime document of a spot check at asOf: from the recorded state when it is at most
 * `stateValidityMinutes` old, else from the state derived over the preceding window. A replay that
 * already holds a regime slice (loadRegimeSlice) covering derivationInstants(asOf) through asOf passes
 * it, so nothing more is read from the lake but the recorded run.
 */
export async function regimeAt(
  session: EvaluationSession,
  asOf: Date,
  slice?: PriceSlice,
  runs: RecordedRuns = lakeRecordedRuns(session),
): Promise<RegimeDocument> {
  const { connection, dataDir, options, overrides, tables, ctx } = session;
  const config = ctx.config.signals;
  const recorded = await runs.stateBefore(asOf);
  const validMs = config.earlyWarning.stateValidityMinutes * MINUTE_MS;
  const fresh =
    recorded !== undefined && asOf.getTime() - Date.parse(recorded.lastCheckAt) <= validMs
      ? recorded
      : undefined;
  const staleRecordedAt = recorded !== undefined && fresh === undefined ? recorded.lastCheckAt : null;
  if (fresh !== undefined) {
    const inputs =
      slice === undefined
        ? await loadSignalInputs('regime', { connection, dataDir, tables }, asOf, options, overrides)
        : buildRegimeInputs(slice, asOf, options, overrides);
    if (inputs === undefined) throw emptyLakeError(dataDir);
    const document = computeRegime({ ...inputs, previousState: fresh }, config);
    return withPriorState(document, {
      source: 'recorded',
      recordedAt: fresh.lastCheckAt,
      staleRecordedAt: null,
      derivation: null,
    });
  }
  const derived = await deriveState(session, asOf, slice);
  const inputs = buildRegimeInputs(derived.slice, asOf, options, overrides);
  const document = computeRegime({ ...inputs, previousState: derived.state }, config);
  return withPriorState(document, {
    source: derived.state === undefined ? 'none' : 'derived',
    recordedAt: null,
    staleRecordedAt,
    derivation: derived.info,
  });
}

function withPriorState(document: RegimeDocument, priorState: PriorStateInfo): RegimeDocument {
  const reasons = [...document.reasons];
  const line = priorStateText(priorState);
  if (line !== null) reasons.splice(1, 0, line);
  return { ...document, priorState, reasons };
}

/**
 * A pre-market document with the early warning at its instant (as `signals regime --as-of` would say it),
 * and a reason when that warning is watch or worse. `slice`, `runs`: as for regimeAt.
 */
export async function withEarlyWarning(
  session: EvaluationSession,
  document: PremarketDocument,
  slice?: PriceSlice,
  runs?: RecordedRuns,
): Promise<PremarketDocument> {
  let regime: RegimeDocument;
  try {
    regime = await regimeAt(session, new Date(document.asOf), slice, runs);
  } catch (error) {
    if (!isUserError(error)) throw error;
    return {
      ...document,
      earlyWarning: null,
      reasons: [...document.reasons, `early warning unavailable: ${error.message}`],
    };
  }
  const earlyWarning = {
    level: regime.level,
    candidate: regime.candidate,
    pending: regime.pending,
    stateSource: regime.priorState.source,
    headline: regimeHeadline(regime),
  };
  const reasons =
    regime.level === 'normal' && regime.candidate === 'normal'
      ? document.reasons
      : [...document.reasons, `early warning: ${earlyWarning.headline}`];
  return { ...document, earlyWarning, reasons };
}
