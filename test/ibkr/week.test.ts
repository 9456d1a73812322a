import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { gapCauseOf } from '../../src/app/gap-causes.js';
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
 * accelerated clock (SPEED×) against the simulator with the realistic schedule and seeded disconnects,
 * Sunday 22 Nov 2026 18:00 ET → Friday 27 Nov 17:00 ET (Thanksgiving: closed Thursday, early close
 * Friday), every minute as in production; then `backfill --missed`. Prints the week's figures, the gaps
 * by the cause `futures status` gives them.
 */
const SPEED = Number(process.env.FUTURES_WEEK_SPEED ?? 1800);
const START = new Date('2026-11-22T23:00:00Z');
const END = new Date('2026-11-27T22:00:00Z');
const INTERVAL = 60;
const LATENESS = 3600;
const SEED = Number(process.env.FUTURES_TEST_SEED ?? 11);
/** Wall ms the simulated week lasts at SPEED. */
const WEEK_WALL_MS = (END.getTime() - START.getTime()) / SPEED;

describe('a simulated trading week in production mode', () => {
  it('collected slots plus explained gaps equal the calendar; backfill fills the missed; no duplicate', async () => {
    const random = lcg(SEED);
    const dir = tempDir('fs-week-');
    const dataDir = join(dir, 'data');
    writeFileSync(
      join(dir, 'futures.config.json'),
      JSON.stringify(
        testConfig({
          // The first run looks back 3 h so the slots that pass while it starts are scheduled too.
          collect: {
            firstRunLookbackSeconds: 10_800,
            intervalSeconds: INTERVAL,
            maxLatenessSeconds: LATENESS,
          },
          ib: { requestTimeoutMs: 3_000, snapshotTimeoutMs: 3_000, connectTimeoutMs: 5_000 },
        }),
      ),
    );
    const now = acceleratedClock(START, SPEED);
    // Dropped sockets at seeded instants spread over the week (wall ms after a session starts; each
    // fault takes the first session alive then, and every session after a drop is a new one).
    const disconnects = [0, 1, 2, 3, 4].map((i) => ({
      type: 'disconnect',
      afterMs: Math.floor(((i + random()) / 5) * WEEK_WALL_MS * 0.2),
      sessions: 1,
    }));
    const sim = await startSimulator({
      port: 0,
      seed: 7,
      now,
      snapshotEndDelayMs: 5,
      streamIntervalMs: 0,
      schedule: 'realistic',
      // IB's weekend slowness (4–5 s an answer) on the simulated clock, i.e. scaled down to wall time.
      scheduleOptions: { weekendDelayMs: Math.max(1, Math.round(4_000 / SPEED)) },
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
      policy: { maxLatenessSeconds: LATENESS, maxAttempts: 5, retryBaseSeconds: 5, retryMaxSeconds: 300 },
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
    // Before backfill turns them done: the slots without data and what explains each.
    const gapsOfWeek = week.filter((j) => j.status === 'missed' || j.status === 'failed');
    const collectedInWeek = week.filter((j) => j.status === 'done').length;

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

    const byCause: Record<string, number> = {};
    const runs: string[] = [];
    let run: { from: Date; to: Date; n: number; cause: string; reason: string | null } | null = null;
    for (const j of gapsOfWeek) {
      const cause = gapCauseOf({ kind: j.status === 'failed' ? 'failed' : 'missed', row: j });
      byCause[cause] = (byCause[cause] ?? 0) + 1;
      if (j.symbol !== 'ES') continue;
      if (run && run.cause === cause && j.slotTs.getTime() - run.to.getTime() === INTERVAL * 1000) {
        run.to = j.slotTs;
        run.n += 1;
        continue;
      }
      if (run) runs.push(`${run.from.toISOString()} +${run.n} ${run.cause}: ${run.reason}`);
      run = { from: j.slotTs, to: j.slotTs, n: 1, cause, reason: j.reason };
    }
    if (run) runs.push(`${run.from.toISOString()} +${run.n} ${run.cause}: ${run.reason}`);
    const figures = {
      seed: SEED,
      speed: `${SPEED}x`,
      intervalSeconds: INTERVAL,
      calendarSlots: calendar.size * 4,
      openSlots: [...calendar.values()].filter((s) => s === 'open').length * 4,
      collected: collectedInWeek,
      gapsByCause: byCause,
      esGapRuns: runs.slice(0, 30),
      backfill: filled,
      unfillable: stillMissing.length,
      rows: rows.length,
      rowsBackfilled: rows.filter((r) => r.source === 'backfill').length,
      scheduleAndFaults: sim.stats().faultsFired.length,
      wallSeconds: Math.round(wallSeconds),
    };
    console.log(`simulated trading week: ${JSON.stringify(figures, null, 1)}`);
  }, 900_000);
});

const CHILD = fileURLToPath(new URL('./fixtures/loop-child.mjs', import.meta.url));
const KILLS = 50;
const KILL_SPEED = 60;

/**
 * An accelerated clock whose simulated start can be moved forward: each trial starts where the week's
 * plan says, and the simulator and the trial's child (given the same start and speed) agree on the time.
 */
function movableClock(start: Date, speed: number) {
  let simStart = start.getTime();
  let wallStart = Date.now();
  return {
    now: () => new Date(simStart + (Date.now() - wallStart) * speed),
    moveTo(at: Date) {
      simStart = Math.max(at.getTime(), simStart + (Date.now() - wallStart) * speed);
      wallStart = Date.now();
    },
  };
}

/**
 * SIGKILL trials of the same production loop (the built CLI, `collect --loop`, accelerated clock, every
 * minute) under the realistic schedule, spread over the whole week: trial i starts at a seeded instant of
 * the i-th fiftieth of Sunday 18:00 ET → Friday 17:00 ET (open market, the daily halt, the restart and
 * the nightly reset, Thanksgiving alike), kills the loop a random delay after a random round started,
 * and the next trial recovers. Zero acknowledged rounds (onRound reported) may be lost: every slot of an
 * acknowledged round is done with its row after the final clean run.
 */
describe('the production loop under SIGKILL', () => {
  it(`${KILLS} kills spread over a simulated week: no acknowledged round lost, no duplicate row`, async () => {
    const random = lcg(SEED + 1);
    const dir = tempDir('fs-weekkill-');
    const dataDir = join(dir, 'data');
    writeFileSync(
      join(dir, 'futures.config.json'),
      JSON.stringify(
        testConfig({
          // The first run looks back two slots, so even a trial killed in its first second queued some.
          collect: { symbols: ['ES', 'NQ'], firstRunLookbackSeconds: 120, intervalSeconds: 60 },
          ib: { requestTimeoutMs: 3_000, snapshotTimeoutMs: 3_000 },
        }),
      ),
    );
    const span = END.getTime() - START.getTime();
    const starts = Array.from(
      { length: KILLS },
      (_, i) => new Date(START.getTime() + Math.floor(((i + random()) / KILLS) * span)),
    );
    const clock = movableClock(START, KILL_SPEED);
    const sim = await startSimulator({
      port: 0,
      seed: 7,
      now: clock.now,
      snapshotEndDelayMs: 5,
      streamIntervalMs: 0,
      schedule: 'realistic',
      scheduleOptions: { weekendDelayMs: Math.round(4_000 / KILL_SPEED) },
    });
    onCleanup(() => sim.close());
    const acked = new Map<number, number>();
    let killed = 0;
    const run = (killAfterRound: number | null, delayMs: number) => {
      const child = execa(
        process.execPath,
        [CHILD, dataDir, dir, sim.host, String(sim.port), clock.now().toISOString(), String(KILL_SPEED)],
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
    const wall0 = performance.now();
    const startedAt: string[] = [];
    for (let i = 0; i < KILLS; i++) {
      clock.moveTo(starts[i] as Date);
      startedAt.push(clock.now().toISOString());
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
    expect(acked.size).toBeGreaterThan(0);
    expect(rows.length).toBeGreaterThan(0);
    // The trials covered the week: every day from Sunday to Friday, open and closed market alike.
    const days = new Set(startedAt.map((t) => new Date(Date.parse(t) - 5 * 3_600_000).getUTCDay()));
    expect([...days].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    console.log(
      `week kill trials: ${killed} SIGKILLs from ${startedAt[0]} to ${startedAt.at(-1)}, ${acked.size} ` +
        `acknowledged rounds, ${rows.length} rows, ${jobs.length} slots, schedule events ` +
        `${sim.stats().faultsFired.length}, wall ${Math.round((performance.now() - wall0) / 1000)} s`,
    );
  }, 900_000);
});
