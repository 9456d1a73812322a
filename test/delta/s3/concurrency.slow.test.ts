/**
 * Concurrent and unlucky writers on a real S3 server (Ceph radosgw): four processes appending to one
 * table, and commits whose connection is cut mid-PUT or mid-response (the ambiguous commit: landed or
 * not, the writer cannot tell from the error). Every row lands exactly once, versions stay contiguous.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listLog, readCommit } from '../../../src/delta/log/log.js';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { canonicalJson } from '../../../src/delta/read/canonical.js';
import { scanTable } from '../../../src/delta/read/scan.js';
import { configureObjectStores } from '../../../src/delta/storage/index.js';
import { appendRows } from '../../../src/delta/write/append.js';
import { createTable } from '../../../src/delta/write/create.js';
import { assertDistBuilt, childSchema, startAppendChild } from '../write/helpers.js';
import { type CuttingProxy, startCuttingProxy } from './cutting-proxy.js';
import { childEnv, describeS3, freshBucket, tempCacheDir, useS3 } from './helpers.js';

describeS3('concurrent and cut-off S3 writers (radosgw)', (env) => {
  let bucket: string;
  const cacheDir = tempCacheDir();

  beforeAll(async () => {
    assertDistBuilt();
    useS3(env, cacheDir);
    bucket = await freshBucket(env, 'delta-writers');
  });
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

  it('4 processes appending concurrently, 15 commits each: every row exactly once, versions contiguous', async () => {
    const table = `s3://${bucket}/concurrent`;
    await createTable(table, { schema: childSchema, partitionColumns: ['day'] });
    const writers = ['w0', 'w1', 'w2', 'w3'];
    const commits = 15;
    const rowsPerBatch = 2;
    const runs = writers.map((w) =>
      startAppendChild([table, w, 0, commits, rowsPerBatch], childEnv(env, `${cacheDir}-${w}`)),
    );
    const exits = await Promise.all(runs.map((r) => r.exited));
    for (const [i, exit] of exits.entries()) {
      expect(exit, `writer ${writers[i]} stderr: ${runs[i]?.stderr.join('')}`).toEqual({
        code: 0,
        signal: null,
      });
    }
    for (const w of writers) rmSync(`${cacheDir}-${w}`, { recursive: true, force: true });
    const total = writers.length * commits;
    const listing = await listLog(table);
    expect(listing.commitVersions).toEqual(Array.from({ length: total + 1 }, (_, i) => i));
    const acked = runs.flatMap((r) => r.acks.map((a) => a.version)).sort((a, b) => a - b);
    expect(acked).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    for (let v = 1; v <= total; v++) {
      expect((await readCommit(table, v)).filter((a) => 'txn' in a)).toHaveLength(1);
    }
    const snapshot = await loadSnapshot(table);
    expect(snapshot.checkpointVersion).toBe(total - (total % 10));
    for (const w of writers) expect(snapshot.txns.get(w)?.version).toBe(commits - 1);
    const rows = (await scanTable(snapshot)).rows;
    expect(rows).toHaveLength(total * rowsPerBatch);
    expect(new Set(rows.map((r) => `${r.writer}/${r.batch}/${r.i}`)).size).toBe(total * rowsPerBatch);
  }, 240_000);

  it('commits cut mid-request and mid-response land exactly once', async () => {
    let proxy: CuttingProxy | undefined;
    try {
      proxy = await startCuttingProxy(env.endpoint);
      const table = `s3://${bucket}/cut`;
      await createTable(table, { schema: childSchema, partitionColumns: ['day'] });
      configureObjectStores({
        endpoint: proxy.endpoint,
        region: env.region,
        forcePathStyle: true,
        cacheDir,
        cacheBytes: 64 * 1024 * 1024,
        requestTimeoutMs: 5_000,
      });
      const batches = 12;
      // Per commit: the SDK's own retries go through the proxy too. A lone cut is resolved by the SDK's
      // retry (mid-response: the retry gets 412 and the key is read back); three in a row exhaust the
      // SDK's attempts, and the commit is resolved by our read-back.
      proxy.faults.push(
        'mid-response',
        'mid-request',
        'mid-response',
        'mid-request',
        'mid-request',
        'mid-request',
        'mid-response',
        'mid-response',
        'mid-response',
        'none',
        'mid-request',
        'mid-response',
        'mid-request',
      );
      const versions: number[] = [];
      for (let batch = 0; batch < batches; batch++) {
        const rows = [0, 1].map((i) => ({
          day: `2024-01-0${(batch % 5) + 1}`,
          writer: 'cut',
          batch,
          i,
          ts: new Date(Date.UTC(2024, 0, 1) + batch * 1000 + i),
        }));
        const result = await appendRows(table, rows, { txn: { appId: 'cut', version: batch } });
        expect('skipped' in result && result.skipped).toBe(false);
        versions.push(result.version);
      }
      expect(proxy.injected['mid-request']).toBeGreaterThanOrEqual(5);
      expect(proxy.injected['mid-response']).toBeGreaterThanOrEqual(5);
      useS3(env, cacheDir);
      expect(versions).toEqual(Array.from({ length: batches }, (_, i) => i + 1));
      const listing = await listLog(table);
      expect(listing.commitVersions).toEqual(Array.from({ length: batches + 1 }, (_, i) => i));
      const snapshot = await loadSnapshot(table);
      expect(snapshot.txns.get('cut')?.version).toBe(batches - 1);
      const rows = (await scanTable(snapshot)).rows.map((r) => canonicalJson([r.batch ?? null, r.i ?? null]));
      expect(rows).toHaveLength(batches * 2);
      expect(new Set(rows).size).toBe(batches * 2);
    } finally {
      useS3(env, cacheDir);
      await proxy?.close();
    }
  }, 240_000);
});
