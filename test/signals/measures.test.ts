import { describe, expect, it } from 'vitest';
import { etWallTime } from '../../src/market/zoned.js';
import {
  applyFloor,
  breadthThresholds,
  type Candidate,
  type CandidateInput,
  candidateLevel,
  capLevel,
  ENTRY_THRESHOLDS,
  entryThresholds,
  exitThresholds,
  type IndexLevels,
  levelAbove,
  levelBelow,
  levelIndex,
  nextDownLimit,
  type RawIndexInput,
  rawIndexMeasures,
} from '../../src/signals/measures.js';
import type { PricePoint, WarningLevel } from '../../src/signals/types.js';
import { sigmaDayFromVix, windowVarianceShare } from '../../src/signals/volatility.js';

const RTH_AT = etWallTime('2025-06-11', 11, 0);
const NIGHT_AT = etWallTime('2025-06-11', 3, 0);

function minutesPath(end: Date, prices: number[]): PricePoint[] {
  return prices.map((price, i) => ({
    ts: new Date(end.getTime() - (prices.length - 1 - i) * 60_000),
    price,
  }));
}

function input(end: Date, prices: number[], over: Partial<RawIndexInput> = {}): RawIndexInput {
  return {
    points: minutesPath(end, prices),
    price: prices.at(-1)!,
    refPrice: 100,
    asOf: end,
    sigmaDay: sigmaDayFromVix(20),
    impliedVol: 20,
    overnightShare: 0.35,
    earlyClose: false,
    segment: 'rth',
    limitDownPrice: null,
    ...over,
  };
}

describe('level helpers', () => {
  it('compare at the research thresholds, inclusive', () => {
    expect([-0.99, -1, -2, -3, -5].map((v) => levelBelow(v, ENTRY_THRESHOLDS.m1))).toEqual([
      'normal',
      'watch',
      'warning',
      'critical',
      'critical',
    ]);
    expect([0.94, 0.95, 1.0, 1.1].map((v) => levelAbove(v, ENTRY_THRESHOLDS.m7))).toEqual([
      'normal',
      'watch',
      'warning',
      'critical',
    ]);
    expect(levelAbove(null, ENTRY_THRESHOLDS.m6)).toBe('normal');
  });

  it('floors: warning needs |move| ≥ 1 %, critical ≥ 2 %', () => {
    const floors = ENTRY_THRESHOLDS.floors;
    expect(applyFloor('critical', 2.5, floors)).toBe('critical');
    expect(applyFloor('critical', 1.5, floors)).toBe('warning');
    expect(applyFloor('critical', 0.5, floors)).toBe('watch');
    expect(applyFloor('warning', 0.99, floors)).toBe('watch');
  });

  it('regime shift moves σ thresholds by 0.5; exit thresholds are 0.7× (and 0.97 / 0.9)', () => {
    expect(entryThresholds(0.5).m1).toEqual([-0.5, -1.5, -2.5]);
    expect(entryThresholds(-0.5).m2).toEqual([-2.5, -3.5, -4.5]);
    const exit = exitThresholds(ENTRY_THRESHOLDS, 0.7);
    expect(exit.m2[1]).toBeCloseTo(-2.1, 12);
    expect(exit.m7[1]).toBeCloseTo(0.97, 12);
    expect(exit.m5[0]).toBeCloseTo(0.9, 12);
    expect(exit.m8.decline[1]).toBeCloseTo(2.45, 12);
    expect(exit.m8.limitDistance).toBeCloseTo(0.5 / 0.7, 12);
  });

  it('breadth thresholds are absolute unless asked to scale with usable indices', () => {
    expect(breadthThresholds('absolute', 1)).toEqual([1, 2, 3]);
    expect(breadthThresholds('available', 1)).toEqual([1, 1, 1]);
    expect(breadthThresholds('available', 2)).toEqual([1, 2, 2]);
    expect(breadthThresholds('available', 3)).toEqual([1, 2, 3]);
  });
});

describe('per-index measures', () => {
  const sigma = sigmaDayFromVix(20);

  it('M1: the day move in daily σ, with floors', () => {
    const price = 100 * Math.exp(-2.5 * sigma);
    const raw = rawIndexMeasures(input(RTH_AT, [100, price]));
    expect(raw.m1.value).toBeCloseTo(-2.5, 12);
    expect(levelIndex(raw, ENTRY_THRESHOLDS).m1).toBe('warning');
    const tiny = rawIndexMeasures(
      input(RTH_AT, [100, 100 * Math.exp(-3.5 * sigmaDayFromVix(5))], { sigmaDay: sigmaDayFromVix(5) }),
    );
    expect(tiny.m1.value).toBeCloseTo(-3.5, 12);
    expect(levelIndex(tiny, ENTRY_THRESHOLDS).m1).toBe('warning');
  });

  it('M2: drawdown from the window high in σ_W, most severe window wins', () => {
    const prices = [...Array(200).fill(101), ...Array.from({ length: 16 }, (_, i) => 101 - (i * 2.5) / 15)];
    const raw = rawIndexMeasures(input(RTH_AT, prices));
    const expectZ = (w: number) =>
      Math.log(98.5 / 101) / (sigma * Math.sqrt(windowVarianceShare(RTH_AT, w, 0.35)));
    for (const w of raw.m2.windows) expect(w.z).toBeCloseTo(expectZ(w.minutes), 9);
    const levels = levelIndex(raw, ENTRY_THRESHOLDS);
    expect(levels.m2Window.minutes).toBe(15);
    expect(levels.m2).toBe('critical');
    expect(levels.m2Window.pct).toBeCloseTo((98.5 / 101 - 1) * 100, 9);
    const shallow = rawIndexMeasures(
      input(
        RTH_AT,
        prices.map((p) => 101 - (101 - p) * 0.7),
      ),
    );
    expect(levelIndex(shallow, ENTRY_THRESHOLDS).m2).toBe('warning');
  });

  it('M2 uses the overnight variance profile (larger σ-moves for the same percent at night)', () => {
    const prices = [...Array(30).fill(100), 99.5];
    const day = rawIndexMeasures(input(RTH_AT, prices)).m2.windows[0]!.z;
    const night = rawIndexMeasures(input(NIGHT_AT, prices, { segment: 'overnight' })).m2.windows[0]!.z;
    expect(night / day).toBeCloseTo(Math.sqrt(0.65 / 390 / (0.35 / 990)), 6);
  });

  it('M3: the 15-minute return in σ_15; null without a price 15 minutes ago', () => {
    const prices = [...Array(20).fill(100), ...Array.from({ length: 15 }, (_, i) => 100 - (i + 1) * 0.1)];
    const raw = rawIndexMeasures(input(RTH_AT, prices));
    const sigma15 = sigma * Math.sqrt(windowVarianceShare(RTH_AT, 15, 0.35));
    expect(raw.m3.value).toBeCloseTo(Math.log(98.5 / 100) / sigma15, 9);
    expect(rawIndexMeasures(input(RTH_AT, [100, 99])).m3.value).toBeNull();
  });

  it('M5: RV60 from 5-minute returns over the profile, compared with VIX', () => {
    const prices = Array.from({ length: 61 }, (_, i) =>
      Math.floor(i / 5) % 2 === 0 ? 100 : 100 * Math.exp(0.002),
    );
    const raw = rawIndexMeasures(input(RTH_AT, prices));
    const share = windowVarianceShare(RTH_AT, 60, 0.35);
    const expected = 100 * Math.sqrt(252) * Math.sqrt((12 * 0.002 ** 2) / share);
    expect(raw.m5.rv60).toBeCloseTo(expected, 6);
    expect(raw.m5.ratio).toBeCloseTo(expected / 20, 6);
    expect(rawIndexMeasures(input(RTH_AT, prices.slice(-20))).m5.rv60).toBeNull();
  });

  it('M5 cap: a stale-VIX M5 is at most watch, other measures untouched', () => {
    const prices = Array.from({ length: 61 }, (_, i) =>
      Math.floor(i / 5) % 2 === 0 ? 100 : 100 * Math.exp(0.004),
    );
    const raw = rawIndexMeasures(input(RTH_AT, prices));
    expect(levelIndex(raw, ENTRY_THRESHOLDS).m5).toBe('critical');
    expect(levelIndex(raw, ENTRY_THRESHOLDS, 'watch')).toMatchObject({ m5: 'watch' });
    expect(levelIndex(raw, ENTRY_THRESHOLDS, 'watch').m2).toBe(levelIndex(raw, ENTRY_THRESHOLDS).m2);
    expect(capLevel('critical', 'watch')).toBe('watch');
    expect(capLevel('normal', 'watch')).toBe('normal');
    expect(capLevel('warning', 'critical')).toBe('warning');
  });

  it('M8: declines, the 60-minute move and the limit schedule by segment', () => {
    const level = (prices: number[], over: Partial<RawIndexInput> = {}) =>
      levelIndex(rawIndexMeasures(input(RTH_AT, prices, over)), ENTRY_THRESHOLDS).m8;
    expect(level([...Array(70).fill(97.4)])).toBe('watch');
    expect(level([...Array(70).fill(96.4)])).toBe('warning');
    expect(level([...Array(10).fill(100), ...Array(50).fill(97.4)])).toBe('warning');
    expect(level([...Array(10).fill(100), ...Array(50).fill(96.9)])).toBe('critical');
    expect(level([...Array(70).fill(95)])).toBe('critical');
    expect(level([...Array(70).fill(93.4)], { segment: 'overnight' })).toBe('critical');
    expect(nextDownLimit(100, 92.5, 'rth', 600, null)).toMatchObject({ label: 'RTH −13%' });
    expect(nextDownLimit(100, 92.5, 'rth', 15 * 60 + 30, null)).toMatchObject({ label: 'RTH −20%' });
    expect(nextDownLimit(100, 99, 'overnight', 120, null)).toMatchObject({ label: 'overnight −7%' });
    expect(nextDownLimit(100, 99, 'overnight', 120, 95)).toEqual({ price: 95, label: 'exchange limit' });
  });
});

function lv(over: Partial<IndexLevels> = {}): IndexLevels {
  return {
    m1: 'normal',
    m2: 'normal',
    m2Window: { minutes: 15, z: 0, pct: 0 },
    m3: 'normal',
    m5: 'normal',
    m8: 'normal',
    breadthLevel: 'normal',
    ...over,
  };
}

describe('candidate level (research §4.2)', () => {
  const cases: [string, Parameters<typeof candidateLevel>[0], Partial<Candidate>][] = [
    [
      'all quiet',
      { perIndex: [lv(), lv(), lv()], m4: 'normal', m6: 'normal', m7: 'normal' },
      { level: 'normal' },
    ],
    [
      'one price watch',
      { perIndex: [lv({ m2: 'watch' })], m4: 'watch', m6: 'normal', m7: 'normal' },
      { level: 'watch' },
    ],
    [
      'VIX jump at warning alone',
      { perIndex: [lv()], m4: 'normal', m6: 'warning', m7: 'normal' },
      { level: 'watch' },
    ],
    [
      'term at warning alone',
      { perIndex: [lv()], m4: 'normal', m6: 'normal', m7: 'warning' },
      { level: 'watch' },
    ],
    [
      'RV/IV alone stays normal',
      { perIndex: [lv({ m5: 'critical' })], m4: 'normal', m6: 'normal', m7: 'normal' },
      { level: 'normal' },
    ],
    [
      'two warnings but breadth 1',
      { perIndex: [lv({ m1: 'warning', m2: 'warning' })], m4: 'watch', m6: 'normal', m7: 'normal' },
      { level: 'watch' },
    ],
    [
      'price warning + breadth 2',
      { perIndex: [lv({ m2: 'warning' }), lv({ m1: 'watch' })], m4: 'warning', m6: 'normal', m7: 'normal' },
      { level: 'warning' },
    ],
    [
      'warnings without a price-based one',
      {
        perIndex: [lv({ m5: 'warning', m1: 'watch' }), lv({ m1: 'watch' })],
        m4: 'warning',
        m6: 'warning',
        m7: 'normal',
      },
      { level: 'watch' },
    ],
    [
      'two criticals and breadth 3',
      {
        perIndex: [lv({ m2: 'critical' }), lv({ m2: 'watch' }), lv({ m1: 'watch' })],
        m4: 'critical',
        m6: 'normal',
        m7: 'normal',
      },
      { level: 'critical', hardCritical: false },
    ],
    [
      'M8 critical alone is hard critical',
      { perIndex: [lv({ m8: 'critical' })], m4: 'normal', m6: 'normal', m7: 'normal' },
      { level: 'critical', hardCritical: true },
    ],
    [
      'M1 critical with breadth 3 is hard critical',
      {
        perIndex: [lv({ m1: 'critical' }), lv({ m1: 'watch' }), lv({ m1: 'watch' })],
        m4: 'critical',
        m6: 'normal',
        m7: 'normal',
      },
      { level: 'critical', hardCritical: true },
    ],
    [
      'M1 critical with breadth 2 is warning',
      { perIndex: [lv({ m1: 'critical' }), lv({ m1: 'watch' })], m4: 'warning', m6: 'normal', m7: 'normal' },
      { level: 'warning', hardCritical: false },
    ],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(candidateLevel(input)).toMatchObject(expected);
  });

  it('with one index M4 is not counted as a measure (breadthCounts: false)', () => {
    /** One index with these levels; M4 critical as `breadthBasis: 'available'` makes it at watch. */
    const single = (levels: Partial<IndexLevels>, breadthCounts?: boolean): CandidateInput => ({
      perIndex: [lv(levels)],
      m4: 'critical',
      m6: 'normal',
      m7: 'normal',
      ...(breadthCounts === undefined ? {} : { breadthCounts }),
    });
    const both: Partial<IndexLevels> = { m2: 'critical', m5: 'critical', breadthLevel: 'critical' };
    expect(candidateLevel(single(both))).toMatchObject({ level: 'critical', counts: { critical: 3 } });
    expect(candidateLevel(single(both, false))).toMatchObject({ level: 'critical', counts: { critical: 2 } });
    const m2Only: Partial<IndexLevels> = { m2: 'critical', breadthLevel: 'critical' };
    expect(candidateLevel(single(m2Only)).level).toBe('critical');
    expect(candidateLevel(single(m2Only, false)).level).toBe('watch');
    expect(candidateLevel(single({ m2: 'warning', m3: 'warning' }, false)).level).toBe('warning');
  });

  it('counts measure ids, not indices', () => {
    const c = candidateLevel({
      perIndex: [lv({ m2: 'warning' }), lv({ m2: 'warning' }), lv({ m2: 'warning' })],
      m4: 'critical',
      m6: 'normal',
      m7: 'normal',
    });
    expect(c.counts).toEqual({ watch: 2, warning: 2, critical: 1 });
    expect(c.level satisfies WarningLevel).toBe('warning');
  });
});
