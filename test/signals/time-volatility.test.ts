import { describe, expect, it } from 'vitest';
import { etMinutesOfWindow, etParts } from '../../src/market/zoned.js';
import { nextReopen, referenceInstant, segmentAt } from '../../src/signals/sessions.js';
import {
  blendSigma,
  ewmaVariance,
  gapFactor,
  minuteVarianceShare,
  realizedVolAnnual,
  sigmaDayFromVix,
  windowVarianceShare,
} from '../../src/signals/volatility.js';

describe('New York time helpers', () => {
  it('puts T_ref at 16:00 ET on both sides of the March DST change', () => {
    expect(referenceInstant('2025-03-07', false).toISOString()).toBe('2025-03-07T21:00:00.000Z');
    expect(referenceInstant('2025-03-10', false).toISOString()).toBe('2025-03-10T20:00:00.000Z');
  });

  it('puts T_ref at 13:00 ET on a half-day and across the November change', () => {
    expect(referenceInstant('2025-11-28', true).toISOString()).toBe('2025-11-28T18:00:00.000Z');
    expect(referenceInstant('2025-10-31', false).toISOString()).toBe('2025-10-31T20:00:00.000Z');
    expect(referenceInstant('2025-11-03', false).toISOString()).toBe('2025-11-03T21:00:00.000Z');
  });

  it('reads wall time and segment in New York', () => {
    expect(etParts(new Date('2025-03-10T13:25:00Z'))).toMatchObject({
      date: '2025-03-10',
      minuteOfDay: 565,
      weekday: 1,
    });
    expect(segmentAt(new Date('2025-03-10T13:29:00Z'))).toBe('overnight');
    expect(segmentAt(new Date('2025-03-10T13:30:00Z'))).toBe('rth');
    expect(segmentAt(new Date('2025-03-10T20:30:00Z'))).toBe('post');
    expect(segmentAt(new Date('2025-03-10T21:30:00Z'))).toBe('halt');
    expect(segmentAt(new Date('2025-11-28T18:30:00Z'), true)).toBe('post');
  });

  it('reads segments on the DST-change Sundays themselves (the 18:00 reopen, the overnight hours)', () => {
    // 2025-03-09: 01:59 EST is followed by 03:00 EDT; 18:00 EDT = 22:00Z
    expect(segmentAt(new Date('2025-03-09T06:59:00Z'))).toBe('overnight');
    expect(segmentAt(new Date('2025-03-09T21:59:00Z'))).toBe('halt');
    expect(segmentAt(new Date('2025-03-09T22:00:00Z'))).toBe('overnight');
    // 2025-11-02: 01:00–01:59 happens twice; 17:00 EST = 22:00Z, 18:00 EST = 23:00Z
    expect(segmentAt(new Date('2025-11-02T05:30:00Z'))).toBe('overnight');
    expect(segmentAt(new Date('2025-11-02T06:30:00Z'))).toBe('overnight');
    expect(segmentAt(new Date('2025-11-02T22:30:00Z'))).toBe('halt');
    expect(segmentAt(new Date('2025-11-02T23:00:00Z'))).toBe('overnight');
    expect(nextReopen(new Date('2025-03-09T12:00:00Z')).toISOString()).toBe('2025-03-09T22:00:00.000Z');
  });

  it('finds the next 18:00 ET reopen across the fall-back night', () => {
    expect(nextReopen(new Date('2025-11-01T23:00:00Z')).toISOString()).toBe('2025-11-02T23:00:00.000Z');
    expect(nextReopen(new Date('2025-11-02T23:00:00Z')).toISOString()).toBe('2025-11-03T23:00:00.000Z');
  });

  it('maps window minutes to New York minutes across the spring-forward jump', () => {
    // 2025-03-09 06:59Z = 01:59 EST, 07:00Z = 03:00 EDT
    expect(etMinutesOfWindow(new Date('2025-03-09T07:02:00Z'), 4)).toEqual([118, 119, 180, 181]);
  });

  it('maps window minutes across the fall-back repeat of 01:00–01:59', () => {
    // 2025-11-02 05:59Z = 01:59 EDT, 06:00Z = 01:00 EST
    expect(etMinutesOfWindow(new Date('2025-11-02T06:02:00Z'), 4)).toEqual([118, 119, 60, 61]);
  });
});

describe('volatility', () => {
  it('follows the rule of 16 and the research worked numbers (§3.3)', () => {
    expect(sigmaDayFromVix(16)).toBeCloseTo(0.01008, 5);
    const on = (vix: number) => sigmaDayFromVix(vix) * Math.sqrt(0.35);
    expect(on(12) * 100).toBeCloseTo(0.447, 2);
    expect(0.005 / on(12)).toBeCloseTo(1.12, 2);
    expect(0.005 / on(30)).toBeCloseTo(0.45, 2);
    expect(0.01 / on(20)).toBeCloseTo(1.34, 2);
  });

  it('blends VIX and realised σ, or uses either alone', () => {
    expect(blendSigma(0.01, 0.02, 0.5)).toBeCloseTo(Math.sqrt(0.5 * 1e-4 + 0.5 * 4e-4), 12);
    expect(blendSigma(null, 0.02, 0.5)).toBe(0.02);
    expect(blendSigma(0.01, null, 0.5)).toBe(0.01);
    expect(blendSigma(null, null, 0.5)).toBeNull();
  });

  it('EWMA: constant returns give their square; a shock decays with λ', () => {
    expect(ewmaVariance(Array(30).fill(0.01), 0.94)).toBeCloseTo(1e-4, 12);
    const shocked = ewmaVariance([...Array(20).fill(0.01), 0.05], 0.94);
    expect(shocked).toBeCloseTo(0.94 * 1e-4 + 0.06 * 0.0025, 12);
  });

  it('scales weekend and holiday gaps by √(1 + κ·n_extra)', () => {
    expect(gapFactor(0, 0.25)).toBe(1);
    expect(gapFactor(2, 0.25)).toBeCloseTo(Math.sqrt(1.5), 12);
    expect(gapFactor(3, 0.25)).toBeCloseTo(Math.sqrt(1.75), 12);
  });

  it('annualises 20-day close-to-close vol and needs 21 closes', () => {
    const alternating = Array.from({ length: 21 }, (_, i) => 100 * Math.exp(i % 2 === 0 ? 0 : 0.01));
    expect(realizedVolAnnual(alternating.slice(0, 20))).toBeNull();
    expect(realizedVolAnnual(alternating)).toBeCloseTo(Math.sqrt(252) * 0.01 * Math.sqrt(20 / 19), 6);
  });

  it('variance profile sums to one day over a full weekday (RTH + overnight, halt excluded)', () => {
    let sum = 0;
    for (let m = 0; m < 1440; m++) sum += minuteVarianceShare(m, 0.35);
    expect(sum).toBeCloseTo(1, 10);
    expect(minuteVarianceShare(600, 0.35) / minuteVarianceShare(120, 0.35)).toBeCloseTo(
      0.65 / 390 / (0.35 / 990),
      10,
    );
  });

  it('windows straddling the open count RTH minutes by New York time right after DST', () => {
    // 2025-03-10 13:45Z is 09:45 EDT: 15 overnight + 15 RTH minutes (would be all overnight in EST)
    const share = windowVarianceShare(new Date('2025-03-10T13:45:00Z'), 30, 0.35);
    expect(share).toBeCloseTo(15 * (0.35 / 990) + 15 * (0.65 / 390), 12);
    const weekBefore = windowVarianceShare(new Date('2025-03-07T14:45:00Z'), 30, 0.35);
    expect(weekBefore).toBeCloseTo(share, 12);
  });
});
