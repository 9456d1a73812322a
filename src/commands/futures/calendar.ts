import { z } from 'zod';
import { defineCommand, globalOptionsShape } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit.js';
import { type Cell, formatTable, formatTsv, type Grid } from '../../cli/output.js';
import { UsageError } from '../../core/errors.js';
import {
  addDays,
  type CmeClosedReason,
  type CmeDay,
  type CmeDayStatus,
  cmeSessions,
  cmeStatusAt,
  daysBetween,
  etParts,
  formatEt,
  formatEtIso,
  INPUT_DATE_MESSAGE,
  isInputDate,
  isIsoDate,
  type MarketCalendar,
  type NyseDay,
  type NyseDayStatus,
  nyseSessions,
  parseInstant,
  type Segment,
  WEEKDAY_NAMES,
} from '../../market/index.js';

/** The widest range one call prints (three years and change). */
export const MAX_CALENDAR_DAYS = 1100;
const VERIFIED_FROM = 2015;
const VERIFIED_TO = 2030;

const isoDate = z.string().refine(isInputDate, INPUT_DATE_MESSAGE);

// ---------------------------------------------------------------------------------------------
// futures calendar

export interface CalendarInterval {
  start: string;
  end: string;
}

export interface CalendarDayRow {
  date: string;
  weekday: string;
  nyse: { status: NyseDayStatus; open: string | null; close: string | null; note: string | null };
  cme: {
    tradeDate: string;
    status: CmeDayStatus;
    open: string | null;
    close: string | null;
    /** Pauses inside the session (16:15–16:30 ET before 2021-06-28). */
    halts: CalendarInterval[];
    /** From this trade date's close (or the previous close when there is no session) to the next open. */
    closedAfter: CalendarInterval | null;
    note: string | null;
    source: 'rule' | 'override' | null;
  };
}

export interface CalendarResult {
  timeZone: 'America/New_York';
  from: string;
  to: string;
  days: CalendarDayRow[];
}

const calendarSchema = z
  .object({
    ...globalOptionsShape,
    from: isoDate.optional(),
    to: isoDate.optional(),
    date: isoDate.optional(),
  })
  .superRefine((o, issue) => {
    if (o.date !== undefined && (o.from !== undefined || o.to !== undefined)) {
      issue.addIssue({
        code: 'custom',
        path: ['date'],
        message: 'use either --date or --from/--to, not both',
      });
    }
    if (o.from !== undefined && o.to !== undefined && isIsoDate(o.from) && isIsoDate(o.to)) {
      const span = daysBetween(o.from, o.to);
      if (span < 0)
        issue.addIssue({ code: 'custom', path: ['to'], message: `must not be before --from (${o.from})` });
      if (span >= MAX_CALENDAR_DAYS) {
        issue.addIssue({
          code: 'custom',
          path: ['to'],
          message: `the range may cover at most ${MAX_CALENDAR_DAYS} days`,
        });
      }
    }
  });

function nextSessionOpen(day: CmeDay, calendar: MarketCalendar): Date | null {
  for (let i = 1; i <= 30; i++) {
    const s = calendar.cmeSession(addDays(day.tradeDate, i));
    if (s) return s.open;
  }
  return null;
}

function cmeRow(day: CmeDay, calendar: MarketCalendar): CalendarDayRow['cme'] {
  const s = day.session;
  const nextOpen = s ? nextSessionOpen(day, calendar) : null;
  return {
    tradeDate: day.tradeDate,
    status: day.status,
    open: s ? formatEtIso(s.open) : null,
    close: s ? formatEtIso(s.close) : null,
    halts: (s?.halts ?? []).map((h) => ({ start: formatEtIso(h.start), end: formatEtIso(h.end) })),
    closedAfter: s && nextOpen ? { start: formatEtIso(s.close), end: formatEtIso(nextOpen) } : null,
    note: day.note,
    source: day.source,
  };
}

function nyseRow(day: NyseDay): CalendarDayRow['nyse'] {
  return {
    status: day.status,
    open: day.session ? formatEtIso(day.session.open) : null,
    close: day.session ? formatEtIso(day.session.close) : null,
    note: day.note,
  };
}

/** 'Sun 18:00' from an ISO string with offset (the ET wall clock it carries). */
function dayTime(iso: string): string {
  return `${WEEKDAY_NAMES[etParts(new Date(iso)).weekday]} ${iso.slice(11, 16)}`;
}

function nyseCell(row: CalendarDayRow): string {
  const n = row.nyse;
  if (n.status === 'weekend') return 'weekend';
  if (n.status === 'closed' || !n.open || !n.close) return 'closed';
  const hours = `${n.open.slice(11, 16)}–${n.close.slice(11, 16)}`;
  return n.status === 'early_close' ? `${hours} early close` : hours;
}

function cmeCell(row: CalendarDayRow): string {
  const c = row.cme;
  if (c.status === 'weekend') return 'weekend';
  if (!c.open || !c.close) return 'closed';
  const label =
    c.status === 'early_close' ? ' early close' : c.status === 'holiday_halt' ? ' holiday halt' : '';
  const pauses = c.halts.map((h) => `, pause ${h.start.slice(11, 16)}–${h.end.slice(11, 16)}`).join('');
  return `${dayTime(c.open)} – ${dayTime(c.close)}${label}${pauses}`;
}

function gapCell(row: CalendarDayRow): string {
  const g = row.cme.closedAfter;
  return g ? `${dayTime(g.start)} – ${dayTime(g.end)}` : '';
}

function calendarGrid(result: CalendarResult): Grid {
  const rows: Cell[][] = result.days.map((d) => [
    d.date,
    d.weekday,
    nyseCell(d),
    cmeCell(d),
    gapCell(d),
    [d.nyse.note, d.cme.note]
      .filter((n, i, all): n is string => n !== null && all.indexOf(n) === i)
      .join('; '),
  ]);
  return { head: ['date', 'day', 'NYSE (ET)', 'CME equity session (ET)', 'CME closed after', 'note'], rows };
}

export const futuresCalendarCommand = defineCommand({
  path: ['calendar'],
  summary: 'CME Globex equity and NYSE sessions per date (ET): hours, halts, early closes, holidays',
  description:
    'Prints, per date, the NYSE cash session and the CME Globex equity session of that trade date (it opens ' +
    '18:00 ET the evening before), with holiday halts, early closes and closures, all in America/New_York. ' +
    'Default range: today (ET) and the next 6 days. Extra closures come from config calendar.overrides.',
  examples: [
    'futures calendar',
    'futures calendar --date 2026-04-03',
    'futures calendar --from 2026-11-23 --to 2026-11-29 --json',
  ],
  flags: [
    { flags: '--from <date>', description: 'first date (YYYY-MM-DD)', defaultDescription: 'today (ET)' },
    { flags: '--to <date>', description: 'last date (YYYY-MM-DD)', defaultDescription: '--from + 6 days' },
    { flags: '--date <date>', description: 'a single date (YYYY-MM-DD)' },
  ],
  schema: calendarSchema,
  jsonSchemaId: 'futures.calendar/v1',
  exitCodes: [],
  async run(opts, ctx): Promise<CalendarResult> {
    const calendar = ctx.calendar;
    const today = etParts(ctx.clock.now()).date;
    const from = opts.date ?? opts.from ?? today;
    const to = opts.date ?? opts.to ?? addDays(from, 6);
    const span = daysBetween(from, to);
    if (span < 0 || span >= MAX_CALENDAR_DAYS) {
      // Reached only with --to alone: --from defaults to today.
      throw new UsageError(`--to ${to} gives a range of ${span + 1} days starting today (${from})`, {
        hint: `Pass --from too; a range covers 1 to ${MAX_CALENDAR_DAYS} days.`,
      });
    }
    const fromYear = Number(from.slice(0, 4));
    const toYear = Number(to.slice(0, 4));
    if (fromYear < VERIFIED_FROM || toYear > VERIFIED_TO) {
      ctx.log.warn(
        `the calendar rules are checked for ${VERIFIED_FROM}–${VERIFIED_TO}; dates outside may miss special days`,
      );
    }
    const cme = cmeSessions(from, to, calendar);
    const nyse = nyseSessions(from, to, calendar);
    const days = cme.map((c, i) => {
      const n = nyse[i] as NyseDay;
      return {
        date: c.tradeDate,
        weekday: WEEKDAY_NAMES[c.weekday] ?? '',
        nyse: nyseRow(n),
        cme: cmeRow(c, calendar),
      };
    });
    return { timeZone: 'America/New_York', from, to, days };
  },
  render: {
    json: (r) => r,
    human: (r, _opts, style) =>
      style.mode === 'table' ? formatTable(calendarGrid(r)) : formatTsv(calendarGrid(r)),
  },
});

// ---------------------------------------------------------------------------------------------
// futures calendar is-open

export interface IsOpenResult {
  at: string;
  open: boolean;
  reason: 'open' | CmeClosedReason;
  tradeDate: string;
  segment: Segment | null;
  /** When closed: the next instant CME equity trading starts. */
  nextOpen: string | null;
  /** When open: the next instant trading stops. */
  closesAt: string | null;
  note: string | null;
}

const instant = z.string().transform((value, issue) => {
  try {
    return parseInstant(value);
  } catch (error) {
    issue.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
    return z.NEVER;
  }
});

/** is-open's own meaning of 1 (documented in its help): closed, which cron chains test with `&&`. */
const EXIT_CLOSED = 1;
/** An internal error of is-open (sysexits EX_SOFTWARE): never 1, which means closed. */
const EXIT_IS_OPEN_BUG = 70;

function isOpenLine(r: IsOpenResult): string {
  if (r.open) {
    const until = r.closesAt ? `; closes ${formatEt(new Date(r.closesAt))} ET` : '';
    return `CME equity is OPEN at ${formatEt(new Date(r.at))} ET (trade date ${r.tradeDate}, ${r.segment}${until})`;
  }
  const why = r.note ? `${r.reason}: ${r.note}` : r.reason;
  const next = r.nextOpen ? `; opens ${formatEt(new Date(r.nextOpen))} ET for trade date ${r.tradeDate}` : '';
  return `CME equity is CLOSED at ${formatEt(new Date(r.at))} ET (${why}${next})`;
}

export const futuresCalendarIsOpenCommand = defineCommand({
  path: ['calendar', 'is-open'],
  summary: 'exit 0 when CME Globex equity is open (now or --at), 1 when closed — for cron chains',
  description:
    'Answers "is CME Globex equity (ES/NQ/RTY) trading at this instant?" and why not. Unlike other commands, ' +
    'exit 1 here means "closed", not an internal error: 0 open, 1 closed, 2 bad --at (years 1970–2199) or ' +
    'config, 70 an internal error (a bug). ' +
    'Prints one status line (tab-separated when piped: state, reason, trade date, segment, next change) or --json.',
  examples: [
    'futures calendar is-open && futures collect --once',
    "futures calendar is-open --at '2026-01-19 12:30'",
    'futures calendar is-open --at 2026-03-08T23:00:00Z --json',
  ],
  flags: [
    {
      flags: '--at <time>',
      description: "instant to check: ISO-8601 with offset, or 'YYYY-MM-DD HH:MM' in ET",
      defaultDescription: 'now',
    },
  ],
  schema: z.object({ ...globalOptionsShape, at: instant.optional() }),
  jsonSchemaId: 'futures.calendar.is-open/v1',
  exitCodes: [],
  async run(opts, ctx): Promise<IsOpenResult> {
    const calendar = ctx.calendar;
    const s = cmeStatusAt(opts.at ?? ctx.clock.now(), calendar);
    return {
      at: formatEtIso(s.at),
      open: s.open,
      reason: s.reason,
      tradeDate: s.tradeDate,
      segment: s.segment,
      nextOpen: s.nextOpen ? formatEtIso(s.nextOpen) : null,
      closesAt: s.closesAt ? formatEtIso(s.closesAt) : null,
      note: s.note,
    };
  },
  render: {
    json: (r) => r,
    human: (r, _opts, style) =>
      style.mode === 'table'
        ? `${isOpenLine(r)}\n`
        : formatTsv({
            head: [],
            rows: [
              [
                r.open ? 'open' : 'closed',
                r.reason,
                r.tradeDate,
                r.segment ?? '',
                r.closesAt ?? r.nextOpen ?? '',
              ],
            ],
          }),
  },
  exitCode: (r) => (r.open ? ExitCode.ok : EXIT_CLOSED),
  // 1 "closed" is the answer a cron chain asks for, not an alarm.
  alert: () => null,
  internalExitCode: EXIT_IS_OPEN_BUG,
});
