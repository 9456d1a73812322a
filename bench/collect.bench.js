// Collector round overhead and long-run memory, against the simulator answering instantly.
//
// 1. Round overhead: ROUNDS rounds (default 100) of 4 instruments with a manual clock (one slot per
//    round), median and p95 per round split into IB time (contracts + snapshots over loopback), the Delta
//    commit, and the queue session (schedule + claim + begin + finish the previous round, one session).
//    Goal: overhead ≤ 50 ms median. "total" is a round's latency, from its start until its commit landed;
//    back to back, that commit overlaps the next round's session (src/app/collect/collector.ts), so
//    "round to round" (the time between consecutive rounds) is what a run of rounds takes per round. Also
//    the process CPU per round (it includes the simulator, which runs in this process), a figure the
//    machine's load inflates far less than wall time. Two runs: rounds back to back (the clock kept one
//    slot behind, so the collector catches up and keeps the queue file attached, as in the demo), and
//    with the file released after every round (waiting for the next slot, as on the wall clock).
// 2. Memory: LOOP_ROUNDS rounds (default 10,000; set BENCH_LOOP_ROUNDS to scale down) in ONE --loop run at
//    accelerated simulated time (the manual clock kept one slot behind: rounds back to back), RSS after
//    round 100 and at ten points, each taken in flight (in the round hook, with the next round's work
//    still landing) and settled (when the next round ends, after a real-time pause in which that work
//    finished). Goal: growth ≤ 10 %. With BENCH_COMPACT_EVERY=N,
//    `futures compact futures_snapshots` runs every N rounds in a child process (bin/futures.js, as cron
//    would), alongside the collector, so the table's state stays bounded; without it the table grows one
//    file per round and nothing compacts it, which is not how it runs in production.
// Run after `npx tsc -p tsconfig.build.json`: node --expose-gc bench/collect.bench.js
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { oneSlotBehind } from '../dist/app/collect/hooks.js';
import { manualClock } from '../dist/core/clock.js';
import { runFutures } from '../dist/main.js';
import { startSimulator } from '../dist/sim/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 100);
const COMPACT_EVERY = Number(process.env.BENCH_COMPACT_EVERY ?? 0);
const LOOP_ROUNDS = Number(process.env.BENCH_LOOP_ROUNDS ?? 10_000);
const WARMUP = 10;
const SETTLE_MS = 250;

function quantile(values, q) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
const fmt = (v) => `${v.toFixed(1)} ms`;
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function setup(start) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-collect-'));
  writeFileSync(
    path.join(dir, 'futures.config.json'),
    JSON.stringify({
      ib: { clientIdRange: [101, 120], heartbeatIntervalMs: 600_000 },
      collect: { symbols: ['ES', 'NQ', 'RTY', 'VIX'], firstRunLookbackSeconds: 0, waitSeconds: 0 },
    }),
  );
  const clock = manualClock(start);
  return { dir, clock };
}

function silentStream() {
  const chunks = [];
  return { isTTY: false, write: (c) => chunks.push(c) > 0, text: () => chunks.join('') };
}

async function futures(dir, clock, sim, args, hooks = () => ({})) {
  const stdout = silentStream();
  const stderr = silentStream();
  const controller = new AbortController();
  const ctx = {
    env: { NO_COLOR: '1' },
    cwd: dir,
    stdout,
    stderr,
    signal: controller.signal,
    ib: { target: { host: sim.host, port: sim.port } },
    ibSimulated: true,
    clock,
    hooks: hooks(controller),
  };
  const code = await runFutures([...args, '--data-dir', path.join(dir, 'data'), '--quiet'], ctx);
  if (code !== 0) throw new Error(`${args[0]} exited ${code}: ${stderr.text()}`);
}

/** `futures compact futures_snapshots` in its own process, the way a crontab line runs it. */
function compactInChild(dir) {
  const bin = new URL('../bin/futures.js', import.meta.url).pathname;
  const args = [bin, 'compact', 'futures_snapshots', '--data-dir', path.join(dir, 'data'), '--quiet'];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: dir }, (error, _stdout, stderr) =>
      error ? reject(new Error(`futures compact failed: ${stderr || error.message}`)) : resolve(),
    );
  });
}

// Tuesday 2026-09-01 10:00 ET: the simulator's anchor day, RTH.
const start = new Date('2026-09-01T14:00:00Z');
// The simulator reads the clock of the collector that runs (each part has its own).
let simClock = { now: () => start };
const sim = await startSimulator({
  port: 0,
  seed: 7,
  now: () => simClock.now(),
  // Message rates on the simulated clock, as the demo does (the collector paces on that clock too).
  wall: () => simClock.now().getTime(),
  snapshotEndDelayMs: 0,
  streamIntervalMs: 0,
});
try {
  // ---- 1. round overhead
  for (const mode of ['back to back (file held)', 'file released every round']) {
    const { dir, clock: manual } = setup(start);
    simClock = manual;
    // One slot behind, the next slot is due when a round ends: the collector catches up and keeps the
    // file; otherwise it waits for the next slot, letting go of the file.
    const backToBack = mode.startsWith('back');
    const samples = { total: [], ib: [], delta: [], queue: [] };
    const cpu = [];
    const interval = [];
    let n = 0;
    let cpuMark = process.cpuUsage();
    let last = performance.now();
    const t0 = performance.now();
    const hooks = {
      onRound(round) {
        n += 1;
        const used = process.cpuUsage(cpuMark);
        cpuMark = process.cpuUsage();
        const now = performance.now();
        const since = now - last;
        last = now;
        if (n <= WARMUP || round.rows === 0) return;
        cpu.push((used.user + used.system) / 1000);
        interval.push(since);
        samples.total.push(round.timings.totalMs);
        samples.ib.push(round.timings.ibMs);
        samples.delta.push(round.timings.deltaMs);
        samples.queue.push(round.timings.queueMs);
      },
    };
    await futures(dir, manual, sim, ['collect', `--rounds=${ROUNDS + WARMUP}`], () =>
      backToBack ? oneSlotBehind(manual, 60, hooks) : hooks,
    );
    const wall = performance.now() - t0;
    const overhead = samples.total.map((t, i) => t - samples.ib[i]);
    console.log(
      `round overhead, ${mode}, 4 instruments, ${samples.total.length} rounds (after ${WARMUP} warm-up):`,
    );
    for (const [name, values] of Object.entries({ ...samples, 'total − IB (overhead)': overhead })) {
      console.log(
        `  ${name.padEnd(22)} median ${fmt(quantile(values, 0.5)).padStart(9)}  p95 ${fmt(quantile(values, 0.95)).padStart(9)}`,
      );
    }
    console.log(
      `  round to round         median ${fmt(quantile(interval, 0.5)).padStart(9)}  p95 ${fmt(quantile(interval, 0.95)).padStart(9)}  (what a run of rounds takes per round)`,
    );
    console.log(
      `  process CPU per round  median ${fmt(quantile(cpu, 0.5)).padStart(9)}  p95 ${fmt(quantile(cpu, 0.95)).padStart(9)}  (collector + simulator, all threads)`,
    );
    console.log(`  wall ${(wall / 1000).toFixed(1)} s; goal: overhead ≤ 50 ms median\n`);
    rmSync(dir, { recursive: true, force: true });
  }

  // ---- 2. memory over a long loop (BENCH_LOOP_ROUNDS=0: part 1 only)
  if (LOOP_ROUNDS > 0) {
    // Monday 18:00 ET: the loop runs through the week; weekend rounds only record skipped slots.
    const loopStart = new Date('2026-08-31T22:00:00Z');
    const { dir, clock: manual } = setup(loopStart);
    simClock = manual;
    // Each mark is taken twice. "in flight": in the round hook, where the next round's work (on weekdays
    // its Delta commit) is still landing (rounds overlap on this clock), so a mark catches it at a random
    // stage. "settled": in the wait that follows, after SETTLE_MS of real time in which that work finishes
    // and frees its buffers — the state a collector sits in between rounds, and the same at every mark.
    const marks = { inFlight: [], settled: [] };
    const compactionRuns = [];
    let rounds = 0;
    let withRows = 0;
    let settleDue = false;
    const measure = (series) => {
      globalThis.gc?.();
      const m = process.memoryUsage();
      series.push({
        round: rounds,
        rss: m.rss,
        heap: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external + m.arrayBuffers,
      });
    };
    const markAt = new Set([
      100,
      ...Array.from({ length: 10 }, (_, i) => Math.floor(((i + 1) * LOOP_ROUNDS) / 10)),
    ]);
    let compactions = 0;
    let controller;
    const t0 = performance.now();
    await futures(dir, manual, sim, ['collect', '--loop'], (c) => {
      controller = c;
      return oneSlotBehind(manual, 60, {
        async onStep(step) {
          if (step !== 'round:end' || !settleDue) return;
          settleDue = false;
          await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
          measure(marks.settled);
          if (rounds >= LOOP_ROUNDS) controller.abort();
        },
        onRound(round) {
          rounds += 1;
          if (round.rows > 0) withRows += 1;
          // The commit that was landing at the previous in-flight mark was this round's.
          const previous = marks.inFlight.at(-1);
          if (previous && previous.round === rounds - 1) previous.landing = round.deltaVersion;
          if (markAt.has(rounds)) {
            measure(marks.inFlight);
            settleDue = true;
          }
          if (rounds >= LOOP_ROUNDS) return;
          if (COMPACT_EVERY > 0 && rounds % COMPACT_EVERY === 0) {
            compactionRuns.push(compactInChild(dir));
            compactions += 1;
          }
          if (rounds % 1000 === 0)
            process.stderr.write(`  … ${rounds} rounds, ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
        },
      });
    });
    await Promise.all(compactionRuns);
    const wall = performance.now() - t0;
    console.log(
      `\nmemory over one --loop run of ${rounds} rounds (${withRows} wrote rows; simulated ${manual.now().toISOString()}; ${
        COMPACT_EVERY > 0
          ? `futures compact every ${COMPACT_EVERY} rounds: ${compactions} runs`
          : 'never compacted'
      }):`,
    );
    const growth = (series) => {
      const first = series[0];
      const last = series.at(-1);
      return first && last ? (((last.rss - first.rss) / first.rss) * 100).toFixed(1) : '?';
    };
    for (const [i, m] of marks.settled.entries()) {
      const flight = marks.inFlight[i];
      // A commit at a multiple of delta.checkpointInterval (10) also writes the table's checkpoint.
      const landing =
        typeof flight?.landing === 'number'
          ? ` (v${flight.landing}${flight.landing % 10 === 0 ? ', a checkpoint' : ''})`
          : '';
      console.log(
        `  after round ${String(m.round).padStart(6)}: RSS ${mb(m.rss)} settled, ${flight ? mb(flight.rss) : '?'} in flight${landing}  heap ${mb(m.heap)} of ${mb(m.heapTotal)}  external+buffers ${mb(m.external)}`,
      );
    }
    console.log(
      `  RSS growth start → end: ${growth(marks.settled)} % settled, ${growth(marks.inFlight)} % in flight (goal ≤ 10 %)`,
    );
    console.log(`  wall ${(wall / 1000).toFixed(0)} s, ${(wall / rounds).toFixed(1)} ms per round`);
    rmSync(dir, { recursive: true, force: true });
  }
} finally {
  await sim.close();
}
