import { describe, expect, it } from 'vitest';
import { DataError, StaleDataError } from '../../src/core/errors.js';
import {
  computePremarket,
  defaultSignalsConfig,
  InvalidSignalInputError,
  NoUsableInputError,
  premarketDocumentSchema,
} from '../../src/signals/index.js';
import { closesFromReturns, premarketInputs, sigmaOnFromVix, weekdaysBefore } from './fixtures.js';

describe('computePremarket', () => {
  it('turns a 3/3 agreeing gap up at VIX 16 into a bull go-with-gap signal', () => {
    const doc = computePremarket(premarketInputs({ z: { ES: 1.5, NQ: 1.5, RTY: 1.5 } }));
    expect(premarketDocumentSchema.parse(doc)).toEqual(doc);
    expect(doc.measures.composite.z).toBeCloseTo(1.5, 9);
    expect(doc.measures.composite.agree).toBe(3);
    expect(doc.decision).toMatchObject({
      bias: 'bull',
      mode: 'go_with_gap',
      strength: 'moderate',
      vixBucket: '15to20',
    });
    expect(doc.measures.perIndex.ES?.sigmaGapPct).toBeCloseTo(sigmaOnFromVix(16) * 100, 9);
    expect(doc.measures.perIndex.NQ?.volRatioSource).toBe('default');
    // s = 1.5/2, A 1, R 0.85 (neutral regime), V 1, Tm 1 (09:25), Q 0.85 (no realised history)
    expect(doc.decision.confidence).toBeCloseTo(0.75 * 0.85 * 0.85, 9);
    expect(doc.guidance.SPY).toMatchObject({
      index: 'ES',
      etf: 'SPY',
      direction: 'bullish',
      entry: 'at_open',
    });
    expect(doc.guidance.QQQ.conviction).toBeCloseTo(doc.decision.confidence, 12);
    expect(doc.reference.time).toBe('2025-06-10T20:00:00.000Z');
    expect(doc.lake).toEqual([{ table: 'futures_snapshots', version: 42 }]);
    expect(doc.inputs.vix.source).toBe('derived');
    expect(doc.inputs.regime).toMatchObject({ value: 'neutral', source: 'override' });
    expect(doc.reasons.some((r) => r.includes('bucket 15–20'))).toBe(true);
  });

  it('is neutral / no_signal for a small move, with zero confidence', () => {
    const doc = computePremarket(premarketInputs({ z: { ES: 0.2, NQ: 0.1, RTY: -0.1 } }));
    expect(doc.decision).toMatchObject({
      bias: 'neutral',
      mode: 'no_signal',
      strength: 'none',
      confidence: 0,
    });
    expect(Object.values(doc.guidance).map((g) => g.entry)).toEqual(['none', 'none', 'none']);
  });

  it('drops a stale index with a reason and renormalises the weights', () => {
    const doc = computePremarket(
      premarketInputs({ z: { ES: 1.2, NQ: 1.2, RTY: -3 }, ageSeconds: { RTY: 1200 } }),
    );
    expect(doc.dataQuality.usable).toEqual(['ES', 'NQ']);
    expect(doc.dataQuality.dropped).toEqual([
      { symbol: 'RTY', code: 'stale', reason: 'RTY: last price 1200 s old (limit 900 s)' },
    ]);
    expect(doc.measures.composite.weights.ES).toBeCloseTo(0.625, 12);
    expect(doc.measures.composite.weights.NQ).toBeCloseTo(0.375, 12);
    expect(doc.measures.composite.weights.RTY).toBe(0);
    expect(doc.measures.composite.z).toBeCloseTo(1.2, 9);
    expect(doc.measures.perIndex.RTY).toBeNull();
    expect(doc.guidance.IWM).toMatchObject({ direction: 'neutral', entry: 'none', conviction: 0 });
    expect(doc.reasons).toContain('dropped RTY: last price 1200 s old (limit 900 s)');
  });

  it('drops an index whose reference comes from another contract (never across a roll)', () => {
    const inputs = premarketInputs({ z: { ES: 1, NQ: 1, RTY: 1 } });
    inputs.perIndex.ES!.reference.conId = 1;
    const doc = computePremarket(inputs);
    expect(doc.dataQuality.dropped[0]).toMatchObject({ symbol: 'ES', code: 'contract_mismatch' });
    expect(doc.measures.composite.weights.NQ).toBeCloseTo(0.6, 12);
  });

  it('drops an index whose reference is not at T_ref', () => {
    const inputs = premarketInputs({ z: { ES: 1, NQ: 1, RTY: 1 } });
    inputs.perIndex.NQ!.reference.ts = new Date(inputs.perIndex.NQ!.reference.ts.getTime() - 3600_000);
    const doc = computePremarket(inputs);
    expect(doc.dataQuality.dropped).toMatchObject([{ symbol: 'NQ', code: 'reference_missing' }]);
  });

  it('keeps a spliced reference and flags it', () => {
    const inputs = premarketInputs({ z: { ES: 1, NQ: 1, RTY: 1 } });
    inputs.perIndex.ES!.reference = { ...inputs.perIndex.ES!.reference, kind: 'spliced', ts: inputs.asOf };
    const doc = computePremarket(inputs);
    expect(doc.dataQuality.usable).toContain('ES');
    expect(doc.dataQuality.flags).toContain('referenceSpliced:ES');
  });

  it('throws a StaleDataError (exit 6) when nothing is usable', () => {
    const inputs = premarketInputs({
      z: { ES: 1, NQ: 1, RTY: 1 },
      ageSeconds: { ES: 5000, NQ: 5000, RTY: 5000 },
    });
    expect(() => computePremarket(inputs)).toThrow(NoUsableInputError);
    expect(() => computePremarket(inputs)).toThrow(StaleDataError);
    expect(() => computePremarket(premarketInputs({ z: {} }))).toThrow(/no usable index.*ES: no data/);
  });

  it('needs VIX or 20 sessions of history', () => {
    expect(() => computePremarket(premarketInputs({ vix: null, z: { ES: 1 } }))).toThrow(
      /pass --vix|no volatility/i,
    );
    const history = Array.from({ length: 25 }, (_, i) => (i % 2 === 0 ? 0.004 : -0.004));
    const doc = computePremarket(premarketInputs({ vix: null, z: { ES: 1, NQ: 1, RTY: 1 }, history }));
    expect(doc.measures.expectedMovePct.onVix).toBeNull();
    expect(doc.measures.expectedMovePct.used).toBeCloseTo(0.4, 9);
    expect(doc.decision.vixBucketSource).toBe('realized');
    expect(doc.dataQuality.flags).toContain('vixMissing');
  });

  it('blends VIX with the EWMA once 20 sessions exist', () => {
    const history = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 0.008 : -0.008));
    const doc = computePremarket(premarketInputs({ z: { ES: 1, NQ: 1, RTY: 1 }, history }));
    const onVix = sigmaOnFromVix(16);
    expect(doc.measures.expectedMovePct.onRealized).toBeCloseTo(0.8, 9);
    expect(doc.measures.expectedMovePct.used / 100).toBeCloseTo(
      Math.sqrt(0.5 * onVix ** 2 + 0.5 * 0.008 ** 2),
      12,
    );
    expect(doc.dataQuality.flags).not.toContain('shortHistory');
    expect(computePremarket(premarketInputs({ history: history.slice(1) })).dataQuality.flags).toContain(
      'shortHistory',
    );
  });

  it('scales a weekend gap on the Monday after the spring DST change', () => {
    const doc = computePremarket(
      premarketInputs({ sessionDate: '2025-03-10', refDate: '2025-03-07', z: { ES: 1, NQ: 1, RTY: 1 } }),
    );
    expect(doc.reference).toMatchObject({ time: '2025-03-07T21:00:00.000Z', extraDays: 2 });
    expect(doc.asOf).toBe('2025-03-10T13:25:00.000Z');
    expect(doc.measures.expectedMovePct.gapFactor).toBeCloseTo(Math.sqrt(1.5), 12);
    expect(doc.measures.perIndex.ES?.sigmaGapPct).toBeCloseTo(sigmaOnFromVix(16) * Math.sqrt(1.5) * 100, 9);
    expect(doc.tags).toContain('weekendGap');
    expect(doc.tags).not.toContain('holidayGap');
  });

  it('tags a holiday gap (Tuesday after MLK day) and a half-day reference', () => {
    const mlk = computePremarket(
      premarketInputs({ sessionDate: '2025-01-21', refDate: '2025-01-17', z: { ES: 1 } }),
    );
    expect(mlk.reference.extraDays).toBe(3);
    expect(mlk.tags).toContain('holidayGap');
    const blackFriday = computePremarket(
      premarketInputs({ sessionDate: '2025-12-01', refDate: '2025-11-28', earlyClose: true, z: { ES: 1 } }),
    );
    expect(blackFriday.reference.time).toBe('2025-11-28T18:00:00.000Z');
  });

  it('sets techLed, smallCapWeak and narrow from the per-index z', () => {
    const doc = computePremarket(premarketInputs({ z: { ES: 0.6, NQ: 1.8, RTY: -0.5 } }));
    expect(doc.tags).toEqual(expect.arrayContaining(['techLed', 'smallCapWeak', 'narrow']));
    expect(doc.measures.composite.dispersion).toBeCloseTo(2.3, 9);
  });

  it('marks VIX/VIX3M ≥ 1 as termInverted and cuts confidence by 0.8 without flipping the bias', () => {
    const plain = computePremarket(premarketInputs({ z: { ES: 1.5, NQ: 1.5, RTY: 1.5 }, vix3m: 17 }));
    const inverted = computePremarket(premarketInputs({ z: { ES: 1.5, NQ: 1.5, RTY: 1.5 }, vix3m: 15 }));
    expect(inverted.tags).toContain('termInverted');
    expect(inverted.decision.bias).toBe(plain.decision.bias);
    expect(inverted.decision.confidence).toBeCloseTo(plain.decision.confidence * 0.8, 12);
    expect(inverted.guidance.SPY.riskPosture).toBe('reduced');
  });

  it('near the price limit keeps the bearish call, in mode limit_move, and says why', () => {
    const doc = computePremarket(premarketInputs({ vix: 40, z: { ES: -3.6, NQ: -3.6, RTY: -3.6 } }));
    expect(doc.tags).toContain('limitNear');
    expect(doc.decision).toMatchObject({ bias: 'strong_bear', mode: 'limit_move', strength: 'strong' });
    expect(doc.decision.overrides).toContain('limitNear');
    expect(doc.decision.confidence).toBeGreaterThan(0);
    expect(doc.reasons.some((r) => r.includes('limit_move') && r.includes('direction'))).toBe(true);
    expect(doc.guidance.SPY).toMatchObject({
      direction: 'bearish',
      entry: 'after_confirmation',
      riskPosture: 'reduced',
    });
    expect(premarketDocumentSchema.parse(doc)).toEqual(doc);
  });

  it('a crash-sized move with one confirming index stays bearish', () => {
    const doc = computePremarket(premarketInputs({ vix: 12, z: { ES: -6, NQ: 0.3, RTY: 0.3 } }));
    expect(doc.decision.band).toBe('ge_t3');
    expect(doc.decision.overrides).toEqual(['narrowAgreement', 'keepDirection']);
    expect(doc.tags).not.toContain('limitNear');
    expect(['lean_bear', 'bear', 'strong_bear']).toContain(doc.decision.bias);
    expect(doc.decision.mode).not.toBe('no_signal');
  });

  it('asks to wait when a T3 move came mostly after 08:25 ET', () => {
    const inputs = premarketInputs({ regime: 'bullish', z: { ES: -2.5, NQ: -2.5, RTY: -2.5 } });
    for (const input of Object.values(inputs.perIndex)) {
      const ref = input!.reference.price;
      input!.path = input!.path.map((p) => ({
        ts: p.ts,
        price: p.ts.getTime() < inputs.asOf.getTime() - 45 * 60_000 ? ref : p.price,
      }));
    }
    const doc = computePremarket(inputs);
    expect(doc.measures.perIndex.ES?.path.latePct).toBeCloseTo(doc.measures.perIndex.ES!.pct, 1);
    expect(doc.decision).toMatchObject({
      bias: 'bear',
      mode: 'wait_for_confirmation',
      earlyWarningFloor: 'watch',
    });
    expect(doc.tags).toContain('lateMove');
  });

  it('computes the overnight path features', () => {
    const inputs = premarketInputs({ z: { ES: 1, NQ: 1, RTY: 1 } });
    const es = inputs.perIndex.ES!;
    const high = es.current.price * 1.004;
    es.path = [...es.path.slice(0, 10), { ts: es.path[10]!.ts, price: high }, ...es.path.slice(11)];
    const m = computePremarket(inputs).measures.perIndex.ES!;
    expect(m.path.high).toBe(high);
    expect(m.path.low).toBe(6000);
    expect(m.path.posInRange).toBeCloseTo((es.current.price - 6000) / (high - 6000), 12);
    expect(m.path.giveBack).toBeCloseTo((high - es.current.price) / (high - 6000), 12);
    expect(m.path.sparkline.length).toBe(24);
    expect(m.path.sparkline[0]).toBe(6000);
  });

  it('uses the derived regime when no override is passed, and reports a disagreement', () => {
    const dates = weekdaysBefore('2025-06-11', 80);
    const closes = closesFromReturns(dates, 5000, (i) => 0.003 + (i % 2 === 0 ? 0.002 : -0.002));
    const inputs = premarketInputs({ z: { ES: 1.5, NQ: 1.5, RTY: 1.5 } });
    inputs.perIndex.ES!.dailyCloses = closes;
    inputs.regimeOverride = undefined;
    const derived = computePremarket(inputs);
    expect(derived.inputs.regime).toMatchObject({ value: 'bullish', source: 'derived', disagreement: false });
    expect(derived.decision.bias).toBe('strong_bull');
    inputs.regimeOverride = 'bearish';
    const overridden = computePremarket(inputs);
    expect(overridden.inputs.regime).toMatchObject({
      value: 'bearish',
      source: 'override',
      disagreement: true,
    });
    expect(overridden.tags).toContain('regimeDisagreement');
  });

  it('falls back to a neutral regime with a flag when none can be derived', () => {
    const inputs = premarketInputs({ z: { ES: 1 } });
    inputs.regimeOverride = undefined;
    const doc = computePremarket(inputs);
    expect(doc.inputs.regime.source).toBe('default');
    expect(doc.dataQuality.flags).toContain('regimeUnavailable');
  });

  it('uses 20-day vol ratios when daily closes exist', () => {
    const dates = weekdaysBefore('2025-06-11', 30);
    const inputs = premarketInputs({ z: { ES: 1, NQ: 1, RTY: 1 } });
    inputs.perIndex.ES!.dailyCloses = closesFromReturns(dates, 6000, (i) => (i % 2 ? 0.01 : -0.01));
    inputs.perIndex.NQ!.dailyCloses = closesFromReturns(dates, 21000, (i) => (i % 2 ? 0.015 : -0.015));
    const doc = computePremarket(inputs);
    expect(doc.measures.perIndex.NQ?.volRatio).toBeCloseTo(1.5, 9);
    expect(doc.measures.perIndex.NQ?.volRatioSource).toBe('rv20');
    expect(doc.measures.perIndex.NQ?.z).toBeCloseTo(1.25 / 1.5, 9);
  });

  it('lowers confidence for a stale quote and early in the night', () => {
    const late = computePremarket(premarketInputs({ z: { ES: 1.5, NQ: 1.5, RTY: 1.5 } }));
    const early = computePremarket(premarketInputs({ at: [4, 0], z: { ES: 1.5, NQ: 1.5, RTY: 1.5 } }));
    expect(early.decision.factors.Tm).toBeCloseTo(0.6, 12);
    expect(late.decision.factors.Tm).toBe(1);
    const stale = computePremarket(
      premarketInputs({ z: { ES: 1.5, NQ: 1.5, RTY: 1.5 }, ageSeconds: { NQ: 120 } }),
    );
    expect(stale.decision.factors.Q).toBeCloseTo(0.7 * 0.85, 12);
    expect(stale.dataQuality.flags).toContain('staleQuote:NQ');
    expect(computePremarket(premarketInputs({ at: [10, 0], z: { ES: 1 } })).dataQuality.flags).toContain(
      'outsideWindow',
    );
  });
});

describe('computePremarket rejects impossible inputs clearly', () => {
  const cases: [string, (i: ReturnType<typeof premarketInputs>) => void, RegExp][] = [
    [
      'NaN price',
      (i) => (i.perIndex.ES!.current.price = Number.NaN),
      /perIndex\.ES\.current\.price must be a positive finite number, got NaN/,
    ],
    [
      'zero reference',
      (i) => (i.perIndex.NQ!.reference.price = 0),
      /perIndex\.NQ\.reference\.price .* got 0/,
    ],
    ['negative path price', (i) => (i.perIndex.RTY!.path[3]!.price = -5), /perIndex\.RTY\.path\[3\]\.price/],
    ['zero VIX', (i) => (i.vix!.level = 0), /vix\.level must be a positive/],
    ['infinite VIX3M', (i) => (i.vix3m = { level: Number.POSITIVE_INFINITY, ts: i.asOf }), /vix3m\.level/],
    ['invalid asOf', (i) => (i.asOf = new Date(Number.NaN)), /asOf must be a valid Date/],
    ['bad session date', (i) => (i.sessionDate = '2025-6-11'), /sessionDate must be a YYYY-MM-DD date/],
    [
      'reference not before the session',
      (i) => (i.reference.sessionDate = i.sessionDate),
      /reference\.sessionDate/,
    ],
    ['unsorted path', (i) => i.perIndex.ES!.path.reverse(), /perIndex\.ES\.path\[1\]\.ts must be later/],
    [
      'quote after asOf',
      (i) => (i.perIndex.ES!.current.ts = new Date(i.asOf.getTime() + 1000)),
      /is after asOf/,
    ],
    [
      'history look-ahead',
      (i) => i.overnightHistory.push({ sessionDate: i.sessionDate, returns: { ES: 0.001 } }),
      /no look-ahead/,
    ],
    [
      'NaN history',
      (i) => i.overnightHistory.push({ sessionDate: '2025-06-01', returns: { ES: Number.NaN } }),
      /overnightHistory\[0\]\.returns\.ES/,
    ],
    ['asOf before T_ref', (i) => (i.asOf = new Date('2025-06-10T19:00:00Z')), /must be after T_ref/],
  ];

  it.each(cases)('%s', (_name, mutate, message) => {
    const inputs = premarketInputs({ z: { ES: 1, NQ: 1, RTY: 1 } });
    mutate(inputs);
    let caught: unknown;
    try {
      computePremarket(inputs, defaultSignalsConfig());
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidSignalInputError);
    expect(caught).toBeInstanceOf(DataError);
    expect((caught as Error).message).toMatch(message);
  });
});
