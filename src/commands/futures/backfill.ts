import { z } from 'zod';
import type { BackfillSummary } from '../../app/backfill.js';
import { defineCommand, globalOptionsShape } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit.js';
import { integerFlag } from '../../cli/numbers.js';
import { type Cell, formatPairs, formatTable, formatTsv } from '../../cli/output.js';
import { UsageError } from '../../core/errors.js';
import { INPUT_DATE_MESSAGE, isInputDate, tradeDateOf } from '../../market/index.js';
import { clientId, ibRunAlert, ibRunExitCode, symbolList } from './collect.js';

const isoDate = z.string().refine(isInputDate, INPUT_DATE_MESSAGE);

const schema = z
  .object({
    ...globalOptionsShape,
    symbols: symbolList.optional(),
    days: integerFlag().pipe(z.number().min(1).max(3650)).optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
    bar: z.enum(['1min', '1day']).optional(),
    what: z.enum(['TRADES', 'MIDPOINT']).default('TRADES'),
    missed: z.boolean().default(false),
    host: z.string().min(1).optional(),
    port: z.coerce.number().int().min(1).max(65535).optional(),
    clientId: clientId.optional(),
  })
  .superRefine((opts, ctx) => {
    if (opts.days !== undefined && (opts.from !== undefined || opts.to !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['days'], message: 'use either --days or --from/--to' });
    }
    if (opts.from && opts.to && opts.from > opts.to) {
      ctx.addIssue({
        code: 'custom',
        path: ['from'],
        message: `--from ${opts.from} is after --to ${opts.to}`,
      });
    }
  });

/** `upstreamSilent`: nothing stored because IB answered no request (exit 3). */
export type BackfillResult = BackfillSummary & { upstreamSilent?: boolean; upstreamMessage?: string };

export const futuresBackfillCommand = defineCommand({
  path: ['backfill'],
  summary: 'queue and run historical-bar requests into futures_bars; fill missed snapshot slots',
  description:
    'Queues historical-bar jobs (daily bars through the continuous future CONTFUT for history from day one; ' +
    "1-minute bars of the front contract per CME session) and runs them within IB's historical pacing into " +
    'futures_bars. Idempotent: done jobs are not run again and a bar already stored (same symbol, contract, bar ' +
    'size, what-to-show and start) is never written twice. --missed fills the slots collect marked missed from ' +
    '1-minute bars (rows with source=backfill, the bar close as last and mid, quality [backfill]) and marks them ' +
    'backfilled. Ranges are CME trade dates; only complete bars are requested. One backfill at a time (exit 5).',
  examples: [
    'futures backfill --days 5',
    'futures backfill --symbols ES,NQ --from 2026-08-03 --to 2026-08-28 --bar 1day',
    'futures backfill --missed --days 2 --json',
  ],
  flags: [
    {
      flags: '--symbols <list>',
      description: 'instruments, e.g. ES,NQ',
      defaultDescription: 'collect.symbols',
    },
    {
      flags: '--days <n>',
      description:
        "the last n CME trade dates (today's once its session opened at 18:00 ET the evening before)",
      defaultDescription: '5',
    },
    { flags: '--from <date>', description: 'first trade date (YYYY-MM-DD)' },
    { flags: '--to <date>', description: 'last trade date (YYYY-MM-DD)', defaultDescription: 'today' },
    { flags: '--bar <size>', description: 'bar size', choices: ['1min', '1day'], defaultDescription: 'both' },
    {
      flags: '--what <type>',
      description: 'IB whatToShow for futures',
      choices: ['TRADES', 'MIDPOINT'],
      defaultDescription: 'TRADES',
    },
    { flags: '--missed', description: 'also fill snapshot slots collect marked missed, from 1-minute bars' },
    { flags: '--host <host>', description: 'IB Gateway/TWS host', defaultDescription: 'ib.host' },
    { flags: '--port <n>', description: 'IB Gateway/TWS port', defaultDescription: 'ib.port (4002)' },
    { flags: '--client-id <n|auto>', description: 'API client id', defaultDescription: 'ib.clientId (auto)' },
  ],
  schema,
  configFlags: { host: 'ib.host', port: 'ib.port', clientId: 'ib.clientId' },
  jsonSchemaId: 'futures.backfill/v1',
  exitCodes: [ExitCode.upstream, ExitCode.data, ExitCode.busy],

  async run(opts, ctx): Promise<BackfillResult> {
    const { runBackfill, silentUpstreamBackfill } = await import('../../app/backfill.js');
    const { lastTradeDates } = await import('../../app/backfill-range.js');
    const now = ctx.clock.now();
    const last = lastTradeDates(opts.to ?? tradeDateOf(now, ctx.calendar), opts.days ?? 5, now, ctx.calendar);
    const to = opts.to ?? last.to;
    const from = opts.from ?? last.from;
    if (from > to) {
      // The schema compares --from with an explicit --to; a --from after today's trade date is caught here.
      throw new UsageError(
        `--from ${from} is after --to ${to} (the default --to is the current trade date).`,
        {
          hint: 'Give a --from on or before --to, or an explicit --to.',
        },
      );
    }
    const summary = await runBackfill({
      dataDir: ctx.config.dataDir,
      config: ctx.config,
      calendar: ctx.calendar,
      symbols: opts.symbols ?? ctx.config.collect.symbols,
      from,
      to,
      barSizes: opts.bar === '1min' ? ['1 min'] : opts.bar === '1day' ? ['1 day'] : ['1 day', '1 min'],
      whatToShow: opts.what,
      missed: opts.missed,
      clock: ctx.clock,
      log: ctx.log,
      signal: ctx.signal,
      ib: { factory: ctx.ib, simulated: ctx.ibSimulated === true },
      source: ctx.ibSimulated ? 'sim' : ctx.config.collect.source,
      command: 'futures backfill',
    });
    const silent = silentUpstreamBackfill(summary);
    return { ...summary, upstreamSilent: silent !== null, ...(silent ? { upstreamMessage: silent } : {}) };
  },

  render: {
    json: ({ upstreamMessage: _m, ...r }) => r,
    human: (r, _opts, style) => {
      const pairs: Array<[string, Cell]> = [
        ['run', r.runId],
        ['range', `${r.range.from} .. ${r.range.to} (${r.barSizes.join(', ')}, ${r.whatToShow})`],
        ['jobs queued', `${r.jobs.queued} new, ${r.jobs.alreadyQueued} already queued`],
        [
          'jobs run',
          `${r.jobs.run}: ${r.jobs.done} done, ${r.jobs.failed} failed, ${r.jobs.retried} to retry`,
        ],
        ['bars', `${r.bars.fetched} fetched, ${r.bars.written} written, ${r.bars.duplicates} already stored`],
        [
          'missed slots',
          `${r.missed.found} found, ${r.missed.filled} filled, ${r.missed.alreadyStored} already stored, ${r.missed.unfilled} without a bar`,
        ],
        ['delta version', `bars ${r.deltaVersion.bars ?? '-'}, snapshots ${r.deltaVersion.snapshots ?? '-'}`],
        [
          'pacing',
          `${r.pacing.historicalRequests} requests, ${r.pacing.pacingViolations} violations, waited ${r.pacing.waitedMs} ms`,
        ],
        ['stopped early', r.stopped],
      ];
      let out = formatPairs(pairs, style.mode);
      if (r.failures.length > 0) {
        const grid = {
          head: ['symbol', 'job', 'ib code', 'permanent', 'error'],
          rows: r.failures.map((f) => [f.symbol, f.job, f.ibCode, f.permanent, f.message]),
        };
        out += style.mode === 'table' ? `\nfailures:\n${formatTable(grid)}` : formatTsv(grid);
      }
      return out;
    },
  },

  exitCode: (r) => ibRunExitCode(r),
  alert: (r) => ibRunAlert(r),
});
