// Wall time of `signals premarket --json` and `signals regime --json` (the built binary, spawned as cron
// would) on a futures_snapshots table holding one synthetic year of 5-second snapshots vs one week
// (goal: ratio ≤ 1.2, cost does not grow with history), and vs the floor of `node` starting plus one
// DuckDB read of the same partitions' files (goal: ratio ≤ 1.5).
// Run after `npx tsc -p tsconfig.build.json`: node bench/signals.bench.js
//
// The table is written one commit per trade date (the shape after `futures compact`), ES/NQ/RTY with
// bid/ask/last and VIX with last, every BENCH_STEP_SECONDS (5) through each CME session, for
// BENCH_DAYS (365) calendar days. Scale with BENCH_STEP_SECONDS / BENCH_DAYS when generation is too slow.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openMemoryConnection } from '../dist/delta/index.js';
import { appendToLake } from '../dist/lake/index.js';
import { addDays, defaultCalendar, etInstant } from '../dist/market/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STEP = Number(process.env.BENCH_STEP_SECONDS ?? 5);
const DAYS = Number(process.env.BENCH_DAYS ?? 365);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const LAST = process.env.BENCH_LAST_DATE ?? '2026-03-06'; // a Friday
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
      s.base * 0.999 AS close, 'sim' AS source
    FROM range(${open}, ${close}, ${STEP * 1000}) r(ms)
    CROSS JOIN (VALUES ${values}) s(symbol, base, tick, local, sec, con_id)
    CROSS JOIN LATERAL (SELECT s.base * (1 + 0.01 * sin(ms / 3.6e6 / 7) + 0.002 * sin(ms / 6e5)) AS p)`;
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

function timeSpawn(args) {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 500)}`);
  return ms;
}

function measure(args) {
  timeSpawn(args); // warm the page cache
  const times = [];
  for (let i = 0; i < RUNS; i++) times.push(timeSpawn(args));
  return median(times);
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

const root = mkdtempSync(path.join(os.tmpdir(), 'bench-signals-'));
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
  const results = {};
  for (const [label, days] of [
    ['week', 7],
    ['year', DAYS],
  ]) {
    const dir = path.join(root, label);
    const t = performance.now();
    const dates = await buildLake(dir, days);
    console.log(
      `  ${label}: ${dates} trade dates of ${STEP}-second snapshots (4 symbols) built in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    const common = ['--json', '--no-record', '--data-dir', dir];
    const bin = path.join(ROOT, 'bin', 'signals.js');
    const files = filesOf(dir);
    results[label] = {
      premarket: measure([bin, 'premarket', ...common, '--as-of', premarketAsOf]),
      regime: measure([bin, 'regime', ...common, '--as-of', regimeAsOf]),
      floor: measure([floorScript, JSON.stringify(files)]),
      files: files.length,
    };
    const r = results[label];
    console.log(
      `    premarket ${r.premarket.toFixed(0)} ms, regime ${r.regime.toFixed(0)} ms, floor (node + one DuckDB read of ${r.files} files) ${r.floor.toFixed(0)} ms (medians of ${RUNS})`,
    );
  }
  const { week, year } = results;
  console.log(
    `  year/week: premarket ${(year.premarket / week.premarket).toFixed(2)}, regime ${(year.regime / week.regime).toFixed(2)} (goal ≤ 1.2)`,
  );
  console.log(
    `  year/floor: premarket ${(year.premarket / year.floor).toFixed(2)}, regime ${(year.regime / year.floor).toFixed(2)} (goal ≤ 1.5)`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
