import { z } from 'zod';
import { defineCommand, globalOptionsShape } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit.js';
import { UsageError } from '../../core/errors.js';
import { etParts, isIsoDate } from '../../market/index.js';
import { EVALUATE_SCHEMA_ID, type EvaluateDocument } from '../../signals/scorecard-schema.js';
import { INDEX_SYMBOLS, type IndexSymbol } from '../../signals/types.js';
import { renderEvaluateHuman } from './evaluate-render.js';
import { parseEvery } from './regime.js';
import { parseSymbols } from './signal-common.js';

const ALERT_LEVELS = ['watch', 'warning', 'critical'] as const;
const isoDate = z.string().refine(isIsoDate, 'expected a date YYYY-MM-DD');
const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected an ET time HH:MM');

const evaluateSchema = z.object({
  ...globalOptionsShape,
  from: isoDate,
  to: isoDate,
  at: clockTime.default('09:25'),
  every: z.string().default('5m'),
  checksFrom: clockTime.default('04:00'),
  symbols: z.string().optional(),
  reference: z.enum(INDEX_SYMBOLS).optional(),
  drawdown: z.coerce
    .number()
    .gt(0, 'must be a positive percent')
    .max(50, 'must be at most 50 (%)')
    .default(2),
  alertLevel: z.enum(ALERT_LEVELS).default('warning'),
  naiveMove: z.coerce.number().min(0, 'must be a percent ≥ 0').max(20, 'must be at most 20 (%)').default(0.5),
});
export type EvaluateOptions = z.infer<typeof evaluateSchema>;

export interface EvaluateResult {
  document: EvaluateDocument;
}

/** The request of the flags; `today` (ET) bounds the range. */
export function scorecardRequestOf(opts: EvaluateOptions, today: string) {
  if (opts.to < opts.from) throw new UsageError(`--to ${opts.to} is before --from ${opts.from}.`);
  if (opts.from > today) throw new UsageError(`--from ${opts.from} is in the future.`);
  if (opts.at >= '09:30') {
    throw new UsageError(`--at ${opts.at}: the pre-market call is made before the 09:30 ET open.`, {
      hint: 'Give an ET time before 09:30, e.g. --at 09:25.',
    });
  }
  if (opts.checksFrom >= '16:00') throw new UsageError('--checks-from must be before the 16:00 ET close.');
  const symbols: IndexSymbol[] = parseSymbols(opts.symbols);
  if (opts.reference !== undefined && !symbols.includes(opts.reference)) {
    throw new UsageError(`--reference ${opts.reference} is not one of --symbols ${symbols.join(',')}.`);
  }
  return {
    from: opts.from,
    to: opts.to,
    at: opts.at,
    everyMs: parseEvery(opts.every),
    checksFrom: opts.checksFrom,
    symbols,
    reference: opts.reference,
    drawdownPct: opts.drawdown,
    alertLevel: opts.alertLevel,
    naiveMinMovePct: opts.naiveMove,
    overrides: {},
  };
}

export const signalsEvaluateCommand = defineCommand({
  path: ['evaluate'],
  summary: 'scorecard of our own calls: pre-market hit rates vs a naive rule, early-warning precision/recall',
  description:
    'Replays the pre-market call at --at ET for every NYSE session of the range and the early warning every ' +
    '--every from --checks-from ET to the close, each strictly from the data stamped by its instant (the ' +
    'window is read once), then grades them against what followed on the reference index: open→10:00 and ' +
    'open→close returns and the worst adverse move per bias × mode × band (95 % Wilson intervals), the naive ' +
    'rule "sign of the overnight move when |move| ≥ --naive-move %" on the same sessions, and drawdowns of ' +
    '--drawdown % below the prior 16:00 ET close (precision, recall, lead time, alerts per 20 calm checks). ' +
    'Also the intraday-momentum regression as a data-pipeline check. Reads the lake only; records nothing.',
  examples: [
    'signals evaluate --from 2022-01-03 --to 2022-12-30',
    'signals evaluate --from 2022-01-03 --to 2022-12-30 --symbols NQ --json > scorecard.json',
    'signals evaluate --from 2023-03-01 --to 2023-03-24 --drawdown 1.5 --alert-level watch',
  ],
  flags: [
    { flags: '--from <date>', description: 'first NYSE session to grade (YYYY-MM-DD)' },
    { flags: '--to <date>', description: 'last NYSE session to grade (YYYY-MM-DD)' },
    { flags: '--at <time>', description: 'ET time of the pre-market call', defaultDescription: '09:25' },
    { flags: '--every <duration>', description: 'early-warning check cadence', defaultDescription: '5m' },
    {
      flags: '--checks-from <time>',
      description: 'ET time of the first early-warning check of each session',
      defaultDescription: '04:00',
    },
    {
      flags: '--symbols <list>',
      description: 'indices to use, comma-separated',
      defaultDescription: 'ES,NQ,RTY',
    },
    {
      flags: '--reference <symbol>',
      description: 'index whose outcomes grade the calls',
      defaultDescription: 'the first of --symbols with prices',
      choices: INDEX_SYMBOLS,
    },
    {
      flags: '--drawdown <pct>',
      description: 'a drawdown event: the reference falls this many percent below the prior 16:00 ET close',
      defaultDescription: '2',
    },
    {
      flags: '--alert-level <level>',
      description: 'early-warning level that counts as an alert',
      defaultDescription: 'warning',
      choices: ALERT_LEVELS,
    },
    {
      flags: '--naive-move <pct>',
      description: 'the naive baseline calls the sign of overnight moves of at least this many percent',
      defaultDescription: '0.5',
    },
  ],
  schema: evaluateSchema,
  jsonSchemaId: EVALUATE_SCHEMA_ID,
  exitCodes: [ExitCode.data, ExitCode.stale],
  async run(opts: EvaluateOptions, ctx): Promise<EvaluateResult> {
    const request = scorecardRequestOf(opts, etParts(ctx.clock.now()).date);
    const { evaluateScorecard } = await import('../../app/evaluate/scorecard/index.js');
    const { document } = await evaluateScorecard(request, ctx);
    return { document };
  },
  render: {
    json: (result) => result.document,
    human: (result, _opts, style) => renderEvaluateHuman(result.document, { mode: style.mode }),
  },
});
