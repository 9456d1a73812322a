/**
 * The `signals evaluate` use case on a small synthetic lake (fixed clock, America/New_York, the end of DST
 * and Thanksgiving): sessions, call instants, outcomes, drawdown events, and no look-ahead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunContext } from '../../../src/app/context.js';
import { evaluateSignal } from '../../../src/app/evaluate/evaluate.js';
import { premarketStrategy } from '../../../src/app/evaluate/premarket.js';
import { evaluateScorecard, type ScorecardRequest } from '../../../src/app/evaluate/scorecard/index.js';
import { configSchema } from '../../../src/config/schema.js';
import { createLogger } from '../../../src/core/log.js';
import { defaultCalendar, etInstant } from '../../../src/market/index.js';
import { evaluateDocumentSchema } from '../../../src/signals/scorecard-schema.js';
import { captureStream, testCtx } from '../../helpers/ctx.js';
import { tempDir } from '../../lake/inputs/fixtures.js';
import { buildScorecardLake, CRASH_DAY, esPrice, RALLY_DAY } from './scorecard-fixture.js';

const NOW = new Date('2026-11-30T12:00:00Z');

function runContext(dataDir: string): RunContext {
  return {
    ...testCtx({ now: () => NOW }),
    config: configSchema.parse({ dataDir }),
    configFile: undefined,
    calendar: defaultCalendar(),
    log: createLogger(captureStream(), 'quiet'),
    isInteractive: false,
  };
}

function request(from: string, to: string): ScorecardRequest {
  return {
    from,
    to,
    at: '09:25',
    everyMs: 5 * 60_000,
    checksFrom: '04:00',
    symbols: ['ES'],
    reference: undefined,
    drawdownPct: 2,
    alertLevel: 'warning',
    naiveMinMovePct: 0.5,
    overrides: {},
  };
}

describe('evaluateScorecard', () => {
  let clean: Awaited<ReturnType<typeof tempDir>>;
  let poisoned: Awaited<ReturnType<typeof tempDir>>;
  const cut = etInstant(CRASH_DAY, '09:25');

  beforeAll(async () => {
    clean = await tempDir('scorecard-');
    poisoned = await tempDir('scorecard-poison-');
    await buildScorecardLake(clean.dir);
    await buildScorecardLake(poisoned.dir, { poisonAfter: cut });
  }, 120_000);

  afterAll(async () => {
    await clean?.cleanup();
    await poisoned?.cleanup();
  });

  it('grades one call per NYSE session at 09:25 ET, across the end of DST and Thanksgiving', async () => {
    const { document } = await evaluateScorecard(request('2026-10-26', '2026-11-27'), runContext(clean.dir));
    expect(evaluateDocumentSchema.parse(JSON.parse(JSON.stringify(document)))).toBeTruthy();
    const calls = document.premarket.calls;
    expect(calls.map((c) => c.session)).not.toContain('2026-11-26');
    expect(calls).toHaveLength(24);
    const asOf = Object.fromEntries(calls.map((c) => [c.session, c.asOf]));
    expect(asOf['2026-10-30']).toBe('2026-10-30T13:25:00.000Z'); // EDT
    expect(asOf['2026-11-02']).toBe('2026-11-02T14:25:00.000Z'); // EST
    expect(document.window).toMatchObject({ sessions: 24, reference: 'ES', at: '09:25' });

    const crash = calls.find((c) => c.session === CRASH_DAY);
    expect(crash?.direction).toBe(-1);
    expect(crash?.overnightPct).toBeLessThan(-2.5);
    const open = esPrice(etInstant(CRASH_DAY, '09:30'));
    expect(crash?.openToClose).toBeCloseTo(esPrice(etInstant(CRASH_DAY, '16:00')) / open - 1, 6);
    expect(crash?.openTo1000).toBeCloseTo(esPrice(etInstant(CRASH_DAY, '10:00')) / open - 1, 6);
    expect(crash?.maxAdverse).toBe(0); // a bearish call on a day that only fell
    const rally = calls.find((c) => c.session === RALLY_DAY);
    expect(rally?.direction).toBe(1);
    expect(rally?.naiveDirection).toBe(1);

    // The half-day closes at 13:00 ET: its outcome is graded to 13:00, not 16:00.
    const half = calls.find((c) => c.session === '2026-11-27');
    const halfOpen = esPrice(etInstant('2026-11-27', '09:30'));
    expect(half?.openToClose).toBeCloseTo(esPrice(etInstant('2026-11-27', '13:00')) / halfOpen - 1, 6);

    const ew = document.earlyWarning;
    expect(ew.drawdowns.map((d) => d.session)).toEqual([CRASH_DAY]);
    expect(ew.events).toBe(1);
    expect(ew.sessions).toBe(24);
    expect(ew.checks + ew.skippedChecks).toBeGreaterThan(24 * 100);
    expect(ew.levels.normal).toBeGreaterThan(0);
    const event = ew.drawdowns[0];
    expect(Date.parse(event?.breachAt ?? '')).toBeGreaterThan(etInstant(CRASH_DAY, '06:00').getTime());
    expect(Date.parse(event?.breachAt ?? '')).toBeLessThan(etInstant(CRASH_DAY, '09:30').getTime());
    expect(document.momentum.n).toBeGreaterThan(20);
  }, 120_000);

  it('makes the call `signals premarket --as-of` makes at the same instant', async () => {
    const ctx = runContext(clean.dir);
    const { document } = await evaluateScorecard(request('2026-11-02', '2026-11-12'), ctx);
    for (const session of [CRASH_DAY, RALLY_DAY, '2026-11-02']) {
      const call = document.premarket.calls.find((c) => c.session === session);
      const single = await evaluateSignal(
        premarketStrategy,
        { symbols: ['ES'], asOf: new Date(call?.asOf ?? ''), range: undefined, overrides: {}, record: false },
        ctx,
      );
      if (single.mode !== 'single') throw new Error('expected one evaluation');
      const d = single.document;
      expect(call).toMatchObject({
        bias: d.decision.bias,
        mode: d.decision.mode,
        strength: d.decision.strength,
        band: d.decision.band,
        z: d.measures.composite.z,
        overnightPct: d.measures.perIndex.ES?.pct,
      });
    }
  }, 120_000);

  it('scores the early warning against the drawdown: detected with its lead at alert level watch', async () => {
    const watch = { ...request('2026-10-26', '2026-11-27'), alertLevel: 'watch' as const };
    const ew = (await evaluateScorecard(watch, runContext(clean.dir))).document.earlyWarning;
    const event = ew.drawdowns[0];
    expect(event?.firstAlertAt).not.toBeNull();
    const lead = (Date.parse(event?.breachAt ?? '') - Date.parse(event?.firstAlertAt ?? '')) / 60_000;
    expect(lead).toBeGreaterThan(0);
    expect(event?.leadMinutes).toBe(lead);
    expect(ew).toMatchObject({ events: 1, detected: 1, recall: 1, medianLeadMinutes: lead });
    expect(ew.alertSessions).toBeGreaterThanOrEqual(1);
    expect(ew.precision).toBe(1 / ew.alertSessions);
    expect(ew.alertsPer20CalmChecks).toBe((20 * ew.calmAlerts) / ew.calmChecks);
  }, 120_000);

  it('cannot see the future: poisoning every price after a call leaves that call and all before it unchanged', async () => {
    const range = request('2026-10-26', CRASH_DAY);
    const a = await evaluateScorecard(range, runContext(clean.dir));
    const b = await evaluateScorecard(range, runContext(poisoned.dir));
    const call = (c: (typeof a.document.premarket.calls)[number]) => ({
      session: c.session,
      asOf: c.asOf,
      bias: c.bias,
      mode: c.mode,
      strength: c.strength,
      band: c.band,
      z: c.z,
      overnightPct: c.overnightPct,
      direction: c.direction,
      naiveDirection: c.naiveDirection,
      earlyWarning: c.earlyWarning,
      skipped: c.skipped,
    });
    expect(b.document.premarket.calls.map(call)).toEqual(a.document.premarket.calls.map(call));
    const upToCut = (r: typeof a) => r.checks.filter((c) => c.at.getTime() <= cut.getTime());
    expect(upToCut(b)).toEqual(upToCut(a));
    expect(upToCut(a).length).toBeGreaterThan(1000);
    // The poison is real: what followed the cut differs.
    const last = (r: typeof a) => r.document.premarket.calls.at(-1)?.openToClose;
    expect(last(b)).not.toBeCloseTo(last(a) ?? 0, 3);
  }, 120_000);
});
