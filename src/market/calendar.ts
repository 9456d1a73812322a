import { nyseEarlyCloseOn, nyseHolidayOn } from './holidays.js';
import { BUILTIN_OVERRIDES, type CalendarOverride } from './overrides.js';
import {
  addDays,
  daysBetween,
  etInstant,
  etParts,
  INPUT_YEARS,
  isInputDate,
  isIsoDate,
  weekdayOf,
} from './zoned.js';

/**
 * CME Globex equity (ES/NQ/RTY) and NYSE cash calendars, America/New_York.
 *
 * A CME trade date D (Mon–Fri) is one session [D-1 18:00 ET, D 17:00 ET): Monday's opens Sunday
 * 18:00. The 17:00–18:00 gap between sessions is the daily halt; Friday 17:00 → Sunday 18:00 is the
 * weekend. Holidays shorten or remove a session; the next one still opens at 18:00 ET.
 */

export interface Interval {
  start: Date;
  end: Date;
}

export type CmeSessionKind =
  /** 18:00 → 17:00 ET. */
  | 'regular'
  /** NYSE half-day: CME equity closes 13:15 ET. */
  | 'early_close'
  /** NYSE closed, CME trades until an early halt (13:00 ET; 09:30/09:15 on special days). */
  | 'holiday';

export interface CmeSession {
  tradeDate: string;
  open: Date;
  close: Date;
  kind: CmeSessionKind;
  /** Pauses inside the session: the 16:15–16:30 ET pause, trade dates before 2021-06-28. */
  halts: readonly Interval[];
  /** Holiday or early-close name. */
  note: string | null;
}

export type CmeDayStatus = 'open' | 'early_close' | 'holiday_halt' | 'closed' | 'weekend';
export type DaySource = 'rule' | 'override' | null;

export interface CmeDay {
  tradeDate: string;
  weekday: number;
  status: CmeDayStatus;
  session: CmeSession | null;
  note: string | null;
  source: DaySource;
}

export interface NyseSession {
  date: string;
  open: Date;
  close: Date;
  earlyClose: boolean;
}

export type NyseDayStatus = 'open' | 'early_close' | 'closed' | 'weekend';

export interface NyseDay {
  date: string;
  weekday: number;
  status: NyseDayStatus;
  session: NyseSession | null;
  note: string | null;
  source: DaySource;
}

export interface MarketCalendar {
  /** Effective overrides (built-in merged with config), sorted by date. */
  readonly overrides: readonly CalendarOverride[];
  cmeDay(tradeDate: string): CmeDay;
  /** The CME equity session of a trade date, or null when there is none. */
  cmeSession(tradeDate: string): CmeSession | null;
  nyseDay(date: string): NyseDay;
  /** The NYSE cash session of a date, or null when the NYSE is closed. */
  nyseSession(date: string): NyseSession | null;
}

const PAUSE_ABOLISHED = '2021-06-28';
const TIME_RE = /^([01]\d|2[0-3]):[0-5]\d$/;

function checkOverride(o: CalendarOverride, index: number): void {
  const where = `calendar override #${index + 1} (${o.date})`;
  if (!isInputDate(o.date)) {
    throw new RangeError(
      `${where}: date must be a real YYYY-MM-DD date in ${INPUT_YEARS.first}–${INPUT_YEARS.last}`,
    );
  }
  const wd = weekdayOf(o.date);
  if (wd === 0 || wd === 6)
    throw new RangeError(`${where}: ${o.date} is a weekend day; both markets are closed anyway`);
  for (const [key, value] of [
    ['cmeClose', o.cmeClose],
    ['nyseClose', o.nyseClose],
  ] as const) {
    if (value !== undefined && !TIME_RE.test(value)) throw new RangeError(`${where}: ${key} must be HH:MM`);
  }
  if (o.cmeClose !== undefined && (o.kind === 'closed' || o.kind === 'open')) {
    throw new RangeError(`${where}: cmeClose only applies to kind 'holiday' or 'early_close'`);
  }
  if (o.nyseClose !== undefined && o.kind !== 'early_close') {
    throw new RangeError(`${where}: nyseClose only applies to kind 'early_close'`);
  }
}

function makeCmeSession(d: string, kind: CmeSessionKind, closeTime: string, note: string | null): CmeSession {
  const halts: Interval[] = [];
  if (kind === 'regular' && d < PAUSE_ABOLISHED) {
    halts.push({ start: etInstant(d, '16:15'), end: etInstant(d, '16:30') });
  }
  return {
    tradeDate: d,
    open: etInstant(addDays(d, -1), '18:00'),
    close: etInstant(d, closeTime),
    kind,
    halts,
    note,
  };
}

type CmeDayBase = Pick<CmeDay, 'tradeDate' | 'weekday'>;

/** The CME day an override sets. */
function cmeDayFromOverride(base: CmeDayBase, o: CalendarOverride): CmeDay {
  const d = base.tradeDate;
  const note = o.note || null;
  switch (o.kind) {
    case 'closed':
      return { ...base, status: 'closed', session: null, note, source: 'override' };
    case 'holiday':
      return {
        ...base,
        status: 'holiday_halt',
        session: makeCmeSession(d, 'holiday', o.cmeClose ?? '13:00', note),
        note,
        source: 'override',
      };
    case 'early_close':
      return {
        ...base,
        status: 'early_close',
        session: makeCmeSession(d, 'early_close', o.cmeClose ?? '13:15', note),
        note,
        source: 'override',
      };
    case 'open':
      return {
        ...base,
        status: 'open',
        session: makeCmeSession(d, 'regular', '17:00', null),
        note,
        source: 'override',
      };
  }
}

/** The CME day of a weekday without an override: the NYSE holiday and early-close rules. */
function cmeDayFromRules(base: CmeDayBase): CmeDay {
  const d = base.tradeDate;
  const holiday = nyseHolidayOn(d);
  if (holiday?.cme === 'closed') {
    return { ...base, status: 'closed', session: null, note: holiday.name, source: 'rule' };
  }
  if (holiday) {
    return {
      ...base,
      status: 'holiday_halt',
      session: makeCmeSession(d, 'holiday', '13:00', holiday.name),
      note: holiday.name,
      source: 'rule',
    };
  }
  const early = nyseEarlyCloseOn(d);
  if (early) {
    return {
      ...base,
      status: 'early_close',
      session: makeCmeSession(d, 'early_close', '13:15', early.name),
      note: early.name,
      source: 'rule',
    };
  }
  return {
    ...base,
    status: 'open',
    session: makeCmeSession(d, 'regular', '17:00', null),
    note: null,
    source: null,
  };
}

function computeCmeDay(d: string, byDate: ReadonlyMap<string, CalendarOverride>): CmeDay {
  const base = { tradeDate: d, weekday: weekdayOf(d) };
  if (base.weekday === 0 || base.weekday === 6)
    return { ...base, status: 'weekend', session: null, note: null, source: null };
  const o = byDate.get(d);
  return o ? cmeDayFromOverride(base, o) : cmeDayFromRules(base);
}

function makeNyseSession(d: string, closeTime: string, earlyClose: boolean): NyseSession {
  return { date: d, open: etInstant(d, '09:30'), close: etInstant(d, closeTime), earlyClose };
}

/** The NYSE day an override sets; the rule's holiday or early-close name is kept when there is one. */
function nyseDayFromOverride(base: Pick<NyseDay, 'date' | 'weekday'>, o: CalendarOverride): NyseDay {
  const d = base.date;
  switch (o.kind) {
    case 'closed':
    case 'holiday':
      return {
        ...base,
        status: 'closed',
        session: null,
        note: nyseHolidayOn(d)?.name ?? (o.note || null),
        source: 'override',
      };
    case 'early_close':
      return {
        ...base,
        status: 'early_close',
        session: makeNyseSession(d, o.nyseClose ?? '13:00', true),
        note: nyseEarlyCloseOn(d)?.name ?? (o.note || null),
        source: 'override',
      };
    case 'open':
      return {
        ...base,
        status: 'open',
        session: makeNyseSession(d, '16:00', false),
        note: o.note || null,
        source: 'override',
      };
  }
}

function computeNyseDay(d: string, byDate: ReadonlyMap<string, CalendarOverride>): NyseDay {
  const base = { date: d, weekday: weekdayOf(d) };
  if (base.weekday === 0 || base.weekday === 6)
    return { ...base, status: 'weekend', session: null, note: null, source: null };
  const o = byDate.get(d);
  if (o) return nyseDayFromOverride(base, o);
  const holiday = nyseHolidayOn(d);
  if (holiday) return { ...base, status: 'closed', session: null, note: holiday.name, source: 'rule' };
  const early = nyseEarlyCloseOn(d);
  if (early) {
    return {
      ...base,
      status: 'early_close',
      session: makeNyseSession(d, '13:00', true),
      note: early.name,
      source: 'rule',
    };
  }
  return { ...base, status: 'open', session: makeNyseSession(d, '16:00', false), note: null, source: null };
}

/** A per-date memo of `compute`, bounded so a long-running process does not grow it without end. */
function memoByDate<T>(compute: (d: string) => T): (d: string) => T {
  const cache = new Map<string, T>();
  return (d) => {
    const hit = cache.get(d);
    if (hit) return hit;
    if (!isIsoDate(d)) throw new RangeError(`not a date (YYYY-MM-DD): '${d}'`);
    const value = compute(d);
    if (cache.size > 20_000) cache.clear();
    cache.set(d, value);
    return value;
  };
}

/**
 * A calendar with the built-in overrides plus `extra` (config); an extra entry replaces a built-in
 * one for the same date. Throws RangeError naming the bad entry.
 */
export function createCalendar(extra: readonly CalendarOverride[] = []): MarketCalendar {
  extra.forEach(checkOverride);
  const byDate = new Map<string, CalendarOverride>();
  for (const o of BUILTIN_OVERRIDES) byDate.set(o.date, o);
  for (const o of extra) byDate.set(o.date, o);
  const overrides = [...byDate.values()].sort((a, b) => (a.date < b.date ? -1 : 1));
  const cmeDay = memoByDate((d) => computeCmeDay(d, byDate));
  const nyseDay = memoByDate((d) => computeNyseDay(d, byDate));
  return {
    overrides,
    cmeDay,
    cmeSession: (d) => cmeDay(d).session,
    nyseDay,
    nyseSession: (d) => nyseDay(d).session,
  };
}

let builtin: MarketCalendar | undefined;

/** The calendar with only the built-in overrides (shared, lazily built). */
export function defaultCalendar(): MarketCalendar {
  builtin ??= createCalendar();
  return builtin;
}

// ---------------------------------------------------------------------------------------------
// Instant queries

export type Segment = 'overnight' | 'rth' | 'post';
export type CmeClosedReason = 'halt' | 'weekend' | 'holiday' | 'early_close' | 'closed';

export interface CmeStatus {
  at: Date;
  open: boolean;
  /** 'open', or why the market is closed ('closed' = an override closed an otherwise open day). */
  reason: 'open' | CmeClosedReason;
  /** Trade date of the session in progress, or of the next session when closed. */
  tradeDate: string;
  segment: Segment | null;
  /** When closed: the next instant trading starts. */
  nextOpen?: Date;
  /** When open: the next instant trading stops (session close or an intra-session pause). */
  closesAt?: Date;
  /** Holiday or early-close name relevant to the answer. */
  note: string | null;
}

const MIN_1700 = 17 * 60;
const MIN_1800 = 18 * 60;

/** Segment by ET wall time alone: overnight 18:00–09:30, rth 09:30–16:00, post 16:00–17:00. */
export function segmentOfTime(minuteOfDay: number): Segment | null {
  if (minuteOfDay >= MIN_1800 || minuteOfDay < 9 * 60 + 30) return 'overnight';
  if (minuteOfDay < 16 * 60) return 'rth';
  if (minuteOfDay < MIN_1700) return 'post';
  return null;
}

/** The trade date whose regular session window [D-1 18:00, D 18:00) contains the instant's ET wall time. */
function nominalTradeDate(at: Date): { date: string; minuteOfDay: number; etDate: string } {
  const p = etParts(at);
  return {
    date: p.minuteOfDay >= MIN_1800 ? addDays(p.date, 1) : p.date,
    minuteOfDay: p.minuteOfDay,
    etDate: p.date,
  };
}

/** First CME session whose open is after `at` (searches up to 30 days ahead). */
function nextCmeSession(at: Date, fromTradeDate: string, calendar: MarketCalendar): CmeSession {
  for (let i = 0; i < 30; i++) {
    const s = calendar.cmeSession(addDays(fromTradeDate, i));
    if (s && s.open.getTime() > at.getTime()) return s;
  }
  throw new RangeError(`no CME equity session within 30 days after ${at.toISOString()}`);
}

/** Is CME Globex equity open at `at`; if not, why, and when does it reopen. */
export function cmeStatusAt(at: Date, calendar: MarketCalendar = defaultCalendar()): CmeStatus {
  const { date: d, minuteOfDay, etDate } = nominalTradeDate(at);
  const ms = at.getTime();
  const session = calendar.cmeSession(d);
  if (session && ms >= session.open.getTime() && ms < session.close.getTime()) {
    const pause = session.halts.find((h) => ms >= h.start.getTime() && ms < h.end.getTime());
    if (pause) {
      return {
        at,
        open: false,
        reason: 'halt',
        tradeDate: d,
        segment: null,
        nextOpen: pause.end,
        note: null,
      };
    }
    const nextPause = session.halts.find((h) => h.start.getTime() > ms);
    return {
      at,
      open: true,
      reason: 'open',
      tradeDate: d,
      segment: segmentOfTime(minuteOfDay),
      closesAt: nextPause ? nextPause.start : session.close,
      note: session.note,
    };
  }
  const next = nextCmeSession(at, d, calendar);
  const closed = (reason: CmeClosedReason, note: string | null): CmeStatus => ({
    at,
    open: false,
    reason,
    tradeDate: next.tradeDate,
    segment: null,
    nextOpen: next.open,
    note,
  });
  const wd = weekdayOf(d);
  if (wd === 0 || wd === 6 || (wd === 5 && etDate === d && minuteOfDay >= MIN_1700))
    return closed('weekend', null);
  const day = calendar.cmeDay(d);
  if (!session) return closed(day.source === 'override' ? 'closed' : 'holiday', day.note);
  const regularClose = etInstant(d, '17:00').getTime();
  if (session.close.getTime() < regularClose) {
    return closed(session.kind === 'early_close' ? 'early_close' : 'holiday', session.note);
  }
  return closed('halt', null);
}

/** The CME trade date of `at` (the 18:00 ET open starts the next one); the next session's when closed. */
export function tradeDateOf(at: Date, calendar: MarketCalendar = defaultCalendar()): string {
  return cmeStatusAt(at, calendar).tradeDate;
}

/** Session segment of `at` while CME equity trades, else null. */
export function segmentOf(at: Date, calendar: MarketCalendar = defaultCalendar()): Segment | null {
  return cmeStatusAt(at, calendar).segment;
}

function* datesBetween(from: string, to: string): Generator<string> {
  const n = daysBetween(from, to);
  if (n < 0) throw new RangeError(`'${from}' is after '${to}'`);
  for (let i = 0; i <= n; i++) yield addDays(from, i);
}

/** One CmeDay per calendar date in [from, to] (weekends included, status 'weekend'). */
export function cmeSessions(
  from: string,
  to: string,
  calendar: MarketCalendar = defaultCalendar(),
): CmeDay[] {
  return [...datesBetween(from, to)].map((d) => calendar.cmeDay(d));
}

/** One NyseDay per calendar date in [from, to]. */
export function nyseSessions(
  from: string,
  to: string,
  calendar: MarketCalendar = defaultCalendar(),
): NyseDay[] {
  return [...datesBetween(from, to)].map((d) => calendar.nyseDay(d));
}

export function nyseSession(date: string, calendar: MarketCalendar = defaultCalendar()): NyseSession | null {
  return calendar.nyseSession(date);
}

export interface NyseStatus {
  at: Date;
  open: boolean;
  /** The ET date of `at`. */
  date: string;
  /** That date's session (null when the NYSE does not open that day). */
  session: NyseSession | null;
}

export function nyseStatusAt(at: Date, calendar: MarketCalendar = defaultCalendar()): NyseStatus {
  const date = etParts(at).date;
  const session = calendar.nyseSession(date);
  const ms = at.getTime();
  const open = session !== null && ms >= session.open.getTime() && ms < session.close.getTime();
  return { at, open, date, session };
}

/** The close of the last NYSE session that closed strictly before `at` (16:00, or 13:00 on half-days). */
export function previousNyseClose(
  at: Date,
  calendar: MarketCalendar = defaultCalendar(),
): { date: string; close: Date } {
  const start = etParts(at).date;
  for (let i = 0; i < 30; i++) {
    const s = calendar.nyseSession(addDays(start, -i));
    if (s && s.close.getTime() < at.getTime()) return { date: s.date, close: s.close };
  }
  throw new RangeError(`no NYSE session within 30 days before ${at.toISOString()}`);
}

/** The first NYSE open at or after `at`. */
export function nextNyseOpen(
  at: Date,
  calendar: MarketCalendar = defaultCalendar(),
): { date: string; open: Date } {
  const start = etParts(at).date;
  for (let i = 0; i < 30; i++) {
    const s = calendar.nyseSession(addDays(start, i));
    if (s && s.open.getTime() >= at.getTime()) return { date: s.date, open: s.open };
  }
  throw new RangeError(`no NYSE session within 30 days after ${at.toISOString()}`);
}
