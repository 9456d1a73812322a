import { describe, expect, it } from 'vitest';
import {
  type Bias,
  BUCKET_RULES,
  confidenceOf,
  decide,
  type Mode,
  VIX_BUCKETS,
  type VixBucket,
  vixBucketOf,
} from '../../src/signals/decision.js';
import type { EngineRegime } from '../../src/signals/types.js';

type Band = 't1_t2' | 't2_t3' | 'ge_t3';
type Expected = readonly [Bias, Mode];

/** Research §3.6 transcribed cell by cell (agree = 3, so the strong_* upgrades apply). */
const RESEARCH: Record<EngineRegime, Record<'up' | 'down', Record<Band, Expected>>> = {
  bullish: {
    up: {
      t1_t2: ['lean_bull', 'go_with_gap'],
      t2_t3: ['strong_bull', 'go_with_gap'],
      ge_t3: ['bull', 'wait_for_confirmation'],
    },
    down: {
      t1_t2: ['lean_bull', 'fade_gap'],
      t2_t3: ['neutral', 'wait_for_confirmation'],
      ge_t3: ['bear', 'go_with_gap'],
    },
  },
  neutral: {
    up: {
      t1_t2: ['lean_bull', 'go_with_gap'],
      t2_t3: ['bull', 'go_with_gap'],
      ge_t3: ['lean_bull', 'wait_for_confirmation'],
    },
    down: {
      t1_t2: ['lean_bear', 'go_with_gap'],
      t2_t3: ['bear', 'go_with_gap'],
      ge_t3: ['lean_bear', 'wait_for_confirmation'],
    },
  },
  bearish: {
    up: {
      t1_t2: ['lean_bear', 'fade_gap'],
      t2_t3: ['neutral', 'wait_for_confirmation'],
      ge_t3: ['lean_bull', 'wait_for_confirmation'],
    },
    down: {
      t1_t2: ['lean_bear', 'go_with_gap'],
      t2_t3: ['strong_bear', 'go_with_gap'],
      ge_t3: ['bear', 'wait_for_confirmation'],
    },
  },
};

const CAP: Partial<Record<Bias, Bias>> = {
  strong_bull: 'lean_bull',
  bull: 'lean_bull',
  strong_bear: 'lean_bear',
  bear: 'lean_bear',
};

function zFor(bucket: VixBucket, band: Band): number {
  const r = BUCKET_RULES[bucket];
  if (band === 't1_t2') return (r.t1 + r.t2) / 2;
  if (band === 't2_t3') return (r.t2 + r.t3) / 2;
  return r.t3 + 0.5;
}

const cells: [VixBucket, EngineRegime, 'up' | 'down', Band][] = [];
for (const bucket of VIX_BUCKETS) {
  for (const regime of ['bullish', 'neutral', 'bearish'] as const) {
    for (const dir of ['up', 'down'] as const) {
      for (const band of ['t1_t2', 't2_t3', 'ge_t3'] as const) cells.push([bucket, regime, dir, band]);
    }
  }
}

describe('decision table (research §3.6), every VIX bucket × regime cell', () => {
  it.each(cells)('%s %s %s %s', (bucket, regime, dir, band) => {
    const z = zFor(bucket, band) * (dir === 'up' ? 1 : -1);
    const d = decide({ z, agree: 3, regime, bucket, lateDominant: false, limitNear: false });
    let [bias, mode] = RESEARCH[regime][dir][band];
    const aligned = (dir === 'up' && regime === 'bullish') || (dir === 'down' && regime === 'bearish');
    if (bucket === 'ge30' && !(band === 'ge_t3' && aligned)) bias = CAP[bias] ?? bias;
    expect([d.bias, d.mode]).toEqual([bias, mode]);
    expect(d.strength).toBe({ t1_t2: 'weak', t2_t3: 'moderate', ge_t3: 'strong' }[band]);
    expect(d.raiseEarlyWarning).toBe(regime === 'bullish' && dir === 'down' && band === 'ge_t3');
  });

  it.each(VIX_BUCKETS)('below T1 is neutral / no_signal in bucket %s', (bucket) => {
    const z = BUCKET_RULES[bucket].t1 - 0.01;
    for (const regime of ['bullish', 'neutral', 'bearish'] as const) {
      const d = decide({ z: -z, agree: 3, regime, bucket, lateDominant: false, limitNear: false });
      expect([d.bias, d.mode, d.strength, d.cell]).toEqual(['neutral', 'no_signal', 'none', null]);
    }
  });

  it('buckets VIX at the research boundaries', () => {
    expect([14.99, 15, 19.99, 20, 29.99, 30].map(vixBucketOf)).toEqual([
      'lt15',
      '15to20',
      '15to20',
      '20to30',
      '20to30',
      'ge30',
    ]);
  });
});

describe('decision overrides', () => {
  const base = {
    regime: 'neutral' as const,
    bucket: '15to20' as const,
    lateDominant: false,
    limitNear: false,
  };

  it('agree ≤ 1 steps one notch toward neutral and waits when it reaches neutral', () => {
    expect(decide({ ...base, z: 1.5, agree: 1 })).toMatchObject({ bias: 'lean_bull', mode: 'go_with_gap' });
    const lean = decide({ ...base, z: 0.7, agree: 0 });
    expect(lean).toMatchObject({
      bias: 'neutral',
      mode: 'wait_for_confirmation',
      overrides: ['narrowAgreement'],
    });
  });

  it('strong_* needs all three indices', () => {
    expect(decide({ ...base, regime: 'bullish', z: 1.5, agree: 2 }).bias).toBe('bull');
    expect(decide({ ...base, regime: 'bullish', z: 1.5, agree: 3 }).bias).toBe('strong_bull');
  });

  it('VIX ≥ 30 keeps a regime-aligned T3 move with full agreement, caps the rest', () => {
    const hi = { ...base, bucket: 'ge30' as const };
    expect(decide({ ...hi, regime: 'bearish', z: -3.5, agree: 3 })).toMatchObject({
      bias: 'bear',
      overrides: [],
    });
    expect(decide({ ...hi, regime: 'bearish', z: -3.5, agree: 2 })).toMatchObject({
      bias: 'lean_bear',
      overrides: ['highVixCap'],
    });
    expect(decide({ ...hi, regime: 'neutral', z: 2, agree: 3 })).toMatchObject({
      bias: 'lean_bull',
      overrides: ['highVixCap'],
    });
  });

  it('a late-dominated T3 move keeps its direction but waits', () => {
    const d = decide({ ...base, regime: 'bullish', z: -2.5, agree: 3, lateDominant: true });
    expect(d).toMatchObject({ bias: 'bear', mode: 'wait_for_confirmation', overrides: ['lateMove'] });
  });

  it('limitNear keeps the direction and strength of the move, in mode limit_move', () => {
    expect(decide({ ...base, z: -2.5, agree: 3, limitNear: true })).toMatchObject({
      bias: 'strong_bear',
      mode: 'limit_move',
      strength: 'strong',
      direction: 'down',
      overrides: ['limitNear'],
    });
    expect(decide({ ...base, z: -1.5, agree: 3, limitNear: true })).toMatchObject({
      bias: 'bear',
      mode: 'limit_move',
      strength: 'moderate',
    });
    expect(decide({ ...base, z: 2.4, agree: 1, limitNear: true })).toMatchObject({
      bias: 'strong_bull',
      mode: 'limit_move',
    });
    // no override caps a limit move's strength: the risk posture says 'reduced' instead
    const hi = decide({ ...base, regime: 'bearish', bucket: 'ge30', z: -3.5, agree: 2, limitNear: true });
    expect(hi).toMatchObject({
      bias: 'strong_bear',
      mode: 'limit_move',
      overrides: ['limitNear', 'highVixCap'],
    });
  });

  it('limitNear below T1 keeps the direction at lean_* (a move near a limit is never "no meaningful move")', () => {
    expect(decide({ ...base, bucket: 'ge30', z: -0.9, agree: 3, limitNear: true })).toMatchObject({
      bias: 'lean_bear',
      mode: 'limit_move',
      strength: 'weak',
      band: 'below_t1',
      direction: 'down',
      cell: null,
      overrides: ['limitNear'],
    });
    expect(decide({ ...base, bucket: 'ge30', z: 0.9, agree: 3, limitNear: true }).bias).toBe('lean_bull');
    expect(decide({ ...base, bucket: 'ge30', z: -0.9, agree: 3, limitNear: false })).toMatchObject({
      bias: 'neutral',
      mode: 'no_signal',
    });
  });

  it('beyond T3 narrow agreement never erases the direction', () => {
    expect(decide({ ...base, z: -2.5, agree: 1 })).toMatchObject({
      bias: 'lean_bear',
      mode: 'wait_for_confirmation',
      overrides: ['narrowAgreement', 'keepDirection'],
    });
    expect(decide({ ...base, regime: 'bearish', z: 2.6, agree: 0 })).toMatchObject({
      bias: 'lean_bull',
      mode: 'wait_for_confirmation',
      overrides: ['narrowAgreement', 'keepDirection'],
    });
    // below T3 the research table's step toward neutral stands
    expect(decide({ ...base, z: -0.7, agree: 1 })).toMatchObject({
      bias: 'neutral',
      mode: 'wait_for_confirmation',
    });
  });
});

describe('confidence (research §3.7)', () => {
  const base = {
    bucket: '15to20' as const,
    mode: 'go_with_gap' as const,
    agree: 3,
    alignment: 'aligned' as const,
    termInverted: false,
    nightProgress: 1,
    staleQuote: false,
    shortHistory: false,
  };

  it('is s·A·R·V·Tm·Q capped by the bucket', () => {
    expect(confidenceOf({ ...base, absZ: 1 }).value).toBeCloseTo(0.5, 12);
    expect(confidenceOf({ ...base, absZ: 5 }).value).toBe(0.9);
    const c = confidenceOf({
      ...base,
      absZ: 1,
      agree: 2,
      alignment: 'neutral_regime',
      termInverted: true,
      nightProgress: 0,
      staleQuote: true,
      shortHistory: true,
    });
    expect(c.factors).toMatchObject({ s: 0.5, A: 0.75, R: 0.85, V: 0.8, Tm: 0.6, cap: 0.9 });
    expect(c.factors.Q).toBeCloseTo(0.7 * 0.85, 12);
    expect(c.value).toBeCloseTo(0.5 * 0.75 * 0.85 * 0.8 * 0.6 * 0.7 * 0.85, 12);
  });

  it('uses |z|/T2 for fade cells, 0.4 for agree ≤ 1, and caps high-VIX buckets', () => {
    expect(
      confidenceOf({ ...base, absZ: 0.75, mode: 'fade_gap', alignment: 'counter' }).factors.s,
    ).toBeCloseTo(0.75, 12);
    expect(confidenceOf({ ...base, absZ: 2, agree: 1 }).factors.A).toBe(0.4);
    expect(confidenceOf({ ...base, absZ: 10, bucket: 'ge30' }).value).toBeCloseTo(0.5, 12);
    expect(confidenceOf({ ...base, absZ: 10, bucket: '20to30' }).value).toBeCloseTo(0.75, 12);
  });

  it('is 0 for no_signal', () => {
    expect(confidenceOf({ ...base, absZ: 0.3, mode: 'no_signal' }).value).toBe(0);
  });
});
