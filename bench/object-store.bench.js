// The lake on an S3-compatible store (a local single-node Ceph radosgw, scripts/radosgw.sh) against the
// same operations on the local disk:
//   1. a collector round's commit: a 4-row append, median and p95, S3 and disk interleaved;
//   2. a scan of the last two trade dates of a 20-date table: cold (empty local file cache, a fresh
//      snapshot) and warm (files cached), and on disk;
//   3. OPTIMIZE of 40 small files per table, S3 vs disk.
// Needs the server: `scripts/radosgw.sh start` (writes /tmp/futures-radosgw/env) or S3_TEST_* set.
// Run after `npx tsc -p tsconfig.build.json`: node bench/object-store.bench.js
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const envFile = path.join(process.env.RADOSGW_DIR ?? '/tmp/futures-radosgw', 'env');
const vars = { ...process.env };
if (existsSync(envFile)) {
  for (const line of readFileSync(envFile, 'utf8').split('\n')) {
    const m = /^export (\w+)=(.*)$/.exec(line.trim());
    if (m && vars[m[1]] === undefined) vars[m[1]] = m[2];
  }
}
if (!vars.S3_TEST_ENDPOINT) {
  console.log('object-store: no S3 server (run scripts/radosgw.sh start); skipped.');
  process.exit(0);
}
process.env.AWS_ACCESS_KEY_ID = vars.S3_TEST_ACCESS_KEY_ID;
process.env.AWS_SECRET_ACCESS_KEY = vars.S3_TEST_SECRET_ACCESS_KEY;
process.env.AWS_REGION = vars.S3_TEST_REGION ?? 'us-east-1';

const delta = await import('../dist/delta/index.js');
const {
  appendRows,
  configureObjectStores,
  createTable,
  loadSnapshot,
  objectCacheStats,
  optimizeTable,
  scanTable,
  writeAppend,
} = delta;

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 100);
const work = mkdtempSync(path.join(os.tmpdir(), 'object-store-bench-'));
const configure = (cacheDir) =>
  configureObjectStores({
    endpoint: vars.S3_TEST_ENDPOINT,
    region: process.env.AWS_REGION,
    forcePathStyle: true,
    cacheDir,
    cacheBytes: 2 * 1024 ** 3,
  });
configure(path.join(work, 'cache-0'));
const bucket = `bench-${Date.now().toString(36)}`;
await new S3Client({
  endpoint: vars.S3_TEST_ENDPOINT,
  region: process.env.AWS_REGION,
  forcePathStyle: true,
}).send(new CreateBucketCommand({ Bucket: bucket }));

const schema = {
  type: 'struct',
  fields: [
    { name: 'trade_date', type: 'date', nullable: false, metadata: {} },
    { name: 'ts', type: 'timestamp', nullable: false, metadata: {} },
    { name: 'symbol', type: 'string', nullable: false, metadata: {} },
    { name: 'price', type: 'double', nullable: true, metadata: {} },
  ],
};
const SYMBOLS = ['ES', 'NQ', 'RTY', 'VIX'];
const rowsAt = (i) =>
  SYMBOLS.map((symbol, k) => ({
    trade_date: '2025-01-02',
    ts: new Date(Date.UTC(2025, 0, 2, 14) + i * 5000),
    symbol,
    price: 5000 + i + k / 4,
  }));
const quantile = (values, q) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const ms = (v) => `${v.toFixed(1)} ms`;
const timed = async (fn) => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};

// 1. A round's commit.
const locations = { disk: path.join(work, 'append'), s3: `s3://${bucket}/append` };
for (const location of Object.values(locations))
  await createTable(location, { schema, partitionColumns: ['trade_date'] });
const times = { disk: [], s3: [] };
for (let i = 0; i < ITERATIONS + 5; i++) {
  for (const [name, location] of Object.entries(locations)) {
    const t = await timed(() => appendRows(location, rowsAt(i)));
    if (i >= 5) times[name].push(t);
  }
}
console.log(`1. 4-row append (${ITERATIONS} each, interleaved; checkpoint every 10th included)`);
for (const name of ['disk', 's3']) {
  console.log(
    `   ${name.padEnd(4)} median ${ms(quantile(times[name], 0.5))}  p95 ${ms(quantile(times[name], 0.95))}`,
  );
}

// 2. Scan of the last two trade dates.
const DATES = 20;
const ROWS_PER_DATE = Number(process.env.BENCH_ROWS_PER_DATE ?? 100_000);
const scanTables = { disk: path.join(work, 'scan'), s3: `s3://${bucket}/scan` };
for (const location of Object.values(scanTables)) {
  await createTable(location, { schema, partitionColumns: ['trade_date'] });
  for (let d = 0; d < DATES; d++) {
    await writeAppend(location, {
      sql: `SELECT DATE '2025-01-01' + ${d} AS trade_date, TIMESTAMPTZ '2025-01-01 14:00:00+00' + to_days(${d}) + to_microseconds(i * 1000) AS ts, ['ES','NQ','RTY','VIX'][1 + i % 4] AS symbol, 5000 + i / 100 AS price FROM range(${ROWS_PER_DATE}) t(i)`,
    });
  }
}
const lastTwo = "trade_date >= DATE '2025-01-19'";
const scanOnce = async (location) => {
  const snapshot = await loadSnapshot(location);
  return (await scanTable(snapshot, { where: lastTwo })).rows.length;
};
const cold = [];
const warm = [];
const disk = [];
let rows = 0;
for (let run = 1; run <= 5; run++) {
  configure(path.join(work, `cache-${run}`));
  cold.push(await timed(async () => (rows = await scanOnce(scanTables.s3))));
  warm.push(await timed(() => scanOnce(scanTables.s3)));
  disk.push(await timed(() => scanOnce(scanTables.disk)));
}
const stats = objectCacheStats();
console.log(
  `2. scan of the last 2 of ${DATES} trade dates (${rows} rows, ${ROWS_PER_DATE * DATES} in the table), 5 runs each`,
);
console.log(`   s3 cold  median ${ms(quantile(cold, 0.5))}  (fresh file cache and snapshot)`);
console.log(
  `   s3 warm  median ${ms(quantile(warm, 0.5))}  (cache hits ${stats?.hits}, misses ${stats?.misses} in the last run)`,
);
console.log(`   disk     median ${ms(quantile(disk, 0.5))}`);

// 3. OPTIMIZE of 40 small files.
const optimizeTables = { disk: path.join(work, 'optimize'), s3: `s3://${bucket}/optimize` };
for (const [name, location] of Object.entries(optimizeTables)) {
  await createTable(location, { schema, partitionColumns: ['trade_date'] });
  for (let i = 0; i < 40; i++) {
    await writeAppend(location, {
      sql: `SELECT DATE '2025-01-02' AS trade_date, TIMESTAMPTZ '2025-01-02 14:00:00+00' + to_microseconds((${i} * 5000 + i) * 1000) AS ts, 'ES' AS symbol, 5000 + i AS price FROM range(5000) t(i)`,
    });
  }
  const t = await timed(() => optimizeTable(location));
  console.log(`3. OPTIMIZE 40 files x 5,000 rows  ${name.padEnd(4)} ${ms(t)}`);
}
rmSync(work, { recursive: true, force: true });
