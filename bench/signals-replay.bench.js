// In-process: one pre-market call inside a `signals premarket --from/--to` replay (the window read once,
// every call from memory) vs the per-session path of a one-shot call (its own lake reads), in the same
// process on the same sessions, interleaved by round. Part of bench/signals.bench.js; alone:
//   BENCH_LAKE=/tmp/cal BENCH_CONFIG=cal.config.json BENCH_FROM=2022-06-01 BENCH_TO=2022-06-30 node bench/signals.bench.js
// Reports wall and CPU milliseconds per call: the call with its early warning (whose derived state replays
// the 72 five-minute checks of the 6 h before 09:25), and the pre-market part alone.
import { withEarlyWarning } from '../dist/app/evaluate/early-warning.js';
import { loadSignalInputs } from '../dist/app/evaluate/inputs.js';
import { loadPremarketWindow, premarketInstants, premarketInWindow } from '../dist/app/evaluate/premarket.js';
import { computePremarket } from '../dist/signals/index.js';
import { buildPremarketInputs, planPremarket } from '../dist/signals/inputs/index.js';
import { openSession } from '../scripts/signals-session.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timed(fn) {
  const cpu = process.cpuUsage();
  const t = performance.now();
  await fn();
  const c = process.cpuUsage(cpu);
  return { wall: performance.now() - t, cpu: (c.user + c.system) / 1000 };
}

/** The path every replayed call took before the window read: its own slice, then the early warning's own. */
async function perSessionPath(session, asOf) {
  const { connection, dataDir, tables, options, overrides, ctx } = session;
  const inputs = await loadSignalInputs(
    'premarket',
    { connection, dataDir, tables },
    asOf,
    options,
    overrides,
  );
  return withEarlyWarning(session, computePremarket(inputs, ctx.config.signals));
}

export async function replayBench(
  dataDir,
  configPath,
  from = process.env.BENCH_FROM,
  to = process.env.BENCH_TO,
) {
  const { session, close } = await openSession(dataDir, configPath);
  try {
    const instants = premarketInstants(from, to, new Date(), session);
    const n = instants.length;
    const rows = { old: [], window: [], load: [], premarketOnly: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const old = await timed(async () => {
        for (const asOf of instants) await perSessionPath(session, asOf);
      });
      let window;
      const load = await timed(async () => {
        window = await loadPremarketWindow(session, instants);
      });
      const calls = await timed(async () => {
        for (const asOf of instants) await premarketInWindow(session, window, asOf);
      });
      const only = await timed(async () => {
        for (const asOf of instants) {
          const plan = planPremarket(asOf, session.options);
          computePremarket(
            buildPremarketInputs(window.slice, asOf, plan, session.options, {}),
            session.ctx.config.signals,
          );
        }
      });
      rows.old.push(old);
      rows.window.push({ wall: load.wall + calls.wall, cpu: load.cpu + calls.cpu });
      rows.load.push(load);
      rows.premarketOnly.push(only);
      rows.calls = rows.calls ?? [];
      rows.calls.push(calls);
    }
    const per = (list, k) => median(list.map((r) => r[k])) / n;
    const fmt = (list) => `${per(list, 'wall').toFixed(1)} ms wall, ${per(list, 'cpu').toFixed(1)} ms CPU`;
    console.log(
      `  premarket replay in process, ${n} sessions ${from}..${to} (medians of ${ROUNDS} rounds, per call):`,
    );
    console.log(`    per-session path (one-shot reads each call):     ${fmt(rows.old)}`);
    console.log(`    replay path, window read + calls:                ${fmt(rows.window)}`);
    console.log(`      of which the window read (amortised):          ${fmt(rows.load)}`);
    console.log(`      one call with its early warning, from memory:  ${fmt(rows.calls)}`);
    console.log(`      one pre-market evaluation alone, from memory:  ${fmt(rows.premarketOnly)}`);
    console.log(
      `    ratio per-session / replay: ${(per(rows.old, 'wall') / per(rows.window, 'wall')).toFixed(2)} (wall), ${(per(rows.old, 'cpu') / per(rows.window, 'cpu')).toFixed(2)} (CPU)`,
    );
  } finally {
    close();
  }
}
