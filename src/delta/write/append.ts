/**
 * Creating tables and appending data.
 *
 * Data files: DuckDB writes them with `COPY (...) TO '<table>/_staging/<uuid>' (FORMAT parquet,
 * PARTITION_BY (...), FILENAME_PATTERN 'part-{uuid}', RETURN_STATS true)` into a fresh hidden staging
 * directory (a `_` name, so no Delta reader ever looks inside), never into the table root: COPY's
 * OVERWRITE would delete other files and APPEND would make DuckDB scan the whole table directory. The
 * uniquely named files are then hard-linked into their partition directories (never replacing
 * anything), fsynced, and only then committed. A crash before the commit leaves at most unreferenced
 * files, which readers ignore and VACUUM removes. Files are deleted again only when the commit provably
 * did not happen (a conflict, or our txn already committed); after any other failure they stay,
 * because the commit may have landed.
 *
 * Small appends of JS rows (a collector round: a few rows, one partition, plain column types) skip DuckDB:
 * parquet-writer.ts encodes the file in a fraction of a millisecond, where binding a VALUES query costs
 * DuckDB several. The file is created exclusively under its final name and fsynced before the commit
 * is linked (the fsyncs run while the commit file is staged, see CommitPlan.dataDurable), so a crash
 * leaves at most an unreferenced file, exactly as above.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { withWriteConnection } from '../duckdb.js';
import { DeltaConflictError, DeltaSchemaViolationError, DeltaTableExistsError } from '../errors.js';
import { logDirOf } from '../log/log.js';
import { loadSnapshot } from '../log/snapshot.js';
import type { Action, AddAction, CommitInfo, DeltaStructType, Metadata, Snapshot } from '../log/types.js';
import { commitFileName } from '../log/types.js';
import { quoteIdentifier, quoteLiteral } from '../read/schema.js';
import { type CommitOptions, commitTransaction, serializeCommit } from './commit.js';
import { type ParquetColumn, supportsParquetType, writeParquet } from './parquet-writer.js';
import { errorCode, fsyncDirectory, fsyncFile, putIfAbsent } from './put-if-absent.js';
import {
  buildFileStats,
  DEFAULT_NUM_INDEXED_COLS,
  encodeAddPath,
  parseColumnStatistics,
  parsePartitionKeys,
  serializePartitionValue,
} from './stats.js';
import { assertWritable, validateNewTable, WRITER_PROTOCOL } from './write-protocol.js';
import {
  castSelectSql,
  checkSourceColumns,
  type DeltaRow,
  type DeltaRowValue,
  rowsToValuesSql,
} from './write-sql.js';

/** Hidden directory inside a table where DuckDB writes files before they are moved into place. */
export const STAGING_DIR = '_staging';
export const DEFAULT_CHECKPOINT_INTERVAL = 10;

let engineVersion: string | undefined;

/** "futures-signals/<version>" for commitInfo.engineInfo. */
export function engineInfo(): string {
  if (engineVersion === undefined) {
    try {
      const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
      const version = typeof pkg === 'object' && pkg !== null && 'version' in pkg ? pkg.version : undefined;
      engineVersion = typeof version === 'string' ? version : 'unknown';
    } catch {
      engineVersion = 'unknown';
    }
  }
  return `futures-signals/${engineVersion}`;
}

// ---------------------------------------------------------------------------------------------
// createTable

export interface CreateTableOptions {
  schema: DeltaStructType;
  partitionColumns?: readonly string[];
  /** Table properties, e.g. {'delta.checkpointInterval': '10'}. */
  configuration?: Record<string, string>;
  name?: string;
  description?: string;
  /** Return the existing table instead of failing when one is already there. */
  ifNotExists?: boolean;
  now?: () => Date;
}

export interface CreateTableResult {
  tablePath: string;
  /** 0 for a new table; the latest version of an existing one. */
  version: number;
  created: boolean;
  tableId: string;
}

const LOG_ENTRY_RE = /^\d{20}\.(json|checkpoint\..*parquet)$/;

async function hasLogEntries(logDir: string): Promise<boolean> {
  try {
    return (await readdir(logDir)).some((name) => LOG_ENTRY_RE.test(name));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/** Creates a reader-1 / writer-2 Delta table: version 0 with commitInfo, protocol and metaData. */
export async function createTable(
  tablePath: string,
  options: CreateTableOptions,
): Promise<CreateTableResult> {
  const root = path.resolve(tablePath);
  const partitionColumns = [...(options.partitionColumns ?? [])];
  const configuration = { ...(options.configuration ?? {}) };
  validateNewTable(options.schema, partitionColumns, configuration);
  const logDir = logDirOf(root);
  const existing = async (): Promise<CreateTableResult> => {
    if (!options.ifNotExists) {
      throw new DeltaTableExistsError(`A Delta table already exists at ${root}.`, {
        hint: 'Choose another path, or open the existing table instead of creating it.',
      });
    }
    const snapshot = await loadSnapshot(root, { checkReaderProtocol: false });
    return { tablePath: root, version: snapshot.version, created: false, tableId: snapshot.metadata.id };
  };
  if (await hasLogEntries(logDir)) return existing();
  await mkdir(logDir, { recursive: true });
  const now = (options.now ?? (() => new Date()))().getTime();
  const metaData: Metadata = {
    id: randomUUID(),
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.description === undefined ? {} : { description: options.description }),
    format: { provider: 'parquet', options: {} },
    schemaString: JSON.stringify(options.schema),
    partitionColumns,
    configuration,
    createdTime: now,
  };
  const commitInfo: CommitInfo = {
    timestamp: now,
    operation: 'CREATE TABLE',
    operationParameters: {
      mode: options.ifNotExists ? 'Ignore' : 'ErrorIfExists',
      partitionBy: JSON.stringify(partitionColumns),
      properties: JSON.stringify(configuration),
      ...(options.description === undefined ? {} : { description: options.description }),
    },
    isBlindAppend: true,
    engineInfo: engineInfo(),
  };
  const actions: Action[] = [{ protocol: { ...WRITER_PROTOCOL } }, { metaData }];
  const result = await putIfAbsent(logDir, commitFileName(0), serializeCommit(commitInfo, actions));
  if (result === 'exists') return existing();
  return { tablePath: root, version: 0, created: true, tableId: metaData.id };
}

// ---------------------------------------------------------------------------------------------
// append

/** What to append: JS row objects typed by the table schema, or a SQL query producing its columns. */
export type AppendSource = readonly DeltaRow[] | { sql: string };

export interface AppendOptions {
  /** Make the write idempotent: skipped when the table already has txn.version ≥ this for appId. */
  txn?: { appId: string; version: number };
  /** commitInfo.operation (default WRITE). */
  operation?: string;
  /** Extra commitInfo.operationParameters (string values). */
  operationParameters?: Record<string, string>;
  /** DuckDB connection to run on (needed when `source.sql` reads temp tables of that connection). */
  connection?: DuckDBConnection;
  /**
   * The state the write is prepared against (default: the latest, from the process's snapshot cache);
   * a stale one is fine, commits re-check.
   */
  snapshot?: Snapshot;
  /** Write a checkpoint when the new version is a multiple of delta.checkpointInterval (default true). */
  checkpoint?: boolean;
  commit?: CommitOptions;
  now?: () => Date;
  /** Called with problems that do not fail the write (a failed checkpoint). */
  onWarning?: (message: string) => void;
}

export interface AppendDurations {
  prepareMs: number;
  writeMs: number;
  commitMs: number;
  checkpointMs: number;
  totalMs: number;
}

export interface AppendMetrics {
  skipped: false;
  version: number;
  files: number;
  rows: number;
  bytes: number;
  attempts: number;
  adds: AddAction[];
  /** Version of the checkpoint written after this commit, if any. */
  checkpointVersion: number | undefined;
  durations: AppendDurations;
}

export interface AppendSkipped {
  skipped: true;
  reason: 'txn-already-committed' | 'no-rows';
  /** The table version that already holds the txn (or the version read, for no-rows). */
  version: number;
  appId?: string;
  txnVersion?: number;
}

export type AppendResult = AppendMetrics | AppendSkipped;

/** A data file written into its partition directory, not yet committed (and durable before it is). */
export interface WrittenFile {
  absolute: string;
  add: AddAction;
  rows: number;
}

function checkpointInterval(metadata: Metadata): number {
  const raw = metadata.configuration['delta.checkpointInterval'];
  const n = raw === undefined || raw === null ? DEFAULT_CHECKPOINT_INTERVAL : Number(raw);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_CHECKPOINT_INTERVAL;
}

function numIndexedCols(metadata: Metadata): number {
  const raw = metadata.configuration['delta.dataSkippingNumIndexedCols'];
  const n = raw === undefined || raw === null ? DEFAULT_NUM_INDEXED_COLS : Number(raw);
  return Number.isInteger(n) && n >= -1 ? n : DEFAULT_NUM_INDEXED_COLS;
}

function toPosix(relative: string): string {
  return relative.split(path.sep).join('/');
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * COPYs the source into a staging dir, then links each file into the table. Returns the add actions.
 * Also used by OPTIMIZE (src/delta/optimize.ts), which rewrites files through the same path.
 */
export async function writeDataFiles(
  connection: DuckDBConnection,
  root: string,
  snapshot: Snapshot,
  selectSql: string,
  options: {
    /**
     * Every row's partition values, when the caller knows they are all the same (and directory-safe,
     * see singlePartitionOf): one COPY to one file, without DuckDB's PARTITION_BY machinery.
     */
    partition?: SinglePartition;
  } = {},
): Promise<WrittenFile[]> {
  const { schema, partitionColumns, metadata } = snapshot;
  const stagingRoot = path.join(root, STAGING_DIR);
  const staging = path.join(stagingRoot, randomUUID());
  await mkdir(staging, { recursive: true });
  let stagingRemoval: Promise<void> | undefined;
  try {
    const single = options.partition;
    const partitioned = partitionColumns.length > 0 && !single;
    const fileDir = single ? path.join(staging, single.directory) : staging;
    if (single) await mkdir(fileDir, { recursive: true });
    const target = partitioned
      ? `${quoteLiteral(staging)} (FORMAT parquet, PARTITION_BY (${partitionColumns.map(quoteIdentifier).join(', ')}), FILENAME_PATTERN 'part-{uuid}', RETURN_STATS true)`
      : `${quoteLiteral(path.join(fileDir, `part-${randomUUID()}.parquet`))} (FORMAT parquet, RETURN_STATS true)`;
    // Data files never hold partition columns (their values live in the add action), as with PARTITION_BY.
    const source =
      single && partitionColumns.length > 0
        ? `SELECT * EXCLUDE (${partitionColumns.map(quoteIdentifier).join(', ')}) FROM (${selectSql})`
        : selectSql;
    let rows: Record<string, unknown>[];
    try {
      rows = (await connection.runAndReadAll(`COPY (${source}) TO ${target}`)).getRowObjectsJson();
    } catch (error) {
      const message = errorMessage(error);
      if (message.includes('is not nullable but the data holds a NULL')) {
        const detail =
          /Column '.*' is not nullable but the data holds a NULL\./.exec(message)?.[0] ?? message;
        throw new DeltaSchemaViolationError(`Cannot write to ${root}: ${detail}`, {
          cause: error,
          hint: 'Fix the rows so they match the table schema; nothing was written.',
        });
      }
      throw error;
    }
    const fieldTypes = new Map(schema.fields.map((f) => [f.name, f.type]));
    const linked: string[] = [];
    const dirs = new Set<string>();
    try {
      // Settled, not Promise.all: after a failure every link made must be known before cleaning up.
      const placed = await Promise.allSettled(
        rows.map(async (row): Promise<WrittenFile | undefined> => {
          const count = Number(row.count);
          if (typeof row.filename !== 'string' || count === 0) return undefined;
          const relative = toPosix(path.relative(staging, row.filename));
          const absolute = path.join(root, relative);
          await mkdir(path.dirname(absolute), { recursive: true });
          await link(row.filename, absolute);
          linked.push(absolute);
          dirs.add(path.dirname(absolute));
          const partitionValues: Record<string, string | null> = {};
          if (single) {
            Object.assign(partitionValues, single.values);
          } else {
            const keys = parsePartitionKeys(row.partition_keys);
            for (const column of partitionColumns) {
              partitionValues[column] = serializePartitionValue(
                fieldTypes.get(column) ?? 'string',
                keys.get(column) ?? null,
              );
            }
          }
          const stats = buildFileStats({
            schema,
            partitionColumns,
            numRecords: String(row.count),
            columns: parseColumnStatistics(row.column_statistics),
            numIndexedCols: numIndexedCols(metadata),
          });
          const info = await stat(absolute);
          return {
            absolute,
            rows: count,
            add: {
              path: encodeAddPath(relative),
              partitionValues,
              size: info.size,
              modificationTime: Math.floor(info.mtimeMs),
              dataChange: true,
              stats,
            },
          };
        }),
      );
      const written: WrittenFile[] = [];
      for (const result of placed) {
        if (result.status === 'rejected') throw result.reason;
        if (result.value) written.push(result.value);
      }
      // Every file and directory entry is durable before this returns (the caller commits next);
      // the fsyncs are independent of each other, and the staging names are no longer needed.
      stagingRemoval = rm(staging, { recursive: true, force: true });
      await Promise.all([
        ...written.map((file) => fsyncFile(file.absolute)),
        ...[...dirs].map((dir) => fsyncDirectory(dir)),
        ...(dirs.size > 0 ? [fsyncDirectory(root)] : []),
      ]);
      return written;
    } catch (error) {
      await Promise.all(linked.map((file) => rm(file, { force: true })));
      throw error;
    }
  } finally {
    await (stagingRemoval ?? rm(staging, { recursive: true, force: true }));
  }
}

/** The one partition all rows of a write fall into: Delta's serialized values and the Hive directory. */
export interface SinglePartition {
  values: Record<string, string>;
  /** `col=value/…` — only built from values that need no escaping. */
  directory: string;
}

const SAFE_PARTITION_TEXT = /^[A-Za-z0-9_.+-]+$/;

/** A partition value of a JS row as Delta serializes it, or undefined when DuckDB's path must decide. */
function partitionText(type: unknown, value: unknown): string | undefined {
  switch (type) {
    case 'date':
      if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString().slice(0, 10);
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : undefined;
    case 'string':
      return typeof value === 'string' && value !== '' ? value : undefined;
    case 'byte':
    case 'short':
    case 'integer':
    case 'long':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
      return typeof value === 'bigint' ? String(value) : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? String(value) : undefined;
    default:
      return undefined;
  }
}

/**
 * The single partition of JS rows when they all share one and its values are plain text (dates, plain
 * strings, integers, booleans — no null, nothing a directory name would have to escape); else undefined
 * and the write goes through COPY … PARTITION_BY. Row validation happens in rowsToValuesSql either way.
 */
export function singlePartitionOf(
  snapshot: Pick<Snapshot, 'schema' | 'partitionColumns'>,
  rows: readonly DeltaRow[],
): SinglePartition | undefined {
  if (snapshot.partitionColumns.length === 0 || rows.length === 0) return undefined;
  const types = new Map(snapshot.schema.fields.map((f) => [f.name, f.type]));
  const values: Record<string, string> = {};
  for (const column of snapshot.partitionColumns) {
    let shared: string | undefined;
    for (const row of rows) {
      const text = partitionText(types.get(column), row[column]);
      if (text === undefined || !SAFE_PARTITION_TEXT.test(text)) return undefined;
      if (shared !== undefined && shared !== text) return undefined;
      shared = text;
    }
    if (shared === undefined) return undefined;
    values[column] = shared;
  }
  const directory = snapshot.partitionColumns.map((column) => `${column}=${values[column]}`).join('/');
  if (!snapshot.partitionColumns.every((column) => SAFE_PARTITION_TEXT.test(column))) return undefined;
  return { values, directory };
}

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
function smallAppendColumns(
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
async function writeSmallFile(
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
  const absolute = path.join(root, relative);
  const dir = path.dirname(absolute);
  const created = await mkdir(dir, { recursive: true });
  const handle = await open(absolute, 'wx');
  let modified: number;
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
  const durable = Promise.all([fileDurable, ...syncDirs.map((d) => fsyncDirectory(d))]).then(() => {
    if (syncDirs.length > 1) rememberDurable(dir);
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
        stats: buildFileStats({
          schema: snapshot.schema,
          partitionColumns: snapshot.partitionColumns,
          numRecords: String(rows.length),
          columns: stats,
          numIndexedCols: numIndexedCols(snapshot.metadata),
        }),
      },
    },
  ];
  return { written, durable };
}

async function removeFiles(files: readonly WrittenFile[]): Promise<void> {
  await Promise.all(files.map((f) => rm(f.absolute, { force: true })));
}

/** Appends rows (JS objects or a SQL query's result) to a table in one commit. */
export async function writeAppend(
  tablePath: string,
  source: AppendSource,
  options: AppendOptions = {},
): Promise<AppendResult> {
  const started = performance.now();
  const root = path.resolve(tablePath);
  const now = options.now ?? (() => new Date());
  // DuckDB only where it is needed (a small append of JS rows needs none; see the module header).
  const viaDuckDb = <T>(fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> =>
    withWriteConnection(options.connection, fn);
  const connection = options.connection;
  const snapshot =
    options.snapshot ??
    (await loadSnapshot(root, {
      ...(connection ? { connection } : {}),
      checkReaderProtocol: false,
      cache: true,
    }));
  assertWritable(root, snapshot.protocol, snapshot.metadata, snapshot.schema);
  const txn = options.txn;
  if (txn) {
    if (txn.appId === '' || !Number.isSafeInteger(txn.version)) {
      throw new DeltaSchemaViolationError('Invalid txn: appId must be non-empty and version a safe integer.');
    }
    const committed = snapshot.txns.get(txn.appId);
    if (committed && committed.version >= txn.version) {
      return {
        skipped: true,
        reason: 'txn-already-committed',
        version: snapshot.version,
        appId: txn.appId,
        txnVersion: committed.version,
      };
    }
  }
  const stringPartitions = new Set(
    snapshot.schema.fields
      .filter((f) => f.type === 'string' && snapshot.partitionColumns.includes(f.name))
      .map((f) => f.name),
  );
  let sourceSql: string | undefined;
  let sourceColumns: Set<string> | undefined;
  let partition: SinglePartition | undefined;
  let typedRows = false;
  let small: { rows: readonly DeltaRow[]; columns: ParquetColumn[] } | undefined;
  if (Array.isArray(source)) {
    if (source.length > 0) {
      // An empty string partition value is a null partition (as castSelectSql's NULLIF does for SQL).
      const rows: readonly DeltaRow[] =
        stringPartitions.size === 0
          ? source
          : source.map((row) => {
              const copy: Record<string, DeltaRowValue> = { ...row };
              for (const column of stringPartitions) if (copy[column] === '') copy[column] = null;
              return copy;
            });
      sourceSql = rowsToValuesSql(snapshot.schema, rows);
      partition = singlePartitionOf(snapshot, rows);
      typedRows = true;
      const columns = smallAppendColumns(snapshot, rows, partition);
      if (columns) small = { rows, columns };
    }
  } else if ('sql' in source) {
    sourceSql = source.sql;
    const sql = sourceSql;
    const described = await viaDuckDb((c) => c.runAndReadAll(`DESCRIBE SELECT * FROM (${sql}) AS q`));
    sourceColumns = checkSourceColumns(
      snapshot.schema,
      described.getRowObjectsJson().map((r) => String(r.column_name)),
    );
  }
  const prepared = performance.now();

  const smallWrite = small
    ? await writeSmallFile(root, snapshot, small.rows, small.columns, partition)
    : undefined;
  // The small file's fsyncs run on while the commit is staged; the commit awaits them before linking.
  let dataDurable = smallWrite === undefined;
  const durable = smallWrite?.durable.then(() => {
    dataDurable = true;
  });
  durable?.catch(() => {});
  const written = smallWrite
    ? smallWrite.written
    : sourceSql === undefined
      ? []
      : await viaDuckDb((c) =>
          writeDataFiles(
            c,
            root,
            snapshot,
            // JS rows arrive as literals already cast to their column types and checked for nulls.
            typedRows
              ? (sourceSql as string)
              : castSelectSql(snapshot.schema, sourceSql as string, {
                  emptyStringAsNull: stringPartitions,
                  sourceColumns,
                }),
            partition ? { partition } : {},
          ),
        );
  const wroteAt = performance.now();
  if (written.length === 0 && !txn) {
    return { skipped: true, reason: 'no-rows', version: snapshot.version };
  }

  const rows = written.reduce((n, f) => n + f.rows, 0);
  const bytes = written.reduce((n, f) => n + f.add.size, 0);
  const actions: Action[] = written.map((f) => ({ add: f.add }));
  if (txn) actions.push({ txn: { appId: txn.appId, version: txn.version, lastUpdated: now().getTime() } });
  const commitInfo: CommitInfo = {
    operation: options.operation ?? 'WRITE',
    operationParameters: {
      mode: 'Append',
      partitionBy: JSON.stringify(snapshot.partitionColumns),
      ...options.operationParameters,
    },
    readVersion: snapshot.version,
    isolationLevel: 'Serializable',
    isBlindAppend: true,
    operationMetrics: {
      numFiles: String(written.length),
      numOutputRows: String(rows),
      numOutputBytes: String(bytes),
    },
    engineInfo: engineInfo(),
  };
  let outcome: Awaited<ReturnType<typeof commitTransaction>>;
  try {
    outcome = await commitTransaction(
      root,
      { readVersion: snapshot.version, actions, commitInfo, ...(durable ? { dataDurable: durable } : {}) },
      { now, ...options.commit },
    );
  } catch (error) {
    // Only a conflict, or data that never became durable (the commit is linked only after that), proves
    // our commit is not in the log; after anything else the files may be live.
    await durable?.catch(() => {});
    if (error instanceof DeltaConflictError || !dataDurable) await removeFiles(written);
    throw error;
  }
  const committedAt = performance.now();
  if (outcome.kind === 'already-committed') {
    await removeFiles(written);
    return {
      skipped: true,
      reason: 'txn-already-committed',
      version: outcome.version,
      appId: outcome.appId,
      txnVersion: outcome.txnVersion,
    };
  }

  let checkpointVersion: number | undefined;
  if (options.checkpoint !== false && outcome.version % checkpointInterval(snapshot.metadata) === 0) {
    try {
      const { writeCheckpoint } = await import('./checkpoint-write.js');
      checkpointVersion = (
        await writeCheckpoint(root, {
          version: outcome.version,
          ...(connection ? { connection } : {}),
          now,
        })
      ).version;
    } catch (error) {
      options.onWarning?.(
        `Checkpoint at version ${outcome.version} of ${root} failed (the commit stands): ${errorMessage(error)}`,
      );
    }
  }
  const finished = performance.now();
  return {
    skipped: false,
    version: outcome.version,
    files: written.length,
    rows,
    bytes,
    attempts: outcome.attempts,
    adds: written.map((f) => f.add),
    checkpointVersion,
    durations: {
      prepareMs: prepared - started,
      writeMs: wroteAt - prepared,
      commitMs: committedAt - wroteAt,
      checkpointMs: finished - committedAt,
      totalMs: finished - started,
    },
  };
}

/** Appends JS row objects (typed by the table schema) in one commit. */
export function appendRows(
  tablePath: string,
  rows: readonly DeltaRow[],
  options: AppendOptions = {},
): Promise<AppendResult> {
  return writeAppend(tablePath, rows, options);
}
