// Time-range scan: the last 2 trade dates for 4 symbols over one synthetic year of 5-second snapshots
// for 4 instruments (~17 M rows at BENCH_SCALE=1), table partitioned by trade_date, against DuckDB
// read_parquet over exactly the files holding those dates. Both sides materialise the same rows.
// BENCH_SCALE scales the number of trade dates (252 × scale); intraday density stays 5 s × 23 h.
// Run after `npx tsc -p tsconfig.build.json`: BENCH_SCALE=1 node bench/delta-scan.bench.js
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  createTable,
  loadSnapshot,
  planScan,
  resolveDataFile,
  scanSql,
  writeAppend,
} from '../dist/delta/index.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const DAYS = Math.max(3, Math.round(252 * SCALE));
const SNAPSHOTS_PER_DAY = (23 * 3600) / 5; // 16,560
const SYMBOLS = ['ES', 'NQ', 'RTY', 'YM'];
const DAYS_PER_COMMIT = 21;
const schema = {
  type: 'struct',
  fields: [
    { name: 'trade_date', type: 'date', nullable: false, metadata: {} },
    { name: 'ts', type: 'timestamp', nullable: false, metadata: {} },
    { name: 'symbol', type: 'string', nullable: false, metadata: {} },
    { name: 'price', type: 'double', nullable: true, metadata: {} },
    { name: 'volume', type: 'long', nullable: true, metadata: {} },
  ],
};

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Trading days: weekdays from 2025-01-02. */
function tradeDates() {
  const out = [];
  for (let t = Date.UTC(2025, 0, 2); out.length < DAYS; t += 86_400_000) {
    const d = new Date(t);
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) out.push(d.toISOString().slice(0, 10));
  }
  return out;
}

const root = mkdtempSync(path.join(os.tmpdir(), 'bench-scan-'));
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
await connection.run("SET TimeZone='UTC'");
try {
  const table = path.join(root, 'futures_snapshots');
  await createTable(table, { schema, partitionColumns: ['trade_date'] });
  const dates = tradeDates();
  const generated = performance.now();
  let rows = 0;
  for (let i = 0; i < dates.length; i += DAYS_PER_COMMIT) {
    const chunk = dates.slice(i, i + DAYS_PER_COMMIT);
    const result = await writeAppend(
      table,
      {
        sql: `SELECT d.trade_date, (d.trade_date::TIMESTAMP - INTERVAL 1 HOUR)::TIMESTAMPTZ + to_seconds(s.k * 5) AS ts,
                sym.symbol, 5000 + sym.n * 1000 + (s.k % 1000) / 4.0 AS price, (s.k * 7 + sym.n)::BIGINT AS volume
              FROM (SELECT unnest([${chunk.map((d) => `DATE '${d}'`).join(', ')}]) AS trade_date) d,
                   range(${SNAPSHOTS_PER_DAY}) s(k),
                   (SELECT unnest(['${SYMBOLS.join("','")}']) AS symbol, unnest([0, 1, 2, 3]) AS n) sym`,
      },
      { connection },
    );
    rows += result.skipped ? 0 : result.rows;
  }
  console.log(
    `BENCH_SCALE=${SCALE}: ${dates.length} trade dates, ${rows.toLocaleString('en-US')} rows, generated in ${((performance.now() - generated) / 1000).toFixed(1)} s`,
  );

  const lastTwo = dates.slice(-2);
  const where = `trade_date >= '${lastTwo[0]}' AND symbol IN ('ES','NQ','RTY','YM')`;
  // Delta side: open the table, plan (partition pruning + stats skipping), read the rows.
  const deltaTimes = [];
  let plan;
  let deltaRows = 0;
  for (let i = 0; i < RUNS + 1; i++) {
    const t = performance.now();
    const snapshot = await loadSnapshot(table, { connection });
    plan = planScan(snapshot, { where });
    const result = await connection.runAndReadAll(await scanSql(connection, plan));
    deltaRows = result.getRows().length;
    if (i > 0) deltaTimes.push(performance.now() - t);
  }
  // DuckDB side: read_parquet over exactly the files holding those dates (partition value from the path list).
  const snapshot = await loadSnapshot(table, { connection });
  const files = [...snapshot.files.values()].filter((f) =>
    lastTwo.includes(f.add.partitionValues.trade_date),
  );
  const fileList = files.map((f) => `'${resolveDataFile(table, f.relativePath)}'`).join(', ');
  const bareSql = `SELECT CAST(regexp_extract(filename, 'trade_date=([0-9-]+)', 1) AS DATE) AS trade_date, ts, symbol, price, volume
    FROM read_parquet([${fileList}], filename=true, hive_partitioning=false) WHERE symbol IN ('ES','NQ','RTY','YM')`;
  const bareTimes = [];
  let bareRows = 0;
  for (let i = 0; i < RUNS + 1; i++) {
    const t = performance.now();
    bareRows = (await connection.runAndReadAll(bareSql)).getRows().length;
    if (i > 0) bareTimes.push(performance.now() - t);
  }
  const m = plan.metrics;
  console.log(
    `files: ${m.filesTotal} total, ${m.filesPrunedByPartition} pruned by partition, ${m.filesPrunedByStats} by stats, ${m.filesRead} read`,
  );
  console.log(
    `delta scan (open + plan + read): median ${median(deltaTimes).toFixed(1)} ms, ${deltaRows} rows`,
  );
  console.log(
    `bare read_parquet (${files.length} files): median ${median(bareTimes).toFixed(1)} ms, ${bareRows} rows`,
  );
  console.log(`ratio delta/bare: ${(median(deltaTimes) / median(bareTimes)).toFixed(2)}`);
  if (deltaRows !== bareRows) console.log(`WARNING: row counts differ (${deltaRows} vs ${bareRows})`);
} finally {
  connection.closeSync();
  instance.closeSync();
  rmSync(root, { recursive: true, force: true });
}
