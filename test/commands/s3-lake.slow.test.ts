/**
 * The commands on a lake in an S3 bucket (Ceph radosgw) answer as on a local lake: the same rows
 * appended to both (the collector's append path), then table info/history/scan/verify, compact and
 * the signals, whose JSON must match once paths and durations are set aside.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runProgram } from '../../src/cli/program.js';
import { futuresCommands } from '../../src/commands/futures/index.js';
import { signalsCommands } from '../../src/commands/signals/index.js';
import { useLakeUri } from '../../src/lake/index.js';
import { describeS3, freshBucket, useS3 } from '../delta/s3/helpers.js';
import { testCtx } from '../helpers/ctx.js';
import { buildSignalLake, NOW } from './signals/lake-fixture.js';

const futures = { name: 'futures' as const, description: 'futures', commands: futuresCommands };
const signals = { name: 'signals' as const, description: 'signals', commands: signalsCommands };

/** JSON with the lake's location and anything timed replaced, so two lakes' answers compare. */
function comparable(text: string, lake: string): unknown {
  const scrub = (value: unknown): unknown => {
    if (typeof value === 'string') return value.split(lake).join('<lake>');
    if (Array.isArray(value)) return value.map(scrub);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value)
          .filter(([k]) => !/(duration|elapsed|Ms$|timestamp|modificationTime|cache|bytes|size)/i.test(k))
          .map(([k, v]) => [k, scrub(v)]),
      );
    }
    return value;
  };
  return scrub(JSON.parse(text));
}

describeS3('commands on an S3 lake (radosgw)', (env) => {
  let local: string;
  let remote: string;
  let uri: string;
  const remoteEnv = () => ({ NO_COLOR: '1', FUTURES_LAKE_URI: uri, FUTURES_S3_ENDPOINT: env.endpoint });

  beforeAll(async () => {
    local = await mkdtemp(join(tmpdir(), 's3-lake-local-'));
    remote = await mkdtemp(join(tmpdir(), 's3-lake-remote-'));
    useS3(env, join(remote, 'cache'));
    uri = `s3://${await freshBucket(env, 'lake-cmds')}/prod/lake`;
    await buildSignalLake(local);
    useLakeUri(remote, uri);
    await buildSignalLake(remote);
  }, 240_000);
  afterAll(async () => {
    await rm(local, { recursive: true, force: true });
    await rm(remote, { recursive: true, force: true });
  });

  async function both(spec: typeof futures | typeof signals, args: string[]) {
    const run = async (dataDir: string, runEnv: Record<string, string>, lake: string) => {
      const ctx = testCtx({ cwd: dataDir, now: NOW, env: runEnv });
      const code = await runProgram(spec, [...args, '--json', '--data-dir', dataDir], ctx);
      const stdout = ctx.stdout.text();
      expect(code, `${args.join(' ')}: ${ctx.stderr.text()}`).toBe(0);
      return comparable(stdout, lake);
    };
    const fromDisk = await run(local, { NO_COLOR: '1' }, join(local, 'lake'));
    const fromStore = await run(remote, remoteEnv(), uri);
    return { fromDisk, fromStore };
  }

  it('table info, history, scan and verify read the bucket as they read the disk', async () => {
    for (const args of [
      ['table', 'info', 'futures_snapshots'],
      // Ordered: which 20 rows an unordered LIMIT returns depends on DuckDB's threads.
      ['table', 'scan', 'futures_snapshots', '--where', "symbol = 'ES'", '--order', 'ts', '--limit', '20'],
      ['table', 'verify', 'futures_snapshots', '--deep'],
    ]) {
      const { fromDisk, fromStore } = await both(futures, args);
      expect(fromStore, args.join(' ')).toEqual(fromDisk);
    }
    const { fromStore } = await both(futures, ['table', 'history', 'futures_snapshots']);
    expect(JSON.stringify(fromStore)).toContain('WRITE');
  });

  it('the signals computed from the bucket equal those from the disk', async () => {
    for (const args of [
      ['premarket', '--as-of', '2026-03-10 09:25', '--no-record'],
      ['regime', '--as-of', '2026-03-10 09:25', '--no-record'],
    ]) {
      const { fromDisk, fromStore } = await both(signals, args);
      expect(fromStore, args.join(' ')).toEqual(fromDisk);
    }
  });

  it('compact rewrites the bucket table and leaves it sound with the same rows; --lake names the bucket', async () => {
    const { fromDisk, fromStore } = await both(futures, ['compact']);
    expect(fromStore).toEqual(fromDisk);
    const after = await both(futures, [
      'table',
      'scan',
      'futures_snapshots',
      '--where',
      "symbol = 'NQ'",
      '--order',
      'ts',
    ]);
    expect(after.fromStore).toEqual(after.fromDisk);
    const ctx = testCtx({ cwd: remote, now: NOW, env: { NO_COLOR: '1', FUTURES_S3_ENDPOINT: env.endpoint } });
    const code = await runProgram(
      futures,
      ['table', 'verify', 'futures_snapshots', '--json', '--data-dir', remote, '--lake', uri],
      ctx,
    );
    expect(code, ctx.stderr.text()).toBe(0);
    expect(JSON.parse(ctx.stdout.text()).sound).toBe(true);
  });
});
