// Append latency for a 4-row append (one snapshot round of 4 instruments), median and p95, against a
// bare DuckDB COPY of the same 4 rows to one Parquet file. Both run in one long-lived process with one
// DuckDB instance. The Delta append includes everything: snapshot load, COPY with stats, moving the
// file into its partition, fsyncs, the commit, and the checkpoint every 10th commit.
// Run after `npx tsc -p tsconfig.build.json`: node bench/delta-append.bench.js
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { appendRows, createTable } from '../dist/delta/index.js';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);
const WARMUP = 10;
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
const SYMBOLS = ['ES', 'NQ', 'RTY', 'YM'];

function rowsAt(i) {
  const ts = new Date(Date.UTC(2025, 0, 2, 14) + i * 5000);
  return SYMBOLS.map((symbol, k) => ({
    trade_date: '2025-01-02',
    ts,
    symbol,
    price: 5000 + i + k / 4,
    volume: 1000 + i,
  }));
}

function quantile(values, q) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

const root = mkdtempSync(path.join(os.tmpdir(), 'bench-append-'));
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
await connection.run("SET TimeZone='UTC'");
try {
  const table = path.join(root, 'snapshots');
  await createTable(table, { schema, partitionColumns: ['trade_date'] });
  const delta = [];
  const phases = { prepareMs: [], writeMs: [], commitMs: [], checkpointMs: [] };
  for (let i = 0; i < ITERATIONS + WARMUP; i++) {
    const t = performance.now();
    const result = await appendRows(table, rowsAt(i), { connection });
    const ms = performance.now() - t;
    if (i >= WARMUP) {
      delta.push(ms);
      for (const k of Object.keys(phases)) phases[k].push(result.durations[k]);
    }
  }
  const bare = [];
  for (let i = 0; i < ITERATIONS + WARMUP; i++) {
    const values = rowsAt(i)
      .map(
        (r) =>
          `('${r.trade_date}'::DATE, '${r.ts.toISOString()}'::TIMESTAMPTZ, '${r.symbol}', ${r.price}::DOUBLE, ${r.volume}::BIGINT)`,
      )
      .join(', ');
    const t = performance.now();
    await connection.run(
      `COPY (SELECT * FROM (VALUES ${values}) v(trade_date, ts, symbol, price, volume)) TO '${path.join(root, `bare-${i}.parquet`)}' (FORMAT parquet)`,
    );
    const ms = performance.now() - t;
    if (i >= WARMUP) bare.push(ms);
  }
  const line = (name, v) =>
    `${name}: median ${quantile(v, 0.5).toFixed(2)} ms, p95 ${quantile(v, 0.95).toFixed(2)} ms`;
  console.log(`4-row append, ${ITERATIONS} iterations (after ${WARMUP} warm-up)`);
  console.log(line('delta appendRows   ', delta));
  console.log(line('bare DuckDB COPY   ', bare));
  for (const [k, v] of Object.entries(phases))
    console.log(
      `  phase ${k.padEnd(13)} median ${quantile(v, 0.5).toFixed(2)} ms, p95 ${quantile(v, 0.95).toFixed(2)} ms`,
    );
  console.log(
    `ratio delta/bare: median ${(quantile(delta, 0.5) / quantile(bare, 0.5)).toFixed(1)}x, p95 ${(quantile(delta, 0.95) / quantile(bare, 0.95)).toFixed(1)}x`,
  );
} finally {
  connection.closeSync();
  instance.closeSync();
  rmSync(root, { recursive: true, force: true });
}
