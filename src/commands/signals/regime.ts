import { z } from 'zod';
import { defineCommand } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit.js';
import { parseDuration } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import { REGIME_SCHEMA_ID, type RegimeDocument, type ReplaySkip } from '../../signals/schemas.js';
import type { WarningLevel } from '../../signals/types.js';
import { renderRegimeHuman } from './render.js';
import { renderRegimeReplay } from './replay-render.js';
import {
  evaluateRequestOf,
  replayLines,
  SIGNAL_FLAGS,
  signalOptionsShape,
  withReplayHint,
} from './signal-common.js';

const FAIL_ON = ['watch', 'warning', 'critical'] as const;
const LEVEL_RANK: Record<WarningLevel, number> = { normal: 0, watch: 1, warning: 2, critical: 3 };

/** --every: '5m', '90s', '1h', or bare seconds like --interval → milliseconds, from one minute to one day. */
export function parseEvery(value: string): number {
  const ms = parseDuration(value, { bare: 'seconds' });
  if (ms === undefined)
    throw new UsageError(`--every: '${value}' is not a duration; use e.g. 5m, 90s or 1h.`);
  if (ms < 60_000 || ms > 86_400_000) throw new UsageError('--every must be between 1m and 24h.');
  return ms;
}

const regimeSchema = z.object({
  ...signalOptionsShape,
  every: z.string().default('5m'),
  failOn: z.enum(FAIL_ON).optional(),
});
type RegimeOptions = z.infer<typeof regimeSchema>;

export type RegimeResult =
  | { mode: 'single'; document: RegimeDocument; recorded: boolean; priorStateFrom: string | null }
  | {
      mode: 'replay';
      lines: Array<RegimeDocument | ReplaySkip>;
      recorded: number;
      /** The highest level any evaluation reached (for --fail-on). */
      maxLevel: WarningLevel;
    };

function maxLevelOf(lines: ReadonlyArray<RegimeDocument | ReplaySkip>): WarningLevel {
  let max: WarningLevel = 'normal';
  for (const line of lines) {
    if (line.schema === REGIME_SCHEMA_ID && LEVEL_RANK[line.level] > LEVEL_RANK[max]) max = line.level;
  }
  return max;
}

export const signalsRegimeCommand = defineCommand({
  path: ['regime'],
  summary: 'regime early warning: normal/watch/warning/critical from futures collapsing, with hysteresis',
  description:
    'Computes the early-warning measures M1–M9 per index (σ-normalised day move and drawdowns, speed, breadth, ' +
    'RV/IV, VIX jump, term structure, limit proximity) and steps the level with hysteresis from the last ' +
    'recorded run, so spot checks every few minutes do not flap; without a recent recorded run (or with --as-of) ' +
    'the state is derived by replaying the preceding window of the lake at the check cadence ' +
    '(signals.earlyWarning.deriveWindowMinutes, checkEveryMinutes). Reads the lake only. Recorded to signal_runs ' +
    'unless --no-record (--as-of and replays are not recorded unless --record).',
  examples: [
    'signals regime',
    'signals regime --json --fail-on warning',
    "signals regime --as-of '2026-03-10 03:00' --vix 24",
    'signals regime --from 2026-03-02 --to 2026-03-06 --every 5m > regime.jsonl',
  ],
  flags: [
    ...SIGNAL_FLAGS,
    { flags: '--every <duration>', description: 'replay step (e.g. 5m, 15m, 1h)', defaultDescription: '5m' },
    {
      flags: '--fail-on <level>',
      description: 'exit 10 when the level (in a replay: any level) is at or above this',
      choices: FAIL_ON,
    },
  ],
  schema: regimeSchema,
  jsonSchemaId: REGIME_SCHEMA_ID,
  exitCodes: [ExitCode.data, ExitCode.stale, ExitCode.threshold],
  async run(opts: RegimeOptions, ctx): Promise<RegimeResult> {
    const now = ctx.clock.now();
    const everyMs = parseEvery(opts.every);
    const request = evaluateRequestOf(opts, now);
    const { evaluateSignal } = await import('../../app/evaluate/evaluate.js');
    const { regimeStrategy } = await import('../../app/evaluate/regime.js');
    const evaluation = await withReplayHint(
      evaluateSignal(regimeStrategy(everyMs), request, ctx),
      'Split the range into shorter --from/--to runs, or use a longer --every.',
    );
    if (evaluation.mode === 'single') {
      const { document, recorded, priorStateFrom } = evaluation;
      return { mode: 'single', document, recorded, priorStateFrom };
    }
    const lines = replayLines('regime', evaluation.entries);
    return { mode: 'replay', lines, recorded: evaluation.recorded, maxLevel: maxLevelOf(lines) };
  },
  render: {
    json: (result) => (result.mode === 'single' ? result.document : { lines: result.lines }),
    // A replay under --json: JSON Lines (one document per step), as when piped.
    jsonLines: (result, opts) => (result.mode === 'replay' && opts.json ? result.lines : undefined),
    human: (result, opts, style) => {
      const shown = { ...style, zone: opts.tz };
      if (result.mode === 'single') return renderRegimeHuman(result.document, shown);
      return style.mode === 'table'
        ? renderRegimeReplay(result.lines, shown)
        : result.lines.map((line) => `${JSON.stringify(line)}\n`);
    },
  },
  exitCode(result, opts) {
    if (opts.failOn === undefined) return ExitCode.ok;
    const level = result.mode === 'single' ? result.document.level : result.maxLevel;
    return LEVEL_RANK[level] >= LEVEL_RANK[opts.failOn] ? ExitCode.threshold : ExitCode.ok;
  },
  alert(result, opts) {
    const level = result.mode === 'single' ? result.document.level : result.maxLevel;
    return `level ${level} (--fail-on ${opts.failOn ?? '-'}); run 'signals regime' for the details`;
  },
});
