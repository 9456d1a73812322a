/**
 * The damages of the red-team review (§1, §3, §4) applied to a Delta table, and a byte-level digest
 * of a directory tree to show a command changed nothing. Shared by the maintenance-guard test and the
 * corruption corpus.
 */
import { createHash } from 'node:crypto';
import {
  cpSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { resolveDataFile } from '../../../src/delta/log/paths.js';
import { optimizeTable } from '../../../src/delta/ops/optimize.js';
import { DAY_MS } from '../../../src/delta/ops/units.js';
import { buildTable } from './helpers.js';

export const COLUMNS = { double: 'price', partition: 'trade_date' };

function age(file: string, days: number): void {
  const t = new Date(Date.now() - days * DAY_MS);
  utimesSync(file, t, t);
}

/** Six appends OPTIMIZEd ten days ago: the six small files are tombstoned and old enough to vacuum. */
export async function buildOptimizedTable(dir: string, connection: DuckDBConnection): Promise<string> {
  const table = await buildTable(dir, 6);
  const small = [...(await loadSnapshot(table)).files.values()].map((f) =>
    resolveDataFile(table, f.relativePath),
  );
  const tenDaysAgo = new Date(Date.now() - 10 * DAY_MS);
  await optimizeTable(table, { connection, now: () => tenDaysAgo });
  for (const file of small) age(file, 10);
  return table;
}

/** A copy of a table (timestamps kept) under `dir`. */
export function copyTable(table: string, dir: string): string {
  const copy = path.join(dir, path.basename(table));
  cpSync(table, copy, { recursive: true, preserveTimestamps: true });
  return copy;
}

/** relative path → sha256 of the content (directories as 'dir'), sorted. */
export function treeDigest(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const rel = path.relative(root, full);
      if (entry.isDirectory()) {
        out[rel] = 'dir';
        walk(full);
      } else {
        out[rel] = createHash('sha256').update(readFileSync(full)).digest('hex');
      }
    }
  };
  walk(root);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

const COMMIT = /^\d{20}\.json$/;

export function commitFiles(table: string): string[] {
  return readdirSync(path.join(table, '_delta_log'))
    .filter((n) => COMMIT.test(n))
    .sort();
}

function actions(file: string): Record<string, Record<string, unknown>>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}

function writeActions(file: string, list: readonly unknown[]): void {
  const stamp = statSync(file, { throwIfNoEntry: false });
  writeFileSync(file, list.map((a) => `${JSON.stringify(a)}\n`).join(''));
  if (stamp) utimesSync(file, stamp.atime, stamp.mtime);
}

/** Removes the checkpoints (and the hint) so that the damaged JSON commits are what readers replay. */
function dropCheckpoints(table: string): void {
  const log = path.join(table, '_delta_log');
  for (const name of readdirSync(log)) {
    if (name.includes('.checkpoint.') || name === '_last_checkpoint') rmSync(path.join(log, name));
  }
}

/** The newest commit holding an add, and its path. */
function newestAddCommit(table: string): { file: string; list: Record<string, Record<string, unknown>>[] } {
  for (const name of commitFiles(table).reverse()) {
    const file = path.join(table, '_delta_log', name);
    const list = actions(file);
    if (list.some((a) => a.add)) return { file, list };
  }
  throw new Error(`no add in ${table}`);
}

/** The data file the newest add names (decoded, absolute). */
export function newestAddedFile(table: string): string {
  const { list } = newestAddCommit(table);
  const add = list.find((a) => a.add)?.add as { path: string };
  return path.join(table, decodeURIComponent(add.path));
}

function xorBytes(file: string, at: number, count: number): void {
  const bytes = readFileSync(file);
  for (let i = at; i < Math.min(at + count, bytes.length); i++) bytes[i] = (bytes[i] as number) ^ 0xff;
  const stamp = statSync(file);
  writeFileSync(file, bytes);
  utimesSync(file, stamp.atime, stamp.mtime);
}

/** Appends a commit whose metaData is the latest one changed by `change`. */
function appendMetadataCommit(table: string, change: (metaData: Record<string, unknown>) => void): void {
  let metaData: Record<string, unknown> | undefined;
  for (const name of commitFiles(table)) {
    const found = actions(path.join(table, '_delta_log', name)).find((a) => a.metaData);
    if (found) metaData = structuredClone(found.metaData);
  }
  if (!metaData) throw new Error(`no metaData in the JSON commits of ${table}`);
  change(metaData);
  const last = commitFiles(table).at(-1) as string;
  const next = String(Number(last.slice(0, 20)) + 1).padStart(20, '0');
  writeActions(path.join(table, '_delta_log', `${next}.json`), [
    { commitInfo: { timestamp: Date.now(), operation: 'SET TBLPROPERTIES' } },
    { metaData },
  ]);
}

function retype(metaData: Record<string, unknown>, column: string, type: unknown): void {
  const schema = JSON.parse(String(metaData.schemaString)) as { fields: { name: string; type: unknown }[] };
  const field = schema.fields.find((f) => f.name === column);
  if (!field) throw new Error(`no column ${column}`);
  field.type = type;
  metaData.schemaString = JSON.stringify(schema);
}

export interface Damage {
  name: string;
  /** Applies the damage to the table; `column` is a double column, `partition` the partition column. */
  apply(table: string, columns: { double: string; partition: string }): void;
}

/** The §1 damages: each leaves `table verify` rejecting the table. */
export const DAMAGES: readonly Damage[] = [
  { name: 'live file missing', apply: (t) => rmSync(newestAddedFile(t)) },
  {
    name: 'live file truncated',
    apply: (t) => {
      const file = newestAddedFile(t);
      truncateSync(file, Math.floor(statSync(file).size / 2));
    },
  },
  {
    name: 'footer garbled',
    apply: (t) => {
      const file = newestAddedFile(t);
      xorBytes(file, statSync(file).size - 40, 24);
    },
  },
  {
    name: 'page garbled',
    apply: (t) => {
      const file = newestAddedFile(t);
      xorBytes(file, Math.floor(statSync(file).size * 0.3), 16);
    },
  },
  {
    name: 'add path damaged',
    apply: (t) => {
      const { file, list } = newestAddCommit(t);
      for (const a of list) {
        const add = a.add as { path: string } | undefined;
        if (add) add.path = add.path.replace('part-', 'part-X');
      }
      writeActions(file, list);
      dropCheckpoints(t);
    },
  },
  {
    name: 'partition columns changed',
    apply: (t) =>
      appendMetadataCommit(t, (m) => {
        m.partitionColumns = [];
      }),
  },
  { name: 'column type long', apply: (t, c) => appendMetadataCommit(t, (m) => retype(m, c.double, 'long')) },
  // The review's M6: a string column declared integer (scan failed; compact said ok and vacuumed).
  {
    name: 'string column typed integer',
    apply: (t) => appendMetadataCommit(t, (m) => retype(m, 'symbol', 'integer')),
  },
  {
    name: 'column type decimal',
    apply: (t, c) => appendMetadataCommit(t, (m) => retype(m, c.double, 'decimal(9,0)')),
  },
  {
    name: 'column type float',
    apply: (t, c) => appendMetadataCommit(t, (m) => retype(m, c.double, 'float')),
  },
];

/**
 * §11: the newest add commit's files get min/max stats for `symbol` that exclude every row they hold
 * (the review's minValues 'ZZ', maxValues 'ZZZ'); checkpoints dropped so readers replay the lie.
 */
export const LYING_STATS: Damage = {
  name: 'stats lie (symbol range excludes the rows)',
  apply: (t) => {
    const { file, list } = newestAddCommit(t);
    for (const a of list) {
      const add = a.add as { stats?: string } | undefined;
      if (!add?.stats) continue;
      const stats = JSON.parse(add.stats) as Record<string, Record<string, unknown>>;
      stats.minValues = { ...stats.minValues, symbol: 'ZZ' };
      stats.maxValues = { ...stats.maxValues, symbol: 'ZZZ' };
      add.stats = JSON.stringify(stats);
    }
    writeActions(file, list);
    dropCheckpoints(t);
  },
};
