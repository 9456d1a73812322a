import { UsageError } from '../../core/errors.js';
import {
  addDays,
  cmeSessions,
  etInstant,
  etParts,
  formatEtIso,
  isIsoDate,
  nyseSession,
} from '../../market/index.js';

/** The demo's night ends at 09:25 ET on the session date, when both signals are taken. */
export const DEMO_AS_OF = '09:25';

/**
 * The latest NYSE session date whose night is over at `now` (09:25 ET has passed), so the demo works at
 * any hour: before 09:25 ET, and on weekends and holidays, it is an earlier session. An explicit date must
 * be a session whose night is over.
 */
export function demoSessionDate(now: Date, explicit?: string): string {
  if (explicit !== undefined) {
    if (!isIsoDate(explicit)) throw new UsageError(`--date ${explicit} is not a date (YYYY-MM-DD).`);
    if (!nyseSession(explicit))
      throw new UsageError(`--date ${explicit} is not an NYSE session day.`, {
        hint: 'Pick a weekday that is not an exchange holiday, e.g. the previous business day.',
      });
    if (etInstant(explicit, DEMO_AS_OF).getTime() > now.getTime())
      throw new UsageError(
        `--date ${explicit}: the night into it ends at ${formatEtIso(etInstant(explicit, DEMO_AS_OF))}, after now.`,
        { hint: 'Leave out --date for the latest complete night, or give an earlier session.' },
      );
    return explicit;
  }
  const today = etParts(now).date;
  let date = today;
  for (let i = 0; i < 15; i++) {
    if (nyseSession(date) && etInstant(date, DEMO_AS_OF).getTime() <= now.getTime()) return date;
    date = addDays(date, -1);
  }
  throw new UsageError(`no NYSE session found in the 15 days before ${today}.`);
}

/** 18:00 ET the evening before (Sunday for a Monday) → 09:25 ET on the session date. */
export function demoNight(sessionDate: string): { from: Date; to: Date } {
  const session = cmeSessions(sessionDate, sessionDate)[0];
  const from = session?.session?.open ?? etInstant(addDays(sessionDate, -1), '18:00');
  return { from, to: etInstant(sessionDate, DEMO_AS_OF) };
}
