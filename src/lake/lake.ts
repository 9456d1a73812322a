import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  type AppendResult,
  type AppendSource,
  createScanView,
  createTable,
  DeltaTableNotFoundError,
  deltaTypeToDuckDb,
  latestVersion,
  listLog,
  loadSnapshot,
  type Predicate,
  planScan,
  quoteIdentifier,
  type Snapshot,
  scanSql,
  writeAppend,
} from '../delta/index.js';
import { LAKE_TABLES, type LakeTableName, type LakeTableSpec } from './tables.js';

/** Paths of the lake under a data directory (DESIGN.md "Data"). */
export function lakeDir(dataDir: string): string {
  return join(dataDir, 'lake');
}

export function tablePath(dataDir: string, name: LakeTableName): string {
  return join(lakeDir(dataDir), name);
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
  const names = await readdir(lakeDir(dataDir)).catch(() => [] as string[]);
  const tables: LakeTableEntry[] = [];
  for (const name of names.sort()) {
    if (name.startsWith('.') || name.startsWith('_')) continue;
    const path = join(lakeDir(dataDir), name);
    if (await isDeltaTable(path)) tables.push({ name, path });
  }
  return tables;
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
  if ((await latestVersion(path).catch(() => undefined)) !== undefined) {
    knownTables.add(path);
    return path;
  }
  await mkdir(lakeDir(dataDir), { recursive: true });
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

/** The latest snapshot of one of our tables, or undefined when it has not been created yet. */
export async function loadLakeSnapshot(
  dataDir: string,
  name: LakeTableName,
  options: { version?: number } = {},
): Promise<Snapshot | undefined> {
  const path = tablePath(dataDir, name);
  if ((await latestVersion(path).catch(() => undefined)) === undefined) return undefined;
  return loadSnapshot(path, options.version === undefined ? {} : { version: options.version });
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
  await createScanView(connection, snap, name, where ? { where } : {});
  return snap;
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
): Promise<string | undefined> {
  if (!snapshot) return undefined;
  const plan = planScan(snapshot, { where, columns });
  if (plan.files.length === 0) return undefined;
  return scanSql(connection, plan);
}
