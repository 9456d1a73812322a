// `futures dashboard` on a year of 1-minute snapshots of ES/NQ/RTY/VIX: each endpoint's latency (goal
// ≤ 300 ms) against DuckDB alone reading the same rows, and the page's first paint in headless chromium
// (goal ≤ 1.5 s: from navigation to the call card and all four charts drawn). A session's documents are
// kept per lake version, so each is timed cold (a session not asked before: computed) and warm (asked
// again: served from memory); /api/status is computed on every ask.
// Run after `npx tsc -p tsconfig.build.json`: node bench/dashboard.bench.js
// BENCH_STEP_SECONDS (60), BENCH_DAYS (365), BENCH_RUNS (5); BENCH_DIR keeps and reuses the lake.
// BENCH_DAILY_BARS=1 adds the 1-day bars a real lake gets from the nightly `backfill --bar 1day`.
// The page is opened on ?date=LAST (the wall clock is past the synthetic year, so "live" has no data).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { openMemoryConnection } from '../dist/delta/index.js';
import { appendToLake } from '../dist/lake/index.js';
import { addDays, defaultCalendar } from '../dist/market/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STEP = Number(process.env.BENCH_STEP_SECONDS ?? 60);
const DAYS = Number(process.env.BENCH_DAYS ?? 365);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const LAST = '2026-03-06'; // a Friday
const KEEP_DIR = process.env.BENCH_DIR;
const DAILY_BARS = process.env.BENCH_DAILY_BARS === '1';
const calendar = defaultCalendar();
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
FLAGS.push('--disable-component-update', '--no-first-run');

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** symbol, base price, tick, local symbol, security type, contract id. */
const SYMBOLS = [
  ['ES', 6000, 0.25, 'ESH6', 'FUT', 1],
  ['NQ', 21000, 0.25, 'NQH6', 'FUT', 2],
  ['RTY', 2100, 0.1, 'RTYH6', 'FUT', 3],
  ['VIX', 17, 0.01, 'VIX', 'IND', 4],
];

/** One trade date of snapshots as SQL (the shape of bench/signals.bench.js). */
function daySql(tradeDate) {
  const session = calendar.cmeSession(tradeDate);
  if (!session) return undefined;
  const values = SYMBOLS.map(([s, b, t, l, sec, id]) => `('${s}', ${b}, ${t}, '${l}', '${sec}', ${id})`).join(
    ', ',
  );
  return `SELECT make_timestamptz(ms * 1000) AS ts, DATE '${tradeDate}' AS trade_date, 'overnight' AS segment,
      s.symbol, s.sec AS sec_type, s.con_id, s.local AS local_symbol,
      CASE WHEN s.sec = 'FUT' THEN round(p / s.tick) * s.tick - s.tick END AS bid,
      CASE WHEN s.sec = 'FUT' THEN round(p / s.tick) * s.tick END AS ask,
      CASE WHEN s.sec = 'FUT' THEN round(p / s.tick) * s.tick - s.tick / 2 END AS mid,
      round(p / s.tick) * s.tick AS last, 1 AS market_data_type, CAST([] AS VARCHAR[]) AS quality,
      s.base * 0.999 AS close, 'ibkr' AS source
    FROM range(${session.open.getTime()}, ${session.close.getTime()}, ${STEP * 1000}) r(ms)
    CROSS JOIN (VALUES ${values}) s(symbol, base, tick, local, sec, con_id)
    CROSS JOIN LATERAL (SELECT s.base * (1 + 0.01 * sin(ms / 3.6e6 / 7) + 0.002 * sin(ms / 6e5)) AS p)`;
}

/** 1-day bars of every NYSE session in the year, closing at the snapshots' price at 16:00 ET. */
function dailyBarsSql() {
  const rows = [];
  for (let i = DAYS - 1; i >= 0; i--) {
    const date = addDays(LAST, -i);
    const session = calendar.nyseSession(date);
    if (session) rows.push(`(DATE '${date}', ${session.close.getTime()})`);
  }
  return `SELECT make_timestamptz(epoch_ms(d::TIMESTAMP) * 1000) AS ts, d AS trade_date, s.symbol,
      s.con_id, s.local AS local_symbol, '1 day' AS bar_size, 'TRADES' AS what_to_show,
      p AS open, p AS high, p AS low, p AS close, 0.0 AS volume, p AS wap, 0 AS count, 'ibkr' AS source
    FROM (VALUES ${rows.join(', ')}) c(d, ms)
    CROSS JOIN (VALUES ${SYMBOLS.map(([sym, b, , l, , id]) => `('${sym}', ${b}, '${l}', ${id})`).join(', ')})
      s(symbol, base, local, con_id)
    CROSS JOIN LATERAL (SELECT s.base * (1 + 0.01 * sin(ms / 3.6e6 / 7) + 0.002 * sin(ms / 6e5)) AS p)`;
}

async function buildLake(dir) {
  const owned = await openMemoryConnection();
  try {
    for (let i = DAYS - 1; i >= 0; i--) {
      const sql = daySql(addDays(LAST, -i));
      if (sql) await appendToLake(dir, 'futures_snapshots', { sql }, { connection: owned.connection });
    }
    if (DAILY_BARS)
      await appendToLake(dir, 'futures_bars', { sql: dailyBarsSql() }, { connection: owned.connection });
  } finally {
    owned.close();
  }
}

/** DuckDB alone: the series rows (same trade dates, time range and symbols) straight from Parquet. */
async function floorMs(dir, from, to) {
  const table = path.join(dir, 'lake', 'futures_snapshots');
  const dates = new Set([from.slice(0, 10), to.slice(0, 10), addDays(to.slice(0, 10), -1)]);
  const files = readdirSync(table)
    .filter((p) => dates.has(p.replace('trade_date=', '')))
    .flatMap((p) => readdirSync(path.join(table, p)).map((f) => path.join(table, p, f)))
    .filter((f) => f.endsWith('.parquet'));
  const owned = await openMemoryConnection();
  try {
    const sql = `SELECT ts, symbol, mid, last FROM read_parquet([${files.map((f) => `'${f}'`).join(', ')}])
      WHERE ts BETWEEN '${from}' AND '${to}' AND symbol IN ('ES','NQ','RTY','VIX') ORDER BY ts, symbol`;
    await owned.connection.runAndReadAll(sql);
    const times = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await owned.connection.runAndReadAll(sql);
      times.push(performance.now() - t);
    }
    return median(times);
  } finally {
    owned.close();
  }
}

/** [min, median, max] of a list of times. */
const spread = (times) => {
  const sorted = [...times].sort((a, b) => a - b);
  return [sorted[0], median(sorted), sorted.at(-1)];
};
const fmt = ([min, mid, max]) => `${mid.toFixed(0)} ms (min ${min.toFixed(0)}, max ${max.toFixed(0)})`;

async function timeFetch(url) {
  const t = performance.now();
  const res = await fetch(url);
  await res.text();
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
  return performance.now() - t;
}

/** Cold: each of `urls` asked for the first time; warm: the first of them asked RUNS times more. */
async function endpointMs(urls) {
  const cold = [];
  for (const url of urls) cold.push(await timeFetch(url));
  const warm = [];
  for (let i = 0; i < RUNS; i++) warm.push(await timeFetch(urls[0]));
  return { cold: spread(cold), warm: spread(warm) };
}

async function paintMs(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  const t = performance.now();
  await page.goto(url);
  await page.locator('#call-bias:not(:text("–"))').waitFor({ timeout: 60_000 });
  await page.locator('#chart-VIX canvas').waitFor({ timeout: 60_000 });
  const ms = performance.now() - t;
  // Let the page's later asks (timeline, coverage, scorecard) finish: they would load the next measurement.
  await page.locator('#timeline-strip .step').first().waitFor({ timeout: 120_000 });
  await page.locator('#scorecard-summary div').first().waitFor({ timeout: 120_000 });
  await page.locator('#coverage .coverage-row').first().waitFor({ timeout: 120_000 });
  await page.close();
  return ms;
}

/** Cold: each session opened for the first time; warm: the first session opened again. */
async function firstPaintMs(browser, base, dates) {
  await paintMs(browser, `${base}?date=${LAST}`); // the browser's own caches (page, scripts)
  const cold = [];
  for (const date of dates) cold.push(await paintMs(browser, `${base}?date=${date}`));
  const warm = [];
  for (let i = 0; i < RUNS; i++) warm.push(await paintMs(browser, `${base}?date=${dates[0]}`));
  return { cold: spread(cold), warm: spread(warm) };
}

/** The RUNS NYSE sessions before `date`, newest first. */
function sessionsBefore(date, count) {
  const out = [];
  for (let d = addDays(date, -1); out.length < count; d = addDays(d, -1)) {
    if (calendar.nyseSession(d)) out.push(d);
  }
  return out;
}

const root = KEEP_DIR ?? mkdtempSync(path.join(os.tmpdir(), 'bench-dashboard-'));
mkdirSync(root, { recursive: true });
let server;
try {
  if (!existsSync(path.join(root, 'lake', 'futures_snapshots'))) {
    const t = performance.now();
    await buildLake(root);
    console.log(
      `year: ${DAYS} days of ${STEP}-second snapshots (4 symbols) built in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
  }
  server = spawn(process.execPath, [
    path.join(ROOT, 'bin/futures.js'),
    'dashboard',
    '--port',
    '0',
    '--data-dir',
    root,
  ]);
  const url = await new Promise((resolve, reject) => {
    let err = '';
    server.stderr.on('data', (d) => {
      err += d;
      const m = /dashboard: (http:\S+)/.exec(err);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`dashboard exited ${code}: ${err}`)));
  });
  const pre = await (await fetch(`${url}api/premarket?date=${LAST}`)).json();
  const from = pre.reference.time;
  const to = pre.asOf;
  const rows = Object.values((await (await fetch(`${url}api/series?date=${LAST}`)).json()).series);
  console.log(`series ${from} → ${to}: ${rows.reduce((n, s) => n + s.ts.length, 0)} rows`);
  // Endpoints and pages each on sessions not asked before (cold), then one of them again (warm).
  const dates = sessionsBefore(LAST, 2 * RUNS + 1);
  const endpointDates = dates.slice(0, RUNS);
  const paintDates = dates.slice(RUNS, 2 * RUNS);
  const status = [];
  for (let i = 0; i < RUNS + 1; i++) status.push(await timeFetch(`${url}api/status`));
  console.log(`  /api/status (computed per ask): ${fmt(spread(status.slice(1)))}`);
  for (const name of ['premarket', 'regime', 'series', 'coverage', 'timeline', 'scorecard']) {
    const times = await endpointMs(endpointDates.map((d) => `${url}api/${name}?date=${d}`));
    console.log(`  /api/${name}: cold ${fmt(times.cold)}; warm ${fmt(times.warm)}`);
  }
  console.log(`  DuckDB alone, the series rows: ${(await floorMs(root, from, to)).toFixed(0)} ms`);
  const chromiumPath = execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  const browser = await chromium.launch({ executablePath: chromiumPath, args: FLAGS });
  try {
    const paint = await firstPaintMs(browser, url, paintDates);
    console.log(`  first paint: cold ${fmt(paint.cold)}; warm ${fmt(paint.warm)} (${RUNS} sessions)`);
  } finally {
    await browser.close();
  }
} finally {
  server?.kill('SIGTERM');
  if (!KEEP_DIR) rmSync(root, { recursive: true, force: true });
}
