import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clockFromNow, manualClock } from '../../src/core/clock.js';
import { runFutures } from '../../src/main.js';
import { openQueue, queuePaths } from '../../src/queue/index.js';
import { acceleratedClock, loadScenario, startSimulator } from '../../src/sim/index.js';
import { onCleanup, tempDir, testConfig } from '../app/collect/helpers.js';
import {
  allRows,
  checkConsistency,
  expectedSlots,
  snapshotJobs,
} from '../commands/futures-collect/expect.js';
import { testCtx } from '../helpers/ctx.js';
import { lcg } from '../helpers/random.js';

/**
 * A simulated trading week in production mode: `collect --loop` (the systemd unit's code path) on an
 * accelerated clock (3600×: an hour per wall second) against the simulator with the realistic schedule and
 * seeded disconnects, Sunday 22 Nov 2026 18:00 ET → Friday 27 Nov 17:00 ET (Thanksgiving: closed Thursday,
 * early close Friday), every 15 minutes; then `backfill --missed`. Prints the week's figures.
 */
const SPEED = 3600;
const START = new Date('2026-11-22T23:00:00Z');
const END = new Date('2026-11-27T22:00:00Z');
const INTERVAL = 900;
const SEED = Number(process.env.FUTURES_TEST_SEED ?? 11);

describe('a simulated trading week in production mode', () => {
  it('collected slots plus explained gaps equal the calendar; backfill fills the missed; no duplicate', async () => {
    const random = lcg(SEED);
    const dir = tempDir('fs-week-');
    const dataDir = join(dir, 'data');
    writeFileSync(
      join(dir, 'futures.config.json'),
      JSON.stringify(
        testConfig({
          // The first run looks back 3 h so the slots that pass while it starts (2 s wall) are scheduled too.
          collect: { firstRunLookbackSeconds: 10_800, intervalSeconds: INTERVAL, maxLatenessSeconds: 1800 },
          ib: { requestTimeoutMs: 3_000, snapshotTimeoutMs: 3_000, connectTimeoutMs: 5_000 },
        }),
      ),
    );
    const now = acceleratedClock(START, SPEED);
    const disconnects = [0, 1, 2].map(() => ({
      type: 'disconnect',
      afterMs: 5_000 + Math.floor(random() * 90_000),
      sessions: 1,
    }));
    const sim = await startSimulator({
      port: 0,
      seed: 7,
      now,
      snapshotEndDelayMs: 5,
      streamIntervalMs: 0,
      schedule: 'realistic',
      scheduleOptions: { weekendDelayMs: 20 },
      scenario: loadScenario({ faults: disconnects }),
    });
    onCleanup(() => sim.close());
    const stop = new AbortController();
    const watch = setInterval(() => {
      if (now().getTime() >= END.getTime()) stop.abort();
    }, 20);
    onCleanup(() => clearInterval(watch));
    const ctx = testCtx({
      clock: clockFromNow(now),
      cwd: dir,
      ib: { target: { host: sim.host, port: sim.port } },
      ibSimulated: true,
      signal: stop.signal,
    });
    const wall0 = performance.now();
    const code = await runFutures(['collect', '--loop', '--json', '--data-dir', dataDir], ctx);
    const wallSeconds = (performance.now() - wall0) / 1000;
    clearInterval(watch);
    const queue = await openQueue({
      path: queuePaths(dataDir).queueDb,
      policy: { maxLatenessSeconds: 1800, maxAttempts: 5, retryBaseSeconds: 5, retryMaxSeconds: 300 },
    });
    onCleanup(() => queue.close());
    expect(code).toBe(0);
    const inWeek = (t: number) => t >= START.getTime() && t <= END.getTime();
    const week = (await snapshotJobs(queue)).filter((j) => inWeek(j.slotTs.getTime()));
    const lastSlot = Math.max(...week.map((j) => j.slotTs.getTime()));
    // The loop stopped at the end of the week (Friday's early close leaves only skipped slots after 13:15).
    expect(lastSlot).toBeGreaterThanOrEqual(Date.parse('2026-11-27T18:15:00Z'));
    const calendar = expectedSlots(START, new Date(lastSlot), INTERVAL);
    const bySlot = new Map<number, typeof week>();
    for (const j of week) bySlot.set(j.slotTs.getTime(), [...(bySlot.get(j.slotTs.getTime()) ?? []), j]);
    const unexplained: string[] = [];
    for (const [t, status] of calendar) {
      const jobs = bySlot.get(t) ?? [];
      if (jobs.length !== 4) unexplained.push(`${new Date(t).toISOString()}: ${jobs.length} slots`);
      for (const j of jobs) {
        const ok =
          status === 'open'
            ? j.status === 'done' || (j.status === 'missed' && Boolean(j.reason))
            : j.status === 'skipped' && j.reason === status;
        if (!ok)
          unexplained.push(
            `${j.symbol}@${j.slotTs.toISOString()}: ${j.status} ${j.reason} (calendar ${status})`,
          );
      }
    }
    expect(unexplained).toEqual([]);
    expect(bySlot.size).toBe(calendar.size);

    // After the week: backfill --missed against a gateway at Friday 17:05 ET (same seed, same prices).
    const after = new Date(END.getTime() + 5 * 60_000);
    const gateway = await startSimulator({ port: 0, seed: 7, now: () => after, snapshotEndDelayMs: 5 });
    onCleanup(() => gateway.close());
    const later = testCtx({
      clock: manualClock(after),
      cwd: dir,
      ib: { target: { host: gateway.host, port: gateway.port } },
      ibSimulated: true,
    });
    const fill = await runFutures(
      ['backfill', '--missed', '--days', '8', '--bar', '1day', '--json', '--data-dir', dataDir],
      later,
    );
    expect(fill).toBe(0);
    const filled = JSON.parse(later.stdout.text()).missed;
    const jobs = await snapshotJobs(queue);
    const rows = await allRows(dataDir);
    const stillMissing = jobs.filter((j) => j.status === 'missed' && j.reason !== 'backfilled');
    // Left unfilled only where no bar exists to fill from: the VIX outside its 03:15–16:15 ET publication,
    // and a session's first slot (Sunday 18:00 ET: the bar before it is Friday's).
    const noBar = (j: (typeof jobs)[number]) => {
      const et = new Date(j.slotTs.getTime() - 5 * 3_600_000);
      const minute = et.getUTCHours() * 60 + et.getUTCMinutes();
      return (j.symbol === 'VIX' && (minute < 3 * 60 + 15 || minute > 16 * 60 + 15)) || minute === 18 * 60;
    };
    expect(stillMissing.filter((j) => !noBar(j))).toEqual([]);
    expect(filled.unfilled).toBe(stillMissing.length);
    expect(checkConsistency(jobs, rows)).toEqual([]);
    const keys = rows.map((r) => `${r.symbol}@${r.slotTs?.toISOString()}`);
    expect(new Set(keys).size).toBe(keys.length);
    const verify = testCtx({ clock: manualClock(after), cwd: dir });
    expect(await runFutures(['table', 'verify', 'futures_snapshots', '--data-dir', dataDir], verify)).toBe(0);

    const byReason: Record<string, number> = {};
    for (const j of week)
      if (j.status !== 'done')
        byReason[`${j.status}: ${j.reason}`] = (byReason[`${j.status}: ${j.reason}`] ?? 0) + 1;
    const figures = {
      seed: SEED,
      speed: `${SPEED}x`,
      intervalSeconds: INTERVAL,
      calendarSlots: calendar.size * 4,
      collected: week.filter((j) => j.status === 'done').length,
      gaps: byReason,
      backfill: filled,
      unfillable: stillMissing.length,
      rows: rows.length,
      rowsBackfilled: rows.filter((r) => r.source === 'backfill').length,
      scheduleAndFaults: sim.stats().faultsFired.length,
      wallSeconds: Math.round(wallSeconds),
    };
    console.log(`simulated trading week: ${JSON.stringify(figures, null, 1)}`);
  }, 400_000);
});
