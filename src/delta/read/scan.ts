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

import { stat } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { UsageError, UserError } from '../../core/errors.js';
import { type ConnectionOption, sqlPathList, withConnection } from '../duckdb.js';
import { DeltaDataFileError, DeltaLogCorruptError } from '../errors.js';
import type { DeltaType, LiveFile, Snapshot } from '../log/types.js';
import { storageFor } from '../storage/index.js';
import { isRemoteLocation } from '../storage/location.js';
import { type CanonicalRow, toCanonical } from './canonical.js';
import {
  type BoundPredicate,
  bindPredicate,
  type Predicate,
  parsePredicate,
  predicateToSql,
} from './predicate.js';
import { pruneFile } from './prune.js';
import { type Scalar, scalarToSql } from './scalar.js';
import { candidateFiles, snapshotIndex } from './scan-index.js';
import { deltaTypeToDuckDb, quoteIdentifier } from './schema.js';
import { lyingStatsError, statsIntact } from './stats-integrity.js';

export interface ScanOptions extends ConnectionOption {
  /** Columns to return, in this order (default: all, in schema order). */
  columns?: readonly string[] | undefined;
  /** Row filter: a Predicate, or predicate text parsed with parsePredicate. */
  where?: Predicate | string | undefined;
  /** At most this many rows. */
  limit?: number | undefined;
  /** Row order (before the limit): a column, ascending unless `descending`; NULLs last. */
  order?: { column: string; descending?: boolean } | undefined;
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
  /** The files data skipping left out on their min/max stats alone (see filesWithLyingStats). */
  statsPruned: PlannedFile[];
  predicate: BoundPredicate | undefined;
  limit: number | undefined;
  order: { column: ScanColumn; descending: boolean } | undefined;
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

export { parsePartitionValue } from './scan-index.js';

/** Reserved name for read_parquet's source-file column. */
const SOURCE_FILE_COLUMN = '__delta_source_file';

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

/**
 * An add whose partition values do not name exactly the table's partition columns (the metadata's
 * partitionColumns changed under existing files) would read a partition column as NULL or as data.
 */
function assertPartitionKeys(snapshot: Snapshot, file: LiveFile): void {
  const keys = Object.keys(file.add.partitionValues ?? {});
  if (
    keys.length === snapshot.partitionColumns.length &&
    keys.every((k) => snapshot.partitionColumns.includes(k))
  ) {
    return;
  }
  throw new DeltaLogCorruptError(
    `Delta log is corrupt: ${file.relativePath} in ${snapshot.tablePath} (version ${snapshot.version}) has partition values for [${keys.join(', ')}] but the table is partitioned by [${snapshot.partitionColumns.join(', ')}].`,
    {
      hint: 'The table metadata was changed under existing files; restore the earlier metadata (a table repair can).',
    },
  );
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
  const order = options.order
    ? {
        column: resolveColumns(columns, [options.order.column])[0] as ScanColumn,
        descending: options.order.descending === true,
      }
    : undefined;
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 0)) {
    throw new UsageError(`Invalid limit ${options.limit}: give a whole number ≥ 0.`);
  }
  const where = typeof options.where === 'string' ? parsePredicate(options.where) : options.where;
  const predicate = where ? bindPredicate(where, snapshot.schema, snapshot.partitionColumns) : undefined;
  // Partition values are parsed once per snapshot, and a partition range is found by binary
  // search (scan-index.ts): planning does not walk every live file of a long history.
  const index = snapshotIndex(snapshot);
  const candidates = candidateFiles(index, predicate);
  const metrics: ScanMetrics = {
    filesTotal: snapshot.files.size,
    filesPrunedByPartition: index.files.length - candidates.length,
    filesPrunedByStats: 0,
    filesRead: 0,
    bytesRead: 0,
  };
  const files: PlannedFile[] = [];
  const statsPruned: PlannedFile[] = [];
  for (const { file, absolutePath, partitionValues } of candidates) {
    assertPartitionKeys(snapshot, file);
    if (predicate) {
      const verdict = pruneFile(predicate, { partitionValues, stats: file.stats });
      if (verdict === 'partition') {
        metrics.filesPrunedByPartition++;
        continue;
      }
      if (verdict === 'stats') {
        if (!statsIntact(file)) throw lyingStatsError(snapshot, file);
        metrics.filesPrunedByStats++;
        statsPruned.push({ file, absolutePath, partitionValues });
        continue;
      }
    }
    files.push({ file, absolutePath, partitionValues });
    metrics.filesRead++;
    metrics.bytesRead += file.add.size;
  }
  return { snapshot, columns, output, files, statsPruned, predicate, limit: options.limit, order, metrics };
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
  if (roundsSilently(physical.type, column.duckDbType)) {
    throw new DeltaDataFileError(
      `column '${column.name}' is stored as ${physical.type} but the table schema declares ${JSON.stringify(column.type)} (${column.duckDbType}): reading it would round every value`,
    );
  }
  return `CAST(${ref} AS ${column.duckDbType})`;
}

const INTEGER_TYPE = /^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT))$/;

/** A cast that loses the fraction or precision of stored numbers without failing (a tampered schema). */
function roundsSilently(physical: string, declared: string): boolean {
  const from = physical.toUpperCase();
  const to = declared.toUpperCase();
  const fractional = /^(DOUBLE|FLOAT|REAL|DECIMAL)/.test(from);
  if (fractional && INTEGER_TYPE.test(to)) return true;
  if (from === 'DOUBLE' && (to === 'FLOAT' || to === 'REAL' || to.startsWith('DECIMAL'))) return true;
  if ((from === 'FLOAT' || from === 'REAL') && to.startsWith('DECIMAL')) return true;
  const scale = (t: string) => Number(/^DECIMAL\(\d+,\s*(\d+)\)/.exec(t)?.[1] ?? Number.NaN);
  return from.startsWith('DECIMAL') && to.startsWith('DECIMAL') && scale(to) < scale(from);
}

function emptyRelationSql(plan: ScanPlan): string {
  return `SELECT ${plan.columns.map((c) => `CAST(NULL AS ${c.duckDbType}) AS ${quoteIdentifier(c.name)}`).join(', ')} WHERE FALSE`;
}

/** The SQL of the relation of all columns of the planned files, before filter/projection/limit. */
async function relationSql(
  connection: DuckDBConnection,
  plan: ScanPlan,
  localOf: (f: PlannedFile) => string,
): Promise<string> {
  if (plan.files.length === 0) return emptyRelationSql(plan);
  const source = `read_parquet(${sqlPathList(plan.files.map(localOf))}, hive_partitioning=false, union_by_name=true, filename=${quoteLiteralName(SOURCE_FILE_COLUMN)})`;
  const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
  const physical = new Map<string, { name: string; type: string }>();
  for (const row of described.getRowObjectsJson()) {
    const name = String(row.column_name);
    if (name === SOURCE_FILE_COLUMN) continue;
    physical.set(name.toLowerCase(), { name, type: String(row.column_type) });
  }
  // Only the columns the projection and the filter use: binding every column of a wide table for
  // each small read is most of DuckDB's planning time when a caller unions many narrow reads.
  const used = new Set([...plan.output.map((c) => c.name), ...predicateColumns(plan.predicate)]);
  const columns = plan.columns.filter((c) => used.has(c.name));
  const partitionColumns = columns.filter((c) => c.isPartition);
  const literal = (f: PlannedFile, c: ScanColumn): string => {
    const value = f.partitionValues.get(c.name) ?? null;
    return value === null
      ? `CAST(NULL AS ${c.duckDbType})`
      : `CAST(${scalarToSql(value, c.duckDbType)} AS ${c.duckDbType})`;
  };
  // Files of one partition (the usual read of one trade date) take their partition values as
  // constants: no join, so DuckDB plans it faster and can fold filters on the partition column.
  const first = plan.files[0] as PlannedFile;
  const constants = new Map(partitionColumns.map((c) => [c.name, literal(first, c)]));
  const onePartition = plan.files.every((f) =>
    partitionColumns.every((c) => literal(f, c) === constants.get(c.name)),
  );
  const select = columns.map((c) =>
    c.isPartition
      ? `${onePartition ? constants.get(c.name) : `p.${quoteIdentifier(c.name)}`} AS ${quoteIdentifier(c.name)}`
      : `${dataColumnExpr(c, physical.get(c.name.toLowerCase()))} AS ${quoteIdentifier(c.name)}`,
  );
  if (partitionColumns.length === 0 || onePartition) return `SELECT ${select.join(', ')} FROM ${source} AS d`;
  const valuesRows = plan.files.map(
    (f) => `(${[quoteLiteralName(localOf(f)), ...partitionColumns.map((c) => literal(f, c))].join(', ')})`,
  );
  const valueNames = [SOURCE_FILE_COLUMN, ...partitionColumns.map((c) => c.name)]
    .map(quoteIdentifier)
    .join(', ');
  return `SELECT ${select.join(', ')} FROM ${source} AS d JOIN (VALUES ${valuesRows.join(', ')}) AS p(${valueNames}) ON d.${quoteIdentifier(SOURCE_FILE_COLUMN)} = p.${quoteIdentifier(SOURCE_FILE_COLUMN)}`;
}

function predicateColumns(p: BoundPredicate | undefined): string[] {
  if (!p) return [];
  switch (p.kind) {
    case 'and':
    case 'or':
      return p.args.flatMap(predicateColumns);
    default:
      return [p.column.name];
  }
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
      hint: "A file the log lists is missing, damaged or stored with other types than the log's schema declares: `futures table verify <table>` names it and the problem. Restore a lost file from a backup (and check that nothing deletes files the table still uses); `futures table repair <table>` shows what the table directory can restore (an earlier schema, a copy).",
    },
  );
}

const DOWNLOADS_AT_ONCE = 8;
const STATS_AT_ONCE = 16;

/** Runs `fn` on every item, at most `limit` at a time. */
async function eachAtMost<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, worker));
}

/**
 * Local paths of the planned files, each checked to have the size its add logged: a file replaced by
 * another Parquet file (another table's, an older copy) reads without an error and answers with its
 * rows. On a local disk the files themselves (a stat each; a missing file is named, an unreadable one
 * is the OS's error, a permission problem rather than a data one); on an object store, copies in the
 * bounded file cache, which checks the size as it copies (DuckDB reads local files, no httpfs).
 */
async function localCopies(plan: ScanPlan): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!isRemoteLocation(plan.snapshot.tablePath)) {
    await eachAtMost(plan.files, STATS_AT_ONCE, async (f) => {
      const size = await stat(f.absolutePath).then(
        (info) => info.size,
        (error: unknown) => {
          if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
          throw dataFileError(plan, new Error(`${f.absolutePath} is missing`));
        },
      );
      if (size !== f.file.add.size) {
        throw dataFileError(
          plan,
          new Error(
            `${f.absolutePath} is ${size} bytes where the log says ${f.file.add.size}: replaced or damaged`,
          ),
        );
      }
    });
    return out;
  }
  const storage = storageFor(plan.snapshot.tablePath);
  await eachAtMost(plan.files, DOWNLOADS_AT_ONCE, async (f) => {
    const copy = await storage.localCopy(f.absolutePath, f.file.add.size).catch((error: unknown) => {
      throw error instanceof UserError ? error : dataFileError(plan, error);
    });
    out.set(f.absolutePath, copy);
  });
  return out;
}

/** Full SQL for a plan: the relation, the predicate as a filter, the projection and the limit. */
export async function scanSql(connection: DuckDBConnection, plan: ScanPlan): Promise<string> {
  const local = await localCopies(plan);
  let relation: string;
  try {
    relation = await relationSql(connection, plan, (f) => local.get(f.absolutePath) ?? f.absolutePath);
  } catch (error) {
    throw dataFileError(plan, error);
  }
  const projection = plan.output.map((c) => quoteIdentifier(c.name)).join(', ');
  const where = plan.predicate ? ` WHERE ${predicateToSql(plan.predicate)}` : '';
  const order = plan.order
    ? ` ORDER BY ${quoteIdentifier(plan.order.column.name)}${plan.order.descending ? ' DESC' : ''} NULLS LAST`
    : '';
  const limit = plan.limit !== undefined ? ` LIMIT ${plan.limit}` : '';
  return `SELECT ${projection} FROM (${relation}) AS scan${where}${order}${limit}`;
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

/** At most this many lying files are named (finding them reads each suspect file on its own). */
const LYING_FILES_NAMED = 3;

/**
 * The files a plan skipped on their stats that do hold rows matching its predicate: their min/max
 * stats disagree with their content (a damaged log), so every read that skips by stats misses rows.
 * Reads the skipped files, so it is for a read that came back short, not for every read.
 */
export async function filesWithLyingStats(
  connection: DuckDBConnection,
  plan: ScanPlan,
): Promise<PlannedFile[]> {
  if (plan.statsPruned.length === 0 || !plan.predicate) return [];
  const matching = async (files: PlannedFile[]): Promise<number> => {
    const sub: ScanPlan = {
      ...plan,
      files,
      statsPruned: [],
      output: plan.columns.slice(0, 1),
      order: undefined,
      limit: 1,
    };
    const sql = await scanSql(connection, sub);
    try {
      const reader = await connection.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM (${sql})`);
      return Number(reader.getRowObjectsJS()[0]?.n ?? 0);
    } catch (error) {
      throw dataFileError(sub, error);
    }
  };
  if ((await matching(plan.statsPruned)) === 0) return [];
  const lying: PlannedFile[] = [];
  for (const file of plan.statsPruned) {
    if ((await matching([file])) > 0) lying.push(file);
    if (lying.length >= LYING_FILES_NAMED) break;
  }
  return lying;
}
