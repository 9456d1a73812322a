// OPTIMIZE throughput and its effect on scans.
// 1. One trade date of 1-minute appends (BENCH_DAY_COMMITS, default 1,380 commits × 4 rows).
// 2. One synthetic month: BENCH_MONTH_DAYS trade dates (default 22) × BENCH_MONTH_COMMITS hourly appends
//    per date (default 23) × 240 rows: the row count of a month of 1-minute snapshots of 4 instruments
//    (121,440 rows) in 506 files instead of 30,360 (building 30k commits would take too long here).
// For each: OPTIMIZE time (planning, rewrite, row-count + checksum verification, commit), rows/s, and the
// ratio to a bare DuckDB COPY of the same rows (read_parquet over the same input files → one Parquet
// file); then the scan of the last 2 trade dates of the month on the uncompacted vs compacted table.
// Peak RSS is the process's (it includes building the tables).
// Run after `npx tsc -p tsconfig.build.json`: node bench/compact.bench.js
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  appendRows,
  createTable,
  loadSnapshot,
  optimizeTable,
  resolveDataFile,
  scanTable,
} from '../dist/delta/index.js';

const DAY_COMMITS = Number(process.env.BENCH_DAY_COMMITS ?? 1380);
const MONTH_DAYS = Number(process.env.BENCH_MONTH_DAYS ?? 22);
const MONTH_COMMITS = Number(process.env.BENCH_MONTH_COMMITS ?? 23);
const MONTH_ROWS_PER_COMMIT = 240;
const SCAN_RUNS = 9;

const schema = {
  type: 'struct',
  fields: [
    { name: 'trade_date', type: 'date', nullable: false, metadata: {} },
    { name: 'ts', type: 'timestamp', nullable: false, metadata: {} },
    { name: 'symbol', type: 'string', nullable: false, metadata: {} },
    { name: 'bid', type: 'double', nullable: true, metadata: {} },
    { name: 'ask', type: 'double', nullable: true, metadata: {} },
    { name: 'last', type: 'double', nullable: true, metadata: {} },
    { name: 'volume', type: 'long', nullable: true, metadata: {} },
    { name: 'source', type: 'string', nullable: false, metadata: {} },
  ],
};
const SYMBOLS = ['ES', 'NQ', 'RTY', 'VIX'];

function tradeDate(i) {
  const d = new Date(Date.UTC(2026, 2, 2));
  let added = 0;
  while (added < i) {
    d.setUTCDate(d.getUTCDate() + 1);
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) added++;
  }
  return d.toISOString().slice(0, 10);
}

function rows(date, minute, count) {
  const base = Date.parse(`${date}T00:00:00Z`) - 6 * 3600_000;
  return Array.from({ length: count }, (_, k) => {
    const m = minute + Math.floor(k / SYMBOLS.length);
    const price = 5000 + Math.sin(m / 50) * 20 + k;
    return {
      trade_date: date,
      ts: new Date(base + m * 60_000),
      symbol: SYMBOLS[k % SYMBOLS.length],
      bid: price - 0.25,
      ask: price + 0.25,
      last: price,
      volume: 1000 + m,
      source: 'bench',
    };
  });
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function bareCopy(connection, table, out) {
  const snapshot = await loadSnapshot(table, { connection });
  const files = [...snapshot.files.values()].map(
    (f) => `'${resolveDataFile(table, f.relativePath).replaceAll("'", "''")}'`,
  );
  const t = performance.now();
  await connection.run(
    `COPY (SELECT * FROM read_parquet([${files.join(', ')}])) TO '${out}' (FORMAT parquet)`,
  );
  return performance.now() - t;
}

async function compactCase(label, connection, root, table) {
  const before = await loadSnapshot(table, { connection });
  const rowsTotal = [...before.files.values()].reduce((n, f) => n + (f.stats?.numRecords ?? 0), 0);
  const copyMs = await bareCopy(connection, table, path.join(root, `${label}-bare.parquet`));
  const t = performance.now();
  const metrics = await optimizeTable(table, { connection });
  const ms = performance.now() - t;
  const after = await loadSnapshot(table, { connection });
  console.log(
    `${label}: ${before.files.size} files → ${after.files.size}, ${rowsTotal} rows, ${before.version + 1} commits; ` +
      `OPTIMIZE ${ms.toFixed(0)} ms (rewrite ${metrics.durations.rewriteMs.toFixed(0)}, verify ${metrics.durations.verifyMs.toFixed(0)}, commit ${metrics.durations.commitMs.toFixed(0)}) = ${Math.round(rowsTotal / (ms / 1000))} rows/s; ` +
      `bare DuckDB COPY ${copyMs.toFixed(0)} ms = ${Math.round(rowsTotal / (copyMs / 1000))} rows/s; throughput ratio ${(copyMs / ms).toFixed(2)} (goal ≥ 0.5)`,
  );
}

async function scanMs(connection, table, where) {
  const open = [];
  const scan = [];
  let count = 0;
  for (let i = 0; i < SCAN_RUNS; i++) {
    const t = performance.now();
    const snapshot = await loadSnapshot(table, { connection });
    const t1 = performance.now();
    const result = await scanTable(snapshot, { connection, where });
    scan.push(performance.now() - t1);
    open.push(t1 - t);
    count = result.rows.length;
  }
  return { open: median(open), scan: median(scan), count };
}

const root = mkdtempSync(path.join(os.tmpdir(), 'bench-compact-'));
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
await connection.run("SET TimeZone='UTC'");
try {
  const day = path.join(root, 'day');
  await createTable(day, { schema, partitionColumns: ['trade_date'] });
  let t = performance.now();
  for (let i = 0; i < DAY_COMMITS; i++) await appendRows(day, rows('2026-03-02', i, 4), { connection });
  console.log(`built ${DAY_COMMITS} × 4-row appends in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  await compactCase('one trade date', connection, root, day);

  const month = path.join(root, 'month');
  await createTable(month, { schema, partitionColumns: ['trade_date'] });
  t = performance.now();
  for (let d = 0; d < MONTH_DAYS; d++) {
    for (let c = 0; c < MONTH_COMMITS; c++) {
      await appendRows(month, rows(tradeDate(d), c * 60, MONTH_ROWS_PER_COMMIT), { connection });
    }
  }
  console.log(
    `built a month: ${MONTH_DAYS} trade dates × ${MONTH_COMMITS} appends × ${MONTH_ROWS_PER_COMMIT} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  const uncompacted = path.join(root, 'month-uncompacted');
  cpSync(month, uncompacted, { recursive: true });
  await compactCase('one month', connection, root, month);

  const where = `trade_date >= '${tradeDate(MONTH_DAYS - 2)}'`;
  // Both tables get a checkpoint at their latest version, so opening costs the same and the scan is compared.
  const { checkpointOnDemand } = await import('../dist/delta/index.js');
  await checkpointOnDemand(uncompacted, { connection });
  await checkpointOnDemand(month, { connection });
  await scanMs(connection, uncompacted, where); // warm-up
  await scanMs(connection, month, where);
  const slow = await scanMs(connection, uncompacted, where);
  const fast = await scanMs(connection, month, where);
  if (slow.count !== fast.count) throw new Error(`scan row counts differ: ${slow.count} vs ${fast.count}`);
  console.log(
    `scan of the last 2 trade dates (${fast.count} rows, median of ${SCAN_RUNS}): uncompacted scan ${slow.scan.toFixed(1)} ms (+ open ${slow.open.toFixed(1)} ms), compacted scan ${fast.scan.toFixed(1)} ms (+ open ${fast.open.toFixed(1)} ms); scan ratio ${(slow.scan / fast.scan).toFixed(2)}× faster compacted`,
  );
  console.log(
    `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (whole process, building included)`,
  );
} finally {
  connection.closeSync();
  instance.closeSync();
  rmSync(root, { recursive: true, force: true });
}
