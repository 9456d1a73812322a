import { z } from 'zod';
import type { RoundResult } from '../../app/collect/round.js';
import type { CollectSummary, PhaseStats } from '../../app/collect/summary.js';
import { defineCommand, globalOptionsShape } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit.js';
import { integerFlag, strictInteger } from '../../cli/numbers.js';
import { type Cell, formatPairs, formatTable, formatTsv } from '../../cli/output.js';
import { parseDuration } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import { etParts, formatEtIso, formatInZone, parseInstant } from '../../market/index.js';

const SYMBOLS = ['ES', 'NQ', 'RTY', 'VIX'] as const;

export const symbolList = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((s) => s.trim().toUpperCase())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(z.enum(SYMBOLS, { error: () => `expected a comma-separated list of ${SYMBOLS.join(', ')}` }))
      .min(1, 'name at least one symbol'),
  )
  .transform((symbols) => [...new Set(symbols)]);

const interval = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = typeof value === 'number' ? value * 1000 : parseDuration(value, { bare: 'seconds' });
  const seconds = ms === undefined ? undefined : ms / 1000;
  if (seconds === undefined || !Number.isInteger(seconds) || seconds < 1 || seconds > 3600) {
    ctx.addIssue({ code: 'custom', message: 'expected whole seconds from 1 to 3600, e.g. 60, 60s, 5m, 15m' });
    return z.NEVER;
  }
  return seconds;
});

const instant = z.string().transform((text, ctx) => {
  try {
    return parseInstant(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
    return z.NEVER;
  }
});

export const clientId = z.string().transform((text, ctx) => {
  if (text === 'auto') return 'auto' as const;
  const n = strictInteger(text);
  if (n === undefined || n < 0) {
    ctx.addIssue({ code: 'custom', message: "expected a whole number ≥ 0 or 'auto'" });
    return z.NEVER;
  }
  return n;
});

const schema = z
  .object({
    ...globalOptionsShape,
    once: z.boolean().default(false),
    rounds: integerFlag().pipe(z.number().min(1)).optional(),
    until: instant.optional(),
    loop: z.boolean().default(false),
    symbols: symbolList.optional(),
    interval: interval.optional(),
    host: z.string().min(1).optional(),
    port: integerFlag().pipe(z.number().min(1).max(65535)).optional(),
    clientId: clientId.optional(),
  })
  .superRefine((opts, ctx) => {
    const modes = [opts.once, opts.rounds !== undefined, opts.until !== undefined, opts.loop].filter(Boolean);
    if (modes.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['once'],
        message: 'use only one of --once, --rounds, --until, --loop',
      });
    }
  });

type Opts = z.infer<typeof schema>;

/** `upstreamSilent`: nothing stored because IB answered no request (exit 3; app/collect/summary.ts). */
export type CollectResult = CollectSummary & { upstreamSilent?: boolean; upstreamMessage?: string };

function modeOf(opts: Opts) {
  if (opts.rounds !== undefined) return { kind: 'rounds' as const, rounds: opts.rounds };
  if (opts.until !== undefined) return { kind: 'until' as const, until: opts.until };
  if (opts.loop) return { kind: 'loop' as const };
  return { kind: 'once' as const };
}

/**
 * Exit of a run against IB (collect, backfill): 2 when IB refused a request for good (e.g. 200, no such
 * contract: a configuration problem), 3 when IB answered nothing (every request timed out), else 0.
 */
export function ibRunExitCode(r: {
  failures: ReadonlyArray<{ permanent: boolean; ibCode: number | null }>;
  upstreamSilent?: boolean;
}): ExitCode {
  if (r.failures.some((f) => f.permanent && f.ibCode !== null)) return ExitCode.usage;
  return r.upstreamSilent ? ExitCode.upstream : ExitCode.ok;
}

/** The stderr line of a collect/backfill run that exits non-zero (see ibRunExitCode). */
export function ibRunAlert(r: {
  failures: ReadonlyArray<{ permanent: boolean; ibCode: number | null; message: string }>;
  upstreamMessage?: string;
}): string {
  const refused = r.failures.filter((f) => f.permanent && f.ibCode !== null);
  const first = refused[0];
  if (first !== undefined)
    return `IB refused ${refused.length} request(s) for good (IB ${first.ibCode}: ${first.message}); check the symbols and the market-data subscriptions`;
  return r.upstreamMessage ?? 'IB answered no request';
}

const ms = (stats: PhaseStats) =>
  stats.medianMs === null ? '-' : `${stats.medianMs} ms median, ${stats.p95Ms} ms p95`;

/** "09:12 ET  round 412: 4 rows, v926, 312 ms (ib 250, delta 40)" plus what went wrong. */
export function roundLine(r: RoundResult): string {
  const t = r.timings;
  const trouble = [
    r.failed > 0 ? `${r.failed} failed` : '',
    r.retried > 0 ? `${r.retried} to retry` : '',
    r.failures[0] ? `last: ${r.failures[0].symbol} ${r.failures[0].message}` : '',
  ].filter(Boolean);
  return (
    `${etParts(r.at).time} ET  round ${r.roundSeq ?? '-'}: ${r.rows} rows` +
    `${r.deltaVersion === null ? '' : `, v${r.deltaVersion}`}, ${Math.round(t.totalMs)} ms ` +
    `(ib ${Math.round(t.ibMs)}, delta ${Math.round(t.deltaMs)})${trouble.length ? `; ${trouble.join(', ')}` : ''}`
  );
}

export const futuresCollectCommand = defineCommand({
  path: ['collect'],
  summary: 'collect futures snapshots off the queue into futures_snapshots (one Delta commit per round)',
  description:
    'Runs collection rounds: schedules the slot grid (slots while CME is closed are recorded as skipped with the ' +
    'reason, slots too late to take are recorded as missed), claims the due slots, takes one snapshot per ' +
    'instrument through the IB connection, flags quality (stale, crossed, locked, missing side, delayed, outlier), ' +
    'appends all rows of the round in ONE Delta commit carrying txn futures-collect/<round seq> and marks the slots ' +
    'done with that version; then waits for the next slot (at least collect.waitSeconds). A run interrupted at any ' +
    'point is recovered by the next one. One collector at a time (exit 5 names the holder). SIGINT/SIGTERM finish ' +
    'the current round and exit 0. Without a mode flag it runs one round (--once).',
  examples: [
    'futures collect --once                      # crontab: * * * * * futures collect --once --quiet',
    'futures collect --loop --interval 60s',
    'futures collect --until "2026-09-02 09:30" --symbols ES,NQ --json',
    'futures collect --rounds 3 --port 4002 --client-id 7',
  ],
  flags: [
    { flags: '--once', description: 'one round, then exit (the default; for a crontab line every minute)' },
    { flags: '--rounds <n>', description: 'run n rounds, waiting for the next slot between them' },
    {
      flags: '--until <time>',
      description: "run until this time (ISO with offset, or 'YYYY-MM-DD HH:MM' ET); reconnects",
    },
    {
      flags: '--loop',
      description: 'run until SIGINT/SIGTERM, reconnecting with back-off when the gateway goes away',
    },
    {
      flags: '--symbols <list>',
      description: 'instruments, e.g. ES,NQ',
      defaultDescription: 'collect.symbols (ES,NQ,RTY,VIX)',
    },
    {
      flags: '--interval <duration>',
      description: 'slot grid, e.g. 60s, 5m',
      defaultDescription: 'collect.intervalSeconds (60)',
    },
    { flags: '--host <host>', description: 'IB Gateway/TWS host', defaultDescription: 'ib.host' },
    { flags: '--port <n>', description: 'IB Gateway/TWS port', defaultDescription: 'ib.port (4002)' },
    { flags: '--client-id <n|auto>', description: 'API client id', defaultDescription: 'ib.clientId (auto)' },
  ],
  schema,
  configFlags: {
    symbols: 'collect.symbols',
    interval: 'collect.intervalSeconds',
    host: 'ib.host',
    port: 'ib.port',
    clientId: 'ib.clientId',
  },
  jsonSchemaId: 'futures.collect/v1',
  exitCodes: [ExitCode.upstream, ExitCode.data, ExitCode.busy],

  async run(opts, ctx): Promise<CollectResult> {
    const now = ctx.clock.now();
    if (opts.until !== undefined && opts.until.getTime() <= now.getTime()) {
      throw new UsageError(
        `--until ${formatEtIso(opts.until)} is not in the future (now ${formatEtIso(now)}): nothing would be collected`,
        { hint: "Give a later time, e.g. --until '2026-09-02 16:00' (ET), or use --once / --loop." },
      );
    }
    const { runCollect } = await import('../../app/collect/collector.js');
    const { silentUpstream } = await import('../../app/collect/summary.js');
    const mode = modeOf(opts);
    // A long run tells what it does, one line per round: on a terminal, or under -v.
    const say = (line: string) => (ctx.stderr.isTTY ? ctx.log.info(line) : ctx.log.debug(line));
    if (mode.kind !== 'once') {
      const { collect, dataDir } = ctx.config;
      const ib = ctx.ib?.target ?? ctx.config.ib;
      say(
        `collect: ${collect.symbols.join(',')} every ${collect.intervalSeconds}s from ${ib.host}:${ib.port} into ${dataDir}` +
          (mode.kind === 'loop' ? '; Ctrl-C finishes the round and stops' : ''),
      );
    }
    const onRound = ctx.hooks?.onRound;
    const summary = await runCollect({
      dataDir: ctx.config.dataDir,
      config: ctx.config,
      calendar: ctx.calendar,
      mode,
      symbols: ctx.config.collect.symbols,
      intervalSeconds: ctx.config.collect.intervalSeconds,
      clock: ctx.clock,
      log: ctx.log,
      signal: ctx.signal,
      ib: { factory: ctx.ib, simulated: ctx.ibSimulated === true },
      source: ctx.ibSimulated ? 'sim' : ctx.config.collect.source,
      command: 'futures collect',
      hooks: {
        ...ctx.hooks,
        onRound: (round) => {
          onRound?.(round);
          if (mode.kind !== 'once') say(roundLine(round));
        },
      },
    });
    const silent = silentUpstream(summary);
    return { ...summary, upstreamSilent: silent !== null, ...(silent ? { upstreamMessage: silent } : {}) };
  },

  render: {
    json: (r) => ({
      runId: r.runId,
      mode: r.mode,
      stopReason: r.stopReason,
      source: r.source,
      symbols: r.symbols,
      intervalSeconds: r.intervalSeconds,
      startedAt: r.startedAt.toISOString(),
      endedAt: r.endedAt.toISOString(),
      rounds: r.rounds,
      commits: r.commits,
      rowsWritten: r.rowsWritten,
      slots: r.slots,
      deltaVersion: r.deltaVersion,
      recovery: r.recovery,
      failures: r.failures.map((f) => ({ ...f, slotTs: f.slotTs.toISOString() })),
      transientErrors: r.transientErrors,
      sessionsOpened: r.sessionsOpened,
      upstreamSilent: r.upstreamSilent === true,
      timings: r.timings,
    }),
    human: (r, _opts, style) => {
      const pairs: Array<[string, Cell]> = [
        ['run', r.runId],
        ['mode', `${r.mode} (stopped: ${r.stopReason})`],
        ['period', `${formatInZone(r.startedAt)} → ${formatInZone(r.endedAt)}`],
        ['rounds', r.rounds],
        ['rows written', r.rowsWritten],
        ['slots done', r.slots.done],
        ['slots skipped', r.slots.skipped],
        ['slots failed', r.slots.failed],
        ['slots retried', r.slots.retried],
        ['slots missed', r.slots.missed],
        ['slots already in the lake', r.slots.alreadyStored],
        [
          'delta version',
          r.deltaVersion.last === null
            ? '-'
            : r.deltaVersion.first === r.deltaVersion.last
              ? r.deltaVersion.last
              : `${r.deltaVersion.first}..${r.deltaVersion.last}`,
        ],
        ['round time', ms(r.timings.round)],
        ['  ib', ms(r.timings.ib)],
        ['  delta commit', ms(r.timings.delta)],
        ['  queue', ms(r.timings.queue)],
      ];
      if (r.recovery.lostSlots > 0) {
        pairs.push([
          'lake lost',
          `${r.recovery.lostSlots} done slot(s) of round(s) ${r.recovery.lostRounds.join(',')} had no row: missed again (futures backfill --missed)`,
        ]);
      }
      if (
        r.recovery.finishedRounds.length + r.recovery.abandonedRounds.length + r.recovery.releasedSlots >
        0
      ) {
        pairs.push([
          'recovered',
          `rounds finished ${r.recovery.finishedRounds.join(',') || '-'}, abandoned ${r.recovery.abandonedRounds.join(',') || '-'}, ${r.recovery.releasedSlots} slot(s) released`,
        ]);
      }
      let out = formatPairs(pairs, style.mode);
      if (r.failures.length > 0) {
        const grid = {
          head: ['symbol', 'slot', 'ib code', 'permanent', 'error'],
          rows: r.failures.map((f) => [f.symbol, formatInZone(f.slotTs), f.ibCode, f.permanent, f.message]),
        };
        out += style.mode === 'table' ? `\nfailures:\n${formatTable(grid)}` : formatTsv(grid);
      }
      return out;
    },
  },

  exitCode: (r) => ibRunExitCode(r),
  alert: (r) => ibRunAlert(r),
});
