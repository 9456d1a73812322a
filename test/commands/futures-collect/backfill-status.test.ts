import { mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openMemoryConnection } from '../../../src/delta/index.js';
import { readBars } from '../../../src/lake/index.js';
import { harness, TUESDAY_10_ET } from '../../app/collect/helpers.js';
import { allRows, checkConsistency, snapshotJobs } from './expect.js';

async function bars(dataDir: string, barSize: string) {
  const duck = await openMemoryConnection();
  try {
    return (await readBars(duck.connection, dataDir, { barSize })).records;
  } finally {
    duck.close();
  }
}

describe('futures backfill', () => {
  it('is idempotent: a rerun queues nothing new and writes no bar twice; a later run adds only new bars', async () => {
    const h = await harness(TUESDAY_10_ET);
    const first = await h.run(['backfill', '--symbols', 'ES', '--days', '1', '--bar', '1min', '--json']);
    expect(first.code).toBe(0);
    const a = JSON.parse(first.stdout);
    // Monday 18:00 ET → Tuesday 10:00 ET: 16 hours of 1-minute bars of the front contract.
    expect(a.jobs).toMatchObject({ queued: 1, run: 1, done: 1 });
    expect(a.bars.written).toBe(960);

    const again = JSON.parse(
      (await h.run(['backfill', '--symbols', 'ES', '--days', '1', '--bar', '1min', '--json'])).stdout,
    );
    expect(again.jobs).toMatchObject({ queued: 0, alreadyQueued: 1, run: 0 });
    expect(again.bars.written).toBe(0);

    h.clock.advance(5 * 60_000);
    const later = JSON.parse(
      (await h.run(['backfill', '--symbols', 'ES', '--days', '1', '--bar', '1min', '--json'])).stdout,
    );
    expect(later.bars).toMatchObject({ fetched: 965, written: 5, duplicates: 960 });

    const stored = await bars(h.dataDir, '1 min');
    expect(stored.length).toBe(965);
    expect(new Set(stored.map((b) => b.ts.getTime())).size).toBe(965);
    expect(stored.every((b) => b.localSymbol === 'ESU6' && b.source === 'sim')).toBe(true);
  }, 120_000);

  it('daily history through the continuous future', async () => {
    const h = await harness(TUESDAY_10_ET);
    const run = await h.run(['backfill', '--symbols', 'ES,NQ', '--days', '10', '--bar', '1day', '--json']);
    expect(run.code).toBe(0);
    const daily = await bars(h.dataDir, '1 day');
    // Complete trade dates from Wed 2026-08-26 to Mon 2026-08-31: six weekdays... minus none (no holiday).
    const esDates = daily.filter((b) => b.symbol === 'ES').map((b) => b.tradeDate);
    expect(esDates.length).toBeGreaterThanOrEqual(5);
    expect(esDates.at(-1)).toBe('2026-08-31');
    expect(daily.every((b) => b.conId === null)).toBe(true);
    const rerun = JSON.parse(
      (await h.run(['backfill', '--symbols', 'ES,NQ', '--days', '10', '--bar', '1day', '--json'])).stdout,
    );
    expect(rerun.bars.written).toBe(0);
  }, 120_000);

  it('--missed fills the slots collect marked missed (source backfill) and marks them backfilled', async () => {
    const h = await harness(TUESDAY_10_ET, { config: { collect: { firstRunLookbackSeconds: 0 } } });
    expect((await h.run(['collect', '--once', '--symbols', 'ES'])).code).toBe(0);
    h.clock.advance(10 * 60_000);
    expect((await h.run(['collect', '--once', '--symbols', 'ES'])).code).toBe(0);
    const queue = await h.queue();
    const missed = (await snapshotJobs(queue)).filter((j) => j.status === 'missed');
    expect(missed.map((j) => j.slotTs.toISOString())).toEqual([
      '2026-09-01T14:01:00.000Z',
      '2026-09-01T14:02:00.000Z',
      '2026-09-01T14:03:00.000Z',
      '2026-09-01T14:04:00.000Z',
    ]);
    const fill = JSON.parse(
      (await h.run(['backfill', '--missed', '--symbols', 'ES', '--days', '1', '--bar', '1day', '--json']))
        .stdout,
    );
    expect(fill.missed).toMatchObject({ found: 4, filled: 4, unfilled: 0 });
    const jobs = await snapshotJobs(queue);
    expect(jobs.filter((j) => j.reason === 'backfilled').length).toBe(4);
    const rows = await allRows(h.dataDir);
    const backfilled = rows.filter((r) => r.source === 'backfill');
    expect(backfilled.map((r) => r.quality)).toEqual([
      ['backfill'],
      ['backfill'],
      ['backfill'],
      ['backfill'],
    ]);
    expect(backfilled.every((r) => r.last !== null && r.ts.getTime() === r.slotTs?.getTime())).toBe(true);
    expect(checkConsistency(jobs, rows)).toEqual([]);
    const again = JSON.parse(
      (await h.run(['backfill', '--missed', '--symbols', 'ES', '--days', '1', '--bar', '1day', '--json']))
        .stdout,
    );
    expect(again.missed.found).toBe(0);
  }, 120_000);
});

describe('futures status', () => {
  it('--max-age: exit 6 when the market is open and data is older, 0 when fresh, 0 with the reason when closed', async () => {
    const h = await harness(TUESDAY_10_ET, { config: { collect: { firstRunLookbackSeconds: 0 } } });
    expect((await h.run(['status', '--max-age', '5m'])).code).toBe(2); // no data directory yet
    mkdirSync(h.dataDir);
    expect((await h.run(['status', '--max-age', '5m'])).code).toBe(6);
    expect((await h.run(['collect', '--once'])).code).toBe(0);
    h.clock.advance(2 * 60_000);
    const fresh = await h.run(['status', '--max-age', '5m', '--json']);
    expect(fresh.code).toBe(0);
    const report = JSON.parse(fresh.stdout);
    expect(report.instruments.map((i: { ageSeconds: number }) => i.ageSeconds)).toEqual([120, 120, 120, 120]);
    expect(report.tables.find((t: { name: string }) => t.name === 'futures_snapshots')).toMatchObject({
      version: 1,
      files: 1,
    });
    expect(report.queue.counts.byStatus.done).toBe(4);
    h.clock.advance(8 * 60_000);
    const stale = await h.run(['status', '--max-age', '5m']);
    expect(stale.code).toBe(6);
    expect(stale.stdout).toMatch(/^status\tfreshness\tstale\t300$/m);
    h.clock.set(new Date('2026-09-05T16:00:00Z')); // Saturday
    const closed = await h.run(['status', '--max-age', '5m', '--json']);
    expect(closed.code).toBe(0);
    expect(JSON.parse(closed.stdout).freshness.reason).toMatch(/closed \(weekend\)/);
  }, 120_000);

  it('works while a collector runs and names it as the lock holder', async () => {
    const h = await harness(TUESDAY_10_ET);
    const stop = new AbortController();
    let statusCode = -1;
    let holder = '';
    const collector = h.run(['collect', '--loop'], {
      signal: stop.signal,
      hooks: {
        onRound: () => {
          if (statusCode !== -1) return;
          statusCode = -2;
          void h.run(['status', '--json']).then((s) => {
            statusCode = s.code;
            holder = JSON.parse(s.stdout).locks.collect?.pid ?? '';
            stop.abort();
          });
        },
      },
    });
    expect((await collector).code).toBe(0);
    expect(statusCode).toBe(0);
    expect(holder).toBe(process.pid);
  }, 120_000);
});
