// Append latency for a 4-row append (one snapshot round of 4 instruments), median and p95, against a
// bare DuckDB COPY of the same 4 rows to one Parquet file. Both run in one long-lived process with one
// DuckDB instance, interleaved (append i, then COPY i) so that both see the same machine load. The
// Delta append includes everything: snapshot load (from the process's snapshot cache after the
// first), COPY with stats, linking the file into its partition, fsyncs, the commit, and the checkpoint
// every 10th commit. A third figure, the bare COPY plus fsync of the file and its directory, is the
// floor for any durable write; the bare COPY does not fsync.
// Run after `npx tsc -p tsconfig.build.json`: node bench/delta-append.bench.js
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

// BENCH_DELTA_DIST=<dir>: run against another build's dist/ (an A/B comparison under the same load).
const { appendRows, createTable } = await import(
  process.env.BENCH_DELTA_DIST
    ? pathToFileURL(path.join(path.resolve(process.env.BENCH_DELTA_DIST), 'delta/index.js')).href
    : '../dist/delta/index.js'
);

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

async function fsyncPath(file) {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function bareCopySql(i, file) {
  const values = rowsAt(i)
    .map(
      (r) =>
        `('${r.trade_date}'::DATE, '${r.ts.toISOString()}'::TIMESTAMPTZ, '${r.symbol}', ${r.price}::DOUBLE, ${r.volume}::BIGINT)`,
    )
    .join(', ');
  return `COPY (SELECT * FROM (VALUES ${values}) v(trade_date, ts, symbol, price, volume)) TO '${file}' (FORMAT parquet)`;
}

const root = mkdtempSync(path.join(os.tmpdir(), 'bench-append-'));
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
await connection.run("SET TimeZone='UTC'");
try {
  const table = path.join(root, 'snapshots');
  await createTable(table, { schema, partitionColumns: ['trade_date'] });
  const delta = [];
  const deltaWithoutCheckpoint = [];
  const bare = [];
  const durable = [];
  const phases = { prepareMs: [], writeMs: [], commitMs: [], checkpointMs: [] };
  for (let i = 0; i < ITERATIONS + WARMUP; i++) {
    let t = performance.now();
    const result = await appendRows(table, rowsAt(i), { connection });
    const deltaMs = performance.now() - t;
    t = performance.now();
    await connection.run(bareCopySql(i, path.join(root, `bare-${i}.parquet`)));
    const bareMs = performance.now() - t;
    t = performance.now();
    const durableFile = path.join(root, `durable-${i}.parquet`);
    await connection.run(bareCopySql(i, durableFile));
    await Promise.all([fsyncPath(durableFile), fsyncPath(root)]);
    const durableMs = performance.now() - t;
    if (i >= WARMUP) {
      delta.push(deltaMs);
      if (result.checkpointVersion === undefined) deltaWithoutCheckpoint.push(deltaMs);
      bare.push(bareMs);
      durable.push(durableMs);
      for (const k of Object.keys(phases)) phases[k].push(result.durations[k]);
    }
  }
  const line = (name, v) =>
    `${name}: median ${quantile(v, 0.5).toFixed(2)} ms, p95 ${quantile(v, 0.95).toFixed(2)} ms`;
  console.log(`4-row append, ${ITERATIONS} iterations (after ${WARMUP} warm-up), interleaved`);
  console.log(line('delta appendRows            ', delta));
  console.log(line('  without checkpoint appends', deltaWithoutCheckpoint));
  console.log(line('bare DuckDB COPY            ', bare));
  console.log(line('bare COPY + fsync file, dir ', durable));
  for (const [k, v] of Object.entries(phases))
    console.log(
      `  phase ${k.padEnd(13)} median ${quantile(v, 0.5).toFixed(2)} ms, p95 ${quantile(v, 0.95).toFixed(2)} ms`,
    );
  console.log(
    `ratio delta/bare: median ${(quantile(delta, 0.5) / quantile(bare, 0.5)).toFixed(1)}x, p95 ${(quantile(delta, 0.95) / quantile(bare, 0.95)).toFixed(1)}x` +
      ` (p95 without checkpoint appends ${(quantile(deltaWithoutCheckpoint, 0.95) / quantile(bare, 0.95)).toFixed(1)}x)`,
  );
  console.log(
    `ratio delta/(bare COPY + fsync): median ${(quantile(delta, 0.5) / quantile(durable, 0.5)).toFixed(1)}x, p95 ${(quantile(delta, 0.95) / quantile(durable, 0.95)).toFixed(1)}x`,
  );
} finally {
  connection.closeSync();
  instance.closeSync();
  rmSync(root, { recursive: true, force: true });
}
