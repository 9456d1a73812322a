/**
 * Scanning a snapshot: file pruning from the log, then one DuckDB read_parquet over the files that
 * remain, with partition values taken from the log (never from directory names: hive_partitioning
 * is off) and every column cast to the type the Delta schema gives it.
 *
 * Hazards handled: add.path decoded exactly once; files lacking a column read it as NULL
 * (union_by_name, or a typed NULL when no file has it); INT96 and naive timestamps become UTC
 * TIMESTAMPTZ via epoch microseconds (independent of the session TimeZone); a data column named
 * like DuckDB's filename column cannot collide (the source-file column has a reserved name).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { UsageError } from '../cli/errors.js';
import type { CanonicalRow } from './canonical.js';
import { type ConnectionOption, sqlPathList, withConnection } from './duckdb.js';
import { DeltaDataFileError, DeltaLogCorruptError } from './errors.js';
import { resolveDataFile } from './paths.js';
import {
  type BoundPredicate,
  bindPredicate,
  type Predicate,
  parsePredicate,
  predicateToSql,
} from './predicate.js';
import { pruneFile } from './prune.js';
import { parseScalarText, type Scalar, scalarToSql, scalarTypeOf } from './scalar.js';
import { deltaTypeToDuckDb, quoteIdentifier } from './schema.js';
import type { DeltaType, LiveFile, Snapshot } from './types.js';

export interface ScanOptions extends ConnectionOption {
  /** Columns to return, in this order (default: all, in schema order). */
  columns?: readonly string[] | undefined;
  /** Row filter: a Predicate, or CLI text parsed with parsePredicate. */
  where?: Predicate | string | undefined;
  /** At most this many rows. */
  limit?: number | undefined;
}

export interface ScanColumn {
  name: string;
  type: DeltaType;
  /** The DuckDB type of the column in scan results. */
  duckDbType: string;
  isPartition: boolean;
}

export interface ScanMetrics {
  filesTotal: number;
  filesPrunedByPartition: number;
  filesPrunedByStats: number;
  filesRead: number;
  bytesRead: number;
}

/** The result of planning: which files to read and how; no I/O has happened yet. */
export interface ScanPlan {
  snapshot: Snapshot;
  /** All schema columns (the relation exposes these; the projection picks `output`). */
  columns: ScanColumn[];
  /** The columns returned, in order. */
  output: ScanColumn[];
  files: PlannedFile[];
  predicate: BoundPredicate | undefined;
  limit: number | undefined;
  metrics: ScanMetrics;
}

export interface PlannedFile {
  file: LiveFile;
  /** Absolute file-system path of the Parquet file. */
  absolutePath: string;
  partitionValues: Map<string, Scalar | null>;
}

export interface ScanResult {
  version: number;
  columns: ScanColumn[];
  rows: CanonicalRow[];
  metrics: ScanMetrics;
}

/** Reserved name for read_parquet's source-file column. */
const SOURCE_FILE_COLUMN = '__delta_source_file';

/** Parses a partition value from the log into a typed scalar (null for null partitions). */
export function parsePartitionValue(
  raw: string | null | undefined,
  type: DeltaType,
  where: string,
): Scalar | null {
  if (raw === null || raw === undefined) return null;
  const kind = scalarTypeOf(type);
  if (raw === '' && kind !== 'string') return null;
  const scalar = parseScalarText(raw, type);
  if (!scalar) {
    throw new DeltaLogCorruptError(
      `Delta log is corrupt: partition value ${JSON.stringify(raw)} ${where} is not a valid ${typeof type === 'string' ? type : 'value'}.`,
      { hint: 'The add action carries a partition value that does not match the column type.' },
    );
  }
  return scalar;
}

function resolveColumns(all: ScanColumn[], requested: readonly string[] | undefined): ScanColumn[] {
  if (!requested || requested.length === 0) return all;
  const out: ScanColumn[] = [];
  for (const name of requested) {
    const column =
      all.find((c) => c.name === name) ?? all.find((c) => c.name.toLowerCase() === name.toLowerCase());
    if (!column) {
      throw new UsageError(`No column '${name}' in the table.`, {
        hint: `Columns: ${all.map((c) => c.name).join(', ')}.`,
      });
    }
    if (!out.includes(column)) out.push(column);
  }
  return out;
}

/** Decides the files to read (partition pruning and data skipping) and binds the predicate. No I/O. */
export function planScan(snapshot: Snapshot, options: Omit<ScanOptions, 'connection'> = {}): ScanPlan {
  const partitionSet = new Set(snapshot.partitionColumns);
  const columns: ScanColumn[] = snapshot.schema.fields.map((f) => ({
    name: f.name,
    type: f.type,
    duckDbType: deltaTypeToDuckDb(f.type),
    isPartition: partitionSet.has(f.name),
  }));
  const output = resolveColumns(columns, options.columns);
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 0)) {
    throw new UsageError(`Invalid limit ${options.limit}: give a whole number ≥ 0.`);
  }
  const where = typeof options.where === 'string' ? parsePredicate(options.where) : options.where;
  const predicate = where ? bindPredicate(where, snapshot.schema, snapshot.partitionColumns) : undefined;
  const partitionTypes = columns.filter((c) => c.isPartition);

  const metrics: ScanMetrics = {
    filesTotal: snapshot.files.size,
    filesPrunedByPartition: 0,
    filesPrunedByStats: 0,
    filesRead: 0,
    bytesRead: 0,
  };
  const files: PlannedFile[] = [];
  for (const file of snapshot.files.values()) {
    const partitionValues = new Map<string, Scalar | null>();
    for (const column of partitionTypes) {
      if (!(column.name in file.add.partitionValues)) {
        throw new DeltaLogCorruptError(
          `Delta log is corrupt: the add for ${file.add.path} has no value for partition column '${column.name}'.`,
          { hint: 'Every add must carry every partition column in partitionValues.' },
        );
      }
      partitionValues.set(
        column.name,
        parsePartitionValue(
          file.add.partitionValues[column.name],
          column.type,
          `for '${column.name}' of ${file.add.path}`,
        ),
      );
    }
    if (predicate) {
      const verdict = pruneFile(predicate, { partitionValues, stats: file.stats });
      if (verdict === 'partition') {
        metrics.filesPrunedByPartition++;
        continue;
      }
      if (verdict === 'stats') {
        metrics.filesPrunedByStats++;
        continue;
      }
    }
    files.push({
      file,
      absolutePath: resolveDataFile(snapshot.tablePath, file.relativePath),
      partitionValues,
    });
    metrics.filesRead++;
    metrics.bytesRead += file.add.size;
  }
  return { snapshot, columns, output, files, predicate, limit: options.limit, metrics };
}

function isTimestampPhysical(physical: string): boolean {
  return /^TIMESTAMP/i.test(physical);
}

/** How a data column is read from the files, given its physical type there (undefined = absent). */
function dataColumnExpr(column: ScanColumn, physical: { name: string; type: string } | undefined): string {
  if (!physical) return `CAST(NULL AS ${column.duckDbType})`;
  const ref = `d.${quoteIdentifier(physical.name)}`;
  if (column.type === 'timestamp') {
    if (physical.type === 'TIMESTAMP WITH TIME ZONE') return ref;
    if (isTimestampPhysical(physical.type)) return `make_timestamptz(epoch_us(${ref}))`;
  }
  if (column.type === 'timestamp_ntz') {
    if (physical.type === 'TIMESTAMP') return ref;
    if (isTimestampPhysical(physical.type)) return `make_timestamp(epoch_us(${ref}))`;
  }
  if (physical.type === column.duckDbType) return ref;
  return `CAST(${ref} AS ${column.duckDbType})`;
}

function emptyRelationSql(plan: ScanPlan): string {
  return `SELECT ${plan.columns.map((c) => `CAST(NULL AS ${c.duckDbType}) AS ${quoteIdentifier(c.name)}`).join(', ')} WHERE FALSE`;
}

/** The SQL of the relation of all columns of the planned files, before filter/projection/limit. */
async function relationSql(connection: DuckDBConnection, plan: ScanPlan): Promise<string> {
  if (plan.files.length === 0) return emptyRelationSql(plan);
  const source = `read_parquet(${sqlPathList(plan.files.map((f) => f.absolutePath))}, hive_partitioning=false, union_by_name=true, filename=${quoteLiteralName(SOURCE_FILE_COLUMN)})`;
  const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
  const physical = new Map<string, { name: string; type: string }>();
  for (const row of described.getRowObjectsJson()) {
    const name = String(row.column_name);
    if (name === SOURCE_FILE_COLUMN) continue;
    physical.set(name.toLowerCase(), { name, type: String(row.column_type) });
  }
  const partitionColumns = plan.columns.filter((c) => c.isPartition);
  const select = plan.columns.map((c) =>
    c.isPartition
      ? `p.${quoteIdentifier(c.name)} AS ${quoteIdentifier(c.name)}`
      : `${dataColumnExpr(c, physical.get(c.name.toLowerCase()))} AS ${quoteIdentifier(c.name)}`,
  );
  if (partitionColumns.length === 0) return `SELECT ${select.join(', ')} FROM ${source} AS d`;
  const valuesRows = plan.files.map((f) => {
    const cells = [quoteLiteralName(f.absolutePath)];
    for (const c of partitionColumns) {
      const value = f.partitionValues.get(c.name) ?? null;
      cells.push(
        value === null
          ? `CAST(NULL AS ${c.duckDbType})`
          : `CAST(${scalarToSql(value, c.duckDbType)} AS ${c.duckDbType})`,
      );
    }
    return `(${cells.join(', ')})`;
  });
  const valueNames = [SOURCE_FILE_COLUMN, ...partitionColumns.map((c) => c.name)]
    .map(quoteIdentifier)
    .join(', ');
  return `SELECT ${select.join(', ')} FROM ${source} AS d JOIN (VALUES ${valuesRows.join(', ')}) AS p(${valueNames}) ON d.${quoteIdentifier(SOURCE_FILE_COLUMN)} = p.${quoteIdentifier(SOURCE_FILE_COLUMN)}`;
}

function quoteLiteralName(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Turns a DuckDB failure to read the data files into a DataError naming the table. */
export function dataFileError(plan: ScanPlan, error: unknown): DeltaDataFileError {
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return new DeltaDataFileError(
    `Cannot read the data files of ${plan.snapshot.tablePath} (version ${plan.snapshot.version}): ${reason}`,
    {
      cause: error,
      hint: 'A file the log lists is missing or damaged; restore it, or check that nothing deletes files the table still uses.',
    },
  );
}

/** Full SQL for a plan: the relation, the predicate as a filter, the projection and the limit. */
export async function scanSql(connection: DuckDBConnection, plan: ScanPlan): Promise<string> {
  let relation: string;
  try {
    relation = await relationSql(connection, plan);
  } catch (error) {
    throw dataFileError(plan, error);
  }
  const projection = plan.output.map((c) => quoteIdentifier(c.name)).join(', ');
  const where = plan.predicate ? ` WHERE ${predicateToSql(plan.predicate)}` : '';
  const limit = plan.limit !== undefined ? ` LIMIT ${plan.limit}` : '';
  return `SELECT ${projection} FROM (${relation}) AS scan${where}${limit}`;
}

/**
 * Creates (or replaces) a temporary view `name` on the caller's connection, so other layers can
 * query the table with SQL: `SELECT … FROM name`. Returns the plan (with its metrics).
 */
export async function createScanView(
  connection: DuckDBConnection,
  snapshot: Snapshot,
  name: string,
  options: Omit<ScanOptions, 'connection'> = {},
): Promise<ScanPlan> {
  const plan = planScan(snapshot, options);
  const sql = await scanSql(connection, plan);
  await connection.run(`CREATE OR REPLACE TEMP VIEW ${quoteIdentifier(name)} AS ${sql}`);
  return plan;
}

/** Reads the rows of a snapshot (pruned, filtered, projected) in canonical form. */
export async function scanTable(snapshot: Snapshot, options: ScanOptions = {}): Promise<ScanResult> {
  const plan = planScan(snapshot, options);
  const { toCanonical } = await import('./canonical.js');
  const rows = await withConnection(options.connection, async (connection) => {
    const sql = await scanSql(connection, plan);
    let reader: Awaited<ReturnType<DuckDBConnection['runAndReadAll']>>;
    try {
      reader = await connection.runAndReadAll(sql);
    } catch (error) {
      throw dataFileError(plan, error);
    }
    const names = plan.output.map((c) => c.name);
    return reader.getRows().map((values) => {
      const row: CanonicalRow = {};
      names.forEach((name, i) => {
        row[name] = toCanonical(values[i] ?? null);
      });
      return row;
    });
  });
  return { version: snapshot.version, columns: plan.output, rows, metrics: plan.metrics };
}
