import { describe, expect, it } from 'vitest';
import { deriveRegime } from '../../src/signals/derived-regime.js';
import type { DailyClose } from '../../src/signals/types.js';
import { closesFromReturns, weekdaysBefore } from './fixtures.js';

const wiggle = (i: number, size: number) => (i % 2 === 0 ? size : -size);

function series(returns: (i: number) => number, n = 120): DailyClose[] {
  return closesFromReturns(weekdaysBefore('2025-06-11', n), 5000, returns);
}

describe('derived regime (research §4.5)', () => {
  it('needs 60 sessions', () => {
    const r = deriveRegime(series(() => 0.001, 59));
    expect(r).toMatchObject({ value: null, sessions: 59 });
    expect(r.reason).toMatch(/needs 60/);
  });

  it('a steady low-vol uptrend is bullish', () => {
    const r = deriveRegime(series((i) => 0.003 + wiggle(i, 0.002)));
    expect(r.value).toBe('bullish');
    expect(r.features).toMatchObject({ trend: 3, classification: 'bullish' });
    expect(r.features!.rv20).toBeLessThan(0.25);
    expect(r.features!.drawdown).toBeGreaterThan(-0.08);
  });

  it('a grinding downtrend past −8 % is bearish', () => {
    const r = deriveRegime(series((i) => (i < 60 ? wiggle(i, 0.003) : -0.004 + wiggle(i, 0.002))));
    expect(r.value).toBe('bearish');
    expect(r.features!.trend).toBeLessThanOrEqual(-2);
    expect(r.features!.drawdown).toBeLessThanOrEqual(-0.08);
  });

  it('a downtrend needs the VIX ≥ 25 clause when drawdown and vol are mild', () => {
    const closes = series((i) => (i < 100 ? wiggle(i, 0.003) : -0.0025));
    const calm = deriveRegime(closes);
    expect(calm.features!.drawdown).toBeGreaterThan(-0.08);
    expect(calm.features!.classification).toBe('neutral');
    const vix = closes.map((c) => ({ date: c.date, close: 27 }));
    expect(deriveRegime(closes, vix).features!.classification).toBe('bearish');
  });

  it('a −20 % drawdown is bearish whatever the trend', () => {
    const r = deriveRegime(series((i) => (i === 110 ? -0.25 : wiggle(i, 0.002))));
    expect(r.features!.drawdown).toBeLessThanOrEqual(-0.2);
    expect(r.features!.classification).toBe('bearish');
  });

  it('chop is neutral and SMA200 enters from 200 sessions', () => {
    expect(deriveRegime(series((i) => wiggle(i, 0.004))).value).toBe('neutral');
    expect(deriveRegime(series((i) => wiggle(i, 0.004), 200)).features!.sma200).not.toBeNull();
    expect(deriveRegime(series((i) => wiggle(i, 0.004), 199)).features!.sma200).toBeNull();
  });

  it('switches only after 3 agreeing days (2 in fast markets), checked on every prefix', () => {
    const closes = series((i) => {
      if (i < 80) return 0.003 + wiggle(i, 0.002);
      if (i < 110) return -0.012 + wiggle(i, 0.004);
      return 0.008 + wiggle(i, 0.002);
    }, 150);
    let previous: string | null = null;
    const classes: string[] = [];
    let switches = 0;
    for (let n = 60; n <= closes.length; n++) {
      const r = deriveRegime(closes.slice(0, n));
      classes.push(r.features!.classification);
      if (previous !== null && r.value !== previous) {
        switches++;
        const needed = r.features!.drawdown <= -0.15 || r.features!.rv20 >= 0.35 ? 2 : 3;
        expect(classes.slice(-needed).every((c) => c === r.value)).toBe(true);
        expect(r.since).toBe(closes[n - 1]!.date);
      }
      if (r.value === previous && r.pending !== null) expect(r.pending.count).toBeLessThan(r.pending.needed);
      previous = r.value;
    }
    expect(switches).toBeGreaterThanOrEqual(2);
  });

  it('a one-day blip does not switch', () => {
    const closes = series((i) => 0.003 + wiggle(i, 0.002));
    const base = deriveRegime(closes);
    const blip = [...closes, { date: '2025-06-11', close: closes.at(-1)!.close * 0.78 }];
    const r = deriveRegime(blip);
    expect(r.features!.classification).toBe('bearish');
    expect(r.value).toBe(base.value);
    expect(r.pending).toMatchObject({ value: 'bearish', count: 1 });
  });
});
