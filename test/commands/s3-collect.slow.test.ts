/**
 * Collection and backfill into a lake in an S3 bucket (Ceph radosgw), against the IB simulator: the rows
 * land in the bucket exactly once (the queue and the locks stay on the local disk), and a second run that
 * finds them stored writes nothing twice.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { listLog } from '../../src/delta/index.js';
import { harness, TUESDAY_10_ET } from '../app/collect/helpers.js';
import { describeS3, freshBucket, useS3 } from '../delta/s3/helpers.js';
import { allRows } from './futures-collect/expect.js';

describeS3('collect and backfill into an S3 lake (radosgw)', (env) => {
  it('collects rounds and backfills bars into the bucket, every (symbol, slot) once', async () => {
    const bucket = await freshBucket(env, 'lake-collect');
    const uri = `s3://${bucket}/lake`;
    const h = await harness(TUESDAY_10_ET, { config: { lake: { uri, s3: { endpoint: env.endpoint } } } });
    useS3(env, join(h.dir, 'test-cache'));
    const first = await h.run(['collect', '--rounds', '3', '--interval', '60', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const rows = await allRows(h.dataDir);
    expect(rows.length).toBeGreaterThan(12);
    const keys = rows.map((r) => `${r.symbol}@${r.slotTs?.toISOString()}`);
    expect(new Set(keys).size).toBe(keys.length);
    // The lake is in the bucket; only the queue and the locks are on the disk.
    expect(existsSync(join(h.dataDir, 'lake'))).toBe(false);
    expect(existsSync(join(h.dataDir, 'state'))).toBe(true);
    expect((await listLog(`${uri}/futures_snapshots`)).latestVersion).toBeGreaterThan(0);

    h.clock.advance(60_000);
    const again = await h.run(['collect', '--rounds', '2', '--interval', '60', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const after = await allRows(h.dataDir);
    const afterKeys = after.map((r) => `${r.symbol}@${r.slotTs?.toISOString()}`);
    expect(new Set(afterKeys).size).toBe(afterKeys.length);
    expect(after.length).toBeGreaterThan(rows.length);

    const backfill = await h.run(['backfill', '--symbols', 'ES', '--days', '1', '--bar', '1min', '--json']);
    expect(backfill.code, backfill.stderr).toBe(0);
    expect((await listLog(`${uri}/futures_bars`)).latestVersion).toBeGreaterThanOrEqual(0);
    const table = await h.run(['table', 'verify', 'futures_bars', '--json']);
    expect(table.code, table.stderr).toBe(0);
    expect(JSON.parse(table.stdout).sound).toBe(true);
  }, 240_000);
});
