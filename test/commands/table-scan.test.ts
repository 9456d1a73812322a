/**
 * `futures table scan` for people and for pipes: a table on a terminal with times in ET (or --tz),
 * --order/--tail, and the one time-zone rule in --where and --timestamp (a naive time is ET).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMemoryConnection } from '../../src/delta/duckdb.js';
import { runFutures } from '../../src/main.js';
import {
  add,
  commitInfo,
  makeTempDir,
  metaData,
  protocol,
  writeCommit,
  writeParquet,
} from '../delta/read/fixtures.js';
import { ROOT, runBin } from '../helpers/bin.js';
import { testCtx } from '../helpers/ctx.js';

let dataDir: string;
let cleanup: () => void;

// 13:59, 14:00 and 14:01 UTC on 2026-11-20 are 08:59, 09:00 and 09:01 ET (EST).
const TIMES = ['2026-11-20T13:59:00Z', '2026-11-20T14:00:00Z', '2026-11-20T14:01:00Z'];

beforeAll(async () => {
  ({ dir: dataDir, cleanup } = makeTempDir('scan-tz'));
  const owned = await openMemoryConnection();
  try {
    const t = path.join(dataDir, 'lake', 'quotes');
    mkdirSync(t, { recursive: true });
    const values = TIMES.map((ts, i) => `(TIMESTAMPTZ '${ts}', 'ES', ${7000 + i}.25::DOUBLE)`).join(', ');
    const size = await writeParquet(
      owned.connection,
      t,
      'a.parquet',
      `SELECT * FROM (VALUES ${values}) v(ts, symbol, mid)`,
    );
    writeCommit(t, 0, [
      commitInfo(Date.parse('2026-11-20T21:00:00Z'), 'WRITE'),
      protocol(),
      metaData([
        { name: 'ts', type: 'timestamp' },
        { name: 'symbol', type: 'string' },
        { name: 'mid', type: 'double' },
      ]),
      add('a.parquet', { size, stats: { numRecords: 3 } }),
    ]);
  } finally {
    owned.close();
  }
});
afterAll(() => cleanup());

async function scan(args: string[], tty: boolean) {
  const ctx = testCtx({ tty });
  const code = await runFutures(['table', 'scan', 'quotes', '--data-dir', dataDir, ...args], ctx);
  return { code, stdout: ctx.stdout.text(), stderr: ctx.stderr.text() };
}

const mids = (jsonl: string) =>
  jsonl
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { mid: number }).mid);

describe('futures table scan', () => {
  it('prints a table on a terminal with times in ET, or in --tz', async () => {
    const et = await scan(['--order', 'ts'], true);
    expect(et.code).toBe(0);
    expect(et.stdout).toContain('│ ts ');
    expect(et.stdout).toContain('2026-11-20 08:59:00 ET');
    expect(et.stdout).toContain('2026-11-20 09:01:00 ET');
    expect(et.stdout).not.toContain('Z');
    const utc = await scan(['--order', 'ts', '--tz', 'UTC'], true);
    expect(utc.stdout).toContain('2026-11-20 13:59:00 UTC');
  });

  // util-linux `script` gives the built binary a real pseudo-terminal (absent on some systems: skipped).
  const HAVE_SCRIPT = (() => {
    try {
      execFileSync('script', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!HAVE_SCRIPT)(
    'prints the table on a real terminal (the built binary under a pseudo-terminal)',
    () => {
      const command = `${JSON.stringify(process.execPath)} ${ROOT}bin/futures.js table scan quotes --data-dir ${dataDir} --tail 1`;
      const out = execFileSync('script', ['-qec', command, '/dev/null'], {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1', COLUMNS: '120' },
      });
      expect(out).toContain('│ 2026-11-20 09:01:00 ET │ ES');
      expect(out).not.toContain('{"ts"');
    },
  );

  it('keeps JSON Lines with UTC instants when piped (the built binary)', async () => {
    const r = await runBin('futures', ['table', 'scan', 'quotes', '--data-dir', dataDir, '--order', 'ts']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim().split('\n')[0]).toBe(
      '{"ts":"2026-11-20T13:59:00.000000Z","symbol":"ES","mid":7000.25}',
    );
  });

  it('reads a naive --where time as ET, an offset or Z as written', async () => {
    const naive = await scan(['--where', "ts >= '2026-11-20 09:00'", '--order', 'ts'], false);
    expect(naive.code).toBe(0);
    expect(mids(naive.stdout)).toEqual([7001.25, 7002.25]);
    const zulu = await scan(['--where', "ts >= '2026-11-20T09:00:00Z'"], false);
    expect(mids(zulu.stdout)).toHaveLength(3);
    const between = await scan(
      ['--where', "ts BETWEEN '2026-11-20 08:59:30' AND '2026-11-20T14:00:30Z'"],
      false,
    );
    expect(mids(between.stdout)).toEqual([7001.25]);
    const day = await scan(['--where', "ts < '2026-11-20'"], false);
    expect(mids(day.stdout)).toEqual([]);
  });

  it('rejects a naive time the ET clock skips', async () => {
    const r = await scan(['--where', "ts > '2026-03-08 02:30'"], false);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/does not exist in America\/New_York/);
  });

  it('--order with :desc, and --tail N for the newest rows (by the first timestamp column)', async () => {
    expect(mids((await scan(['--order', 'mid:desc'], false)).stdout)).toEqual([7002.25, 7001.25, 7000.25]);
    expect(mids((await scan(['--tail', '2'], false)).stdout)).toEqual([7001.25, 7002.25]);
    expect(mids((await scan(['--tail', '1', '--order', 'mid:desc'], false)).stdout)).toEqual([7000.25]);
    expect(mids((await scan(['--order', 'ts', '--limit', '1'], false)).stdout)).toEqual([7000.25]);
  });

  it('time travels with a naive --timestamp in ET', async () => {
    // The commit is at 16:00 ET; 15:59 ET is before the table existed.
    const before = await scan(['--timestamp', '2026-11-20 15:59', '--json'], false);
    expect(before.code).toBe(2);
    expect(before.stderr).toMatch(/first available commit \(version 0\) is at 2026-11-20T21:00:00.000Z/);
    const at = await scan(['--timestamp', '2026-11-20 16:00', '--json'], false);
    expect(at.code).toBe(0);
  });
});
