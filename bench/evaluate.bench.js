// `signals evaluate` over one year (issue 24 item 5: ≤ 30 s for ≈250 sessions, the 09:25 call and
// 5-minute early-warning checks 04:00–16:00 ET). Run after `npx tsc -p tsconfig.build.json`:
//
//   node bench/evaluate.bench.js                       # synthetic year of 1-min bars (BENCH_SYMBOLS, default NQ)
//   BENCH_LAKE=/tmp/cal BENCH_FROM=2022-01-03 BENCH_TO=2022-12-30 BENCH_CONFIG=cal.config.json \
//     node bench/evaluate.bench.js                     # an imported lake (e.g. the calibration data)
//
// Prints: the built binary end to end (wall, as a user runs it); in process, the same scorecard with its
// parts (window read, checks, calls) and CPU time; and, in the same process, the replays the project had
// before for the same sessions: `signals premarket --from/--to` (the calls alone) and `signals regime
// --from/--to --every 5m` over BENCH_BASELINE_SESSIONS sessions (per-check cost), as ratios.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateSignal } from '../dist/app/evaluate/evaluate.js';
import { premarketStrategy } from '../dist/app/evaluate/premarket.js';
import { regimeStrategy } from '../dist/app/evaluate/regime.js';
import { evaluateScorecard } from '../dist/app/evaluate/scorecard/index.js';
import { configSchema } from '../dist/config/schema.js';
import { wallClock } from '../dist/core/clock.js';
import { createLogger } from '../dist/core/log.js';
import { openMemoryConnection } from '../dist/delta/index.js';
import { appendToLake } from '../dist/lake/index.js';
import { addDays, defaultCalendar, nyseSessions } from '../dist/market/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FROM = process.env.BENCH_FROM ?? '2025-01-02';
const TO = process.env.BENCH_TO ?? '2025-12-31';
const SYMBOLS = (process.env.BENCH_SYMBOLS ?? 'NQ').split(',');
const BASELINE_SESSIONS = Number(process.env.BENCH_BASELINE_SESSIONS ?? 10);
const calendar = defaultCalendar();

const IDS = { ES: [1, 'ES', 6000], NQ: [2, 'NQ', 21000], RTY: [3, 'RTY', 2100] };

/** One year (plus 60 days of lookback) of 1-min bars per symbol while CME trades, and VIX daily closes. */
async function buildLake(dir) {
  const owned = await openMemoryConnection();
  try {
    for (let d = addDays(FROM, -60); d <= TO; d = addDays(d, 1)) {
      const s = calendar.cmeSession(d);
      if (!s) continue;
      const open = s.open.getTime();
      const close = s.close.getTime();
      const values = SYMBOLS.map(
        (sym) => `('${sym}', ${IDS[sym][0]}, '${IDS[sym][1]}', ${IDS[sym][2]})`,
      ).join(', ');
      const sql = `SELECT make_timestamptz(ms * 1000) AS ts, DATE '${d}' AS trade_date, v.symbol, v.con_id,
          v.local AS local_symbol, '1 min' AS bar_size, 'TRADES' AS what_to_show, p AS open, p AS high, p AS low,
          p AS close, NULL AS volume, NULL AS wap, NULL AS count, 'import' AS source
        FROM range(${open}, ${close}, 60000) r(ms)
        CROSS JOIN (VALUES ${values}) v(symbol, con_id, local, base)
        CROSS JOIN LATERAL (SELECT v.base * (1 + 0.01 * sin(ms / 3.6e6 / 29) + 0.003 * sin(ms / 4.1e6) + 0.001 * sin(ms / 7e5)) AS p)
        WHERE NOT EXISTS (SELECT 1 FROM (VALUES ${s.halts.map((h) => `(${h.start.getTime()}, ${h.end.getTime()})`).join(', ') || '(0, 0)'}) h(a, b) WHERE ms >= h.a AND ms < h.b)`;
      await appendToLake(dir, 'futures_bars', { sql }, { connection: owned.connection });
    }
    const vix = `SELECT make_timestamptz(epoch_us(d::TIMESTAMP)) AS ts, d::DATE AS trade_date, 'VIX' AS symbol,
        NULL::BIGINT AS con_id, NULL AS local_symbol, '1 day' AS bar_size, 'TRADES' AS what_to_show, v AS open,
        v AS high, v AS low, v AS close, NULL AS volume, NULL AS wap, NULL AS count, 'import' AS source
      FROM range(DATE '${addDays(FROM, -500)}', DATE '${TO}' + 1, INTERVAL 1 DAY) r(d)
      CROSS JOIN LATERAL (SELECT 17 + 4 * sin(epoch(d) / 8.64e4 / 60) AS v) WHERE dayofweek(d) BETWEEN 1 AND 5`;
    await appendToLake(dir, 'futures_bars', { sql: vix }, { connection: owned.connection });
  } finally {
    owned.close();
  }
}

function runContext(dataDir) {
  const file = process.env.BENCH_CONFIG;
  const raw = file ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const silent = { isTTY: false, write: () => true };
  return {
    clock: wallClock(),
    env: {},
    cwd: process.cwd(),
    stdout: silent,
    stderr: silent,
    signal: new AbortController().signal,
    config: configSchema.parse({ ...raw, dataDir }),
    configFile: file,
    calendar,
    log: createLogger(silent, 'quiet'),
    isInteractive: false,
  };
}

async function timed(fn) {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const value = await fn();
  const used = process.cpuUsage(cpu);
  return { value, ms: performance.now() - t, cpuMs: (used.user + used.system) / 1000 };
}

const tmp = process.env.BENCH_LAKE ? undefined : mkdtempSync(path.join(os.tmpdir(), 'bench-evaluate-'));
const dir = process.env.BENCH_LAKE ?? tmp;
try {
  if (!existsSync(path.join(dir, 'lake', 'futures_bars'))) {
    const t = performance.now();
    await buildLake(dir);
    console.log(
      `  lake: ${SYMBOLS.join(',')} 1-min bars ${addDays(FROM, -60)}..${TO} built in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
  }
  const symbolsFlag = SYMBOLS.join(',');
  const args = [
    path.join(ROOT, 'bin', 'signals.js'),
    'evaluate',
    '--from',
    FROM,
    '--to',
    TO,
    '--symbols',
    symbolsFlag,
    '--json',
    '--data-dir',
    dir,
  ];
  if (process.env.BENCH_CONFIG) args.push('--config', process.env.BENCH_CONFIG);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`signals evaluate exited ${r.status}: ${r.stderr.slice(0, 500)}`);
  const sessions = JSON.parse(r.stdout).window.sessions;
  console.log(
    `  binary: signals evaluate ${FROM}..${TO} (${sessions} sessions, ${symbolsFlag}): ${(wall / 1000).toFixed(1)} s wall (goal ≤ 30 s)`,
  );

  const ctx = runContext(dir);
  const request = {
    from: FROM,
    to: TO,
    at: '09:25',
    everyMs: 300_000,
    checksFrom: '04:00',
    symbols: SYMBOLS,
    reference: undefined,
    drawdownPct: 2,
    alertLevel: 'warning',
    naiveMinMovePct: 0.5,
    overrides: {},
  };
  const ours = await timed(() => evaluateScorecard(request, ctx));
  const tm = ours.value.timings;
  console.log(
    `  in process: ${(ours.ms / 1000).toFixed(1)} s wall, ${(ours.cpuMs / 1000).toFixed(1)} s CPU: window read ${(tm.loadMs / 1000).toFixed(1)} s, ${tm.checks} checks ${(tm.checksMs / 1000).toFixed(1)} s (${((1000 * tm.checksMs) / tm.checks).toFixed(0)} µs each), ${tm.sessions} calls ${(tm.callsMs / 1000).toFixed(2)} s (${(tm.callsMs / tm.sessions).toFixed(1)} ms each)`,
  );

  const replayRequest = (from, to) => ({
    symbols: SYMBOLS,
    asOf: undefined,
    range: { from, to },
    overrides: {},
    record: false,
  });
  const days = nyseSessions(FROM, TO, calendar)
    .filter((d) => d.session !== null)
    .map((d) => d.date);
  const last = days[Math.min(BASELINE_SESSIONS, days.length) - 1];
  const pm = await timed(() => evaluateSignal(premarketStrategy, replayRequest(FROM, last), ctx));
  const pmCalls = pm.value.entries.length;
  console.log(
    `  baseline, same process: signals premarket --from ${FROM} --to ${last}: ${pmCalls} calls in ${(pm.ms / 1000).toFixed(1)} s (${(pm.ms / pmCalls).toFixed(1)} ms each, with the early warning derived per call); ours/baseline per call ${(tm.callsMs / tm.sessions / (pm.ms / pmCalls)).toFixed(2)}`,
  );
  const rg = await timed(() => evaluateSignal(regimeStrategy(300_000), replayRequest(FROM, last), ctx));
  const rgChecks = rg.value.entries.length;
  const perCheck = rg.ms / rgChecks;
  console.log(
    `  baseline, same process: signals regime --from ${FROM} --to ${last} --every 5m: ${rgChecks} checks in ${(rg.ms / 1000).toFixed(1)} s (${(1000 * perCheck).toFixed(0)} µs each, one lake read per trade date); ours/baseline per check ${(tm.checksMs / tm.checks / perCheck).toFixed(2)}`,
  );
  console.log(
    `  load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${os.cpus().length} CPUs`,
  );
} finally {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}
