/**
 * The regime strategy of the evaluate use case. The level steps with hysteresis, so each evaluation
 * starts from the state before it: for a single evaluation the last recorded run or a state derived from
 * the lake (early-warning.ts), the previous document in a replay (each replayed trade date is read from the lake once).
 */
import { addDays, etParts, type MarketCalendar } from '../../market/index.js';
import type { PriceSlice } from '../../market/price.js';
import { computeRegime, type RegimeDocument } from '../../signals/index.js';
import { buildRegimeInputs } from '../../signals/inputs/index.js';
import { checkInstants, regimeAt } from './early-warning.js';
import { emptyLakeError, type SignalStrategy } from './evaluate.js';
import { loadRegimeSlice } from './inputs.js';
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
    const end = Math.min(session.close.getTime(), now.getTime()) + 1;
    const out = checkInstants(session.open.getTime(), end, everyMs, calendar);
    if (out.length > 0) days.push(out);
  }
  return days;
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
      const document = await regimeAt(session, asOf);
      const p = document.priorState;
      return { document, priorStateFrom: p.source === 'recorded' ? p.recordedAt : null };
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
