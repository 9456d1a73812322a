import { describe, expect, it } from 'vitest';
import { StaleDataError } from '../../src/core/errors.js';
import { etWallTime } from '../../src/market/zoned.js';
import {
  computeRegime,
  defaultSignalsConfig,
  InvalidSignalInputError,
  levelReaches,
  NoUsableInputError,
  regimeDocumentSchema,
  WARNING_LEVELS,
} from '../../src/signals/index.js';
import { elapsedVarianceShare } from '../../src/signals/measures.js';
import { referenceInstant } from '../../src/signals/sessions.js';
import type { RegimeInputs } from '../../src/signals/types.js';
import { flat, ramp, regimeInputs } from './fixtures.js';

const REF = referenceInstant('2025-06-10', false);
const AT = etWallTime('2025-06-11', 11, 0);
const plus = (minutes: number) => new Date(AT.getTime() + minutes * 60_000);

const calm = () => flat(241, 1.001);
/** Flat, then a 2.2 % slide over the last hour. */
const selloff = (depth = 0.022) => [...flat(180, 1), ...ramp(61, 1, 1 - depth)];

function all(path: number[], at = AT, extra: Partial<RegimeInputs> = {}): RegimeInputs {
  return regimeInputs(
    at,
    REF,
    { ES: { minutes: path }, NQ: { minutes: path }, RTY: { minutes: path } },
    extra,
  );
}

describe('computeRegime', () => {
  it('is normal on a calm morning and validates against its schema', () => {
    const doc = computeRegime(all(calm()));
    expect(regimeDocumentSchema.parse(doc)).toEqual(doc);
    expect(doc).toMatchObject({ level: 'normal', candidate: 'normal', session: 'rth', transition: 'held' });
    expect(doc.flags).toContain('noPriorState');
    // M1 in units of the σ expected between the 16:00 reference and 11:00 (post-close hour, night, 90 RTH minutes).
    const share = elapsedVarianceShare(AT, REF, 0.35, false);
    expect(share).toBeCloseTo((0.35 * (60 + 930)) / 990 + (0.65 * 90) / 390, 9);
    expect(doc.measures.perIndex.ES?.m1.value).toBeCloseTo(
      Math.log(1.001) / ((20 / 100 / Math.sqrt(252)) * Math.sqrt(share)),
      9,
    );
    expect(doc.state).toMatchObject({ level: 'normal', lastCheckAt: AT.toISOString(), up: null });
    expect(doc.measures.perIndex.ES?.sparkline.length).toBe(24);
  });

  it('a broad one-hour slide makes a critical candidate that escalates on the second check', () => {
    const first = computeRegime(all(selloff()));
    const es = first.measures.perIndex.ES!;
    expect(es.m2.level).toBe('critical');
    expect(es.m2.windowMin).toBeGreaterThanOrEqual(15);
    expect(first.measures.m4).toMatchObject({ breadth: 3, level: 'critical' });
    expect(first.candidate).toBe('critical');
    expect(first.flags).not.toContain('hardCritical');
    expect(first.level).toBe('normal');
    expect(first.pending).toMatchObject({ direction: 'up', target: 'critical', checks: 1 });

    const second = computeRegime(
      all(selloff(0.024), plus(5), { previousState: JSON.parse(JSON.stringify(first.state)) }),
    );
    expect(second).toMatchObject({ level: 'critical', transition: 'escalated', overlay: 'bear_risk' });
    expect(second.state.bearRiskUntil).toBe('2025-06-11T22:00:00.000Z');
    expect(levelReaches(second.level, 'warning')).toBe(true);
  });

  it('a 60-minute decline of 3 % is a hard critical at once (M8 vs the DCB)', () => {
    const doc = computeRegime(all(selloff(0.031)));
    expect(doc.measures.perIndex.ES?.m8.level).toBe('critical');
    expect(doc.flags).toContain('hardCritical');
    expect(doc).toMatchObject({ level: 'critical', transition: 'escalated' });
  });

  it('a single-index slide is at most watch: breadth gates warning', () => {
    const doc = computeRegime(
      regimeInputs(AT, REF, {
        ES: { minutes: calm() },
        NQ: { minutes: selloff() },
        RTY: { minutes: calm() },
      }),
    );
    expect(doc.measures.perIndex.NQ?.m2.level).toBe('critical');
    expect(doc.measures.m4.breadth).toBe(1);
    expect(doc.candidate).toBe('watch');
  });

  it('a bearish regime escalates sooner (thresholds 0.5σ closer)', () => {
    const mild = [...flat(180, 1), ...ramp(61, 1, 0.992)];
    const neutral = computeRegime(all(mild));
    const bear = computeRegime(all(mild, AT, { regimeOverride: 'bearish' }));
    expect(bear.measures.sigmaShift).toBe(0.5);
    expect(WARNING_LEVELS.indexOf(bear.candidate)).toBeGreaterThanOrEqual(
      WARNING_LEVELS.indexOf(neutral.candidate),
    );
    expect(bear.reasons.some((r) => r.includes('bearish regime'))).toBe(true);
  });

  it('M6 and M7 from VIX: jump and inversion raise watch alone, flagged', () => {
    const doc = computeRegime(
      all(calm(), AT, {
        vix: { level: 25, priorClose: 20, ts: AT, source: 'derived', live: true },
        vix3m: { level: 24, ts: AT },
      }),
    );
    expect(doc.measures.m6).toMatchObject({ source: 'vix', level: 'warning' });
    expect(doc.measures.m6.value).toBeCloseTo(0.25, 12);
    expect(doc.measures.m7.level).toBe('warning');
    expect(doc.flags).toContain('termInverted');
    expect(doc.candidate).toBe('watch');
  });

  it('overnight without a live VIX uses the VX proxy for M6', () => {
    const night = etWallTime('2025-06-11', 2, 0);
    const doc = computeRegime(
      all(calm(), night, {
        vix: { level: 18, priorClose: 18, ts: REF, source: 'derived', live: false },
        vxProxy: { price: 21, priorClose: 19, ts: night },
      }),
    );
    expect(doc.session).toBe('overnight');
    expect(doc.measures.m6.source).toBe('vx_proxy');
    expect(doc.dataQuality.flags).toContain('vixFromClose');
  });

  it('drops a stale index, marks the check stale and keeps the level', () => {
    const critical = computeRegime(all(selloff(0.031)));
    const doc = computeRegime(
      regimeInputs(
        plus(5),
        REF,
        { ES: { minutes: calm() }, NQ: { minutes: calm() }, RTY: { minutes: calm(), ageSeconds: 1000 } },
        { previousState: critical.state },
      ),
    );
    expect(doc.dataQuality.dropped).toMatchObject([{ symbol: 'RTY', code: 'stale' }]);
    expect(doc.dataQuality.stale).toBe(true);
    expect(doc.flags).toEqual(expect.arrayContaining(['stale', 'reducedBreadth']));
    expect(doc.level).toBe('critical');
  });

  it('throws StaleDataError when no index is usable, InvalidSignalInputError on corrupt state', () => {
    const none = regimeInputs(AT, REF, { ES: { minutes: calm(), ageSeconds: 5000 } });
    expect(() => computeRegime(none)).toThrow(NoUsableInputError);
    expect(() => computeRegime(none)).toThrow(StaleDataError);
    const corrupt = all(calm(), AT, {
      previousState: { level: 'normal' } as unknown as RegimeInputs['previousState'],
    });
    expect(() => computeRegime(corrupt)).toThrow(InvalidSignalInputError);
    const noVix = all(calm(), AT, { vix: undefined });
    expect(() => computeRegime(noVix)).toThrow(/no volatility reference/);
  });

  it('rejects NaN and non-positive prices', () => {
    const inputs = all(calm());
    inputs.perIndex.NQ!.path[5]!.price = Number.NaN;
    expect(() => computeRegime(inputs)).toThrow(
      /perIndex\.NQ\.path\[5\]\.price must be a positive finite number/,
    );
    const zero = all(calm());
    zero.perIndex.ES!.reference.price = 0;
    expect(() => computeRegime(zero)).toThrow(InvalidSignalInputError);
  });

  it('breadthBasis "available": one index is the market, M4 is its own price level and counts', () => {
    const single = regimeInputs(AT, REF, { NQ: { minutes: selloff() } });
    expect(computeRegime(single).candidate).toBe('watch');
    const config = defaultSignalsConfig();
    config.earlyWarning = { ...config.earlyWarning, breadthBasis: 'available' };
    const study = computeRegime(single, config);
    // The same slide on all three indices is critical (M2 critical and M4 3/3): so is it on the one index.
    expect(study.measures.perIndex.NQ?.m2.level).toBe('critical');
    expect(study.measures.m4.level).toBe('critical');
    expect(study.candidate).toBe('critical');
    expect(computeRegime(all(selloff())).candidate).toBe('critical');
    // A watch-level move never lends M4 more than watch: one critical measure elsewhere stays one.
    const chop = [
      ...flat(180, 1),
      ...Array.from({ length: 61 }, (_, i) => (Math.floor(i / 5) % 2 === 0 ? 1 : 1.004)),
    ];
    const choppy = computeRegime(regimeInputs(AT, REF, { NQ: { minutes: chop } }), config);
    expect(choppy.measures.perIndex.NQ?.m5.level).toBe('critical');
    expect(['normal', 'watch']).toContain(choppy.measures.m4.level);
    expect(choppy.measures.counts.critical).toBe(1);
    expect(['normal', 'watch']).toContain(choppy.candidate);
  });

  it('M5 against a VIX close (not live) is capped at watch; a fresh VX proxy moves the close', () => {
    // Choppy hour: 0.4 % swings every 5 minutes, no trend, so only M5 reacts.
    const chop = [
      ...flat(180, 1),
      ...Array.from({ length: 61 }, (_, i) => (Math.floor(i / 5) % 2 === 0 ? 1 : 1.004)),
    ];
    const liveDoc = computeRegime(all(chop));
    expect(liveDoc.measures.perIndex.ES?.m5.level).toBe('critical');
    const close = { level: 20, priorClose: 20, ts: REF, source: 'derived', live: false } as const;
    const closeDoc = computeRegime(all(chop, AT, { vix: close }));
    expect(closeDoc.measures.perIndex.ES?.m5.value).toBeCloseTo(
      liveDoc.measures.perIndex.ES?.m5.value ?? 0,
      9,
    );
    expect(closeDoc.measures.perIndex.ES?.m5.level).toBe('watch');
    expect(closeDoc.dataQuality.flags).toContain('m5CappedAtWatch');
    const proxied = computeRegime(
      all(chop, AT, { vix: close, vxProxy: { price: 22, priorClose: 20, ts: plus(-1) } }),
    );
    expect(proxied.measures.perIndex.ES?.m5.value).toBeCloseTo(
      (liveDoc.measures.perIndex.ES?.m5.value ?? 0) / 1.1,
      9,
    );
    expect(proxied.measures.perIndex.ES?.m5.level).not.toBe('normal');
    expect(proxied.dataQuality.flags).toContain('m5VixScaledByVxProxy');
    expect(proxied.dataQuality.flags).not.toContain('m5CappedAtWatch');
    const staleProxy = computeRegime(
      all(chop, AT, { vix: close, vxProxy: { price: 22, priorClose: 20, ts: plus(-60) } }),
    );
    expect(staleProxy.measures.perIndex.ES?.m5.level).toBe('watch');
  });
});

describe('levelReaches (--fail-on)', () => {
  it.each(WARNING_LEVELS.flatMap((level) => WARNING_LEVELS.map((threshold) => [level, threshold] as const)))(
    'level %s vs --fail-on %s',
    (level, threshold) => {
      expect(levelReaches(level, threshold)).toBe(
        WARNING_LEVELS.indexOf(level) >= WARNING_LEVELS.indexOf(threshold),
      );
    },
  );
});
