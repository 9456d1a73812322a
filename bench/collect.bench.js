// Collector round overhead and long-run memory, against the simulator answering instantly.
//
// 1. Round overhead: ROUNDS rounds (default 200) of 4 instruments with a manual clock (one slot per
//    round), median and p95 per round split into IB time (contracts + snapshots over loopback), the Delta
//    commit, and the queue sessions (schedule + claim, begin, finish). Goal: overhead ≤ 50 ms median.
// 2. Memory: LOOP_ROUNDS rounds (default 10,000; set BENCH_LOOP_ROUNDS to scale down) in ONE --loop run at
//    accelerated simulated time (a manual clock: each wait jumps to the next slot), RSS at start, middle
//    and end. Goal: growth ≤ 10 %. The table is not compacted during the run (futures compact would).
// Run after `npx tsc -p tsconfig.build.json`: node --expose-gc bench/collect.bench.js
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runFutures } from '../dist/cli/main.js';
import { manualClock } from '../dist/collect/clock.js';
import { startSimulator } from '../dist/ibkr/sim/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const LOOP_ROUNDS = Number(process.env.BENCH_LOOP_ROUNDS ?? 10_000);
const WARMUP = 10;

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

async function collect(dir, clock, sim, args, hooks) {
  const stdout = silentStream();
  const stderr = silentStream();
  const controller = new AbortController();
  const ctx = {
    now: () => clock.now(),
    env: { NO_COLOR: '1' },
    cwd: dir,
    stdout,
    stderr,
    signal: controller.signal,
    ibFactory: { target: { host: sim.host, port: sim.port }, simulated: true },
    clock,
    collectHooks: hooks(controller),
  };
  const code = await runFutures(['collect', ...args, '--data-dir', path.join(dir, 'data'), '--quiet'], ctx);
  if (code !== 0) throw new Error(`collect exited ${code}: ${stderr.text()}`);
}

// Tuesday 2026-09-01 10:00 ET: the simulator's anchor day, RTH.
const start = new Date('2026-09-01T14:00:00Z');
let simNow = start;
const sim = await startSimulator({
  port: 0,
  seed: 7,
  now: () => simNow,
  snapshotEndDelayMs: 0,
  streamIntervalMs: 0,
});
try {
  // ---- 1. round overhead
  {
    const { dir, clock } = setup(start);
    const samples = { total: [], ib: [], delta: [], queue: [] };
    let n = 0;
    const t0 = performance.now();
    await collect(dir, clock, sim, [`--rounds=${ROUNDS + WARMUP}`], () => ({
      onRound(round) {
        simNow = clock.now();
        n += 1;
        if (n <= WARMUP || round.rows === 0) return;
        samples.total.push(round.timings.totalMs);
        samples.ib.push(round.timings.ibMs);
        samples.delta.push(round.timings.deltaMs);
        samples.queue.push(round.timings.queueMs);
      },
    }));
    const wall = performance.now() - t0;
    const overhead = samples.total.map((t, i) => t - samples.ib[i]);
    console.log(`round overhead, 4 instruments, ${samples.total.length} rounds (after ${WARMUP} warm-up):`);
    for (const [name, values] of Object.entries({ ...samples, 'total − IB (overhead)': overhead })) {
      console.log(
        `  ${name.padEnd(22)} median ${fmt(quantile(values, 0.5)).padStart(9)}  p95 ${fmt(quantile(values, 0.95)).padStart(9)}`,
      );
    }
    console.log(`  wall ${(wall / 1000).toFixed(1)} s; goal: overhead ≤ 50 ms median`);
    rmSync(dir, { recursive: true, force: true });
  }

  // ---- 2. memory over a long loop
  {
    // Monday 18:00 ET: the loop runs through the week; weekend rounds only record skipped slots.
    const loopStart = new Date('2026-08-31T22:00:00Z');
    simNow = loopStart;
    const { dir, clock } = setup(loopStart);
    const rss = [];
    let rounds = 0;
    let withRows = 0;
    const mark = () => {
      globalThis.gc?.();
      rss.push({ round: rounds, rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed });
    };
    const t0 = performance.now();
    await collect(dir, clock, sim, ['--loop'], (controller) => ({
      onRound(round) {
        simNow = clock.now();
        rounds += 1;
        if (round.rows > 0) withRows += 1;
        if (rounds === 100 || rounds === Math.floor(LOOP_ROUNDS / 2)) mark();
        if (rounds >= LOOP_ROUNDS) {
          mark();
          controller.abort();
        }
        if (rounds % 1000 === 0)
          process.stderr.write(`  … ${rounds} rounds, ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
      },
    }));
    const wall = performance.now() - t0;
    console.log(
      `\nmemory over one --loop run of ${rounds} rounds (${withRows} wrote rows; simulated ${clock.now().toISOString()}):`,
    );
    for (const m of rss)
      console.log(`  after round ${String(m.round).padStart(6)}: RSS ${mb(m.rss)}  heap ${mb(m.heap)}`);
    const first = rss[0];
    const last = rss.at(-1);
    if (first && last) {
      console.log(
        `  RSS growth start → end: ${(((last.rss - first.rss) / first.rss) * 100).toFixed(1)} % (goal ≤ 10 %)`,
      );
    }
    console.log(`  wall ${(wall / 1000).toFixed(0)} s, ${(wall / rounds).toFixed(1)} ms per round`);
    rmSync(dir, { recursive: true, force: true });
  }
} finally {
  await sim.close();
}
