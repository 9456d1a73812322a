import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '../../src/cli/program.js';
import { futuresCommands } from '../../src/commands/futures/index.js';
import { openMemoryConnection } from '../../src/delta/index.js';
import { appendBars, type BarRecord } from '../../src/lake/index.js';
import { GOLDEN, haveGolden } from '../delta/read/golden-tables.js';
import { testCtx } from '../helpers/ctx.js';

const spec = { name: 'futures' as const, description: 'futures', commands: futuresCommands };
let dir: string;

function bar(day: number, minute: number): BarRecord {
  const ts = new Date(Date.UTC(2026, 2, day, 14, minute));
  return {
    ts,
    tradeDate: `2026-03-${String(day).padStart(2, '0')}`,
    symbol: minute % 2 === 0 ? 'ES' : 'NQ',
    conId: 1,
    localSymbol: 'ESH6',
    barSize: '1 min',
    whatToShow: 'TRADES',
    open: 5000 + minute,
    high: 5001 + minute,
    low: 4999 + minute,
    close: 5000.25 + minute,
    volume: 5,
    wap: 5000,
    count: 3,
    source: 'backfill',
  };
}

async function run(args: readonly string[], options: { tty?: boolean } = {}) {
  const ctx = testCtx({ cwd: dir, now: () => new Date(), tty: options.tty ?? false });
  const code = await runProgram(spec, [...args, '--data-dir', dir], ctx);
  return { code, stdout: ctx.stdout.text(), stderr: ctx.stderr.text() };
}

async function parquetFilesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true });
  return entries
    .filter((e) => e.endsWith('.parquet') && !e.startsWith('_delta_log'))
    .map((e) => join(root, e));
}

async function rowsOf(sql: string): Promise<unknown[]> {
  const db = await openMemoryConnection();
  try {
    const reader = await db.connection.runAndReadAll(sql.replace(/;\s*$/, ''));
    return reader.getRowObjectsJson();
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'table-files-'));
  const db = await openMemoryConnection();
  try {
    for (let i = 0; i < 4; i++) await appendBars(db.connection, dir, [bar(10, i), bar(11, i)]);
  } finally {
    db.close();
  }
  const compacted = await run(['compact', 'futures_bars', '--quiet']);
  expect(compacted.code).toBe(0);
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('futures table files', () => {
  it('lists the live files only: a glob of the directory would read the compacted-away ones too', async () => {
    const r = await run(['table', 'files', 'futures_bars', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.schema).toBe('futures.table.files/v1');
    expect(doc.partitionColumns).toEqual(['trade_date']);
    expect(doc.files.map((f: { partitionValues: unknown }) => f.partitionValues)).toEqual([
      { trade_date: '2026-03-10' },
      { trade_date: '2026-03-11' },
    ]);
    expect(doc.files.reduce((n: number, f: { rows: number }) => n + f.rows, 0)).toBe(8);
    const onDisk = await parquetFilesUnder(join(dir, 'lake', 'futures_bars'));
    expect(onDisk.length).toBeGreaterThan(doc.files.length);

    const piped = await run(['table', 'files', 'futures_bars']);
    expect(piped.stdout.trim().split('\n')).toEqual(doc.files.map((f: { path: string }) => f.path));
  });

  it('shows a table with partitions, bytes and rows on a terminal', async () => {
    const r = await run(['table', 'files', 'futures_bars'], { tty: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/at version \d+: 2 live files/);
    expect(r.stdout).toContain('trade_date=2026-03-11');
  });

  it('lists the files of an older version', async () => {
    const r = await run(['table', 'files', 'futures_bars', '--version', '1', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).files).toHaveLength(2);
    expect(JSON.parse(r.stdout).version).toBe(1);
  });

  it('prints a DuckDB statement that reads exactly the rows of the table, partition column included', async () => {
    const r = await run(['table', 'files', 'futures_bars', '--format', 'duckdb']);
    expect(r.code).toBe(0);
    const viaFiles = await rowsOf(r.stdout);
    const scan = await run(['table', 'scan', 'futures_bars', '--json']);
    const scanned = JSON.parse(scan.stdout).rows;
    expect(viaFiles).toHaveLength(8);
    expect(viaFiles).toHaveLength(scanned.length);
    const dates = viaFiles.map((row) => String((row as { trade_date: string }).trade_date)).sort();
    expect(dates).toEqual([...Array(4).fill('2026-03-10'), ...Array(4).fill('2026-03-11')]);
    const globbed = await rowsOf(
      `SELECT * FROM read_parquet('${join(dir, 'lake', 'futures_bars')}/trade_date=*/*.parquet', union_by_name = true)`,
    );
    expect(globbed.length).toBeGreaterThan(8);
  });

  it('prints polars and pyarrow programs naming every live file with its typed partition value', async () => {
    const files = JSON.parse((await run(['table', 'files', 'futures_bars', '--json'])).stdout).files;
    for (const format of ['polars', 'pyarrow']) {
      const r = await run(['table', 'files', 'futures_bars', '--format', format]);
      expect(r.code).toBe(0);
      for (const f of files) expect(r.stdout).toContain(JSON.stringify(f.path));
      expect(r.stdout).toContain(format === 'polars' ? '"trade_date": pl.Date' : '"trade_date": pa.date32()');
    }
  });

  it('refuses an empty or non-numeric --version (exit 2), not version 0', async () => {
    for (const bad of ['', 'x', '-1', '1.5']) {
      const r = await run(['table', 'files', 'futures_bars', '--version', bad]);
      expect(r.code, bad).toBe(2);
    }
  });

  it.runIf(haveGolden())(
    'reads a Spark table with typed partition values exactly as table scan does',
    async () => {
      const golden = join(GOLDEN, 'delta-io', 'data-reader-partition-values');
      const copy = join(dir, 'golden');
      await cp(golden, copy, { recursive: true });
      const r = await run(['table', 'files', copy, '--format', 'duckdb']);
      expect(r.code).toBe(0);
      const viaFiles = await rowsOf(r.stdout);
      const scan = await run(['table', 'scan', copy, '--json']);
      expect(viaFiles.length).toBe(JSON.parse(scan.stdout).rows.length);
    },
  );
});
