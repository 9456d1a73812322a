import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OwnedConnection, openMemoryConnection } from '../../../src/delta/duckdb.js';
import { runFutures } from '../../../src/main.js';
import { ROOT, runBin } from '../../helpers/bin.js';
import { testCtx } from '../../helpers/ctx.js';
import {
  add,
  commitInfo,
  makeTempDir,
  metaData,
  protocol,
  txn,
  writeCommit,
  writeParquet,
} from './fixtures.js';
import { GOLDEN, haveGolden } from './golden-tables.js';

const HAVE_GOLDEN = haveGolden();
const golden = (name: string) => path.join(GOLDEN, name);

async function run(args: string[], options: { tty?: boolean } = {}) {
  const ctx = testCtx({ tty: options.tty ?? false });
  const code = await runFutures(args, ctx);
  return { code, stdout: ctx.stdout.text(), stderr: ctx.stderr.text() };
}

/** A data dir with lake/quotes: two commits, one txn, stats on every file. */
let dataDir: string;
let cleanup: () => void;
let owned: OwnedConnection;

beforeAll(async () => {
  ({ dir: dataDir, cleanup } = makeTempDir('cli'));
  owned = await openMemoryConnection();
  const t = path.join(dataDir, 'lake', 'quotes');
  mkdirSync(t, { recursive: true });
  const fields = [
    { name: 'day', type: 'date' },
    { name: 'symbol', type: 'string' },
    { name: 'note', type: 'string' },
    { name: 'qty', type: 'long' },
  ];
  const f1 = await writeParquet(
    owned.connection,
    t,
    'day=2026-01-02/a.parquet',
    "SELECT * FROM (VALUES ('ES', 'say \"hi\", ok', 9007199254740993::BIGINT), ('NQ', NULL, 2::BIGINT)) v(symbol, note, qty)",
  );
  writeCommit(t, 0, [
    commitInfo(Date.parse('2026-01-02T21:00:00Z'), 'CREATE TABLE'),
    protocol(),
    metaData(fields, ['day']),
    add('day=2026-01-02/a.parquet', {
      size: f1,
      partitionValues: { day: '2026-01-02' },
      stats: { numRecords: 2 },
    }),
  ]);
  const f2 = await writeParquet(
    owned.connection,
    t,
    'day=2026-01-05/b.parquet',
    "SELECT 'ES' AS symbol, 'x' AS note, 5::BIGINT AS qty",
  );
  writeCommit(t, 1, [
    commitInfo(Date.parse('2026-01-05T21:00:00Z'), 'WRITE', { numFiles: 1, numOutputRows: 1 }),
    add('day=2026-01-05/b.parquet', {
      size: f2,
      partitionValues: { day: '2026-01-05' },
      stats: { numRecords: 1, minValues: { symbol: 'ES' }, maxValues: { symbol: 'ES' } },
    }),
    txn('loader', 7),
  ]);
});
afterAll(() => {
  owned.close();
  cleanup();
});

const lakeArgs = () => ['--data-dir', dataDir];

describe('futures table scan', () => {
  it('prints canonical jsonl by default, rows in column order', async () => {
    const r = await run(['table', 'scan', 'quotes', '--where', "day = '2026-01-02'", ...lakeArgs()]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual([
      '{"day":"2026-01-02","symbol":"ES","note":"say \\"hi\\", ok","qty":9007199254740993}',
      '{"day":"2026-01-02","symbol":"NQ","note":null,"qty":2}',
    ]);
  });

  it('prints one JSON document with rows and scan metrics under --json', async () => {
    const r = await run([
      'table',
      'scan',
      'quotes',
      '--json',
      '--where',
      "symbol = 'NQ'",
      '--columns',
      'symbol,qty',
      ...lakeArgs(),
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      schema: 'futures.table.scan/v1',
      table: path.join(dataDir, 'lake', 'quotes'),
      version: 1,
      columns: [
        { name: 'symbol', type: 'string' },
        { name: 'qty', type: 'long' },
      ],
      rows: [{ symbol: 'NQ', qty: 2 }],
      metrics: {
        filesTotal: 2,
        filesPrunedByPartition: 0,
        filesPrunedByStats: 1,
        filesRead: 1,
        bytesRead: expect.any(Number),
        rows: 1,
      },
    });
  });

  it('prints CSV with a header and quoting, and a table on a terminal', async () => {
    const csv = await run([
      'table',
      'scan',
      'quotes',
      '--format',
      'csv',
      '--columns',
      'symbol,note',
      '--where',
      "day = '2026-01-02'",
      ...lakeArgs(),
    ]);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.split('\n');
    expect(lines[0]).toBe('symbol,note');
    expect(lines.slice(1, 3).sort()).toEqual(['ES,"say ""hi"", ok"', 'NQ,']);
    const table = await run(
      [
        'table',
        'scan',
        'quotes',
        '--format',
        'table',
        '--columns',
        'symbol,qty',
        '--where',
        "day = '2026-01-05'",
        ...lakeArgs(),
      ],
      { tty: true },
    );
    expect(table.stdout).toContain('│ symbol │ qty │');
    expect(table.stdout).toContain('│ ES     │ 5   │');
  });

  it('travels in time by timestamp', async () => {
    const r = await run([
      'table',
      'scan',
      'quotes',
      '--timestamp',
      '2026-01-03T00:00:00Z',
      '--json',
      ...lakeArgs(),
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ version: 0, metrics: { rows: 2 } });
  });

  it.each([
    [['--where', 'qty >> 3'], 2, /Invalid predicate at position 6/],
    [['--where', "nope = 'x'"], 2, /no column 'nope'/],
    [['--columns', 'symbol,zzz'], 2, /No column 'zzz'/],
    [
      ['--timestamp', '2020-01-01T00:00:00Z'],
      2,
      /first available commit \(version 0\) is at 2026-01-02T21:00:00.000Z/,
    ],
    [['--format', 'xml'], 2, /Allowed choices are jsonl, csv, table/],
  ])('rejects bad input %j with exit %i and nothing on stdout', async (extra, code, message) => {
    const r = await run(['table', 'scan', 'quotes', ...extra, ...lakeArgs()]);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('names a missing table and how to fix it', async () => {
    const r = await run(['table', 'scan', 'nosuch', ...lakeArgs()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`No table 'nosuch': neither ${path.join(dataDir, 'lake', 'nosuch')}`);
    const notDelta = await run(['table', 'scan', dataDir]);
    expect(notDelta.code).toBe(2);
    expect(notDelta.stderr).toContain('is not a Delta table: it has no _delta_log directory');
    expect(notDelta.stderr).toContain('Point at the table root');
  });

  it.skipIf(!HAVE_GOLDEN)('rejects unsupported and corrupt tables with exit 4', async () => {
    const dv = await run(['table', 'scan', golden('delta-rs/table-with-dv-small'), '--json']);
    expect(dv.code).toBe(4);
    expect(dv.stderr).toContain("reader features ['deletionVectors'] are not supported");
    expect(JSON.parse(dv.stdout)).toMatchObject({ schema: 'error/v1', error: { code: 'data', exitCode: 4 } });
    const gap = await run(['table', 'scan', golden('delta-io/versions-not-contiguous')]);
    expect(gap.code).toBe(4);
    expect(gap.stderr).toContain('missing commit 1: versions not contiguous');
    expect(gap.stdout).toBe('');
  });
});

// These need `program.enablePositionalOptions()` in src/cli/program.ts: without it the root
// program's `--version` flag swallows the scan's `--version <n>` and prints the package version.
describe('futures table scan --version', () => {
  it('travels in time by version', async () => {
    const r = await run(['table', 'scan', 'quotes', '--version', '0', '--json', ...lakeArgs()]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      schema: 'futures.table.scan/v1',
      version: 0,
      metrics: { rows: 2 },
    });
  });

  it('rejects a version out of range and --version with --timestamp', async () => {
    const out = await run(['table', 'scan', 'quotes', '--version', '5', ...lakeArgs()]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('available versions are 0..1');
    const both = await run([
      'table',
      'scan',
      'quotes',
      '--version',
      '0',
      '--timestamp',
      '2026-01-03',
      ...lakeArgs(),
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--timestamp: give either --version or --timestamp, not both');
    expect(both.stdout).toBe('');
  });
});

describe('futures table info', () => {
  it('summarises a table under the lake by name', async () => {
    const r = await run(['table', 'info', 'quotes', '--json', ...lakeArgs()]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      schema: 'futures.table.info/v1',
      version: 1,
      timestamp: '2026-01-05T21:00:00.000Z',
      protocol: { minReaderVersion: 1, minWriterVersion: 2, readerFeatures: [], writerFeatures: [] },
      partitionColumns: ['day'],
      liveFiles: 2,
      rowsFromStats: 3,
      filesWithoutStats: 0,
      smallFiles: { count: 2, thresholdBytes: 8 * 1024 * 1024 },
      lastCheckpoint: null,
      commitsSinceCheckpoint: 2,
      txn: [{ appId: 'loader', version: 7, lastUpdated: 1_700_000_000_000 }],
    });
    expect(doc.columns).toEqual([
      { name: 'day', type: 'date', nullable: true, partition: true },
      { name: 'symbol', type: 'string', nullable: true, partition: false },
      { name: 'note', type: 'string', nullable: true, partition: false },
      { name: 'qty', type: 'long', nullable: true, partition: false },
    ]);
    expect(doc.bytes).toBeGreaterThan(0);
    const human = await run(['table', 'info', 'quotes', ...lakeArgs()], { tty: true });
    expect(human.stdout).toMatch(/small files \(< 8 MiB\)\s+2/);
    expect(human.stdout).toMatch(/txn\s+loader=7/);
    // 21:00Z on 2026-01-05 is 16:00 EST, shown in ET on a terminal.
    expect(human.stdout).toMatch(/^time\s+2026-01-05 16:00:00 ET$/m);
  });

  it.skipIf(!HAVE_GOLDEN)('reports the last checkpoint and tombstones of a Spark table', async () => {
    const r = await run(['table', 'info', golden('delta-rs/delta-0.2.0'), '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      version: 3,
      liveFiles: 3,
      filesWithoutStats: 3,
      lastCheckpoint: { version: 3, parts: 1, hintVersion: 3 },
      commitsSinceCheckpoint: 0,
      tombstones: 4,
      txn: [{ appId: 'e4a20b59-dd0e-4c50-b074-e8ae4786df30', version: 0 }],
    });
  });
});

describe('futures table history', () => {
  it('lists commits newest first with operation and metrics', async () => {
    const r = await run(['table', 'history', 'quotes', '--json', ...lakeArgs()]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.schema).toBe('futures.table.history/v1');
    expect(
      doc.entries.map((e: { version: number; time: string; operation: string }) => [
        e.version,
        e.time,
        e.operation,
      ]),
    ).toEqual([
      [1, '2026-01-05T21:00:00.000Z', 'WRITE'],
      [0, '2026-01-02T21:00:00.000Z', 'CREATE TABLE'],
    ]);
    expect(doc.entries[0].metrics).toEqual({ numFiles: 1, numOutputRows: 1 });
    const limited = await run(['table', 'history', 'quotes', '--limit', '1', ...lakeArgs()]);
    expect(limited.stdout).toBe('1\t2026-01-05T21:00:00.000Z\tWRITE\tnumFiles=1 numOutputRows=1\n');
    const bad = await run(['table', 'history', 'quotes', '--limit', '0', ...lakeArgs()]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--limit');
  });
});

// The built binary (dist/, built by `npm test`): exit codes and the stdout/stderr split as a user sees them.
const HAVE_DIST = existsSync(path.join(ROOT, 'dist', 'commands', 'futures', 'table-scan.js'));
describe.skipIf(!HAVE_GOLDEN || !HAVE_DIST)('futures table (built binary)', () => {
  it('scans a golden table as jsonl', async () => {
    const r = await runBin('futures', [
      'table',
      'scan',
      golden('delta-rs/delta-0.8.0-partitioned'),
      '--where',
      "year = '2021'",
    ]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(4);
    for (const line of r.stdout.split('\n').filter(Boolean))
      expect(JSON.parse(line)).toMatchObject({ year: '2021' });
  });

  it('exits 4 on an unsupported table with the reason on stderr', async () => {
    const r = await runBin('futures', ['table', 'info', golden('delta-rs/table_with_column_mapping')]);
    expect(r.exitCode).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('reader version 2 (column mapping) is not supported');
  });
});
