/**
 * SIGKILL trials of a writer appending to an S3 table (Ceph radosgw): killed at random points, or right
 * after one of its commit PUTs succeeded and before it acknowledged it. After every kill: each commit in
 * the bucket parses whole, each checkpoint opens, `_last_checkpoint` names one, every acknowledged batch is
 * there exactly once and no batch is there twice (a restarted writer skips a landed one through its txn).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listLog, readCommit, readLastCheckpointHint } from '../../../src/delta/log/log.js';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { scanTable } from '../../../src/delta/read/scan.js';
import { createTable } from '../../../src/delta/write/create.js';
import { seededRandom } from '../../helpers/random.js';
import { assertDistBuilt, childSchema, startAppendChild } from '../write/helpers.js';
import { childEnv, describeS3, freshBucket, tempCacheDir, useS3 } from './helpers.js';

const TRIALS = 12;
const ROWS_PER_BATCH = 3;
const random = seededRandom('s3 writer crash trials');

describeS3('S3 writers killed with SIGKILL (radosgw)', (env) => {
  const cacheDir = tempCacheDir();
  beforeAll(() => {
    assertDistBuilt();
    useS3(env, cacheDir);
  });
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

  it(`never loses an acknowledged commit or shows half of one (${TRIALS} trials)`, async () => {
    const table = `s3://${await freshBucket(env, 'delta-crash')}/crash`;
    await createTable(table, {
      schema: childSchema,
      partitionColumns: ['day'],
      configuration: { 'delta.checkpointInterval': '3' },
    });
    const acked = new Set<number>();
    let nextBatch = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const selfKill = trial % 3 === 2;
      const run = startAppendChild([table, 'crash-writer', nextBatch, 10_000, ROWS_PER_BATCH], {
        ...childEnv(env, `${cacheDir}-child`),
        KILL_AFTER_LINK: selfKill ? String(random.int(1, 4)) : '0',
      });
      if (!selfKill) {
        await Promise.race([trial % 2 === 0 ? run.ready : run.firstAck, run.exited]);
        await new Promise((resolve) => setTimeout(resolve, random.next() * (trial % 2 === 0 ? 600 : 300)));
        run.child.kill('SIGKILL');
      }
      const exit = await run.exited;
      const context = `trial ${trial}, ${random.replay}`;
      expect(exit.signal, `${context}\n${run.stderr.join('')}`).toBe('SIGKILL');
      for (const ack of run.acks) acked.add(ack.batch);
      if (run.acks.length > 0) nextBatch = Math.max(...run.acks.map((a) => a.batch)) + 1;

      const listing = await listLog(table);
      for (const version of listing.commitVersions) {
        const actions = await readCommit(table, version);
        expect(Object.keys(actions[0] ?? {}), `commit ${version}, ${context}`).toEqual(['commitInfo']);
      }
      for (const checkpoint of listing.checkpoints) {
        const snapshot = await loadSnapshot(table, { version: checkpoint.version });
        expect(snapshot.checkpointVersion, context).toBe(checkpoint.version);
      }
      const hint = await readLastCheckpointHint(table);
      if (hint)
        expect(
          listing.checkpoints.map((c) => c.version),
          context,
        ).toContain(hint.version);
      const snapshot = await loadSnapshot(table);
      const perBatch = new Map<number, number>();
      for (const row of (await scanTable(snapshot)).rows) {
        perBatch.set(Number(row.batch), (perBatch.get(Number(row.batch)) ?? 0) + 1);
      }
      for (const batch of acked)
        expect(perBatch.get(batch), `acknowledged ${batch}, ${context}`).toBe(ROWS_PER_BATCH);
      for (const [batch, count] of perBatch)
        expect(count, `batch ${batch} once, ${context}`).toBe(ROWS_PER_BATCH);
      const committed = [...perBatch.keys()].sort((a, b) => a - b);
      expect(committed, context).toEqual(committed.map((_, i) => i));
      expect(snapshot.txns.get('crash-writer')?.version ?? -1, context).toBe(committed.length - 1);
    }
    rmSync(`${cacheDir}-child`, { recursive: true, force: true });
    expect(acked.size).toBeGreaterThan(0);
  }, 300_000);
});
