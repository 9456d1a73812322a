import { addDays, etParts, etWallTime } from '../market/zoned.js';

/** The session instants and segments the signals reason in, on the one ET library (market/zoned). */

/** T_ref: 16:00 ET on the previous NYSE session, 13:00 ET on a half-day (research §3.2). */
export function referenceInstant(sessionDate: string, earlyClose: boolean): Date {
  return etWallTime(sessionDate, earlyClose ? 13 : 16);
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
  return segmentAtMinute(etParts(instant).minuteOfDay, earlyClose);
}

/** The next 18:00 ET strictly after `instant` (the CME reopen that starts a new trade date). */
export function nextReopen(instant: Date): Date {
  const { date } = etParts(instant);
  const today = etWallTime(date, 18);
  return today.getTime() > instant.getTime() ? today : etWallTime(addDays(date, 1), 18);
}
