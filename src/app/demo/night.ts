import { UsageError } from '../../core/errors.js';
import { addDays, cmeSessions, etInstant, etParts, nyseSession } from '../../market/index.js';

/** The latest NYSE session date on or before `today` whose preceding CME evening session exists. */
export function demoSessionDate(now: Date, explicit?: string): string {
  const today = etParts(now).date;
  let date = explicit ?? today;
  for (let i = 0; i < 10; i++) {
    if (nyseSession(date)) return date;
    if (explicit)
      throw new UsageError(`--date ${explicit} is not an NYSE session day.`, {
        hint: 'Pick a weekday that is not an exchange holiday, e.g. the previous business day.',
      });
    date = addDays(date, -1);
  }
  throw new UsageError(`no NYSE session found in the 10 days before ${today}.`);
}

/** 18:00 ET the evening before (Sunday for a Monday) → 09:25 ET on the session date. */
export function demoNight(sessionDate: string): { from: Date; to: Date } {
  const session = cmeSessions(sessionDate, sessionDate)[0];
  const from = session?.session?.open ?? etInstant(addDays(sessionDate, -1), '18:00');
  return { from, to: etInstant(sessionDate, '09:25') };
}
