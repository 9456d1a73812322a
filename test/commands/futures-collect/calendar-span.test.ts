import { describe, expect, it } from 'vitest';
import { cmeStatusAt, defaultCalendar } from '../../../src/market/index.js';
import { COLLECT_PATHS, type CollectPath, harness } from '../../app/collect/helpers.js';
import { allRows, checkConsistency, expectedSlots, snapshotJobs } from './expect.js';

/**
 * A simulated span under a manual clock: `collect --until` with the simulator must collect exactly the
 * slots the CME calendar says are open and record every other slot as skipped with the calendar's reason.
 */
async function span(options: {
  from: string;
  to: string;
  interval: string;
  seconds: number;
  symbols: string;
  lookbackSeconds?: number;
  path: CollectPath;
}) {
  const from = new Date(options.from);
  const to = new Date(options.to);
  const lookback = options.lookbackSeconds ?? 0;
  const h = await harness(from, {
    path: options.path,
    config: { collect: { firstRunLookbackSeconds: lookback } },
  });
  const run = await h.run([
    'collect',
    '--until',
    options.to,
    '--interval',
    options.interval,
    '--symbols',
    options.symbols,
    '--json',
  ]);
  expect(run.stderr).not.toMatch(/internal error/);
  expect(run.code).toBe(0);
  const summary = JSON.parse(run.stdout);
  expect(summary.stopReason).toBe('until');

  const symbols = options.symbols.split(',');
  const expected = expectedSlots(new Date(from.getTime() - lookback * 1000), to, options.seconds);
  const queue = await h.queue();
  const jobs = await snapshotJobs(queue);
  const rows = await allRows(h.dataDir);
  expect(checkConsistency(jobs, rows)).toEqual([]);

  const actual = new Map(jobs.map((j) => [`${j.symbol}@${j.slotTs.getTime()}`, j]));
  const mismatches: string[] = [];
  for (const [t, status] of expected) {
    for (const symbol of symbols) {
      const job = actual.get(`${symbol}@${t}`);
      const got = job ? (job.status === 'done' ? 'open' : `${job.status}:${job.reason}`) : 'no job';
      const want = status === 'open' ? 'open' : `skipped:${status}`;
      if (got !== want) mismatches.push(`${symbol} ${new Date(t).toISOString()}: want ${want}, got ${got}`);
    }
  }
  expect(mismatches).toEqual([]);
  expect(jobs.length).toBe(expected.size * symbols.length);
  const open = [...expected.values()].filter((s) => s === 'open').length;
  expect(rows.length).toBe(open * symbols.length);
  expect(summary.slots.done).toBe(open * symbols.length);
  expect(summary.slots.skipped).toBe((expected.size - open) * symbols.length);
  for (const row of rows) {
    expect(row.source).toBe('sim');
    expect(row.tradeDate).toBe(cmeStatusAt(row.slotTs as Date, defaultCalendar()).tradeDate);
  }
  return { expected, rows, summary };
}

const count = (m: Map<number, string>) => {
  const c: Record<string, number> = {};
  for (const v of m.values()) c[v] = (c[v] ?? 0) + 1;
  return c;
};

describe.each(COLLECT_PATHS)(
  'collect over a simulated span, %s path (manual clock, simulator over loopback)',
  (path) => {
    it('Sunday 17:30 ET → Tuesday 19:00 ET at hourly slots: weekend, Sunday open, Monday and Tuesday halts', async () => {
      const { expected } = await span({
        from: '2026-08-30T17:30:00-04:00',
        to: '2026-09-01T19:00:00-04:00',
        interval: '60m',
        seconds: 3600,
        symbols: 'ES,VIX',
        path,
        // The first run plans from 30 minutes back, so the Sunday 17:00 slot is on the hourly grid.
        lookbackSeconds: 1800,
      });
      // Sun 17:00 weekend; Sun 18:00 → Mon 16:00 open (23); Mon 17:00 halt; Mon 18:00 → Tue 16:00 open (23);
      // Tue 17:00 halt; Tue 18:00, 19:00 open.
      expect(count(expected)).toEqual({ weekend: 1, open: 48, halt: 2 });
    }, 180_000);

    it('one-minute slots around the Monday maintenance halt', async () => {
      const { expected, rows } = await span({
        from: '2026-08-31T16:55:00-04:00',
        to: '2026-08-31T18:05:00-04:00',
        interval: '60s',
        seconds: 60,
        symbols: 'ES,NQ,RTY,VIX',
        path,
      });
      expect(count(expected)).toEqual({ open: 11, halt: 60 });
      const segments = new Set(rows.map((r) => `${r.segment}:${r.tradeDate}`));
      expect(segments).toEqual(new Set(['post:2026-08-31', 'overnight:2026-09-01']));
    }, 180_000);

    it('Thanksgiving week 2026 at hourly slots: the 13:00 holiday halt and Friday 13:15 early close', async () => {
      const { expected } = await span({
        from: '2026-11-25T17:30:00-05:00',
        to: '2026-11-27T15:00:00-05:00',
        interval: '60m',
        seconds: 3600,
        symbols: 'ES,NQ',
        path,
      });
      const c = count(expected);
      expect(c.holiday).toBe(5); // Thursday 13:00 … 17:00
      expect(c.early_close).toBe(2); // Friday 14:00, 15:00
      expect(c.halt ?? 0).toBe(0);
      expect(c.open).toBe(expected.size - 7);
    }, 180_000);
  },
);
