import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DuckDBConnection } from '@duckdb/node-api';
import { openMemoryConnection } from '../../../src/delta/duckdb.js';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { resolveDataFile } from '../../../src/delta/log/paths.js';
import type { DeltaStructField, DeltaStructType } from '../../../src/delta/log/types.js';
import { type CanonicalRow, sortCanonicalRows, toCanonical } from '../../../src/delta/read/canonical.js';
import { deltaTypeToDuckDb, quoteIdentifier, quoteLiteral } from '../../../src/delta/read/schema.js';
import { assertBuilt, type ChildRun, startChild } from '../../helpers/processes.js';

const dirs: string[] = [];

/** A fresh temp directory, removed by removeTempDirs(). */
export function makeTempDir(prefix = 'delta-write-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function field(name: string, type: DeltaStructField['type'], nullable = true): DeltaStructField {
  return { name, type, nullable, metadata: {} };
}

export function struct(...fields: DeltaStructField[]): DeltaStructType {
  return { type: 'struct', fields };
}

/** Every commit file, parsed line by line, keyed by version. */
export function readLog(tablePath: string): Map<number, Record<string, unknown>[]> {
  const logDir = path.join(tablePath, '_delta_log');
  const out = new Map<number, Record<string, unknown>[]>();
  for (const name of readdirSync(logDir)) {
    const m = /^(\d{20})\.json$/.exec(name);
    if (!m) continue;
    const lines = readFileSync(path.join(logDir, name), 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    out.set(
      Number(m[1]),
      lines.map((l) => JSON.parse(l)),
    );
  }
  return out;
}

/**
 * The table read by a second path: DuckDB read_parquet over exactly the files the log lists,
 * partition values joined from the log (hive partitioning off). Canonical rows, sorted.
 */
export async function readBySecondPath(
  tablePath: string,
  connection?: DuckDBConnection,
): Promise<CanonicalRow[]> {
  const snapshot = await loadSnapshot(tablePath, { connection });
  const owned = connection ? { connection, close: () => undefined } : await openMemoryConnection();
  try {
    const files = [...snapshot.files.values()];
    if (files.length === 0) return [];
    const partitionFields = snapshot.schema.fields.filter((f) => snapshot.partitionColumns.includes(f.name));
    const values = files
      .map((file) => {
        const abs = resolveDataFile(snapshot.tablePath, file.relativePath);
        const cells = partitionFields.map((f) => {
          const v = file.add.partitionValues[f.name];
          return v === null || v === undefined
            ? `NULL::${deltaTypeToDuckDb(f.type)}`
            : `CAST(${quoteLiteral(v)} AS ${deltaTypeToDuckDb(f.type)})`;
        });
        return `(${[quoteLiteral(abs), ...cells].join(', ')})`;
      })
      .join(', ');
    const pvColumns = ['file', ...partitionFields.map((f) => f.name)].map(quoteIdentifier).join(', ');
    const select = snapshot.schema.fields
      .map((f) =>
        snapshot.partitionColumns.includes(f.name)
          ? `pv.${quoteIdentifier(f.name)}`
          : `d.${quoteIdentifier(f.name)}`,
      )
      .join(', ');
    const list = `[${files.map((f) => quoteLiteral(resolveDataFile(snapshot.tablePath, f.relativePath))).join(', ')}]`;
    const sql = `SELECT ${select} FROM read_parquet(${list}, filename=true, hive_partitioning=false, union_by_name=true) d
      JOIN (VALUES ${values}) AS pv(${pvColumns}) ON d.filename = pv.file`;
    const names = snapshot.schema.fields.map((f) => f.name);
    const rows = (await owned.connection.runAndReadAll(sql)).getRows().map((values) => {
      const row: CanonicalRow = {};
      names.forEach((name, i) => {
        row[name] = toCanonical(values[i] ?? null);
      });
      return row;
    });
    return sortCanonicalRows(rows);
  } finally {
    owned.close();
  }
}

export type { DeltaStructType };

// ---------------------------------------------------------------------------------------------
// The appending child process (fixtures/append-child.mjs) of the concurrency and crash tests

const APPEND_CHILD = fileURLToPath(new URL('./fixtures/append-child.mjs', import.meta.url));
const APPEND_DIST = fileURLToPath(new URL('../../../dist/delta/write/append.js', import.meta.url));

/** The child script imports the built library; fail clearly when it is missing. */
export function assertDistBuilt(): void {
  assertBuilt(APPEND_DIST);
}

export interface Ack {
  batch: number;
  version: number;
  skipped: boolean;
  attempts: number;
}

export interface AppendRun extends ChildRun {
  /** The batches acknowledged so far ("ack <batch> <version> <skipped> <attempts>"). */
  readonly acks: Ack[];
  /** Resolves at the child's first ack (it is then in its steady append loop), or when it exits. */
  firstAck: Promise<void>;
}

function acksOf(lines: readonly string[]): Ack[] {
  const acks: Ack[] = [];
  for (const line of lines) {
    const m = /^ack (\d+) (\d+) (true|false) (\d+)$/.exec(line);
    if (m)
      acks.push({
        batch: Number(m[1]),
        version: Number(m[2]),
        skipped: m[3] === 'true',
        attempts: Number(m[4]),
      });
  }
  return acks;
}

/** argv: tablePath appId firstBatch batchCount rowsPerBatch; env: see the fixture. */
export function startAppendChild(
  args: readonly (string | number)[],
  env: Record<string, string> = {},
): AppendRun {
  const run = startChild(APPEND_CHILD, args, env);
  return {
    ...run,
    get acks() {
      return acksOf(run.lines);
    },
    firstAck: run.firstLine(/^ack /),
  };
}

/** The table the child script appends to. */
export const childSchema = struct(
  field('day', 'date', false),
  field('writer', 'string', false),
  field('batch', 'long', false),
  field('i', 'integer', false),
  field('ts', 'timestamp', false),
);
