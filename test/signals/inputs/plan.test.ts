import { describe, expect, it } from 'vitest';
import { defaultCalendar } from '../../../src/market/index.js';
import { planPremarket, regimeReference } from '../../../src/signals/inputs/index.js';
import { loaderOptions } from './options.js';

describe('reference time', () => {
  it('is 13:00 ET after a half-day (Black Friday 2025)', () => {
    const plan = planPremarket(new Date('2025-12-01T14:25:00Z'), loaderOptions());
    expect(plan.reference).toEqual({
      sessionDate: '2025-11-28',
      earlyClose: true,
      at: new Date('2025-11-28T18:00:00Z'),
    });
  });

  it('skips a holiday Monday (MLK 2026): Tuesday refers to Friday', () => {
    const plan = planPremarket(new Date('2026-01-20T14:25:00Z'), loaderOptions());
    expect(plan.sessionDate).toBe('2026-01-20');
    expect(plan.reference.sessionDate).toBe('2026-01-16');
    expect(plan.reference.at).toEqual(new Date('2026-01-16T21:00:00Z'));
    // during the holiday's CME session the regime still measures against Friday's close
    expect(regimeReference(new Date('2026-01-19T15:00:00Z'), defaultCalendar()).date).toBe('2026-01-16');
    // after the 18:00 reopen on Monday evening too (no NYSE session on Monday)
    expect(regimeReference(new Date('2026-01-20T00:30:00Z'), defaultCalendar()).date).toBe('2026-01-16');
    // a premarket check on the evening before is for the next session
    expect(planPremarket(new Date('2026-01-20T01:00:00Z'), loaderOptions()).sessionDate).toBe('2026-01-20');
  });

  it('regime references move at the 18:00 ET reopen, not at 16:00', () => {
    const cal = defaultCalendar();
    expect(regimeReference(new Date('2026-03-10T20:30:00Z'), cal).date).toBe('2026-03-09'); // 16:30 EDT Tue
    expect(regimeReference(new Date('2026-03-10T22:30:00Z'), cal).date).toBe('2026-03-10'); // 18:30 EDT Tue
    expect(regimeReference(new Date('2026-03-10T14:00:00Z'), cal).date).toBe('2026-03-09'); // 10:00 EDT Tue
  });
});
