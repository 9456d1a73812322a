/**
 * The dashboard's timeline, coverage and scorecard endpoints: each is the CLI's own calculation (the regime
 * replay's lines folded into steps, the lake's rows per hour, `signals evaluate --json`), kept per lake version.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regimeTimeline } from '../../../src/app/dashboard/timeline.js';
import { buildSignalLake, runSignals } from '../../commands/signals/lake-fixture.js';
import { cliJson, type RunningDashboard, startDashboard } from './harness.js';

const NOW = new Date('2026-03-10T16:00:00Z'); // 12:00 EDT Tue, the fixture's end
let dir: string;
let dashboard: RunningDashboard;

const get = async (path: string) => {
  const res = await fetch(new URL(path, dashboard.url));
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dash-views-'));
  await buildSignalLake(dir, { crash: true });
  dashboard = await startDashboard(dir, NOW);
});

afterAll(async () => {
  await dashboard?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Step {
  from: number;
  to: number;
  level: string | null;
  candidate: string | null;
  checks: number;
  reasons: string[];
}

describe('/api/timeline', () => {
  it('is the week of `signals regime --from --to --every 5m --no-record`, folded into steps of one level', async () => {
    const api = await get('api/timeline?date=2026-03-10');
    expect(api.status).toBe(200);
    const run = await runSignals(
      [
        'regime',
        '--from',
        '2026-03-04',
        '--to',
        '2026-03-10',
        '--every',
        '5m',
        '--no-record',
        '--data-dir',
        dir,
      ],
      () => NOW,
    );
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const folded = regimeTimeline(lines, { from: '2026-03-04', to: '2026-03-10' }, 300_000);
    expect(api.body).toEqual({ schema: 'futures.dashboard.regime-timeline/v1', ...folded });
    const steps = api.body.steps as Step[];
    expect(steps.reduce((n, s) => n + s.checks, 0)).toBe(lines.length);
    // The crash morning escalates; each step's hover text is the first check's reasons.
    const warning = steps.find((s) => s.level === 'warning');
    expect(warning).toBeDefined();
    expect(warning!.reasons[0]).toMatch(/^level warning/);
    for (let i = 1; i < steps.length; i++) expect(steps[i]!.from).toBeGreaterThanOrEqual(steps[i - 1]!.to);
  });
});

describe('/api/coverage', () => {
  it('counts the rows per symbol and hour of the day before the call, with closed hours named', async () => {
    const api = await get('api/coverage?date=2026-03-10');
    expect(api.status).toBe(200);
    expect(api.body.from).toBe('2026-03-09T14:00:00.000Z');
    expect(api.body.to).toBe('2026-03-10T13:25:00.000Z');
    const symbols = api.body.symbols as Record<
      string,
      Array<{ hour: number; expected: number; rows: number; backfilled: number; closed: string | null }>
    >;
    expect(Object.keys(symbols)).toEqual(['ES', 'NQ', 'RTY', 'VIX']);
    const series = (await get('api/series?from=2026-03-09T14:00:00Z&to=2026-03-10T13:25:00Z')).body
      .series as Record<string, { ts: number[] }>;
    for (const [symbol, hours] of Object.entries(symbols)) {
      expect(hours).toHaveLength(24);
      const total = hours.reduce((n, h) => n + h.rows + h.backfilled, 0);
      expect(total, symbol).toBe(series[symbol]!.ts.length);
      // 17:00–18:00 EDT is the daily halt: closed, nothing expected; no futures rows (the fixture's VIX
      // prints all day).
      const halt = hours.find((h) => h.hour === Date.parse('2026-03-09T21:00:00Z'))!;
      expect(halt).toMatchObject({ expected: 0, backfilled: 0, closed: 'halt' });
      expect(halt.rows).toBe(symbol === 'VIX' ? 12 : 0);
      // A traded hour at the default 60 s period expects 60 slots; the fixture has one row per 5 minutes.
      const night = hours.find((h) => h.hour === Date.parse('2026-03-10T05:00:00Z'))!;
      expect(night).toMatchObject({ expected: 60, rows: 12, closed: null });
    }
  });
});

describe('/api/scorecard', () => {
  it('is `signals evaluate --json` over the quarter up to the date', async () => {
    const api = await get('api/scorecard?date=2026-03-10');
    const cli = await cliJson(
      'signals',
      ['evaluate', '--json', '--from', '2025-12-10', '--to', '2026-03-10', '--data-dir', dir],
      NOW,
    );
    expect(cli.code).toBe(0);
    expect(api.status).toBe(200);
    expect(api.body).toEqual(cli.doc);
    expect((api.body.window as { sessions: number }).sessions).toBeGreaterThan(50);
  });
});
