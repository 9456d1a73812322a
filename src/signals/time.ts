import { TZDate, tzOffset } from '@date-fns/tz';

/** All wall-clock logic of the signals runs in New York time; instants stay UTC `Date`s. */
export const NEW_YORK = 'America/New_York';
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export interface NyParts {
  date: string;
  /** Minutes since New York midnight, 0..1439. */
  minuteOfDay: number;
  /** 0 = Sunday. */
  weekday: number;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

export function nyParts(instant: Date): NyParts {
  const d = new TZDate(instant.getTime(), NEW_YORK);
  return {
    date: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
    minuteOfDay: d.getHours() * 60 + d.getMinutes(),
    weekday: d.getDay(),
  };
}

/** The instant of a New York wall-clock time on a calendar date. */
export function nyWallTime(date: string, hour: number, minute = 0): Date {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(new TZDate(y ?? 0, (m ?? 1) - 1, d ?? 1, hour, minute, 0, NEW_YORK).getTime());
}

/** T_ref: 16:00 ET on the previous NYSE session, 13:00 ET on a half-day (research §3.2). */
export function referenceInstant(sessionDate: string, earlyClose: boolean): Date {
  return nyWallTime(sessionDate, earlyClose ? 13 : 16);
}

export function calendarDaysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

export function addCalendarDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

export function weekdayOf(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

export type Segment = 'overnight' | 'rth' | 'post' | 'halt';

const RTH_OPEN = 9 * 60 + 30;
const RTH_CLOSE = 16 * 60;
const RTH_CLOSE_EARLY = 13 * 60;
const HALT_START = 17 * 60;
const REOPEN = 18 * 60;

/** CME equity segment by New York time of day (weekends and holidays are the calendar's job). */
export function segmentAtMinute(minuteOfDay: number, earlyClose = false): Segment {
  const close = earlyClose ? RTH_CLOSE_EARLY : RTH_CLOSE;
  if (minuteOfDay >= RTH_OPEN && minuteOfDay < close) return 'rth';
  if (minuteOfDay >= close && minuteOfDay < HALT_START) return 'post';
  if (minuteOfDay >= HALT_START && minuteOfDay < REOPEN) return 'halt';
  return 'overnight';
}

export function segmentAt(instant: Date, earlyClose = false): Segment {
  return segmentAtMinute(nyParts(instant).minuteOfDay, earlyClose);
}

/** The next 18:00 ET strictly after `instant` (the CME reopen that starts a new trade date). */
export function nextReopen(instant: Date): Date {
  const { date } = nyParts(instant);
  const today = nyWallTime(date, 18);
  return today.getTime() > instant.getTime() ? today : nyWallTime(addCalendarDays(date, 1), 18);
}

/**
 * New York minute-of-day for each whole minute in [end − minutes, end). The UTC offset is looked up
 * per minute only when the window straddles a DST change.
 */
export function nyMinutesOfWindow(end: Date, minutes: number): number[] {
  const endMs = Math.floor(end.getTime() / MINUTE_MS) * MINUTE_MS;
  const startMs = endMs - minutes * MINUTE_MS;
  const offStart = tzOffset(NEW_YORK, new Date(startMs));
  const offEnd = tzOffset(NEW_YORK, new Date(endMs));
  const out: number[] = [];
  for (let ms = startMs; ms < endMs; ms += MINUTE_MS) {
    const offset = offStart === offEnd ? offStart : tzOffset(NEW_YORK, new Date(ms));
    const local = ms / MINUTE_MS + offset;
    out.push(((local % 1440) + 1440) % 1440);
  }
  return out;
}
