// Table open time (log listing + newest checkpoint + trailing JSON commits) at 10, 1,000 and 10,000
// commits. Run after `npx tsc -p tsconfig.build.json`: node bench/delta-open.bench.js
//
// Two shapes of log, because open time depends on the size of the table state as much as on the
// number of commits:
// - constant state: each commit adds a file to one of 10 partitions and removes that partition's
//   previous file (appends followed by compaction, tombstones past retention): 10 live files at any
//   length. This isolates the cost of log length, the figure the 2x target is about.
// - growing state: each commit adds one file and nothing is ever compacted: N live files.
// The add actions carry realistic stats strings (data files are not needed to open a table). Commits
// are written straight to the log for speed; checkpoints are written by writeCheckpoint every 10
// commits over the last 100 versions and every 100 before that (the opener reads only the newest).
// The open is a cold one (no snapshot cache). A second figure per size is the cached re-open a
// long-running writer does: the table was loaded before, one new commit is replayed onto it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createTable,
  loadSnapshot,
  openMemoryConnection,
  serializeCommit,
  writeCheckpoint,
} from '../dist/delta/index.js';
import { SnapshotCache } from '../dist/delta/log/snapshot-cache.js';

const SIZES = [10, 1_000, 10_000];
const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const schema = {
  type: 'struct',
  fields: [
    { name: 'trade_date', type: 'date', nullable: false, metadata: {} },
    { name: 'ts', type: 'timestamp', nullable: false, metadata: {} },
    { name: 'symbol', type: 'string', nullable: false, metadata: {} },
    { name: 'price', type: 'double', nullable: true, metadata: {} },
  ],
};

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const start = Date.UTC(2025, 0, 1);

/** Writes commit v straight into the log (see the header for the two shapes). */
function writeBenchCommit(logDir, v, constantState) {
  const day = new Date(start + Math.floor(v / 50) * 86_400_000).toISOString().slice(0, 10);
  const ts = new Date(start + v * 5000).toISOString();
  const stats = JSON.stringify({
    numRecords: 4,
    minValues: { ts, symbol: 'ES', price: 5000.25 },
    maxValues: { ts, symbol: 'RTY', price: 21000.5 },
    nullCount: { ts: 0, symbol: 0, price: 0 },
  });
  const partitionDay = constantState ? `2025-01-${String((v % 10) + 10)}` : day;
  const filePath = (n) =>
    `trade_date=${partitionDay}/part-${String(n).padStart(8, '0')}-0000-4000-8000-000000000000.parquet`;
  const add = {
    path: filePath(v),
    partitionValues: { trade_date: partitionDay },
    size: 2100,
    modificationTime: start + v,
    dataChange: true,
    stats,
  };
  const commitInfo = { timestamp: start + v, operation: 'WRITE', readVersion: v - 1, isBlindAppend: true };
  const actions = [{ add }];
  if (constantState && v > 10) {
    // The partition's previous file, removed long ago (its tombstone is past the 7-day retention).
    actions.push({ remove: { path: filePath(v - 10), deletionTimestamp: start + v, dataChange: false } });
  }
  writeFileSync(
    path.join(logDir, `${String(v).padStart(20, '0')}.json`),
    serializeCommit(commitInfo, actions),
  );
}

async function buildTable(root, commits, connection, constantState) {
  const table = path.join(root, `t${commits}-${constantState ? 'constant' : 'growing'}`);
  await createTable(table, { schema, partitionColumns: ['trade_date'] });
  const logDir = path.join(table, '_delta_log');
  for (let v = 1; v <= commits; v++) {
    writeBenchCommit(logDir, v, constantState);
    const checkpointEvery = v > commits - 100 ? 10 : 100;
    if (v % checkpointEvery === 0) await writeCheckpoint(table, { version: v, connection });
  }
  return table;
}

const root = mkdtempSync(path.join(os.tmpdir(), 'bench-open-'));
const owned = await openMemoryConnection();
try {
  for (const constantState of [true, false]) {
    console.log(
      constantState
        ? 'constant state (10 live files):'
        : 'growing state (one live file per commit, never compacted):',
    );
    const tables = [];
    for (const commits of SIZES) {
      const built = performance.now();
      const table = await buildTable(root, commits, owned.connection, constantState);
      tables.push({ commits, table, buildMs: performance.now() - built, times: [], cachedTimes: [] });
      await loadSnapshot(table, { connection: owned.connection }); // warm the page cache
    }
    // Sizes interleaved round by round, so a change in machine load hits all of them alike.
    const snapshots = new Map();
    for (let i = 0; i < RUNS; i++) {
      for (const entry of tables) {
        const t = performance.now();
        const snapshot = await loadSnapshot(entry.table, { connection: owned.connection });
        entry.times.push(performance.now() - t);
        snapshots.set(entry.commits, snapshot);
      }
    }
    // Cached re-open: one new commit since the last load, replayed onto the cached state.
    const caches = tables.map((entry) => ({ entry, cache: new SnapshotCache(), version: entry.commits }));
    for (const c of caches) await c.cache.load(c.entry.table, { connection: owned.connection });
    for (let i = 0; i < RUNS; i++) {
      for (const c of caches) {
        writeBenchCommit(path.join(c.entry.table, '_delta_log'), ++c.version, constantState);
        const t = performance.now();
        const snapshot = await c.cache.load(c.entry.table, { connection: owned.connection });
        c.entry.cachedTimes.push(performance.now() - t);
        if (snapshot.version !== c.version) throw new Error('the cache did not advance');
        c.entry.cachedFiles = snapshot.files.size;
      }
    }
    for (const entry of tables) {
      const snapshot = snapshots.get(entry.commits);
      console.log(
        `  open ${String(entry.commits).padStart(6)} commits: median ${median(entry.times).toFixed(1)} ms, min ${Math.min(...entry.times).toFixed(1)} ms ` +
          `(version ${snapshot.version}, checkpoint ${snapshot.checkpointVersion}, ${snapshot.files.size} live files; built in ${(entry.buildMs / 1000).toFixed(1)} s)`,
      );
      console.log(
        `    cached re-open after 1 new commit: median ${median(entry.cachedTimes).toFixed(2)} ms, min ${Math.min(...entry.cachedTimes).toFixed(2)} ms (${entry.cachedFiles} live files)`,
      );
    }
    const first = tables[0];
    const last = tables[tables.length - 1];
    console.log(
      `  ratio open(10,000) / open(10): ${(median(last.times) / median(first.times)).toFixed(2)} (median), ${(Math.min(...last.times) / Math.min(...first.times)).toFixed(2)} (min)`,
    );
  }
} finally {
  owned.close();
  rmSync(root, { recursive: true, force: true });
}
