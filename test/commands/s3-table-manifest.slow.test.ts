/**
 * `futures table manifest` on a lake in an S3 bucket (Ceph radosgw): the manifests are objects under
 * `_symlink_format_manifest/` listing the s3:// URIs of exactly the live files, a stale partition's
 * manifest is deleted, and with --enable compact keeps them current, as on a local disk.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runProgram } from '../../src/cli/program.js';
import { futuresCommands } from '../../src/commands/futures/index.js';
import { openMemoryConnection } from '../../src/delta/index.js';
import { appendBars, type BarRecord, useLakeUri } from '../../src/lake/index.js';
import { describeS3, freshBucket, s3Client, useS3 } from '../delta/s3/helpers.js';
import { testCtx } from '../helpers/ctx.js';

const futures = { name: 'futures' as const, description: 'futures', commands: futuresCommands };

function bar(day: number, minute: number): BarRecord {
  return {
    ts: new Date(Date.UTC(2026, 2, day, 14, minute)),
    tradeDate: `2026-03-${String(day).padStart(2, '0')}`,
    symbol: 'ES',
    conId: 1,
    localSymbol: 'ESH6',
    barSize: '1 min',
    whatToShow: 'TRADES',
    open: 5000,
    high: 5001,
    low: 4999,
    close: 5000.25,
    volume: 5,
    wap: 5000,
    count: 3,
    source: 'backfill',
  };
}

describeS3('futures table manifest on an S3 lake (radosgw)', (env) => {
  let dir: string;
  let bucket: string;
  const prefix = 'prod/lake/futures_bars/_symlink_format_manifest/';
  const s3 = () => s3Client(env);

  async function append(bars: BarRecord[]): Promise<void> {
    const db = await openMemoryConnection();
    try {
      await appendBars(db.connection, dir, bars);
    } finally {
      db.close();
    }
  }

  async function run(args: readonly string[]) {
    const runEnv = {
      NO_COLOR: '1',
      FUTURES_LAKE_URI: `s3://${bucket}/prod/lake`,
      FUTURES_S3_ENDPOINT: env.endpoint,
    };
    const ctx = testCtx({ cwd: dir, now: () => new Date(), env: runEnv });
    const code = await runProgram(futures, [...args, '--data-dir', dir], ctx);
    expect(code, `${args.join(' ')}: ${ctx.stderr.text()}`).toBe(0);
    return { stdout: ctx.stdout.text(), stderr: ctx.stderr.text() };
  }

  /** Every manifest object: partition directory → the URIs it lists. */
  async function manifests(): Promise<Record<string, string[]>> {
    const listed = await s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    const out: Record<string, string[]> = {};
    for (const { Key } of listed.Contents ?? []) {
      if (!Key?.endsWith('/manifest')) continue;
      const got = await s3().send(new GetObjectCommand({ Bucket: bucket, Key }));
      const text = (await got.Body?.transformToString('utf8')) ?? '';
      out[Key.slice(prefix.length).replace(/\/manifest$/, '')] = text.trim().split('\n');
    }
    return out;
  }

  /** The live files of `table files --json`, by partition directory. */
  async function liveFiles(): Promise<Record<string, string[]>> {
    const doc = JSON.parse((await run(['table', 'files', 'futures_bars', '--json'])).stdout);
    const out: Record<string, string[]> = {};
    for (const f of doc.files) {
      const key = `trade_date=${f.partitionValues.trade_date}`;
      out[key] = [...(out[key] ?? []), f.path];
    }
    for (const list of Object.values(out)) list.sort();
    return out;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 's3-manifest-'));
    useS3(env, join(dir, 'cache'));
    bucket = await freshBucket(env, 'lake-manifest');
    useLakeUri(dir, `s3://${bucket}/prod/lake`);
    for (let i = 0; i < 3; i++) await append([bar(10, i), bar(11, i)]);
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes one manifest object per partition listing the s3:// URIs of exactly the live files', async () => {
    const doc = JSON.parse((await run(['table', 'manifest', 'futures_bars', '--json'])).stdout);
    expect(doc).toMatchObject({ manifests: 2, files: 6, removed: 0, enabled: false });
    expect(doc.directory).toBe(`s3://${bucket}/prod/lake/futures_bars/_symlink_format_manifest`);
    const written = await manifests();
    expect(written).toEqual(await liveFiles());
    expect(Object.values(written).flat().length).toBe(6);
    for (const uri of Object.values(written).flat()) {
      expect(uri.startsWith(`s3://${bucket}/prod/lake/futures_bars/trade_date=`)).toBe(true);
    }
  });

  it('deletes the manifest of a partition that no longer holds files', async () => {
    await s3().send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${prefix}trade_date=1999-01-04/manifest`,
        Body: `s3://${bucket}/nowhere.parquet\n`,
      }),
    );
    const doc = JSON.parse((await run(['table', 'manifest', 'futures_bars', '--json'])).stdout);
    expect(doc.removed).toBe(1);
    expect(Object.keys(await manifests()).sort()).toEqual(['trade_date=2026-03-10', 'trade_date=2026-03-11']);
  });

  it('with --enable, compact rewrites the manifests after a change', async () => {
    const doc = JSON.parse((await run(['table', 'manifest', 'futures_bars', '--enable', '--json'])).stdout);
    expect(doc.enabled).toBe(true);
    await append([bar(12, 0), bar(12, 1)]);
    await append([bar(12, 2)]);
    const compacted = await run(['compact', 'futures_bars']);
    expect(compacted.stderr).toContain('symlink manifests rewritten');
    const after = await manifests();
    expect(Object.keys(after)).toContain('trade_date=2026-03-12');
    expect(after).toEqual(await liveFiles());
  });
});
