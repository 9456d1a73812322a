import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '../../src/cli/program.js';
import { futuresCommands } from '../../src/commands/futures/index.js';
import { openMemoryConnection } from '../../src/delta/index.js';
import { appendBars, type BarRecord } from '../../src/lake/index.js';
import { testCtx } from '../helpers/ctx.js';

const spec = { name: 'futures' as const, description: 'futures', commands: futuresCommands };
let dir: string;

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

async function append(bars: BarRecord[]): Promise<void> {
  const db = await openMemoryConnection();
  try {
    await appendBars(db.connection, dir, bars);
  } finally {
    db.close();
  }
}

async function run(args: readonly string[]) {
  const ctx = testCtx({ cwd: dir, now: () => new Date() });
  const code = await runProgram(spec, [...args, '--data-dir', dir], ctx);
  return { code, stdout: ctx.stdout.text(), stderr: ctx.stderr.text() };
}

const manifestRoot = () => join(dir, 'lake', 'futures_bars', '_symlink_format_manifest');

/** Every manifest: partition directory → the file paths it lists. */
async function manifests(): Promise<Record<string, string[]>> {
  const entries = await readdir(manifestRoot(), { recursive: true });
  const out: Record<string, string[]> = {};
  for (const entry of entries.filter((e) => e.endsWith('manifest')).sort()) {
    const text = await readFile(join(manifestRoot(), entry), 'utf8');
    out[entry.replace(/\/?manifest$/, '')] = text
      .trim()
      .split('\n')
      .map((uri) => fileURLToPath(uri));
  }
  return out;
}

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
  dir = await mkdtemp(join(tmpdir(), 'table-manifest-'));
  for (let i = 0; i < 3; i++) await append([bar(10, i), bar(11, i)]);
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('futures table manifest', () => {
  it('writes one manifest per partition listing exactly the live files', async () => {
    const r = await run(['table', 'manifest', 'futures_bars', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      schema: 'futures.table.manifest/v1',
      manifests: 2,
      files: 6,
      enabled: false,
    });
    expect(await manifests()).toEqual(await liveFiles());
  });

  it('removes the manifest of a partition that no longer holds files', async () => {
    const stale = join(manifestRoot(), 'trade_date=1999-01-04');
    await mkdir(stale, { recursive: true });
    await writeFile(join(stale, 'manifest'), 'file:///nowhere.parquet\n');
    const r = await run(['table', 'manifest', 'futures_bars', '--json']);
    expect(JSON.parse(r.stdout).removed).toBe(1);
    expect(Object.keys(await manifests())).toEqual(['trade_date=2026-03-10', 'trade_date=2026-03-11']);
  });

  it('without --enable, compact leaves the manifests as they were (stale after a change)', async () => {
    const before = await manifests();
    expect((await run(['compact', 'futures_bars', '--quiet'])).code).toBe(0);
    expect(await manifests()).toEqual(before);
    expect(await manifests()).not.toEqual(await liveFiles());
  });

  it('with --enable, the table property is set and compact rewrites the manifests after every run', async () => {
    const r = await run(['table', 'manifest', 'futures_bars', '--enable', '--json']);
    expect(JSON.parse(r.stdout).enabled).toBe(true);
    const info = JSON.parse((await run(['table', 'info', 'futures_bars', '--json'])).stdout);
    expect(info.configuration['delta.compatibility.symlinkFormatManifest.enabled']).toBe('true');
    const history = JSON.parse((await run(['table', 'history', 'futures_bars', '--json'])).stdout);
    expect(JSON.stringify(history)).toContain('SET TBLPROPERTIES');

    await append([bar(12, 0), bar(12, 1)]);
    await append([bar(12, 2)]);
    const compacted = await run(['compact', 'futures_bars']);
    expect(compacted.code).toBe(0);
    expect(compacted.stderr).toContain('symlink manifests rewritten');
    const after = await manifests();
    expect(Object.keys(after)).toContain('trade_date=2026-03-12');
    expect(after).toEqual(await liveFiles());
    expect((await run(['table', 'verify', 'futures_bars'])).code).toBe(0);
    const vacuum = await run([
      'compact',
      'futures_bars',
      '--vacuum',
      '--retain',
      '0s',
      '--force-retention',
      '--json',
    ]);
    expect(vacuum.code).toBe(0);
    expect(await manifests()).toEqual(await liveFiles());
  });
});
