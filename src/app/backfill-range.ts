import { addDays, type MarketCalendar } from '../market/index.js';

/**
 * `backfill --days n`: the last n CME trade dates up to `to` whose session has opened by `now` (today's
 * counts once its session began at 18:00 ET the evening before). Counting trade dates, not calendar
 * days: on a Sunday `--days 2` is Thursday and Friday, not Saturday and Sunday.
 */
export function lastTradeDates(
  to: string,
  n: number,
  now: Date,
  calendar: MarketCalendar,
): { from: string; to: string } {
  const dates: string[] = [];
  // Holidays and weekends never make a run of more than a few dates without a session.
  for (let d = to, i = 0; dates.length < n && i < n * 2 + 14; d = addDays(d, -1), i++) {
    const session = calendar.cmeSession(d);
    if (session && session.open.getTime() <= now.getTime()) dates.push(d);
  }
  const newest = dates[0];
  const oldest = dates[dates.length - 1];
  return newest === undefined || oldest === undefined ? { from: to, to } : { from: oldest, to: newest };
}
