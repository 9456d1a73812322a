import { describe, expect, it } from 'vitest';
import { demoNight, demoSessionDate } from '../../../src/app/demo/night.js';
import { UsageError } from '../../../src/core/errors.js';
import { addDays, cmeSessions, etInstant, etParts, nyseSession } from '../../../src/market/index.js';

/** Every 17 minutes (so each hour is hit at shifting minutes) for `days` days from `from` (UTC). */
function grid(from: string, days: number): Date[] {
  const out: Date[] = [];
  const start = Date.parse(from);
  for (let t = start; t < start + days * 86_400_000; t += 17 * 60_000) out.push(new Date(t));
  return out;
}

const WEEKS = {
  'spring DST change (Sun 2026-03-08)': grid('2026-03-05T00:00:00Z', 8),
  'fall DST change (Sun 2026-11-01)': grid('2026-10-29T00:00:00Z', 8),
  'Good Friday 2026-04-03': grid('2026-03-31T00:00:00Z', 7),
  'Thanksgiving 2026-11-26 and the half day after': grid('2026-11-23T00:00:00Z', 8),
  'Christmas and New Year': grid('2026-12-22T00:00:00Z', 15),
  'an ordinary week with its weekend': grid('2026-12-03T00:00:00Z', 8),
};

describe('demoSessionDate: the latest night that is over, at any wall-clock instant', () => {
  for (const [week, instants] of Object.entries(WEEKS)) {
    it(week, () => {
      for (const now of instants) {
        const date = demoSessionDate(now);
        const where = `${now.toISOString()} → ${date}`;
        expect(nyseSession(date), where).not.toBeNull();
        const night = demoNight(date);
        // The night is over (its signals are taken at 09:25 ET, not in the future) and is a real CME session.
        expect(night.to.getTime(), where).toBeLessThanOrEqual(now.getTime());
        expect(cmeSessions(date, date)[0]?.session?.open.getTime(), where).toBe(night.from.getTime());
        expect(night.to.getTime() - night.from.getTime(), where).toBeGreaterThan(15 * 3600_000);
        // ... and no later session's night is over yet.
        for (let d = addDays(date, 1); d <= etParts(now).date; d = addDays(d, 1))
          if (nyseSession(d))
            expect(etInstant(d, '09:25').getTime(), `${where}, ${d}`).toBeGreaterThan(now.getTime());
      }
    });
  }

  it('switches to the new session at 09:25 ET exactly', () => {
    expect(demoSessionDate(new Date('2026-12-07T14:24:59Z'))).toBe('2026-12-04'); // Monday 09:24:59 ET
    expect(demoSessionDate(new Date('2026-12-07T14:25:00Z'))).toBe('2026-12-07');
    expect(demoSessionDate(new Date('2026-12-07T05:00:00Z'))).toBe('2026-12-04'); // Monday 00:00 ET
    expect(demoSessionDate(new Date('2026-11-27T14:30:00Z'))).toBe('2026-11-27'); // half day after Thanksgiving
    expect(demoSessionDate(new Date('2026-11-26T20:00:00Z'))).toBe('2026-11-25'); // Thanksgiving
  });

  it('an explicit --date must be a session whose night is over', () => {
    const now = new Date('2026-12-07T12:00:00Z'); // Monday 07:00 ET
    expect(demoSessionDate(now, '2026-11-20')).toBe('2026-11-20');
    expect(() => demoSessionDate(now, '2026-12-07')).toThrow(/ends at .* after now/);
    expect(() => demoSessionDate(now, '2026-12-05')).toThrow(/not an NYSE session/);
    expect(() => demoSessionDate(now, '2026-02-30')).toThrow(UsageError);
  });
});
