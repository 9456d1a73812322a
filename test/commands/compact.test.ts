import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '../../src/cli/program.js';
import { futuresCommands } from '../../src/commands/futures/index.js';
import { openMemoryConnection } from '../../src/delta/index.js';
import { appendBars, type BarRecord } from '../../src/lake/index.js';
import { testCtx } from '../helpers/ctx.js';

const spec = { name: 'futures' as const, description: 'futures', commands: futuresCommands };
let dir: string;

function bar(minute: number): BarRecord {
  const ts = new Date(Date.UTC(2026, 2, 10, 14, minute));
  return {
    ts,
    tradeDate: '2026-03-10',
    symbol: 'ES',
    conId: 1,
    localSymbol: 'ESH6',
    barSize: '1 min',
    whatToShow: 'TRADES',
    open: 5000,
    high: 5001,
    low: 4999,
    close: 5000,
    volume: 5,
    wap: 5000,
    count: 3,
    source: 'backfill',
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'compact-cmd-'));
  const db = await openMemoryConnection();
  try {
    for (let i = 0; i < 3; i++) await appendBars(db.connection, dir, [bar(i)]);
  } finally {
    db.close();
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function run(args: readonly string[], dataDir = dir) {
  const ctx = testCtx({ cwd: dataDir });
  const code = await runProgram(spec, ['compact', '--data-dir', dataDir, ...args], ctx);
  return { code, stdout: ctx.stdout.text(), stderr: ctx.stderr.text() };
}

describe('futures compact', () => {
  it('names --partition when the Delta library refuses the filter', async () => {
    const r = await run(['--partition', "symbol = 'ES'"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: --partition: The partition filter may only use partition columns');
    const unknown = await run(['--partition', "nope = 'x'"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("error: --partition: Invalid predicate: no column 'nope'.");
  });

  it('names --retain (and --force-retention) when the retention is below the table setting', async () => {
    const r = await run(['--vacuum', '--retain', '1h']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: --retain: Refusing to vacuum');
    expect(r.stderr).toContain('--force-retention');
  });

  it('finds every table of the lake and compacts it', async () => {
    const r = await run(['--json', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ schema: 'futures.compact/v1', dryRun: true, retain: null });
    expect(
      doc.tables.map((t: { table: string; status: string; error: unknown }) => [t.table, t.status, t.error]),
    ).toEqual([['futures_bars', 'dry-run', null]]);
  });

  it('says there is nothing to compact in an empty lake', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'compact-empty-'));
    try {
      const r = await run(['--json'], empty);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).tables).toEqual([]);
      expect(r.stderr).toContain('nothing to compact');
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
