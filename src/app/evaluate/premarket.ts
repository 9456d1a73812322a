/** The pre-market strategy of the evaluate use case: one lake read per evaluation. */
import { etInstant, nyseSessions } from '../../market/index.js';
import { computePremarket, type PremarketDocument } from '../../signals/index.js';
import { withEarlyWarning } from './early-warning.js';
import { type EvaluationSession, emptyLakeError, type SignalStrategy } from './evaluate.js';
import { loadSignalInputs } from './inputs.js';
import { type RecordRow, tableVersionOf } from './record.js';

/** Replays evaluate each NYSE session at this ET time (research §3: the decision before the open). */
export const PREMARKET_REPLAY_TIME = '09:25';

async function premarketAt(session: EvaluationSession, asOf: Date): Promise<PremarketDocument> {
  const { connection, dataDir, options, overrides, tables, ctx } = session;
  const inputs = await loadSignalInputs(
    'premarket',
    { connection, dataDir, tables },
    asOf,
    options,
    overrides,
  );
  if (inputs === undefined) throw emptyLakeError(dataDir);
  return withEarlyWarning(session, computePremarket(inputs, ctx.config.signals));
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

export const premarketStrategy: SignalStrategy<PremarketDocument, undefined> = {
  kind: 'premarket',
  async evaluateOnce(session, asOf) {
    return { document: await premarketAt(session, asOf), priorStateFrom: null };
  },
  replayInstants(range, now, session) {
    const instants = nyseSessions(range.from, range.to, session.options.calendar)
      .filter((d) => d.session !== null)
      .map((d) => etInstant(d.date, PREMARKET_REPLAY_TIME))
      .filter((t) => t.getTime() <= now.getTime());
    return [instants];
  },
  loadGroup: async () => undefined,
  evaluateInReplay: (session, _group, asOf) => premarketAt(session, asOf),
  recordOf,
};
