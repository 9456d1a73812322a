/**
 * Our tables read by an independent Parquet reader (hyparquet: pure JS, no code shared with DuckDB), for
 * every writer path: the small-append encoder, DuckDB appends, OPTIMIZE, and the checkpoint. The rows
 * equal `futures table scan`, and the files of all writers declare the same physical schema (every column
 * OPTIONAL, as Spark and DuckDB write them), so tools that concatenate files (pyarrow.concat_tables) work.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '../../src/cli/program.js';
import { futuresCommands } from '../../src/commands/futures/index.js';
import { openMemoryConnection } from '../../src/delta/index.js';
import { appendBars, appendSnapshots, type BarRecord } from '../../src/lake/index.js';
import { testCtx } from '../helpers/ctx.js';
import { snapshots } from './inputs/fixtures.js';

const spec = { name: 'futures' as const, description: 'futures', commands: futuresCommands };
let dir: string;

function bar(day: number, minute: number): BarRecord {
  return {
    ts: new Date(Date.UTC(2026, 2, day, 14, minute)),
    tradeDate: `2026-03-${String(day).padStart(2, '0')}`,
    symbol: minute % 3 === 0 ? 'ES' : 'NQ',
    conId: minute % 3 === 0 ? 1 : 2,
    localSymbol: minute % 3 === 0 ? 'ESH6' : 'NQH6',
    barSize: '1 min',
    whatToShow: 'TRADES',
    open: 5000 + minute,
    high: 5001.25 + minute,
    low: 4999.5 + minute,
    close: 5000.75 + minute,
    volume: minute,
    wap: minute % 4 === 0 ? null : 5000.5,
    count: 3,
    source: 'backfill',
  } as BarRecord;
}

async function run(args: readonly string[]) {
  const ctx = testCtx({ cwd: dir, now: () => new Date() });
  const code = await runProgram(spec, [...args, '--data-dir', dir], ctx);
  return { code, stdout: ctx.stdout.text(), stderr: ctx.stderr.text() };
}

type Row = Record<string, unknown>;

function cell(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return Number(value);
  return value;
}

/** A row as a comparable key: the columns both readers give, timestamps as ISO instants. */
function key(row: Row): string {
  const ts = row.ts instanceof Date ? row.ts.toISOString() : new Date(String(row.ts)).toISOString();
  return JSON.stringify([
    ts,
    row.symbol,
    cell(row.close),
    cell(row.volume),
    cell(row.wap),
    String(row.trade_date),
  ]);
}

type Table = 'futures_bars' | 'futures_snapshots';

async function liveFiles(
  table: Table,
): Promise<Array<{ path: string; partitionValues: Record<string, string> }>> {
  return JSON.parse((await run(['table', 'files', table, '--json'])).stdout).files;
}

async function readWithHyparquet(
  path: string,
): Promise<{ rows: Row[]; schema: string[]; createdBy: string }> {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  const rows = (await parquetReadObjects({ file })) as Row[];
  const schema = metadata.schema.slice(1).map((e) => `${e.name}:${e.type ?? 'group'}:${e.repetition_type}`);
  return { rows, schema, createdBy: metadata.created_by ?? '' };
}

async function compareWithScan(
  table: Table,
): Promise<{ schemas: Set<string>; files: number; creators: Set<string> }> {
  const viaFiles: string[] = [];
  const schemas = new Set<string>();
  const creators = new Set<string>();
  const files = await liveFiles(table);
  for (const f of files) {
    const { rows, schema, createdBy } = await readWithHyparquet(f.path);
    schemas.add(schema.join(','));
    creators.add(createdBy.startsWith('DuckDB') ? 'duckdb' : createdBy);
    for (const row of rows) viaFiles.push(key({ ...row, trade_date: f.partitionValues.trade_date }));
  }
  const scan = JSON.parse((await run(['table', 'scan', table, '--json'])).stdout);
  const scanned = scan.rows.map((r: Row) => key(r));
  expect(viaFiles.sort()).toEqual(scanned.sort());
  return { schemas, files: files.length, creators };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'foreign-reader-'));
  const db = await openMemoryConnection();
  try {
    // A collector round (a few rows of one partition): the small-append encoder.
    const series = (from: string, to: string) =>
      snapshots({
        symbol: 'RTY',
        conId: 3,
        localSymbol: 'RTYH6',
        from,
        to,
        stepMs: 60_000,
        price: () => 2564.1,
      });
    await appendSnapshots(dir, series('2026-03-10T14:00:00Z', '2026-03-10T14:02:00Z'));
    await appendSnapshots(dir, series('2026-03-10T14:03:00Z', '2026-03-10T14:05:00Z'));
    // Many rows over two trade dates: DuckDB writes the files.
    await appendSnapshots(dir, series('2026-03-10T15:00:00Z', '2026-03-11T15:00:00Z'));
    await appendBars(
      db.connection,
      dir,
      Array.from({ length: 120 }, (_, i) => bar(11 + (i % 2), Math.floor(i / 2))),
    );
  } finally {
    db.close();
  }
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('an independent Parquet reader (hyparquet)', () => {
  it('reads the files of small appends and DuckDB appends as table scan does, with one physical schema', async () => {
    const snapshotsRead = await compareWithScan('futures_snapshots');
    expect(snapshotsRead.creators).toEqual(new Set(['duckdb', 'futures-signals parquet-writer version 1']));
    const barsRead = await compareWithScan('futures_bars');
    expect(barsRead.files).toBe(2);
    for (const { schemas } of [snapshotsRead, barsRead]) {
      expect(schemas.size).toBe(1);
      const [schema] = [...schemas] as [string];
      for (const column of schema.split(',')) expect(column).toMatch(/:(OPTIONAL|REPEATED)$/);
    }
  });

  it('reads the files OPTIMIZE wrote, and the checkpoint lists exactly the live files', async () => {
    expect((await run(['compact', '--quiet'])).code).toBe(0);
    await compareWithScan('futures_bars');
    const { files, creators } = await compareWithScan('futures_snapshots');
    expect(creators).toEqual(new Set(['duckdb']));
    const log = join(dir, 'lake', 'futures_snapshots', '_delta_log');
    const checkpoints = (await readdir(log)).filter((f) => f.endsWith('.checkpoint.parquet')).sort();
    expect(checkpoints.length).toBeGreaterThan(0);
    const actions = (await parquetReadObjects({
      file: await asyncBufferFromFile(join(log, checkpoints.at(-1) as string)),
    })) as Row[];
    const adds = actions.filter((a) => a.add !== null && a.add !== undefined);
    expect(adds).toHaveLength(files);
    expect(actions.some((a) => a.metaData)).toBe(true);
    expect(actions.some((a) => a.protocol)).toBe(true);
  });
});
