import { describe, expect, it } from 'vitest';
import { backAdjustedCloses } from '../../../src/signals/inputs/index.js';

describe('daily closes', () => {
  it('ratio back-adjusts daily closes at a contract change', () => {
    const { closes, rolls } = backAdjustedCloses(
      [
        { date: '2026-03-09', conId: 1, close: 100 },
        { date: '2026-03-10', conId: 1, close: 101 },
        { date: '2026-03-11', conId: 1, close: 102 },
        { date: '2026-03-11', conId: 2, close: 103.02 },
        { date: '2026-03-12', conId: 2, close: 104 },
      ],
      2,
    );
    expect(rolls).toEqual([{ date: '2026-03-11', from: 1, to: 2, k: 1.01 }]);
    expect(closes.map((c) => c.date)).toEqual(['2026-03-09', '2026-03-10', '2026-03-11', '2026-03-12']);
    expect(closes[0]!.close).toBeCloseTo(101, 9);
    expect(closes[1]!.close).toBeCloseTo(102.01, 9);
    expect(closes[2]!.close).toBe(103.02);
    // percentage returns survive the roll
    expect(closes[1]!.close / closes[0]!.close).toBeCloseTo(1.01, 12);
  });
});
