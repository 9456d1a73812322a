/**
 * Small appends of JS rows (a collector round: a few rows, one partition, plain column types) skip
 * DuckDB: parquet-writer.ts encodes the file in a fraction of a millisecond, where binding a VALUES
 * query costs DuckDB several. The file is created exclusively under its final name and fsynced before
 * the commit is linked (the fsyncs run while the commit file is staged, see CommitPlan.dataDurable),
 * so a crash leaves at most an unreferenced file, which readers ignore and VACUUM removes.
 */

import { randomUUID } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Snapshot } from '../log/types.js';
import { storageFor } from '../storage/index.js';
import { joinLocation } from '../storage/location.js';
import { sha256Bytes, writerTags } from './content-hash.js';
import { numIndexedCols, type SinglePartition, type WrittenFile } from './data-file.js';
import { type ParquetColumn, supportsParquetType, writeParquet } from './parquet-writer.js';
import { fsyncDirectory } from './put-if-absent.js';
import { buildFileStats, encodeAddPath } from './stats.js';
import type { DeltaRow, DeltaRowValue } from './write-sql.js';

/** Appends of more rows than this go through DuckDB (its writer compresses; ours is for tiny batches). */
export const SMALL_APPEND_MAX_ROWS = 512;

function plainValue(type: unknown, value: unknown): boolean {
  if (value === null || value === undefined) return true;
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'byte':
    case 'short':
    case 'integer':
    case 'long':
      return typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value));
    case 'float':
    case 'double':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'date':
      return value instanceof Date || typeof value === 'string';
    case 'timestamp':
      return value instanceof Date || typeof value === 'bigint';
    default:
      if (typeof type === 'object' && type !== null && Reflect.get(type, 'type') === 'array') {
        const element = Reflect.get(type, 'elementType');
        return Array.isArray(value) && value.every((item) => plainValue(element, item));
      }
      return false;
  }
}

/**
 * The columns of a small append that parquet-writer.ts can encode, or undefined when the rows must go
 * through DuckDB (too many, a nested or decimal column, values given as text, several partitions).
 * Rows have been validated by rowsToValuesSql already.
 */
export function smallAppendColumns(
  snapshot: Snapshot,
  rows: readonly DeltaRow[],
  partition: SinglePartition | undefined,
): ParquetColumn[] | undefined {
  if (rows.length === 0 || rows.length > SMALL_APPEND_MAX_ROWS) return undefined;
  if (snapshot.partitionColumns.length > 0 && !partition) return undefined;
  const partitions = new Set(snapshot.partitionColumns);
  const columns: ParquetColumn[] = [];
  for (const field of snapshot.schema.fields) {
    if (partitions.has(field.name)) continue;
    if (!supportsParquetType(field.type)) return undefined;
    if (!rows.every((row) => plainValue(field.type, row[field.name]))) return undefined;
    columns.push({ name: field.name, type: field.type as ParquetColumn['type'], nullable: field.nullable });
  }
  return columns;
}

/**
 * Directories this process has made durable (their entry in the parent fsynced). A partition directory
 * that already existed may still have been created by a process killed before its fsync; it is fsynced
 * into its parent once, and then only its own entries need syncing.
 */
const durableDirectories = new Set<string>();
const DURABLE_DIRECTORIES_MAX = 4096;

/** The directories whose entries must be fsynced for a new file in `dir` (inside `root`) to survive a crash. */
function directoriesToSync(root: string, dir: string, created: string | undefined): string[] {
  if (dir === root || (created === undefined && durableDirectories.has(dir))) return [dir];
  const chain = [dir];
  for (let d = dir; d !== root && path.dirname(d) !== d; ) {
    d = path.dirname(d);
    chain.push(d);
  }
  return chain;
}

function rememberDurable(dir: string): void {
  if (durableDirectories.size >= DURABLE_DIRECTORIES_MAX) durableDirectories.clear();
  durableDirectories.add(dir);
}

/**
 * Writes a small append as one file with parquet-writer.ts, under its final name. Returns once the bytes
 * are written; `durable` settles when the file and its directory entries are fsynced (the commit awaits
 * it before linking, see CommitPlan.dataDurable).
 */
export async function writeSmallFile(
  root: string,
  snapshot: Snapshot,
  rows: readonly DeltaRow[],
  columns: readonly ParquetColumn[],
  partition: SinglePartition | undefined,
): Promise<{ written: WrittenFile[]; durable: Promise<void> }> {
  const partitions = snapshot.partitionColumns;
  const data =
    partitions.length === 0
      ? rows
      : rows.map((row) => {
          const copy: Record<string, DeltaRowValue> = { ...row };
          for (const column of partitions) delete copy[column];
          return copy;
        });
  const { bytes, stats } = writeParquet(columns, data);
  const relative = `${partition ? `${partition.directory}/` : ''}part-${randomUUID()}.parquet`;
  const storage = storageFor(root);
  let absolute: string;
  let modified: number;
  let durable: Promise<void>;
  if (storage.kind === 'local') {
    absolute = path.join(root, relative);
    const dir = path.dirname(absolute);
    const created = await mkdir(dir, { recursive: true });
    const handle = await open(absolute, 'wx');
    try {
      await handle.writeFile(bytes);
      modified = Math.floor((await handle.stat()).mtimeMs);
    } catch (error) {
      await handle.close().catch(() => {});
      await rm(absolute, { force: true });
      throw error;
    }
    const syncDirs = directoriesToSync(root, dir, created);
    const fileDurable = handle.sync().finally(() => handle.close());
    durable = Promise.all([fileDurable, ...syncDirs.map((d) => fsyncDirectory(d))]).then(() => {
      if (syncDirs.length > 1) rememberDurable(dir);
    });
  } else {
    // A unique name: a plain PUT, complete (and durable) when it answers.
    absolute = joinLocation(root, relative);
    modified = Date.now();
    await storage.put(absolute, bytes);
    durable = Promise.resolve();
  }
  const fileStats = buildFileStats({
    schema: snapshot.schema,
    partitionColumns: snapshot.partitionColumns,
    numRecords: String(rows.length),
    columns: stats,
    numIndexedCols: numIndexedCols(snapshot.metadata),
  });
  const written: WrittenFile[] = [
    {
      absolute,
      rows: rows.length,
      add: {
        path: encodeAddPath(relative),
        partitionValues: { ...(partition?.values ?? {}) },
        size: bytes.byteLength,
        modificationTime: modified,
        dataChange: true,
        tags: writerTags(sha256Bytes(bytes), fileStats),
        stats: fileStats,
      },
    },
  ];
  return { written, durable };
}
