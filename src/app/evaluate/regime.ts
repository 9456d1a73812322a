/**
 * The regime strategy of the evaluate use case. The level steps with hysteresis, so each evaluation
 * starts from the state before it: the last recorded run for a single evaluation, the previous
 * document in a replay (each replayed trade date is read from the lake once).
 */
import { latestSignalRun } from '../../lake/index.js';
import { addDays, etParts, type MarketCalendar } from '../../market/index.js';
import type { PriceSlice } from '../../market/price.js';
import {
  computeRegime,
  type EarlyWarningState,
  parseEarlyWarningState,
  type RegimeDocument,
} from '../../signals/index.js';
import { buildRegimeInputs } from '../../signals/inputs/index.js';
import { type EvaluationSession, emptyLakeError, type SignalStrategy } from './evaluate.js';
import { loadRegimeSlice, loadSignalInputs } from './inputs.js';
import { type RecordRow, tableVersionOf } from './record.js';

/** Instants `every` apart (aligned to the clock) while CME equity trades on the trade dates in range. */
export function replayInstants(
  from: string,
  to: string,
  everyMs: number,
  now: Date,
  calendar: MarketCalendar,
): Date[][] {
  const days: Date[][] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) {
    const session = calendar.cmeSession(d);
    if (!session) continue;
    const out: Date[] = [];
    const start = Math.ceil(session.open.getTime() / everyMs) * everyMs;
    for (let t = start; t <= session.close.getTime() && t <= now.getTime(); t += everyMs) {
      if (t === session.open.getTime()) continue;
      if (session.halts.some((h) => t > h.start.getTime() && t <= h.end.getTime())) continue;
      out.push(new Date(t));
    }
    if (out.length > 0) days.push(out);
  }
  return days;
}

/** The state of the last recorded regime run before asOf; an unreadable one is skipped with a warning. */
async function previousStateOf(
  session: EvaluationSession,
  asOf: Date,
): Promise<{ state: EarlyWarningState; from: string } | undefined> {
  const run = await latestSignalRun(session.connection, session.dataDir, 'regime', asOf);
  if (!run) return undefined;
  try {
    const payload = JSON.parse(run.payload) as { state?: unknown };
    return { state: parseEarlyWarningState(payload.state), from: run.asOf.toISOString() };
  } catch (error) {
    session.ctx.log.warn(
      `ignoring the recorded regime run of ${run.asOf.toISOString()}: its state is unreadable (${error instanceof Error ? error.message : String(error)}); starting from normal`,
    );
    return undefined;
  }
}

function recordOf(doc: RegimeDocument): RecordRow {
  const asOf = new Date(doc.asOf);
  return {
    date: etParts(asOf).date,
    kind: 'regime',
    asOf,
    level: doc.level,
    bias: null,
    tableVersion: tableVersionOf(doc.lake),
    payload: JSON.stringify(doc),
  };
}

/** The regime strategy replaying every `everyMs` milliseconds. */
export function regimeStrategy(everyMs: number): SignalStrategy<RegimeDocument, PriceSlice | undefined> {
  return {
    kind: 'regime',
    async evaluateOnce(session, asOf) {
      const { connection, dataDir, options, overrides, tables, ctx } = session;
      const inputs = await loadSignalInputs(
        'regime',
        { connection, dataDir, tables },
        asOf,
        options,
        overrides,
      );
      if (inputs === undefined) throw emptyLakeError(dataDir);
      const prior = await previousStateOf(session, asOf);
      const document = computeRegime({ ...inputs, previousState: prior?.state }, ctx.config.signals);
      return { document, priorStateFrom: prior?.from ?? null };
    },
    replayInstants: (range, now, session) =>
      replayInstants(range.from, range.to, everyMs, now, session.options.calendar),
    loadGroup: (session, instants) =>
      loadRegimeSlice(
        { connection: session.connection, dataDir: session.dataDir, tables: session.tables },
        instants,
        session.options,
      ),
    async evaluateInReplay(session, slice, asOf, previous) {
      if (slice === undefined) throw emptyLakeError(session.dataDir);
      const inputs = buildRegimeInputs(slice, asOf, session.options, session.overrides);
      return computeRegime({ ...inputs, previousState: previous?.state }, session.ctx.config.signals);
    },
    recordOf,
  };
}
