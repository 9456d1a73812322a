import { describe, expect, it } from 'vitest';
import type { RunContext } from '../../../src/app/context.js';
import { step } from '../../../src/app/demo/progress.js';
import type { DemoResult } from '../../../src/app/demo.js';
import { demoSummary } from '../../../src/commands/futures/demo.js';

const result: DemoResult = {
  dataDir: '/work/demo-data',
  kept: true,
  temporary: false,
  rebuilt: true,
  scenario: 'calm',
  night: { sessionDate: '2026-12-04', from: '2026-12-03T23:00:00.000Z', to: '2026-12-04T14:25:00.000Z' },
  simulator: { host: '127.0.0.1', port: 4100, seed: 7 },
  steps: [
    {
      name: 'collect the night',
      command: 'futures collect --until "2026-12-04 09:25"',
      ms: 85_000,
      summary: '926 rounds',
    },
  ],
  collect: { rounds: 926, rowsWritten: 3704, bySymbol: { ES: 926 }, deltaVersion: 926 },
  compact: { filesBefore: 926, filesAfter: 1 },
  signals: { premarket: {}, regime: {} },
  nextCommands: ['npx futures status --data-dir ./demo-data'],
  wallMs: 90_000,
};

describe('the demo summary', () => {
  it('shows the night in ET, where the lake is and the next commands as they run here', () => {
    const text = demoSummary(result, 100);
    expect(text).toContain('night Thu 2026-12-03 18:00 ET → Fri 2026-12-04 09:25 ET (session 2026-12-04)');
    expect(text).toContain(
      'The demo lake is in /work/demo-data (rebuilt: the earlier demo lake there was replaced)',
    );
    expect(text).toContain('  npx futures status --data-dir ./demo-data');
    const table = text.split('\n').filter((l) => /^[┌│└]/.test(l));
    expect(table.length).toBeGreaterThan(2);
    expect(Math.max(...table.map((l) => l.length))).toBeLessThanOrEqual(100);
  });

  it('a step reports its progress: under -v when not on a terminal', async () => {
    const lines: string[] = [];
    const ctx = {
      isInteractive: false,
      log: {
        debug: (m: string) => lines.push(`debug ${m}`),
        info: (m: string) => lines.push(`info ${m}`),
        warn: () => {},
      },
    } as unknown as RunContext;
    const steps: Parameters<typeof step>[0] = [];
    await step(
      steps,
      ctx,
      { name: 'collect the night', command: 'x' },
      async (progress) => {
        progress('03:12 ET · 312/926 rounds');
        return 1;
      },
      () => 'done',
    );
    expect(lines[1]).toBe('debug demo: collect the night 03:12 ET · 312/926 rounds');
    expect(steps[0]?.summary).toBe('done');
  });
});
