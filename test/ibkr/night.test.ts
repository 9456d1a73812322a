import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/core/clock.js';
import { runFutures } from '../../src/main.js';
import { openQueue, queuePaths } from '../../src/queue/index.js';
import { startSimulator } from '../../src/sim/index.js';
import { nightPlan } from '../../src/sim/schedule.js';
import { onCleanup, tempDir, testConfig } from '../app/collect/helpers.js';
import { allRows, checkConsistency, snapshotJobs } from '../commands/futures-collect/expect.js';
import { testCtx } from '../helpers/ctx.js';

/** Tuesday 13 Oct 2026 23:30 ET → Wednesday 00:50 ET: the daily restart and a nightly reset. */
const FROM = new Date('2026-10-14T03:30:00Z');
const UNTIL = process.env.NIGHT_UNTIL ?? '2026-10-14T00:50:00-04:00';

/**
 * The collector's long-running path under the simulator's realistic schedule: the daily restart at 23:40
 * (socket closed, refused for a minute, client id 101 held → 326 → 102), then the nightly reset (farm flaps,
 * 1100, restore). The clock is the injected manual clock; while the client waits on wall-clock timers
 * (reconnect back-off, the 1100 bound) simulated time keeps passing at 50 s per wall second.
 */
describe('collect --until across a night of the realistic schedule', () => {
  it('rides the restart and the reset: every slot collected or missed with its reason, no duplicate', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    writeFileSync(
      join(dir, 'futures.config.json'),
      JSON.stringify(testConfig({ ib: { requestTimeoutMs: 5_000, snapshotTimeoutMs: 5_000 } })),
    );
    const clock = manualClock(FROM);
    const sim = await startSimulator({
      port: 0,
      seed: 7,
      now: () => clock.now(),
      snapshotEndDelayMs: 5,
      streamIntervalMs: 0,
      schedule: 'realistic',
      scheduleOptions: { weekendDelayMs: 0 },
    });
    onCleanup(() => sim.close());
    const ctx = testCtx({
      clock,
      cwd: dir,
      ib: { target: { host: sim.host, port: sim.port } },
      ibSimulated: true,
    });
    const drift = setInterval(() => clock.advance(1_000), 20);
    onCleanup(() => clearInterval(drift));
    const code = await runFutures(['collect', '--until', UNTIL, '--json', '--data-dir', dataDir], ctx);
    clearInterval(drift);
    expect(code).toBe(0);
    const queue = await openQueue({
      path: queuePaths(dataDir).queueDb,
      policy: { maxLatenessSeconds: 300, maxAttempts: 5, retryBaseSeconds: 5, retryMaxSeconds: 300 },
    });
    onCleanup(() => queue.close());
    const jobs = await snapshotJobs(queue);
    const rows = await allRows(dataDir);
    // 23:30 → 00:50 ET every minute (plus the first run's look-back), four instruments.
    expect(jobs.length).toBeGreaterThanOrEqual(81 * 4);
    const unexplained = jobs.filter((j) => j.status !== 'done' && !(j.status === 'missed' && j.reason));
    expect(unexplained).toEqual([]);
    expect(jobs.filter((j) => j.status === 'done').length).toBeGreaterThan(jobs.length - 12);
    expect(checkConsistency(jobs, rows)).toEqual([]);
    const plan = nightPlan({ year: 2026, month: 10, day: 13 }, 7);
    const stderr = ctx.stderr.text();
    expect(stderr).toMatch(/IB reconnected to .* as client 102/);
    expect(stderr).toMatch(/IB 2103: Market data farm connection is broken/);
    expect(stderr).toMatch(/IB 1100: Connectivity between IB and Trader Workstation has been lost/);
    expect(stderr).toContain(`IB ${plan?.restoreCode}: connectivity restored`);
    const fired = sim.stats().faultsFired;
    expect(fired[0]).toBe('gateway restart (1 connection(s))');
    expect(fired.some((f) => /nightly-reset: (.*→)?2157→1100$/.test(f))).toBe(true);
  }, 120_000);
});
