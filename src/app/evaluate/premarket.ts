/**
 * The pre-market strategy of the evaluate use case. A replay (or a scorecard) reads the lake once per
 * window of sessions (loadPremarketWindow) and evaluates every call from memory (premarketInWindow): the
 * pre-market inputs and the early warning's derived state are both cut from the same slice.
 */
import { etInstant, nyseSessions } from '../../market/index.js';
import type { CloseTarget, PriceSlice, SliceSpec } from '../../market/price.js';
import { computePremarket, type PremarketDocument } from '../../signals/index.js';
import { buildPremarketInputs, planPremarket, planRegime } from '../../signals/inputs/index.js';
import { derivationInstants, type RecordedRuns, recordedRunsOf, withEarlyWarning } from './early-warning.js';
import { type EvaluationSession, emptyLakeError, type SignalStrategy } from './evaluate.js';
import { fetchWindowSlice } from './inputs.js';
import { type RecordRow, tableVersionOf } from './record.js';

/** Replays evaluate each NYSE session at this ET time (research §3: the decision before the open). */
export const PREMARKET_REPLAY_TIME = '09:25';
/** Sessions per lake read of a replay: bounds the memory of one slice (about a month of 1-min bars). */
export const PREMARKET_WINDOW_SESSIONS = 21;

/** What a window of pre-market calls reads once: one price slice and the recorded regime runs. */
export interface PremarketWindow {
  slice: PriceSlice;
  recorded: RecordedRuns;
}

/** The union of what the calls at `instants` (and their early warnings' derivations) read. */
export function premarketWindowSpec(session: EvaluationSession, instants: readonly Date[]): SliceSpec {
  const specs: SliceSpec[] = [];
  for (const asOf of instants) {
    specs.push(planPremarket(asOf, session.options).spec);
    const checks = derivationInstants(session, asOf);
    specs.push(planRegime(checks[0] ?? asOf, session.options, asOf).spec);
  }
  return unionSpec(specs);
}

function unionSpec(specs: readonly SliceSpec[]): SliceSpec {
  const first = specs[0];
  if (first === undefined) throw new RangeError('no evaluation instants');
  const targets = new Map<number, Date>();
  const closes = new Map<string, CloseTarget>();
  let pointsFrom = first.pointsFrom.getTime();
  let pointsTo = first.pointsTo.getTime();
  let fixingMaxAgeMs = first.fixingMaxAgeMs;
  let dailyFrom = first.dailyFrom;
  let dailyTo = first.dailyTo;
  for (const s of specs) {
    for (const t of s.fixingTargets) targets.set(t.getTime(), t);
    for (const c of s.closeTargets ?? []) closes.set(c.date, c);
    pointsFrom = Math.min(pointsFrom, s.pointsFrom.getTime());
    pointsTo = Math.max(pointsTo, s.pointsTo.getTime());
    fixingMaxAgeMs = Math.max(fixingMaxAgeMs, s.fixingMaxAgeMs);
    if (s.dailyFrom < dailyFrom) dailyFrom = s.dailyFrom;
    if (s.dailyTo > dailyTo) dailyTo = s.dailyTo;
  }
  return {
    symbols: first.symbols,
    pointsFrom: new Date(pointsFrom),
    pointsTo: new Date(pointsTo),
    fixingTargets: [...targets.values()].sort((a, b) => a.getTime() - b.getTime()),
    fixingMaxAgeMs,
    dailyFrom,
    dailyTo,
    closeTargets: [...closes.values()].sort((a, b) => a.date.localeCompare(b.date)),
  };
}

/**
 * Reads once what the pre-market calls at `instants` need: the calls themselves and the early warning at
 * each (its derived state replays the 6 h before the call). Then premarketInWindow reads nothing more
 * (except a recorded regime run's payload when one lies near a call).
 */
export async function loadPremarketWindow(
  session: EvaluationSession,
  instants: readonly Date[],
): Promise<PremarketWindow> {
  const source = { connection: session.connection, dataDir: session.dataDir, tables: session.tables };
  const slice = await fetchWindowSlice(source, premarketWindowSpec(session, instants));
  if (slice === undefined) throw emptyLakeError(session.dataDir);
  const recorded = await recordedRunsOf(session, instants);
  return { slice, recorded };
}

/** One pre-market call at asOf (inside the window's instants), with its early warning, from memory. */
export async function premarketInWindow(
  session: EvaluationSession,
  window: PremarketWindow,
  asOf: Date,
): Promise<PremarketDocument> {
  const plan = planPremarket(asOf, session.options);
  const inputs = buildPremarketInputs(window.slice, asOf, plan, session.options, session.overrides);
  const document = computePremarket(inputs, session.ctx.config.signals);
  return withEarlyWarning(session, document, window.slice, window.recorded);
}

/** The 09:25 ET instants of the NYSE sessions in [from, to] that are not after `now`. */
export function premarketInstants(
  from: string,
  to: string,
  now: Date,
  session: EvaluationSession,
  at: string = PREMARKET_REPLAY_TIME,
): Date[] {
  return nyseSessions(from, to, session.options.calendar)
    .filter((d) => d.session !== null)
    .map((d) => etInstant(d.date, at))
    .filter((t) => t.getTime() <= now.getTime());
}

/** A one-shot call: the window of its one instant (one read for the call and its early warning). */
async function premarketOnce(session: EvaluationSession, asOf: Date): Promise<PremarketDocument> {
  return premarketInWindow(session, await loadPremarketWindow(session, [asOf]), asOf);
}

function recordOf(doc: PremarketDocument): RecordRow {
  return {
    date: doc.sessionDate,
    kind: 'premarket',
    asOf: new Date(doc.asOf),
    level: null,
    bias: doc.decision.bias,
    tableVersion: tableVersionOf(doc.lake),
    payload: JSON.stringify(doc),
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export const premarketStrategy: SignalStrategy<PremarketDocument, PremarketWindow | undefined> = {
  kind: 'premarket',
  async evaluateOnce(session, asOf) {
    return { document: await premarketOnce(session, asOf), priorStateFrom: null };
  },
  replayInstants: (range, now, session) =>
    chunks(premarketInstants(range.from, range.to, now, session), PREMARKET_WINDOW_SESSIONS),
  loadGroup: (session, instants) =>
    instants.length === 0 ? Promise.resolve(undefined) : loadPremarketWindow(session, instants),
  evaluateInReplay: (session, window, asOf) =>
    window === undefined ? premarketOnce(session, asOf) : premarketInWindow(session, window, asOf),
  recordOf,
};
