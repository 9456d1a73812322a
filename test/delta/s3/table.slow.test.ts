/**
 * The Delta write, read and maintenance paths on a real S3 server (Ceph radosgw), each run on a local
 * disk as well: the same operations must give the same table. Plus the golden tables, uploaded to a
 * bucket, read exactly as from disk.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readHistory } from '../../../src/delta/log/history.js';
import { listLog } from '../../../src/delta/log/log.js';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { prepareMaintenance, runMaintenance } from '../../../src/delta/ops/maintenance.js';
import { verifyTable } from '../../../src/delta/ops/verify.js';
import { canonicalJson } from '../../../src/delta/read/canonical.js';
import { scanTable } from '../../../src/delta/read/scan.js';
import { objectCacheStats, storageFor } from '../../../src/delta/storage/index.js';
import { appendRows, writeAppend } from '../../../src/delta/write/append.js';
import { createTable } from '../../../src/delta/write/create.js';
import type { DeltaRow } from '../../../src/delta/write/write-sql.js';
import { GOLDEN, haveGolden } from '../read/golden-tables.js';
import { field, makeTempDir, removeTempDirs, struct } from '../write/helpers.js';
import { describeS3, freshBucket, s3Client, tempCacheDir, useS3 } from './helpers.js';

const SCHEMA = struct(
  field('date', 'date'),
  field('symbol', 'string'),
  field('price', 'double'),
  field('ts', 'timestamp'),
);

function rowsOf(batch: number): DeltaRow[] {
  return Array.from({ length: 5 }, (_, i) => ({
    date: `2026-12-0${1 + (batch % 3)}`,
    symbol: `S${batch}-${i}`,
    price: batch * 10 + i / 4,
    ts: new Date(Date.UTC(2026, 11, 1 + (batch % 3), 15, batch, i)),
  }));
}

/** Creates a table, appends 7 small batches and one through DuckDB; returns what a reader sees. */
async function writeAndRead(location: string) {
  await createTable(location, {
    schema: SCHEMA,
    partitionColumns: ['date'],
    configuration: { 'delta.checkpointInterval': '3' },
  });
  for (let b = 1; b <= 7; b++) await appendRows(location, rowsOf(b), { txn: { appId: 'w', version: b } });
  await writeAppend(location, {
    sql: "SELECT DATE '2026-12-04' AS date, 'Q' || i AS symbol, i * 1.5 AS price, TIMESTAMPTZ '2026-12-04 15:00:00+00' + to_seconds(i) AS ts FROM range(600) t(i)",
  });
  // The same txn again is skipped, not written twice.
  const again = await appendRows(location, rowsOf(7), { txn: { appId: 'w', version: 7 } });
  const snapshot = await loadSnapshot(location);
  const listing = await listLog(location);
  const rows = (await scanTable(snapshot)).rows.map((r) => canonicalJson(r)).sort();
  const v2 = (await scanTable(await loadSnapshot(location, { version: 2 }))).rows.length;
  const filtered = (await scanTable(snapshot, { where: "date = DATE '2026-12-02'" })).rows.length;
  const history = (await readHistory(location)).map((h) => h.operation);
  const verify = await verifyTable(location, { deep: true });
  return {
    skipped: 'skipped' in again,
    version: snapshot.version,
    checkpoints: listing.checkpoints.map((c) => c.version),
    liveFiles: snapshot.files.size,
    txn: snapshot.txns.get('w')?.version,
    rows,
    v2,
    filtered,
    history,
    problems: verify.problems.map((p) => p.kind),
  };
}

describeS3('Delta tables on S3 (radosgw)', (env) => {
  let bucket: string;
  const cacheDir = tempCacheDir();

  beforeAll(async () => {
    useS3(env, cacheDir);
    bucket = await freshBucket(env, 'delta-table');
  });
  afterAll(() => {
    removeTempDirs();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('writes, checkpoints, time-travels, verifies and reads exactly as on a local disk', async () => {
    const local = await writeAndRead(path.join(makeTempDir('s3-twin-'), 't'));
    const remote = await writeAndRead(`s3://${bucket}/lake/t`);
    expect(remote).toEqual(local);
    expect(remote.version).toBe(8);
    expect(remote.checkpoints).toEqual([3, 6]);
    expect(remote.rows).toHaveLength(7 * 5 + 600);
    expect(remote.v2).toBe(10);
    expect(remote.skipped).toBe(true);
    expect(remote.problems).toEqual([]);
    // Data files and checkpoints were read through the local cache.
    expect(objectCacheStats()?.misses ?? 0).toBeGreaterThan(0);
  });

  it('compacts, vacuums and cleans the log with the same outcome as on a local disk', async () => {
    const run = async (location: string) => {
      await createTable(location, { schema: SCHEMA, partitionColumns: ['date'] });
      for (let b = 1; b <= 6; b++) await appendRows(location, rowsOf(b));
      const before = (await scanTable(await loadSnapshot(location))).rows.map((r) => canonicalJson(r)).sort();
      const later = () => new Date(Date.now() + 30 * 24 * 3600 * 1000);
      const prepared = await prepareMaintenance(location, {
        vacuum: true,
        retentionMs: 0,
        forceRetention: true,
        logCleanup: true,
        now: later,
      });
      const metrics = await runMaintenance(prepared);
      const snapshot = await loadSnapshot(location);
      const after = (await scanTable(snapshot)).rows.map((r) => canonicalJson(r)).sort();
      const stored = await storageFor(location).listFiles(
        location,
        (dir, name) => dir === '' && name === '_delta_log',
      );
      return {
        same: canonicalJson(before) === canonicalJson(after),
        liveFiles: snapshot.files.size,
        storedDataFiles: stored.length,
        optimized: metrics.optimize?.filesRemoved.totalFiles,
        vacuumed: metrics.vacuum?.filesDeleted,
        sound: (await verifyTable(location)).sound,
      };
    };
    const local = await run(path.join(makeTempDir('s3-twin-'), 'm'));
    const remote = await run(`s3://${bucket}/lake/m`);
    expect(remote).toEqual(local);
    expect(remote.same).toBe(true);
    expect(remote.liveFiles).toBe(3);
    expect(remote.storedDataFiles).toBe(3);
    expect(remote.sound).toBe(true);
  });

  it('uploads a file above the multipart threshold whole and reads it back through the cache', async () => {
    const dir = makeTempDir('s3-multipart-');
    const file = path.join(dir, 'big.bin');
    const bytes = Buffer.alloc(70 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i += 4096) bytes.writeUInt32LE(i, i);
    writeFileSync(file, bytes);
    const location = `s3://${bucket}/lake/big/part-big.parquet`;
    const storage = storageFor(location);
    await storage.publishFiles([{ from: file, to: location }]);
    expect((await storage.head(location))?.size).toBe(bytes.length);
    const copy = await storage.localCopy(location, bytes.length);
    expect(createHash('sha256').update(readFileSync(copy)).digest('hex')).toBe(
      createHash('sha256').update(bytes).digest('hex'),
    );
    await storage.deleteMany([location]);
    expect(await storage.head(location)).toBeUndefined();
  });

  if (!haveGolden()) return;
  it('reads the golden tables uploaded to a bucket exactly as from disk', async () => {
    const client = s3Client(env);
    const tables: string[] = [];
    for (const group of ['delta-io', 'delta-rs']) {
      const groupDir = path.join(GOLDEN, group);
      for (const name of readdirSync(groupDir))
        if (statSync(path.join(groupDir, name)).isDirectory()) tables.push(`${group}/${name}`);
    }
    expect(tables.length).toBeGreaterThan(5);
    const upload = async (dir: string, prefix: string) => {
      for (const name of readdirSync(dir)) {
        const full = path.join(dir, name);
        if (statSync(full).isDirectory()) await upload(full, `${prefix}/${name}`);
        else
          await client.send(
            new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${name}`, Body: readFileSync(full) }),
          );
      }
    };
    const outcome = async (location: string) => {
      try {
        const snapshot = await loadSnapshot(location);
        const rows = (await scanTable(snapshot)).rows.map((r) => canonicalJson(r)).sort();
        return { version: snapshot.version, files: snapshot.files.size, rows };
      } catch (error) {
        return { error: (error as Error).constructor.name };
      }
    };
    for (const table of tables) {
      await upload(path.join(GOLDEN, table), `golden/${table}`);
      const fromDisk = await outcome(path.join(GOLDEN, table));
      const fromStore = await outcome(`s3://${bucket}/golden/${table}`);
      expect({ table, ...fromStore }).toEqual({ table, ...fromDisk });
    }
  });
});
