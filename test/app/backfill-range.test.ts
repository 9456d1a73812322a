import { describe, expect, it } from 'vitest';
import { lastTradeDates } from '../../src/app/backfill-range.js';
import { defaultCalendar, tradeDateOf } from '../../src/market/index.js';

const calendar = defaultCalendar();
const range = (iso: string, n: number) => {
  const now = new Date(iso);
  return lastTradeDates(tradeDateOf(now, calendar), n, now, calendar);
};

describe('backfill --days counts CME trade dates', () => {
  it('on a Sunday morning --days 2 is Thursday and Friday, not the weekend', () => {
    expect(range('2026-12-06T15:00:00Z', 2)).toEqual({ from: '2026-12-03', to: '2026-12-04' });
  });

  it("today's trade date counts once its session opened (Sunday 18:00 ET for Monday)", () => {
    expect(range('2026-12-06T23:30:00Z', 1)).toEqual({ from: '2026-12-07', to: '2026-12-07' });
    expect(range('2026-12-08T15:00:00Z', 1)).toEqual({ from: '2026-12-08', to: '2026-12-08' });
  });

  it('--days 5 over a weekend spans a full week of sessions', () => {
    expect(range('2026-12-08T15:00:00Z', 5)).toEqual({ from: '2026-12-02', to: '2026-12-08' });
  });

  it('skips a date without a CME session (Christmas)', () => {
    const r = range('2026-12-28T15:00:00Z', 3);
    expect(calendar.cmeSession('2026-12-25')).toBeNull();
    expect(r).toEqual({ from: '2026-12-23', to: '2026-12-28' });
  });
});
