import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { COLLECT_PATHS, harness, TUESDAY_10_ET } from '../../app/collect/helpers.js';
import { allRows, checkConsistency, snapshotJobs } from './expect.js';

/** A loopback port nobody listens on (a gateway that is down). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const ONE_SLOT = { collect: { firstRunLookbackSeconds: 0 } };

describe.each(COLLECT_PATHS)(
  'collect, %s path: gateway faults, through the real client and the simulator',
  (path) => {
    it('gateway down: exit 3, the slots stay pending with no attempt counted; the next run collects them', async () => {
      const h = await harness(TUESDAY_10_ET, { path, config: ONE_SLOT });
      const port = await closedPort();
      const down = await h.run(['collect', '--once', '--json'], {
        factory: { target: { host: '127.0.0.1', port } },
      });
      expect(down.code).toBe(3);
      expect(JSON.parse(down.stdout).error.exitCode).toBe(3);
      const queue = await h.queue();
      const pending = await snapshotJobs(queue);
      expect(pending.map((j) => [j.symbol, j.status, j.attempts])).toEqual([
        ['ES', 'pending', 0],
        ['NQ', 'pending', 0],
        ['RTY', 'pending', 0],
        ['VIX', 'pending', 0],
      ]);
      queue.close();
      h.clock.advance(20_000);
      const up = await h.run(['collect', '--once', '--json']);
      expect(up.code).toBe(0);
      expect(JSON.parse(up.stdout).slots.done).toBe(4);
      const jobs = await snapshotJobs(await h.queue());
      expect(jobs.every((j) => j.status === 'done')).toBe(true);
      expect(checkConsistency(jobs, await allRows(h.dataDir))).toEqual([]);
    });

    it('disconnect mid-round, one-shot: exit 3 and the claimed slots are pending again', async () => {
      const h = await harness(TUESDAY_10_ET, {
        path,
        config: ONE_SLOT,
        faults: [{ type: 'disconnect', afterMessages: 3 }],
      });
      const run = await h.run(['collect', '--once']);
      expect(run.code).toBe(3);
      const jobs = await snapshotJobs(await h.queue());
      expect(jobs.map((j) => j.status)).toEqual(['pending', 'pending', 'pending', 'pending']);
      expect(await allRows(h.dataDir)).toEqual([]);
    });

    it('disconnect mid-round, long-running: the session reconnects and the round is stored', async () => {
      const h = await harness(TUESDAY_10_ET, {
        path,
        config: ONE_SLOT,
        faults: [{ type: 'disconnect', afterMessages: 3, sessions: 1 }],
      });
      const run = await h.run(['collect', '--until', '2026-09-01T10:02:00-04:00', '--json']);
      expect(run.code).toBe(0);
      const summary = JSON.parse(run.stdout);
      expect(summary.slots.done).toBe(12);
      expect(h.sim.stats().connectionsAccepted).toBeGreaterThanOrEqual(2);
      const jobs = await snapshotJobs(await h.queue());
      expect(jobs.every((j) => j.status === 'done')).toBe(true);
      expect(checkConsistency(jobs, await allRows(h.dataDir))).toEqual([]);
    });

    it('354 without a live subscription: delayed fallback, market_data_type 3 and the delayed flag', async () => {
      const h = await harness(TUESDAY_10_ET, {
        path,
        config: ONE_SLOT,
        faults: [{ type: 'delayedOnly', symbols: ['NQ'] }],
      });
      const run = await h.run(['collect', '--once', '--symbols', 'ES,NQ']);
      expect(run.code).toBe(0);
      const rows = await allRows(h.dataDir);
      const nq = rows.find((r) => r.symbol === 'NQ');
      const es = rows.find((r) => r.symbol === 'ES');
      expect(nq?.marketDataType).toBe(3);
      expect(nq?.quality).toContain('delayed');
      expect(nq?.bid).not.toBeNull();
      expect(es?.quality).not.toContain('delayed');
    });

    it('200 for one symbol: that slot fails for good with the reason, the others are stored, exit 2', async () => {
      const h = await harness(TUESDAY_10_ET, {
        path,
        config: ONE_SLOT,
        faults: [{ type: 'noSecurityDefinition', symbols: ['RTY'] }],
      });
      const run = await h.run(['collect', '--once', '--json']);
      expect(run.code).toBe(2);
      const summary = JSON.parse(run.stdout);
      expect(summary.slots).toMatchObject({ done: 3, failed: 1 });
      expect(summary.failures[0]).toMatchObject({ symbol: 'RTY', ibCode: 200, permanent: true });
      const jobs = await snapshotJobs(await h.queue());
      const rty = jobs.find((j) => j.symbol === 'RTY');
      expect(rty).toMatchObject({ status: 'failed', ibErrorCode: 200 });
      expect(rty?.reason).toMatch(/RTY/);
      expect((await allRows(h.dataDir)).map((r) => r.symbol).sort()).toEqual(['ES', 'NQ', 'VIX']);
      expect(checkConsistency(jobs, await allRows(h.dataDir))).toEqual([]);
    });
  },
);

describe.each(COLLECT_PATHS)('collect, %s path: one collector at a time', (path) => {
  it('two collectors started together: one runs, the other exits 5 naming the holder pid and start time', async () => {
    const h = await harness(TUESDAY_10_ET, { path, config: ONE_SLOT });
    const stop = new AbortController();
    const runs = [0, 1].map((i) =>
      h.run(['collect', '--loop'], { signal: stop.signal }).then((r) => {
        if (r.code === 5) stop.abort();
        return { i, ...r };
      }),
    );
    const results = await Promise.all(runs);
    const codes = results.map((r) => r.code).sort();
    expect(codes).toEqual([0, 5]);
    const busy = results.find((r) => r.code === 5);
    expect(busy?.stderr).toMatch(new RegExp(`held by pid ${process.pid} .*since 2026-09-01T14:00:00.000Z`));
  });
});
