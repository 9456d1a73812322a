import { z } from 'zod';
import { defineCommand } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit.js';
import { isUserError } from '../../core/errors.js';
import { etInstant, nyseSessions } from '../../market/index.js';
import { renderPremarketHuman } from '../../signals/render.js';
import type { PremarketDocument, ReplaySkip } from '../../signals/schemas.js';
import {
  dataDirOf,
  emptyLakeError,
  loaderOptions,
  MAX_REPLAY_EVALUATIONS,
  parseAsOf,
  parseSymbols,
  type RecordRow,
  recordRuns,
  replayRange,
  replaySkip,
  SIGNAL_FLAGS,
  shouldRecord,
  signalOptionsShape,
  tableVersionOf,
  tooManyEvaluations,
} from './signal-common.js';

/** Replays evaluate each NYSE session at this ET time (research §3: the decision before the open). */
export const PREMARKET_REPLAY_TIME = '09:25';

const premarketSchema = z.object(signalOptionsShape);
type PremarketOptions = z.infer<typeof premarketSchema>;

export type PremarketResult =
  | { mode: 'single'; document: PremarketDocument; recorded: boolean }
  | { mode: 'replay'; lines: Array<PremarketDocument | ReplaySkip>; recorded: number };

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

export const signalsPremarketCommand = defineCommand({
  path: ['premarket'],
  summary: 'pre-market surge signal: overnight futures move → bias, mode, confidence for the open',
  description:
    'Measures the overnight move of ES/NQ/RTY against the prior NYSE close (same contract), normalised by ' +
    'VIX-implied and realised overnight volatility, and turns it into a bias, mode, strength and confidence ' +
    'with per-ETF guidance. Reads the lake only. Every run is recorded to signal_runs unless --no-record ' +
    '(--as-of and replays are not recorded unless --record).',
  examples: [
    'signals premarket',
    'signals premarket --json --vix 18.5 --regime bullish',
    "signals premarket --as-of '2026-03-10 09:25' --symbols ES,NQ",
    'signals premarket --from 2026-01-05 --to 2026-03-06 > premarket.jsonl',
  ],
  flags: SIGNAL_FLAGS,
  schema: premarketSchema,
  jsonSchemaId: 'signals.premarket/v1',
  exitCodes: [ExitCode.data, ExitCode.stale],
  async run(opts: PremarketOptions, ctx): Promise<PremarketResult> {
    const now = ctx.now();
    const symbols = parseSymbols(opts.symbols);
    const asOfFlag = parseAsOf(opts.asOf, now);
    const range = replayRange(opts, now, opts.json);
    const options = loaderOptions(ctx, symbols);
    const dataDir = dataDirOf(ctx);
    const overrides = { vix: opts.vix, regime: opts.regime };
    const { openMemoryConnection } = await import('../../delta/index.js');
    const { loadPremarketInputs, loadTableSnapshots } = await import('../../lake/inputs/index.js');
    const { computePremarket } = await import('../../signals/index.js');
    const owned = await openMemoryConnection();
    try {
      const tables = await loadTableSnapshots(dataDir);
      if (!tables.snapshots && !tables.bars) throw emptyLakeError(dataDir);
      if (range === undefined) {
        const asOf = asOfFlag ?? now;
        const inputs = await loadPremarketInputs(owned.connection, dataDir, asOf, options, overrides, tables);
        if (inputs === undefined) throw emptyLakeError(dataDir);
        const document = computePremarket(inputs, ctx.config.signals);
        const record = shouldRecord(opts, asOfFlag === undefined);
        if (record) await recordRuns(dataDir, [recordOf(document)], ctx.now);
        return { mode: 'single', document, recorded: record };
      }
      const instants = nyseSessions(range.from, range.to, options.calendar)
        .filter((d) => d.session !== null)
        .map((d) => etInstant(d.date, PREMARKET_REPLAY_TIME))
        .filter((t) => t.getTime() <= now.getTime());
      if (instants.length > MAX_REPLAY_EVALUATIONS) throw tooManyEvaluations(instants.length);
      const lines: Array<PremarketDocument | ReplaySkip> = [];
      for (const asOf of instants) {
        try {
          const inputs = await loadPremarketInputs(
            owned.connection,
            dataDir,
            asOf,
            options,
            overrides,
            tables,
          );
          if (inputs === undefined) throw emptyLakeError(dataDir);
          lines.push(computePremarket(inputs, ctx.config.signals));
        } catch (error) {
          if (!isUserError(error)) throw error;
          lines.push(replaySkip('premarket', asOf, error));
        }
      }
      const docs = lines.filter((l): l is PremarketDocument => l.schema === 'signals.premarket/v1');
      const record = shouldRecord(opts, false);
      if (record) await recordRuns(dataDir, docs.map(recordOf), ctx.now);
      return { mode: 'replay', lines, recorded: record ? docs.length : 0 };
    } finally {
      owned.close();
    }
  },
  render: {
    json: (result) => (result.mode === 'single' ? result.document : { lines: result.lines }),
    human: (result, _opts, style) =>
      result.mode === 'single'
        ? renderPremarketHuman(result.document, { mode: style.mode })
        : result.lines.map((line) => `${JSON.stringify(line)}\n`),
  },
});
