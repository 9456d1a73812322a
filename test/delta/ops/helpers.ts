import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OwnedConnection } from '../../../src/delta/duckdb.js';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import type { DeltaStructField, DeltaStructType } from '../../../src/delta/log/types.js';
import { type CanonicalRow, sortCanonicalRows } from '../../../src/delta/read/canonical.js';
import { scanTable } from '../../../src/delta/read/scan.js';
import { appendRows } from '../../../src/delta/write/append.js';
import { createTable } from '../../../src/delta/write/create.js';
import { assertBuilt } from '../../helpers/processes.js';

const dirs: string[] = [];

export function makeTempDir(prefix = 'delta-maint-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

function field(name: string, type: DeltaStructField['type'], nullable = true): DeltaStructField {
  return { name, type, nullable, metadata: {} };
}

/** A small futures-like table: partitioned by trade_date. */
export const TICK_SCHEMA: DeltaStructType = {
  type: 'struct',
  fields: [
    field('trade_date', 'date', false),
    field('ts', 'timestamp', false),
    field('symbol', 'string', false),
    field('price', 'double'),
    field('size', 'long'),
    field('writer', 'string', false),
    field('seq', 'long', false),
  ],
};

export type Tick = {
  trade_date: string;
  ts: Date;
  symbol: string;
  price: number | null;
  size: bigint | null;
  writer: string;
  seq: bigint;
};

const SYMBOLS = ['ES', 'NQ', 'RTY', 'VIX'];

/** Rows of batch `seq` (one row per symbol) on the given trade date. */
export function ticks(tradeDate: string, seq: number, writer = 'w0', perBatch = 4): Tick[] {
  const base = Date.parse(`${tradeDate}T00:00:00Z`) + seq * 60_000;
  return Array.from({ length: perBatch }, (_, i) => ({
    trade_date: tradeDate,
    ts: new Date(base + i),
    symbol: SYMBOLS[i % SYMBOLS.length] as string,
    price: i === 3 && seq % 7 === 0 ? null : 4000 + seq + i / 4,
    size: i === 2 && seq % 5 === 0 ? null : BigInt(seq * 10 + i),
    writer,
    seq: BigInt(seq),
  }));
}

export const DATES = ['2026-03-02', '2026-03-03', '2026-03-04'];

/** A table built from `commits` small appends spread over DATES. */
export async function buildTable(
  dir: string,
  commits: number,
  options: { configuration?: Record<string, string>; now?: () => Date } = {},
): Promise<string> {
  const table = path.join(dir, 'ticks');
  await createTable(table, {
    schema: TICK_SCHEMA,
    partitionColumns: ['trade_date'],
    configuration: options.configuration,
    now: options.now,
  });
  for (let i = 0; i < commits; i++) {
    await appendRows(table, ticks(DATES[i % DATES.length] as string, i), { now: options.now });
  }
  return table;
}

/** All rows of a version, canonical and sorted. */
export async function fullScan(
  table: string,
  version?: number,
  duck?: OwnedConnection,
): Promise<CanonicalRow[]> {
  const snapshot = await loadSnapshot(table, { version, connection: duck?.connection });
  const result = await scanTable(snapshot, { connection: duck?.connection });
  return sortCanonicalRows(result.rows);
}

export const DIST_INDEX = fileURLToPath(new URL('../../../dist/delta/index.js', import.meta.url));

/** Child-process tests import the BUILT library; fail clearly when it is missing. */
export function assertDistBuilt(): void {
  assertBuilt(DIST_INDEX);
}

/** Appends `count` commits of 4 rows: argv tablePath writer count tradeDate. */
export const APPEND_CHILD = fileURLToPath(new URL('./fixtures/append-child.mjs', import.meta.url));
/** Runs one maintenance operation: argv op tablePath; env KILL_AT_STEP, NOW_OFFSET_MS. */
export const MAINT_CHILD = fileURLToPath(new URL('./fixtures/maint-child.mjs', import.meta.url));
