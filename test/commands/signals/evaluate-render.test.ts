import { describe, expect, it } from 'vitest';
import { renderEvaluateHuman } from '../../../src/commands/signals/evaluate-render.js';
import { scoreCalls, scoreEarlyWarning } from '../../../src/signals/scorecard.js';
import { type EvaluateDocument, evaluateDocumentSchema } from '../../../src/signals/scorecard-schema.js';

const bear = { direction: -1 as const, openTo1000: -0.004, openToClose: -0.012, maxAdverse: -0.002 };
const bull = { direction: 1 as const, openTo1000: 0.001, openToClose: -0.003, maxAdverse: -0.006 };
const ours = scoreCalls({ band: 'ge_t3' }, [
  { group: {}, ...bear },
  { group: {}, ...bull },
]);
const naive = scoreCalls({ band: 'ge_t3', rule: 'naive' }, [{ group: {}, ...bear }]);
const breach = new Date('2022-06-13T12:40:00Z');
const ew = scoreEarlyWarning(
  [{ at: new Date('2022-06-13T12:00:00Z'), session: '2022-06-13', alert: true }],
  [{ session: '2022-06-13', breachAt: breach }],
);

const doc: EvaluateDocument = evaluateDocumentSchema.parse({
  schema: 'signals.evaluate/v1',
  window: {
    from: '2022-06-13',
    to: '2022-06-14',
    sessions: 2,
    at: '09:25',
    everyMinutes: 5,
    checksFrom: '04:00',
    symbols: ['NQ'],
    reference: 'NQ',
    lake: [{ table: 'futures_bars', version: 3 }],
  },
  premarket: {
    calls: [],
    groups: [{ ...ours, group: { bias: 'lean_bear', mode: 'wait_for_confirmation', band: 'ge_t3' } }],
    byBand: [{ band: 'ge_t3', ours, naive }],
    overall: { ours, naive },
    naiveRule: { minMovePct: 0.5 },
    topBand: { band: 'ge_t3', oursHitRate: ours.hitRate, naiveHitRate: naive.hitRate, atLeastAsGood: false },
  },
  earlyWarning: {
    alertLevel: 'warning',
    drawdownPct: 2,
    checks: 1,
    skippedChecks: 0,
    ...ew,
    levels: { normal: 0, watch: 0, warning: 1, critical: 0 },
    drawdowns: [
      {
        session: '2022-06-13',
        referenceAt: '2022-06-10T20:00:00.000Z',
        breachAt: breach.toISOString(),
        movePct: -2.01,
        firstAlertAt: '2022-06-13T12:00:00.000Z',
        leadMinutes: 40,
        beforeFirstCheck: false,
      },
    ],
  },
  momentum: { definition: 'x', n: 3, slope: 0.05, intercept: 0, rSquared: 0.012 },
  reasons: ['top band ge_t3: WORSE'],
});

describe('renderEvaluateHuman', () => {
  it('draws the groups, ours vs naive per band, the early warning and the drawdowns on a terminal', () => {
    const text = renderEvaluateHuman(doc, { mode: 'table' });
    expect(text).toMatch(/lean_bear\s+│ wait_for_confirmation │ ge_t3/);
    expect(text).toMatch(/ge_t3\s+│ naive │ 1\s+│ 1\s+│ 100% \(1\/1\)/);
    expect(text).toMatch(/ge_t3\s+│ ours\s+│ 2\s+│ 2\s+│ 50% \(1\/2\)/);
    expect(text).toContain('recall           100% (1/1)');
    expect(text).toContain('median lead      40 min');
    expect(text).toContain('slope 0.050, R² 1.20% over 3 sessions');
    expect(text).toMatch(/2022-06-13 │ 2022-06-13T12:40 │ -2.01% │ 2022-06-13T12:00\s+│ 40 min/);
  });

  it('prints tagged tab-separated rows when piped', () => {
    const rows = renderEvaluateHuman(doc, { mode: 'tsv' })
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows).toContainEqual([
      'band',
      'ge_t3',
      'naive',
      '1',
      '1',
      '100% (1/1)',
      '21%–100%',
      '+40.0bp',
      '+120.0bp',
      '-20.0bp',
    ]);
    expect(rows).toContainEqual([
      'drawdown',
      '2022-06-13',
      '2022-06-13T12:40',
      '-2.01%',
      '2022-06-13T12:00',
      '40 min',
    ]);
    expect(rows).toContainEqual(['reason', 'top band ge_t3: WORSE']);
  });
});
