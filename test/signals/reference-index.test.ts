import { describe, expect, it } from 'vitest';
import { etWallTime } from '../../src/market/zoned.js';
import { deriveRegime } from '../../src/signals/derived-regime.js';
import { computePremarket } from '../../src/signals/index.js';
import { elapsedVarianceShare } from '../../src/signals/measures.js';
import { referenceInstant } from '../../src/signals/sessions.js';
import type { DailyClose } from '../../src/signals/types.js';
import { premarketInputs } from './fixtures.js';

/**
 * Issue 24: the derived regime and realised σ from another index than ES (in ES terms), and M1's σ of
 * the time elapsed since the 16:00 reference, on fixed America/New_York clocks.
 */

/** Alternating ±1.75 % days (RV20 ≈ 28 %), a slow drift down at the end: bearish on vol alone in ES terms. */
function choppyDecline(): DailyClose[] {
  const out: DailyClose[] = [];
  let p = 100;
  for (let i = 0; i < 80; i++) {
    p *= Math.exp((i % 2 ? 1 : -1) * 0.0175 + (i > 55 ? -0.0012 : 0.0003));
    out.push({ date: new Date(Date.UTC(2022, 0, 3 + i)).toISOString().slice(0, 10), close: p });
  }
  return out;
}

describe('a reference index other than ES', () => {
  it('compares its RV20 and drawdown in ES terms (÷ its vol ratio)', () => {
    const closes = choppyDecline();
    const asEs = deriveRegime(closes, []);
    expect(asEs.features?.rv20).toBeGreaterThan(0.25);
    expect(asEs.features?.rv20).toBeLessThan(0.25 * 1.25);
    expect(asEs.value).toBe('bearish');
    // The same series as NQ (ratio 1.25): 28 % NQ vol is 23 % in ES terms, below the 25 % bear clause.
    expect(deriveRegime(closes, [], 1.25).value).toBe('neutral');
  });

  it('feeds the pre-market regime and names itself when ES has no closes', () => {
    const inputs = premarketInputs({ z: { NQ: -1.5 } });
    delete inputs.perIndex.ES;
    delete inputs.perIndex.RTY;
    const closes = choppyDecline();
    const doc = computePremarket({
      ...inputs,
      regimeOverride: undefined,
      referenceCloses: { symbol: 'NQ', closes, source: 'intraday' },
    });
    expect(doc.inputs.regime).toMatchObject({
      source: 'derived',
      value: 'neutral',
      closes: { symbol: 'NQ', source: 'intraday', sessions: 80, volScale: 1.25 },
    });
    expect(doc.reasons.some((r) => r.includes('from 80 NQ closes (intraday prices at the NYSE close)'))).toBe(
      true,
    );
    const none = computePremarket({ ...inputs, regimeOverride: undefined });
    expect(none.inputs.regime.closes).toMatchObject({ symbol: 'ES', source: null, sessions: 0 });
    expect(none.inputs.regime.source).toBe('default');
  });
});

describe('M1: the σ expected since the reference', () => {
  const F = 0.35;
  const night = (minutes: number) => (F * minutes) / 990;

  it('at 09:25 on a weekday: the post-close hour and the night since the 18:00 reopen', () => {
    const ref = referenceInstant('2025-06-10', false);
    expect(elapsedVarianceShare(etWallTime('2025-06-11', 9, 25), ref, F, false)).toBeCloseTo(
      night(60 + 925),
      12,
    );
  });

  it('on a Monday counts the weekend from the Sunday reopen, across the spring DST change', () => {
    const ref = referenceInstant('2026-03-06', false); // Fri 16:00 EST
    const monday = etWallTime('2026-03-09', 9, 25); // EDT
    expect(elapsedVarianceShare(monday, ref, F, false)).toBeCloseTo(night(60 + 925), 12);
  });

  it('after a half-day reference and into RTH; capped at one day', () => {
    const ref = referenceInstant('2025-11-28', true); // Fri 13:00 EST
    const share = elapsedVarianceShare(etWallTime('2025-12-01', 10, 0), ref, F, false);
    expect(share).toBeCloseTo(night(60 + 930) + (0.65 * 30) / 390, 12);
    const full = elapsedVarianceShare(
      etWallTime('2025-06-11', 16, 0),
      referenceInstant('2025-06-10', false),
      F,
      false,
    );
    expect(full).toBeLessThanOrEqual(1);
    expect(full).toBeGreaterThan(0.99);
    expect(elapsedVarianceShare(etWallTime('2025-06-11', 9, 25), undefined, F, false)).toBe(1);
  });
});
