/**
 * On an object store the newest snapshot lists `_delta_log` from the checkpoint `_last_checkpoint`
 * names (StartAfter), not the whole log: fewer keys listed, the same snapshot. A hint naming a
 * checkpoint that is not there, or a checkpoint that cannot be read, falls back to the whole log.
 */
import { rmSync } from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { latestVersion, listLog } from '../../../src/delta/log/log.js';
import { loadSnapshotFromListing, replaySnapshot } from '../../../src/delta/log/snapshot.js';
import { checkpointFileName, type Snapshot } from '../../../src/delta/log/types.js';
import { objectStoreRequests } from '../../../src/delta/storage/index.js';
import { appendRows } from '../../../src/delta/write/append.js';
import { createTable } from '../../../src/delta/write/create.js';
import { field, struct } from '../write/helpers.js';
import { describeS3, freshBucket, s3Client, tempCacheDir, useS3 } from './helpers.js';

const SCHEMA = struct(field('symbol', 'string'), field('price', 'double'));
const COMMITS = 23;

/** What a reader of the snapshot sees, in a form toEqual compares. */
function stateOf(snapshot: Snapshot) {
  return {
    version: snapshot.version,
    timestamp: snapshot.timestamp,
    metadata: snapshot.metadata,
    protocol: snapshot.protocol,
    files: [...snapshot.files.keys()].sort(),
    txns: [...snapshot.txns.entries()].sort(),
    tombstones: [...snapshot.tombstones.keys()].sort(),
  };
}

/** Keys listed and list requests sent while `run` runs. */
async function counted<T>(run: () => Promise<T>): Promise<{ result: T; keys: number; lists: number }> {
  const keys = objectStoreRequests.keysListed;
  const lists = objectStoreRequests.requests.list ?? 0;
  const result = await run();
  return {
    result,
    keys: objectStoreRequests.keysListed - keys,
    lists: (objectStoreRequests.requests.list ?? 0) - lists,
  };
}

describeS3('listing the log from the last checkpoint on S3 (radosgw)', (env) => {
  const cacheDir = tempCacheDir();
  let bucket: string;
  let table: string;

  beforeAll(async () => {
    useS3(env, cacheDir);
    bucket = await freshBucket(env, 'list-log');
    table = `s3://${bucket}/lake/t`;
    await createTable(table, { schema: SCHEMA, configuration: { 'delta.checkpointInterval': '5' } });
    for (let i = 1; i <= COMMITS; i++) {
      await appendRows(table, [{ symbol: `S${i}`, price: i / 4 }], { txn: { appId: 'w', version: i } });
    }
  }, 180_000);
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

  it('lists only the keys from the last checkpoint on, and replays the same snapshot', async () => {
    const whole = await counted(() => listLog(table));
    const partial = await counted(() => listLog(table, { fromLastCheckpoint: true }));
    expect(whole.result.listedFrom).toBeUndefined();
    expect(whole.result.checkpoints.map((c) => c.version)).toEqual([5, 10, 15, 20]);
    expect(partial.result.listedFrom).toBe(20);
    expect(partial.result.checkpoints.map((c) => c.version)).toEqual([20]);
    expect(partial.result.commitVersions).toEqual([20, 21, 22, 23]);
    expect(partial.result.latestVersion).toBe(whole.result.latestVersion);
    expect(partial.result.latestVersion).toBe(COMMITS);
    // 24 commits, 4 checkpoints and _last_checkpoint, against checkpoint 20, commits 20-23 and the hint.
    expect(whole.keys).toBe(29);
    expect(partial.keys).toBe(6);
    expect(partial.lists).toBe(1);

    const fromWhole = await loadSnapshotFromListing(whole.result);
    const replayed = await counted(() => replaySnapshot(table));
    expect(replayed.keys).toBe(6);
    expect(stateOf(replayed.result)).toEqual(stateOf(fromWhole));
    expect(replayed.result.checkpointVersion).toBe(20);
    expect(replayed.result.files.size).toBe(COMMITS);
    expect((await counted(() => latestVersion(table))).keys).toBe(6);
  });

  it('falls back to the whole log when the hint names a checkpoint that is not there, or one that is unreadable', async () => {
    const s3 = s3Client(env);
    const before = stateOf(await loadSnapshotFromListing(await listLog(table)));
    const put = (key: string, body: string) =>
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: `lake/t/_delta_log/${key}`, Body: body }));

    await put('_last_checkpoint', JSON.stringify({ version: 22, size: 3 }));
    const stale = await counted(() => listLog(table, { fromLastCheckpoint: true }));
    expect(stale.result.listedFrom).toBeUndefined();
    expect(stale.result.commitVersions).toHaveLength(COMMITS + 1);
    expect(stateOf(await replaySnapshot(table))).toEqual(before);

    // The hint is right but checkpoint 20 is damaged: the replay needs checkpoint 15 and commits 16-20.
    await put('_last_checkpoint', JSON.stringify({ version: 20, size: 3 }));
    await put(checkpointFileName(20), 'not parquet');
    expect((await listLog(table, { fromLastCheckpoint: true })).listedFrom).toBe(20);
    const recovered = await replaySnapshot(table);
    expect(recovered.checkpointVersion).toBe(15);
    expect(stateOf(recovered)).toEqual(before);
  });
});
