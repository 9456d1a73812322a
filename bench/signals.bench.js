// Wall time of `signals premarket --json` and `signals regime --json` (the built binary, spawned as cron
// would) on a futures_snapshots table holding one synthetic year of 5-second snapshots vs one week
// (goal: ratio ≤ 1.2, cost does not grow with history), and vs the floor of `node` starting plus one
// DuckDB read of the same partitions' files (goal: ratio ≤ 1.5).
// Run after `npx tsc -p tsconfig.build.json`: node bench/signals.bench.js
//
// The table is written one commit per trade date (the shape after `futures compact`), ES/NQ/RTY with
// bid/ask/last and VIX with last (source 'ibkr': simulator rows count only in a demo lake), every
// BENCH_STEP_SECONDS (5) through each CME session, for
// BENCH_DAYS (365) calendar days. Scale with BENCH_STEP_SECONDS / BENCH_DAYS when generation is too slow.
// Then BENCH_DAILY_YEARS (36) years of VIX 1-day bars up to the day before LAST go into futures_bars of both
// lakes, one file per trade date (the layout `futures import` leaves: ~9,400 one-file partitions), and both
// are measured again ('+vix'); 0 skips that. Runs are interleaved (week, year, week, …) so load drift on a
// shared machine hits both alike. BENCH_DIR keeps the lakes there and reuses them (for profiling).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openMemoryConnection } from '../dist/delta/index.js';
import { appendToLake } from '../dist/lake/index.js';
import { addDays, defaultCalendar, etInstant } from '../dist/market/index.js';
import { replayBench } from './signals-replay.bench.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STEP = Number(process.env.BENCH_STEP_SECONDS ?? 5);
const DAYS = Number(process.env.BENCH_DAYS ?? 365);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const LAST = process.env.BENCH_LAST_DATE ?? '2026-03-06'; // a Friday
const DAILY_YEARS = Number(process.env.BENCH_DAILY_YEARS ?? 36);
const KEEP_DIR = process.env.BENCH_DIR;
const calendar = defaultCalendar();

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** One trade date of snapshots as SQL (DuckDB generates the rows). */
function daySql(tradeDate) {
  const session = calendar.cmeSession(tradeDate);
  if (!session) return undefined;
  const open = session.open.getTime();
  const close = session.close.getTime();
  const symbols = [
    ['ES', 6000, 0.25, 'ESH6', 'FUT', 1],
    ['NQ', 21000, 0.25, 'NQH6', 'FUT', 2],
    ['RTY', 2100, 0.1, 'RTYH6', 'FUT', 3],
    ['VIX', 17, 0.01, 'VIX', 'IND', 4],
  ];
  const values = symbols
    .map(([s, base, tick, local, sec, id]) => `('${s}', ${base}, ${tick}, '${local}', '${sec}', ${id})`)
    .join(', ');
  return `SELECT make_timestamptz(ms * 1000) AS ts, DATE '${tradeDate}' AS trade_date, 'overnight' AS segment,
      s.symbol, s.sec AS sec_type, s.con_id, s.local AS local_symbol,
      CASE WHEN s.sec = 'FUT' THEN round(p / s.tick) * s.tick - s.tick END AS bid,
      CASE WHEN s.sec = 'FUT' THEN round(p / s.tick) * s.tick END AS ask,
      round(p / s.tick) * s.tick AS last, 1 AS market_data_type, CAST([] AS VARCHAR[]) AS quality,
      s.base * 0.999 AS close, 'ibkr' AS source
    FROM range(${open}, ${close}, ${STEP * 1000}) r(ms)
    CROSS JOIN (VALUES ${values}) s(symbol, base, tick, local, sec, con_id)
    CROSS JOIN LATERAL (SELECT s.base * (1 + 0.01 * sin(ms / 3.6e6 / 7) + 0.002 * sin(ms / 6e5)) AS p)`;
}

/** `years` of VIX 1-day bars (weekdays) up to the day before LAST, one partition (file) per date. */
function dailyBarsSql(years) {
  const last = addDays(LAST, -1);
  const first = addDays(last, -Math.round(years * 365.25));
  return `SELECT make_timestamptz(epoch_us(d::TIMESTAMP + INTERVAL 21 HOUR)) AS ts, d::DATE AS trade_date,
      'VIX' AS symbol, 4 AS con_id, 'VIX' AS local_symbol, '1 day' AS bar_size, 'TRADES' AS what_to_show,
      v AS open, v * 1.05 AS high, v * 0.95 AS low, v AS close, NULL AS volume, NULL AS wap, NULL AS count,
      'import' AS source
    FROM range(DATE '${first}', DATE '${last}' + 1, INTERVAL 1 DAY) r(d)
    CROSS JOIN LATERAL (SELECT 17 + 5 * sin(epoch(d) / 8.64e4 / 90) AS v)
    WHERE dayofweek(d) BETWEEN 1 AND 5`;
}

async function buildLake(dir, days) {
  const owned = await openMemoryConnection();
  let dates = 0;
  try {
    for (let i = days - 1; i >= 0; i--) {
      const date = addDays(LAST, -i);
      const sql = daySql(date);
      if (!sql) continue;
      await appendToLake(dir, 'futures_snapshots', { sql }, { connection: owned.connection });
      dates++;
    }
  } finally {
    owned.close();
  }
  return dates;
}

async function addDailyBars(dir, years) {
  const owned = await openMemoryConnection();
  try {
    await appendToLake(dir, 'futures_bars', { sql: dailyBarsSql(years) }, { connection: owned.connection });
  } finally {
    owned.close();
  }
}

function timeSpawn(args) {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 500)}`);
  return ms;
}

/** Medians of RUNS timings per case, the cases interleaved; one warm-up run each (page cache). */
function measureAll(cases) {
  const times = cases.map(() => []);
  for (const c of cases) timeSpawn(c);
  for (let i = 0; i < RUNS; i++) {
    for (const [j, c] of cases.entries()) times[j].push(timeSpawn(c));
  }
  return times.map(median);
}

/** Parquet files of the trade dates a run reads (the 40 calendar days up to LAST). */
function filesOf(dir) {
  const table = path.join(dir, 'lake', 'futures_snapshots');
  const from = addDays(LAST, -40);
  const out = [];
  for (const part of readdirSync(table)) {
    const m = /^trade_date=(\d{4}-\d{2}-\d{2})$/.exec(part);
    if (!m || m[1] < from || m[1] > LAST) continue;
    for (const f of readdirSync(path.join(table, part))) {
      if (f.endsWith('.parquet')) out.push(path.join(table, part, f));
    }
  }
  return out;
}

if (process.env.BENCH_LAKE !== undefined) {
  // The in-process replay part alone, on an existing lake (e.g. the calibration lake of docs/signals.md).
  await replayBench(process.env.BENCH_LAKE, process.env.BENCH_CONFIG);
  process.exit(0);
}
const root = KEEP_DIR ?? mkdtempSync(path.join(os.tmpdir(), 'bench-signals-'));
mkdirSync(root, { recursive: true });
try {
  const floorScript = path.join(root, 'floor.mjs');
  writeFileSync(
    floorScript,
    `import { DuckDBInstance } from '${path.join(ROOT, 'node_modules/@duckdb/node-api/lib/index.js').replaceAll('\\', '/')}';
const files = JSON.parse(process.argv[2]);
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const r = await c.runAndReadAll('SELECT count(*), max(ts), min(last) FROM read_parquet(' + JSON.stringify(files).replaceAll('"', "'") + ')');
process.stdout.write(String(r.getRows()[0][0]));
`,
  );
  if (!existsSync(path.join(ROOT, 'node_modules/@duckdb/node-api/lib/index.js'))) {
    throw new Error('node_modules/@duckdb/node-api/lib/index.js not found (floor script)');
  }
  const premarketAsOf = etInstant(LAST, '09:25').toISOString();
  const regimeAsOf = etInstant(LAST, '11:00').toISOString();
  const bin = path.join(ROOT, 'bin', 'signals.js');
  const lakes = { week: 7, year: DAYS };
  for (const [label, days] of Object.entries(lakes)) {
    const dir = path.join(root, label);
    if (existsSync(path.join(dir, 'lake', 'futures_snapshots'))) {
      console.log(`  ${label}: reusing ${dir}`);
      continue;
    }
    const t = performance.now();
    const dates = await buildLake(dir, days);
    console.log(
      `  ${label}: ${dates} trade dates of ${STEP}-second snapshots (4 symbols) built in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
  }
  const measureLakes = (suffix) => {
    const cases = [];
    for (const label of Object.keys(lakes)) {
      const dir = path.join(root, label);
      const common = ['--json', '--no-record', '--data-dir', dir];
      cases.push([bin, 'premarket', ...common, '--as-of', premarketAsOf]);
      cases.push([bin, 'regime', ...common, '--as-of', regimeAsOf]);
      cases.push([floorScript, JSON.stringify(filesOf(dir))]);
    }
    const medians = measureAll(cases);
    const results = {};
    Object.keys(lakes).forEach((label, i) => {
      const r = {
        premarket: medians[3 * i],
        regime: medians[3 * i + 1],
        floor: medians[3 * i + 2],
        files: filesOf(path.join(root, label)).length,
      };
      results[label] = r;
      console.log(
        `    ${label}${suffix}: premarket ${r.premarket.toFixed(0)} ms, regime ${r.regime.toFixed(0)} ms, floor (node + one DuckDB read of ${r.files} files) ${r.floor.toFixed(0)} ms (medians of ${RUNS})`,
      );
    });
    const { week, year } = results;
    console.log(
      `    year/week${suffix}: premarket ${(year.premarket / week.premarket).toFixed(2)}, regime ${(year.regime / week.regime).toFixed(2)} (goal ≤ 1.2)`,
    );
    console.log(
      `    year/floor${suffix}: premarket ${(year.premarket / year.floor).toFixed(2)}, regime ${(year.regime / year.floor).toFixed(2)} (goal ≤ 1.5)`,
    );
  };
  measureLakes('');
  if (DAILY_YEARS > 0) {
    for (const label of Object.keys(lakes)) {
      const dir = path.join(root, label);
      if (existsSync(path.join(dir, 'lake', 'futures_bars'))) continue;
      const t = performance.now();
      await addDailyBars(dir, DAILY_YEARS);
      console.log(
        `  ${label}+vix: ${DAILY_YEARS} years of VIX daily bars (one file per date) added in ${((performance.now() - t) / 1000).toFixed(1)} s`,
      );
    }
    measureLakes('+vix');
  }
  await replayBench(path.join(root, 'year'), undefined, addDays(LAST, -30), LAST);
} finally {
  if (KEEP_DIR === undefined) rmSync(root, { recursive: true, force: true });
}
