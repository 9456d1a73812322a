import { describe, expect, it } from 'vitest';
import {
  biasDirection,
  firstBreach,
  type GradedCall,
  maxAdverseMove,
  naiveDirection,
  regress,
  scoreByGroup,
  scoreCalls,
  scoreEarlyWarning,
  sessionOutcome,
  wilsonInterval,
} from '../../src/signals/scorecard.js';

const at = (iso: string) => new Date(iso);

describe('wilsonInterval', () => {
  it('matches the textbook values', () => {
    const eight = wilsonInterval(8, 10);
    expect(eight?.low).toBeCloseTo(0.4902, 3);
    expect(eight?.high).toBeCloseTo(0.9433, 3);
    const none = wilsonInterval(0, 10);
    expect(none?.low).toBe(0);
    expect(none?.high).toBeCloseTo(0.2775, 3);
    expect(wilsonInterval(10, 10)?.high).toBeCloseTo(1, 12);
    expect(wilsonInterval(0, 0)).toBeNull();
  });
});

function call(direction: -1 | 0 | 1, openToClose: number | null, group = 'a'): GradedCall {
  return { group: { bias: group }, direction, openTo1000: openToClose, openToClose, maxAdverse: -0.001 };
}

describe('scoreCalls', () => {
  it('counts a hit when the open-to-close return has the call sign, and averages returns in its direction', () => {
    const score = scoreCalls({}, [
      call(-1, -0.01),
      call(-1, 0.02),
      call(1, 0.01),
      call(0, 0.05),
      call(1, null),
    ]);
    expect(score).toMatchObject({ count: 5, graded: 3, hits: 2 });
    expect(score.hitRate).toBeCloseTo(2 / 3);
    // In the call's direction: +0.01, −0.02, +0.01 (the neutral call and the missing outcome excluded).
    expect(score.meanReturnToClose).toBeCloseTo(0);
    expect(score.meanMaxAdverse).toBeCloseTo(-0.001);
  });

  it('groups by the given keys in a stable order', () => {
    const groups = scoreByGroup(
      [call(1, 0.01, 'bull'), call(-1, -0.01, 'bear'), call(1, -0.01, 'bull')],
      ['bias'],
    );
    expect(groups.map((g) => [g.group.bias, g.count, g.hits])).toEqual([
      ['bear', 1, 1],
      ['bull', 2, 1],
    ]);
  });
});

describe('naiveDirection', () => {
  it('follows the overnight move only from 0.5 %', () => {
    expect(naiveDirection(-0.006)).toBe(-1);
    expect(naiveDirection(0.0051)).toBe(1);
    expect(naiveDirection(0.004)).toBe(0);
    expect(naiveDirection(null)).toBe(0);
  });
});

describe('scoreEarlyWarning', () => {
  const sessions = [
    { session: '2022-05-05', breachAt: at('2022-05-05T14:00:00Z') },
    { session: '2022-05-06', breachAt: at('2022-05-06T13:40:00Z') },
    { session: '2022-05-09', breachAt: null },
    { session: '2022-05-10', breachAt: null },
  ];
  const checks = [
    // Detected 60 minutes ahead.
    { at: at('2022-05-05T12:55:00Z'), session: '2022-05-05', alert: false },
    { at: at('2022-05-05T13:00:00Z'), session: '2022-05-05', alert: true },
    // Alerted only after the breach: a true alert session, not a detection.
    { at: at('2022-05-06T13:30:00Z'), session: '2022-05-06', alert: false },
    { at: at('2022-05-06T14:00:00Z'), session: '2022-05-06', alert: true },
    // Calm: one false alarm in four checks.
    { at: at('2022-05-09T13:00:00Z'), session: '2022-05-09', alert: true },
    { at: at('2022-05-09T13:05:00Z'), session: '2022-05-09', alert: false },
    { at: at('2022-05-10T13:00:00Z'), session: '2022-05-10', alert: false },
    { at: at('2022-05-10T13:05:00Z'), session: '2022-05-10', alert: false },
  ];

  it('computes precision, recall, lead time and the calm alert rate', () => {
    const score = scoreEarlyWarning(checks, sessions);
    expect(score).toMatchObject({
      sessions: 4,
      events: 2,
      alertSessions: 3,
      trueAlertSessions: 2,
      detected: 1,
      medianLeadMinutes: 60,
      calmChecks: 4,
      calmAlerts: 1,
      alertsPer20CalmChecks: 5,
    });
    expect(score.precision).toBeCloseTo(2 / 3);
    expect(score.recall).toBeCloseTo(0.5);
  });

  it('has no rates without their denominators', () => {
    const score = scoreEarlyWarning([], [{ session: '2022-05-09', breachAt: null }]);
    expect(score.precision).toBeNull();
    expect(score.recall).toBeNull();
    expect(score.medianLeadMinutes).toBeNull();
    expect(score.alertsPer20CalmChecks).toBeNull();
  });
});

describe('firstBreach', () => {
  it('finds the first price at least the drop below the reference', () => {
    const path = [
      { ts: at('2022-05-05T10:00:00Z'), price: 99 },
      { ts: at('2022-05-05T11:00:00Z'), price: 98 },
      { ts: at('2022-05-05T12:00:00Z'), price: 97 },
    ];
    expect(firstBreach(100, path, 0.02)).toEqual(at('2022-05-05T11:00:00Z'));
    expect(firstBreach(100, path, 0.05)).toBeNull();
  });
});

describe('regress', () => {
  it('recovers an exact line and its R²', () => {
    const fit = regress([0, 1, 2, 3].map((x) => ({ x, y: 2 * x + 1 })));
    expect(fit.slope).toBeCloseTo(2);
    expect(fit.intercept).toBeCloseTo(1);
    expect(fit.rSquared).toBeCloseTo(1);
  });

  it('gives no fit for fewer than three points or no spread in x', () => {
    expect(regress([{ x: 1, y: 1 }]).slope).toBeNull();
    expect(regress([1, 2, 3].map((y) => ({ x: 1, y }))).slope).toBeNull();
  });
});

describe('call outcomes', () => {
  it('reads a bias as a direction whatever its strength', () => {
    expect(['strong_bull', 'bull', 'lean_bull'].map(biasDirection)).toEqual([1, 1, 1]);
    expect(['strong_bear', 'bear', 'lean_bear'].map(biasDirection)).toEqual([-1, -1, -1]);
    expect(biasDirection('neutral')).toBe(0);
  });

  it('returns open-to-10:00 and open-to-close, null where a price is missing', () => {
    const o = sessionOutcome(100, 101, 98);
    expect(o.open).toBe(100);
    expect(o.openTo1000).toBeCloseTo(0.01, 12);
    expect(o.openToClose).toBeCloseTo(-0.02, 12);
    expect(sessionOutcome(null, 101, 98)).toEqual({ open: null, openTo1000: null, openToClose: null });
    expect(sessionOutcome(100, null, 98).openTo1000).toBeNull();
  });

  it('measures the worst move against the call, never positive', () => {
    const path = [{ price: 101 }, { price: 97 }, { price: 103 }];
    expect(maxAdverseMove(100, path, 1)).toBeCloseTo(-0.03, 12);
    expect(maxAdverseMove(100, path, -1)).toBeCloseTo(-0.03, 12);
    expect(maxAdverseMove(100, [{ price: 99 }], -1)).toBe(0);
    expect(maxAdverseMove(100, path, 0)).toBeNull();
    expect(maxAdverseMove(null, path, 1)).toBeNull();
  });
});
