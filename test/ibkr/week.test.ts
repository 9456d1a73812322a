import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
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

const CHILD = fileURLToPath(new URL('./fixtures/loop-child.mjs', import.meta.url));
const KILLS = 50;

/**
 * SIGKILL trials of the same production loop (the built CLI, `collect --loop`, accelerated clock) under the
 * realistic schedule: each trial starts the loop where simulated time is, kills it a random delay after a
 * random round started, and the next trial recovers. Zero acknowledged rounds (onRound reported) may be
 * lost: every slot of an acknowledged round is done with its row after the final clean run.
 */
describe('the production loop under SIGKILL', () => {
  it(`${KILLS} kills during a simulated Monday: no acknowledged round lost, no duplicate row`, async () => {
    const random = lcg(SEED + 1);
    const dir = tempDir('fs-weekkill-');
    const dataDir = join(dir, 'data');
    writeFileSync(
      join(dir, 'futures.config.json'),
      JSON.stringify(
        testConfig({
          collect: { symbols: ['ES', 'NQ'], firstRunLookbackSeconds: 0, intervalSeconds: 60 },
          ib: { requestTimeoutMs: 3_000, snapshotTimeoutMs: 3_000 },
        }),
      ),
    );
    // Monday 23 Nov 2026 22:00 ET at 60x: the restart (23:40) and the night's reset fall inside the trials.
    const now = acceleratedClock(new Date('2026-11-24T03:00:00Z'), 60);
    const sim = await startSimulator({
      port: 0,
      seed: 7,
      now,
      snapshotEndDelayMs: 5,
      streamIntervalMs: 0,
      schedule: 'realistic',
      scheduleOptions: { weekendDelayMs: 0 },
    });
    onCleanup(() => sim.close());
    const acked = new Map<number, number>();
    let killed = 0;
    const run = (killAfterRound: number | null, delayMs: number) => {
      const child = execa(
        process.execPath,
        [CHILD, dataDir, dir, sim.host, String(sim.port), now().toISOString(), '60'],
        { reject: false, timeout: 90_000 },
      );
      let armed = false;
      child.stderr?.on('data', (chunk: Buffer) => {
        const text = chunk.toString();
        for (const m of text.matchAll(/^ack (\d+) (\d+)$/gm)) acked.set(Number(m[1]), Number(m[2]));
        if (killAfterRound !== null && !armed && text.includes(`step round:start ${killAfterRound}\n`)) {
          armed = true;
          setTimeout(() => child.kill('SIGKILL'), delayMs);
        }
        if (killAfterRound === null && !armed && text.includes('step round-finished 2\n')) {
          armed = true;
          child.kill('SIGTERM');
        }
      });
      return child;
    };
    for (let i = 0; i < KILLS; i++) {
      const result = await run(1 + Math.floor(random() * 3), Math.floor(random() * 1_500));
      if (result.signal === 'SIGKILL') killed += 1;
      else if (result.exitCode !== 0)
        throw new Error(`trial ${i} exited ${result.exitCode}: ${result.stderr}`);
    }
    const final = await run(null, 0);
    expect(final.exitCode).toBe(0);
    expect(killed).toBeGreaterThanOrEqual(KILLS - 5);
    const queue = await openQueue({
      path: queuePaths(dataDir).queueDb,
      policy: { maxLatenessSeconds: 300, maxAttempts: 5, retryBaseSeconds: 5, retryMaxSeconds: 300 },
    });
    onCleanup(() => queue.close());
    const jobs = await snapshotJobs(queue);
    const rows = await allRows(dataDir);
    expect(checkConsistency(jobs, rows)).toEqual([]);
    expect(await queue.pendingRounds()).toEqual([]);
    const lost = [...acked].filter(
      ([seq, done]) => jobs.filter((j) => j.roundSeq === seq && j.status === 'done').length < done,
    );
    expect(lost).toEqual([]);
    console.log(
      `week kill trials: ${killed} SIGKILLs, ${acked.size} acknowledged rounds, ${rows.length} rows, ` +
        `simulated ${now().toISOString()}, schedule events ${sim.stats().faultsFired.length}`,
    );
  }, 600_000);
});
