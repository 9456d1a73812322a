import { Chalk } from 'chalk';
import { z } from 'zod';
import { GAP_CAUSE_TEXT } from '../../app/gap-causes.js';
import type { StatusReport, TableStatus } from '../../app/status.js';
import { defineCommand, globalOptionsShape } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit.js';
import { type Cell, formatPairs, formatTable, formatTsv, type Grid } from '../../cli/output.js';
import { DISPLAY_ZONE_FLAG, displayZoneShape } from '../../cli/time-flags.js';
import { formatAge, parseDuration } from '../../core/duration.js';
import { formatInZone } from '../../market/index.js';

const schema = z.object({
  ...globalOptionsShape,
  ...displayZoneShape,
  maxAge: z
    .string()
    .transform((text, ctx) => {
      const ms = parseDuration(text, { bare: 'seconds' });
      const seconds = ms === undefined ? undefined : ms / 1000;
      if (seconds === undefined || seconds <= 0) {
        ctx.addIssue({ code: 'custom', message: 'expected a duration such as 90s, 5m, 1h' });
        return z.NEVER;
      }
      return seconds;
    })
    .optional(),
});

export type StatusResult = StatusReport;

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

const isoOrDash = (d: Date | null) => (d === null ? '-' : d.toISOString());

/**
 * Piped: one record per line whose first field is its type, raw values (UTC ISO times, seconds, bytes,
 * '-' for none), for awk and cut:
 *   status  now|market|freshness|problem  …      queue  <job status>  <count>
 *   lock    collect|compact|backfill  free|<pid> <host> <since> <state>
 *   instrument  <symbol> <last ts> <age s> <contract> <source> <quality,…> <stale 0|1>
 *   table   <name> <version> <files> <bytes> <last commit>
 *   gap     <symbol> <kind> <from> <to> <slots> <cause> <IB code|->
 */
export function statusTsv(r: StatusReport): string {
  const rows: Cell[][] = [
    ['status', 'now', r.now.toISOString()],
    r.market.open
      ? ['status', 'market', 'open', r.market.segment ?? '-', r.market.tradeDate, '-']
      : ['status', 'market', 'closed', r.market.reason, r.market.tradeDate, isoOrDash(r.market.nextOpen)],
    [
      'status',
      'freshness',
      r.freshness.ok === null ? 'unchecked' : r.freshness.ok ? 'ok' : 'stale',
      r.maxAgeSeconds ?? '-',
    ],
  ];
  if (r.lake.problem !== null) rows.push(['status', 'problem', r.lake.problem]);
  for (const t of r.tables)
    if (t.problem !== null) rows.push(['status', 'problem', `table ${t.name} cannot be read: ${t.problem}`]);
  for (const [status, n] of Object.entries(r.queue.counts?.byStatus ?? {})) rows.push(['queue', status, n]);
  for (const [name, l] of Object.entries(r.locks))
    rows.push(l === null ? ['lock', name, 'free'] : ['lock', name, l.pid, l.hostname, l.startedAt, l.state]);
  for (const i of r.instruments)
    rows.push([
      'instrument',
      i.symbol,
      isoOrDash(i.lastTs),
      i.ageSeconds ?? '-',
      i.localSymbol ?? '-',
      i.source ?? '-',
      i.quality.join(',') || '-',
      i.stale ? 1 : 0,
    ]);
  for (const t of r.tables)
    rows.push(['table', t.name, t.version ?? '-', t.files, t.bytes, isoOrDash(t.lastCommitAt)]);
  for (const g of r.gaps)
    rows.push([
      'gap',
      g.symbol,
      g.kind,
      g.from.toISOString(),
      g.to.toISOString(),
      g.slots,
      g.cause,
      g.code ?? '-',
    ]);
  return formatTsv({ head: [], rows });
}

export const futuresStatusCommand = defineCommand({
  path: ['status'],
  summary:
    'health: snapshot age per instrument, queue counts, locks, table versions, gaps in the last 24 h and their causes',
  description:
    'Reads the lake (recent partitions only), the queue and the lock files; safe while a collector runs. ' +
    "With --max-age it exits 6 when CME equity is open and any configured instrument's newest snapshot is older " +
    '(or missing), with one STALE line on stderr even under --quiet; while the market is closed it exits 0 and ' +
    'says why; without --max-age freshness is not checked. Gaps are slots in the last 24 h while CME equity ' +
    'traded without data, each named by its cause: IB daily reset, IB outage or data farm down, gateway not ' +
    'running, competing IB session, IB pacing, refused by IB, no answer, collector not running, lake commit ' +
    'lost (closed-market slots are no gaps). A data ' +
    'directory that does not exist is a configuration error (exit 2). It exits 4 when the lake ' +
    'lost acknowledged data: slots done in the queue whose rows futures_snapshots does not hold (its newest ' +
    'commit lost), or _last_checkpoint naming a version the log no longer has.',
  examples: [
    'futures status',
    'futures status --max-age 5m && signals premarket --json',
    'futures status --json | jq .instruments',
  ],
  flags: [
    { flags: '--max-age <duration>', description: 'exit 6 if the market is open and data is older, e.g. 5m' },
    DISPLAY_ZONE_FLAG,
  ],
  schema,
  jsonSchemaId: 'futures.status/v3',
  exitCodes: [ExitCode.data, ExitCode.stale],

  async run(opts, ctx): Promise<StatusResult> {
    const { readStatus } = await import('../../app/status.js');
    return readStatus({
      dataDir: ctx.config.dataDir,
      config: ctx.config,
      calendar: ctx.calendar,
      now: ctx.clock.now(),
      maxAgeSeconds: opts.maxAge ?? null,
    });
  },

  render: {
    json: (r) => ({
      now: r.now.toISOString(),
      market: { ...r.market, nextOpen: iso(r.market.nextOpen) },
      maxAgeSeconds: r.maxAgeSeconds,
      freshness: r.freshness,
      instruments: r.instruments.map((i) => ({ ...i, lastTs: iso(i.lastTs) })),
      queue: r.queue,
      locks: r.locks,
      tables: r.tables.map((t) => ({ ...t, lastCommitAt: iso(t.lastCommitAt) })),
      gapWindowHours: r.gapWindowHours,
      gaps: r.gaps.map((g) => ({ ...g, from: g.from.toISOString(), to: g.to.toISOString() })),
      gapCauses: r.gapCauses,
      lake: r.lake,
    }),
    human: (r, opts, style) => {
      if (style.mode === 'tsv') return statusTsv(r);
      const shown = (at: Date) => formatInZone(at, opts.tz);
      const table = (grid: Grid) => formatTable(grid, { width: style.width });
      const paint = new Chalk({ level: style.colour ? 1 : 0 });
      const lock = (l: StatusReport['locks']['collect']) =>
        l === null
          ? 'free'
          : `pid ${l.pid} on ${l.hostname} since ${shown(new Date(l.startedAt))} (${l.state})`;
      const counts = r.queue.counts;
      const pairs: Array<[string, Cell]> = [
        ['now', shown(r.now)],
        [
          'market',
          r.market.open
            ? `open (${r.market.segment}, trade date ${r.market.tradeDate})`
            : `closed: ${r.market.reason}${r.market.nextOpen ? `, reopens ${shown(r.market.nextOpen)}` : ''}`,
        ],
        [
          'freshness',
          r.freshness.ok === null
            ? paint.yellow(r.freshness.reason)
            : r.freshness.ok
              ? `${paint.green('ok')}: ${r.freshness.reason}`
              : paint.red.bold(`STALE: ${r.freshness.reason}`),
        ],
        ...(r.lake.problem === null ? [] : [['PROBLEM', paint.red.bold(r.lake.problem)] as [string, Cell]]),
        [
          'queue',
          counts === null
            ? 'none yet (no collector has run)'
            : Object.entries(counts.byStatus)
                .map(([status, n]) => `${status} ${n}`)
                .join(', ') + (r.queue.openRounds > 0 ? `; ${r.queue.openRounds} round(s) to recover` : ''),
        ],
        ['collector', lock(r.locks.collect)],
        ['compactor', lock(r.locks.compact)],
        ['backfill', lock(r.locks.backfill)],
        [
          `gaps (${r.gapWindowHours} h)`,
          r.gapCauses.length === 0
            ? 'none'
            : `${r.gapCauses.reduce((n, c) => n + c.slots, 0)} slot(s): ` +
              r.gapCauses.map((c) => `${c.text} ${c.slots}`).join(', '),
        ],
      ];
      let out = formatPairs(pairs, style.mode);
      const sep = style.mode === 'table' ? '\n' : '';
      out += sep;
      out += table({
        head: ['symbol', 'last snapshot', 'age', 'contract', 'source', 'quality', 'stale'],
        rows: r.instruments.map((i) => [
          i.symbol,
          i.lastTs ? shown(i.lastTs) : '-',
          i.ageSeconds === null
            ? '-'
            : i.stale
              ? paint.red(formatAge(i.ageSeconds * 1000))
              : formatAge(i.ageSeconds * 1000),
          i.localSymbol ?? '-',
          i.source ?? '-',
          i.quality.join(',') || '-',
          i.stale ? paint.red.bold('STALE') : '',
        ]),
      });
      out += sep;
      out += table({
        head: ['table', 'version', 'files', 'bytes', 'last commit'],
        rows: r.tables.map((t) => [
          t.name,
          t.problem !== null ? paint.red.bold('DAMAGED') : (t.version ?? 'absent'),
          t.files,
          t.bytes,
          t.lastCommitAt ? shown(t.lastCommitAt) : '-',
        ]),
      });
      if (r.gaps.length > 0) {
        out += sep;
        out += table({
          head: ['symbol', 'cause', 'from', 'to', 'slots', 'IB code', 'queue'],
          rows: r.gaps.map((g) => [
            g.symbol,
            GAP_CAUSE_TEXT[g.cause],
            shown(g.from),
            shown(g.to),
            g.slots,
            g.code ?? '-',
            g.kind,
          ]),
        });
      }
      return out;
    },
  },

  // Lost acknowledged data outranks staleness: a lake that lost what the queue says it holds is data (4).
  exitCode: (r) =>
    r.lake.problem !== null || damagedTable(r) !== undefined
      ? ExitCode.data
      : r.freshness.ok === false
        ? ExitCode.stale
        : ExitCode.ok,
  alert: (r) => {
    if (r.lake.problem !== null) return `PROBLEM: ${r.lake.problem}`;
    const damaged = damagedTable(r);
    if (damaged !== undefined)
      return `PROBLEM: table ${damaged.name} cannot be read: ${damaged.problem} Check it with \`futures table verify ${damaged.name}\`.`;
    return `STALE: ${r.freshness.reason}`;
  },
});

function damagedTable(r: StatusReport): TableStatus | undefined {
  return r.tables.find((t) => t.problem !== null);
}
