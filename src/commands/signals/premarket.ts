import { z } from 'zod';
import { defineCommand } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit.js';
import { PREMARKET_SCHEMA_ID, type PremarketDocument } from '../../signals/schemas.js';
import { renderPremarketHuman } from './render.js';
import { renderPremarketReplay } from './replay-render.js';
import {
  evaluateRequestOf,
  SIGNAL_FLAGS,
  type SignalResult,
  signalOptionsShape,
  signalResultOf,
  withReplayHint,
} from './signal-common.js';

const premarketSchema = z.object(signalOptionsShape);
type PremarketOptions = z.infer<typeof premarketSchema>;

export type PremarketResult = SignalResult<PremarketDocument>;

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
  jsonSchemaId: PREMARKET_SCHEMA_ID,
  exitCodes: [ExitCode.data, ExitCode.stale],
  async run(opts: PremarketOptions, ctx): Promise<PremarketResult> {
    const request = evaluateRequestOf(opts, ctx.clock.now());
    const { evaluateSignal } = await import('../../app/evaluate/evaluate.js');
    const { premarketStrategy } = await import('../../app/evaluate/premarket.js');
    const evaluation = await withReplayHint(
      evaluateSignal(premarketStrategy, request, ctx),
      'Split the range into shorter --from/--to runs.',
    );
    return signalResultOf('premarket', evaluation);
  },
  render: {
    json: (result) => (result.mode === 'single' ? result.document : { lines: result.lines }),
    // A replay under --json: JSON Lines (one document per step), as when piped.
    jsonLines: (result, opts) => (result.mode === 'replay' && opts.json ? result.lines : undefined),
    human: (result, opts, style) => {
      const shown = { ...style, zone: opts.tz };
      if (result.mode === 'single') return renderPremarketHuman(result.document, shown);
      return style.mode === 'table'
        ? renderPremarketReplay(result.lines, shown)
        : result.lines.map((line) => `${JSON.stringify(line)}\n`);
    },
  },
});
