import { readdir } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DataError, UserError } from '../core/errors.js';
import {
  type AppendResult,
  type AppendSource,
  createScanView,
  createTable,
  DeltaTableNotFoundError,
  deltaTypeToDuckDb,
  isRemoteLocation,
  joinLocation,
  listLog,
  loadSnapshot,
  type Predicate,
  planScan,
  quoteIdentifier,
  type ScanPlan,
  type Snapshot,
  scanSql,
  storageFor,
  writeAppend,
} from '../delta/index.js';
import { lakeDir } from './location.js';
import { LAKE_TABLES, type LakeTableName, type LakeTableSpec } from './tables.js';

export { lakeDir, useLakeUri } from './location.js';

export function tablePath(dataDir: string, name: LakeTableName): string {
  return joinLocation(lakeDir(dataDir), name);
}

/** Names directly inside a lake location (directories on a disk, prefixes on an object store). */
async function namesIn(location: string): Promise<string[]> {
  return (await storageFor(location).list(location)).map((e) => e.name);
}

export interface LakeTableEntry {
  name: string;
  path: string;
}

/** Whether a directory holds a Delta table: its log lists (a broken log still counts, to be reported). */
async function isDeltaTable(path: string): Promise<boolean> {
  return listLog(path).then(
    () => true,
    (error: unknown) => !(error instanceof DeltaTableNotFoundError),
  );
}

/** Every Delta table under <dataDir>/lake, ours or not, by name. */
export async function listTables(dataDir: string): Promise<LakeTableEntry[]> {
  const lake = lakeDir(dataDir);
  const names = isRemoteLocation(lake)
    ? await namesIn(lake)
    : await readdir(lake).catch(() => [] as string[]);
  const tables: LakeTableEntry[] = [];
  for (const name of names.sort()) {
    if (name.startsWith('.') || name.startsWith('_')) continue;
    const path = joinLocation(lake, name);
    if (await isDeltaTable(path)) tables.push({ name, path });
  }
  return tables;
}

/** One of our tables whose log or schema is not what this program reads and writes. */
export class LakeTableError extends DataError {
  override readonly code: string = 'lake-table';
}

const verifyHint = (name: string) =>
  `Run 'futures table verify ${name}' for the details and 'futures table repair ${name}' to see what can be restored from the table directory (a dry run; it deletes nothing).`;

function isPermissionDenied(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EACCES' || code === 'EPERM';
}

/**
 * Whether one of our tables exists: its log lists. A directory without a log is absent only while it
 * holds nothing (an interrupted creation); with data files in it, the log was lost, and treating the
 * table as new would hide (and a new log would orphan) every row it holds.
 */
async function tableExists(path: string, name: string): Promise<boolean> {
  try {
    await listLog(path);
    return true;
  } catch (error) {
    if (!(error instanceof DeltaTableNotFoundError)) throw error;
    // A log this user may not read is still there: say so (exit 2, "give read access"), not "restore
    // it from a backup" (exit 4).
    if (isPermissionDenied(error.cause)) throw error;
    const entries = await namesIn(path).catch((e: NodeJS.ErrnoException) => {
      // A plain file where the table should be holds no rows: absent (a writer fails creating it).
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return [] as string[];
      throw new LakeTableError(`The lake table ${name} at ${path} cannot be listed: ${e.message}`, {
        cause: e,
        hint: 'Check that the lake directory is a directory you can read.',
      });
    });
    if (entries.every((entry) => entry === '_staging' || entry.startsWith('.'))) return false;
    throw new LakeTableError(
      `The lake table ${name} at ${path} holds files but no readable Delta log (${error.message.split('\n')[0]}); its rows cannot be read, and a new table must not be started on top of them.`,
      { cause: error, hint: `Restore ${path}/_delta_log from a backup if you have one. ${verifyHint(name)}` },
    );
  }
}

/**
 * The columns and partitioning this program relies on, as the log declares them: a type changed in the
 * metadata (double → long, decimal, float) would make every read cast, i.e. round, silently.
 */
export function checkLakeSchema(spec: LakeTableSpec, snapshot: Snapshot): void {
  const logged = new Map(snapshot.schema.fields.map((f) => [f.name, f]));
  const problems: string[] = [];
  for (const field of spec.schema.fields) {
    const found = logged.get(field.name);
    if (!found) problems.push(`column ${field.name} is missing`);
    else if (JSON.stringify(found.type) !== JSON.stringify(field.type)) {
      problems.push(
        `column ${field.name} is ${JSON.stringify(found.type)}, not ${JSON.stringify(field.type)}`,
      );
    }
  }
  if (JSON.stringify(snapshot.partitionColumns) !== JSON.stringify(spec.partitionColumns)) {
    problems.push(
      `it is partitioned by [${snapshot.partitionColumns.join(', ')}], not [${spec.partitionColumns.join(', ')}]`,
    );
  }
  if (problems.length === 0) return;
  throw new LakeTableError(
    `The lake table ${spec.name} (version ${snapshot.version}) does not have the schema this program reads: ${problems.join('; ')}. Reading it would convert values silently, so nothing was read.`,
    { hint: verifyHint(spec.name) },
  );
}

/** A DuckDB failure that is about the bytes of a data file (damaged page, footer, compression), not our SQL. */
const DATA_FILE_FAILURE =
  /^(IO Error|Invalid Input Error|Invalid Error|Serialization Error)|parquet|snappy|zstd|gzip|lz4|brotli|decompress|corrupt|thrift/i;

/**
 * Runs a read of lake tables; a failure to read their data files becomes a LakeTableError (exit 4)
 * naming the tables and versions read, the way `futures table scan` reports it, instead of an
 * internal error.
 */
export async function withLakeReadErrors<T>(
  reads: ReadonlyArray<{ table: string; version: number }>,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof UserError || !(error instanceof Error) || !DATA_FILE_FAILURE.test(error.message)) {
      throw error;
    }
    const tables = reads.map((r) => `${r.table} (version ${r.version})`).join(', ') || 'the lake';
    const first = reads[0]?.table ?? 'futures_snapshots';
    throw new LakeTableError(`Cannot read the data files of ${tables}: ${error.message.split('\n')[0]}`, {
      cause: error,
      hint: `A data file is damaged. Run 'futures table verify ${first}' to find it and 'futures table repair ${first}' to see what can be restored; or restore the file from a backup.`,
    });
  }
}

export interface LakeWriteOptions {
  now?: () => Date;
  /** delta.checkpointInterval for a table created by this write (config lake.checkpointInterval). */
  checkpointInterval?: number;
  onWarning?: (message: string) => void;
}

/**
 * Tables this process has seen exist. A table is never dropped under a running process (a removed one
 * makes the write fail with the Delta error), and asking again would list the whole log on every append.
 */
const knownTables = new Set<string>();

/** Creates the table on first use; an existing table is returned as it is. */
export async function ensureTable(
  dataDir: string,
  spec: LakeTableSpec,
  options: LakeWriteOptions = {},
): Promise<string> {
  const path = tablePath(dataDir, spec.name);
  if (knownTables.has(path)) return path;
  if (await tableExists(path, spec.name)) {
    // Writing rows into a retyped column would round them: check the logged schema once per process.
    checkLakeSchema(spec, await loadSnapshot(path));
    knownTables.add(path);
    return path;
  }
  await storageFor(lakeDir(dataDir)).ensureDir(lakeDir(dataDir));
  await createTable(path, {
    schema: spec.schema,
    partitionColumns: spec.partitionColumns,
    configuration: { 'delta.checkpointInterval': String(options.checkpointInterval ?? 10) },
    name: spec.name,
    description: spec.description,
    ifNotExists: true,
    now: options.now,
  });
  knownTables.add(path);
  return path;
}

let snapshotCaching = false;

/**
 * A long-running reader (the dashboard) turns this on: loadLakeSnapshot is then served from the
 * process-wide snapshot cache (src/delta/log/snapshot-cache.ts), which reads only the commits written
 * since its last load instead of the newest checkpoint every time. A one-shot command has nothing to reuse.
 */
export function cacheLakeSnapshots(on: boolean): void {
  snapshotCaching = on;
}

/** The latest snapshot of one of our tables, or undefined when it has not been created yet. */
export async function loadLakeSnapshot(
  dataDir: string,
  name: LakeTableName,
  options: { version?: number } = {},
): Promise<Snapshot | undefined> {
  const path = tablePath(dataDir, name);
  if (!(await tableExists(path, name))) return undefined;
  const snapshot = await loadSnapshot(path, {
    ...(options.version === undefined ? {} : { version: options.version }),
    cache: snapshotCaching,
  });
  checkLakeSchema(LAKE_TABLES[name], snapshot);
  return snapshot;
}

export interface AppendToLakeOptions extends LakeWriteOptions {
  txn?: { appId: string; version: number };
  operation?: string;
  connection?: DuckDBConnection;
}

/** Appends rows (or a SQL source) to one of our tables, creating it on first use. */
export async function appendToLake(
  dataDir: string,
  name: LakeTableName,
  source: AppendSource,
  options: AppendToLakeOptions = {},
): Promise<AppendResult> {
  const path = await ensureTable(dataDir, LAKE_TABLES[name], options);
  return writeAppend(path, source, {
    txn: options.txn,
    operation: options.operation,
    connection: options.connection,
    now: options.now,
    onWarning: options.onWarning,
  });
}

/**
 * Registers a temp view `name` over a lake table, pruned by `where` (partition and stats skipping),
 * so callers query it with SQL. Returns the snapshot read, or undefined (and an empty view) when the
 * table does not exist yet.
 */
export async function createLakeView(
  connection: DuckDBConnection,
  dataDir: string,
  table: LakeTableName,
  name: string,
  where?: Predicate,
  snapshot?: Snapshot,
  ledger?: ScanLedger,
): Promise<Snapshot | undefined> {
  const snap = snapshot ?? (await loadLakeSnapshot(dataDir, table));
  if (!snap) {
    const spec = LAKE_TABLES[table];
    const cols = spec.schema.fields
      .map((f) => `CAST(NULL AS ${deltaTypeToDuckDb(f.type)}) AS ${quoteIdentifier(f.name)}`)
      .join(', ');
    await connection.run(
      `CREATE OR REPLACE TEMP VIEW ${quoteIdentifier(name)} AS SELECT ${cols} WHERE false`,
    );
    return undefined;
  }
  noteScan(ledger, table, await createScanView(connection, snap, name, where ? { where } : {}));
  return snap;
}

/**
 * The scans of one evaluation that skipped files on their min/max stats: when its answer comes back
 * short (stale), checkSkippedFiles re-reads those files, because stats that lie look like missing data.
 */
export interface ScanLedger {
  scans: Array<{ table: LakeTableName; plan: ScanPlan }>;
}

function noteScan(ledger: ScanLedger | undefined, table: LakeTableName, plan: ScanPlan): void {
  if (ledger && plan.statsPruned.length > 0) ledger.scans.push({ table, plan });
}

/**
 * SQL of a pruned read of a lake table (the selected `columns` of the rows matching `where`), for
 * use as a subquery; undefined when no file can hold a matching row (or the table does not exist),
 * so callers can leave the part out instead of reading nothing.
 */
export async function lakeScanSql(
  connection: DuckDBConnection,
  snapshot: Snapshot | undefined,
  where: Predicate,
  columns: readonly string[],
  ledger?: { table: LakeTableName; ledger: ScanLedger | undefined },
): Promise<string | undefined> {
  if (!snapshot) return undefined;
  const plan = planScan(snapshot, { where, columns });
  if (ledger) noteScan(ledger.ledger, ledger.table, plan);
  if (plan.files.length === 0) return undefined;
  return scanSql(connection, plan);
}
