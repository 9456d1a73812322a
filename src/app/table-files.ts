/**
 * The live data files of a Delta table version, and statements for engines without a Delta reader that
 * read exactly those files. Globbing a table directory is wrong: it also reads files a compaction
 * replaced (until VACUUM), checkpoint files and half-written staging files, and it loses the partition
 * columns, which live in the log and directory names, not in the files.
 */
import { DataError } from '../core/errors.js';
import {
  type DeltaType,
  loadSnapshot,
  openMemoryConnection,
  planScan,
  type Snapshot,
  scanSql,
} from '../delta/index.js';

export const TABLE_FILE_FORMATS = ['list', 'json', 'duckdb', 'polars', 'pyarrow'] as const;
export type TableFileFormat = (typeof TABLE_FILE_FORMATS)[number];

export interface TableFile {
  /** Absolute path on this machine. */
  path: string;
  size: number;
  /** From the add's statistics; null when the writer recorded none. */
  rows: number | null;
  /** Partition values as logged (text; null for a null partition value). */
  partitionValues: Record<string, string | null>;
}

export interface TableFilesResult {
  table: string;
  version: number;
  partitionColumns: string[];
  columns: Array<{ name: string; type: string }>;
  files: TableFile[];
  /** A ready-to-run statement for --format duckdb|polars|pyarrow. */
  statement: { engine: 'duckdb' | 'polars' | 'pyarrow'; text: string } | null;
}

export interface TableFilesOptions {
  tablePath: string;
  version?: number | undefined;
  timestamp?: Date | undefined;
  format: TableFileFormat;
}

/** Reader features under which the files alone do not hold the table's rows as its schema names them. */
function refuseFilesOnly(snapshot: Snapshot): void {
  const features = snapshot.protocol.readerFeatures ?? [];
  const mapping = snapshot.metadata.configuration['delta.columnMapping.mode'];
  const reasons = [
    ...(features.includes('deletionVectors') ? ['deletion vectors (rows deleted inside a file)'] : []),
    ...(mapping && mapping !== 'none' ? [`column mapping (${mapping}: physical names differ)`] : []),
  ];
  if (reasons.length > 0) {
    throw new DataError(
      `${snapshot.tablePath} uses ${reasons.join(' and ')}: its data files alone do not give its rows.`,
      { hint: 'Read it with a Delta reader (deltalake, Spark, DuckDB delta_scan) instead of a file list.' },
    );
  }
}

function typeName(type: DeltaType): string {
  return typeof type === 'string' ? type : JSON.stringify(type);
}

const PYARROW_TYPES: Record<string, string> = {
  string: 'pa.string()',
  long: 'pa.int64()',
  integer: 'pa.int32()',
  short: 'pa.int16()',
  byte: 'pa.int8()',
  double: 'pa.float64()',
  float: 'pa.float32()',
  boolean: 'pa.bool_()',
  date: 'pa.date32()',
  timestamp: 'pa.timestamp("us", tz="UTC")',
  timestamp_ntz: 'pa.timestamp("us")',
};

const POLARS_TYPES: Record<string, string> = {
  string: 'pl.Utf8',
  long: 'pl.Int64',
  integer: 'pl.Int32',
  short: 'pl.Int16',
  byte: 'pl.Int8',
  double: 'pl.Float64',
  float: 'pl.Float32',
  boolean: 'pl.Boolean',
  date: 'pl.Date',
  timestamp: 'pl.Datetime("us", "UTC")',
  timestamp_ntz: 'pl.Datetime("us")',
};

/** A Python literal of a text (JSON's string syntax is a valid Python string literal). */
const py = (text: string | null): string => (text === null ? 'None' : JSON.stringify(text));

function partitionTypes(snapshot: Snapshot): Map<string, string> {
  const types = new Map<string, string>();
  for (const name of snapshot.partitionColumns) {
    const field = snapshot.schema.fields.find((f) => f.name === name);
    types.set(name, field && typeof field.type === 'string' ? field.type : 'string');
  }
  return types;
}

function filesLiteral(files: readonly TableFile[]): string {
  const rows = files.map(
    (f) =>
      `    (${py(f.path)}, {${Object.entries(f.partitionValues)
        .map(([k, v]) => `${py(k)}: ${py(v)}`)
        .join(', ')}}),`,
  );
  return `files = [\n${rows.join('\n')}\n]`;
}

/** The part both Python programs share: the files with their partition values, and the engine's types. */
function pythonData(
  snapshot: Snapshot,
  files: readonly TableFile[],
  engineTypes: Readonly<Record<string, string>>,
  fallback: string,
): string[] {
  const types = [...partitionTypes(snapshot)]
    .map(([name, type]) => `${py(name)}: ${engineTypes[type] ?? fallback}`)
    .join(', ');
  return [
    `# The live files of ${snapshot.tablePath} at version ${snapshot.version}, with their partition values.`,
    filesLiteral(files),
    `partition_types = {${types}}`,
  ];
}

function pyarrowStatement(snapshot: Snapshot, files: readonly TableFile[]): string {
  return [
    '# pip install pyarrow',
    'import pyarrow as pa',
    'import pyarrow.parquet as pq',
    '',
    ...pythonData(snapshot, files, PYARROW_TYPES, 'pa.string()'),
    'tables = []',
    'for path, partition in files:',
    '    t = pq.read_table(path)',
    '    for name, value in partition.items():',
    '        t = t.append_column(name, pa.array([value] * t.num_rows, type=pa.string()).cast(partition_types[name]))',
    '    tables.append(t)',
    'table = pa.concat_tables(tables, promote_options="default")',
    '',
  ].join('\n');
}

function polarsStatement(snapshot: Snapshot, files: readonly TableFile[]): string {
  return [
    '# pip install polars',
    'import polars as pl',
    '',
    ...pythonData(snapshot, files, POLARS_TYPES, 'pl.Utf8'),
    'frames = [',
    '    pl.read_parquet(path).with_columns(',
    '        [pl.lit(value, dtype=pl.Utf8).cast(partition_types[name]).alias(name) for name, value in partition.items()]',
    '    )',
    '    for path, partition in files',
    ']',
    'df = pl.concat(frames, how="diagonal_relaxed")',
    '',
  ].join('\n');
}

export async function tableFiles(options: TableFilesOptions): Promise<TableFilesResult> {
  const owned = await openMemoryConnection();
  try {
    const snapshot = await loadSnapshot(options.tablePath, {
      version: options.version,
      timestamp: options.timestamp,
      connection: owned.connection,
    });
    const plan = planScan(snapshot);
    const files: TableFile[] = plan.files
      .map((f) => ({
        path: f.absolutePath,
        size: f.file.add.size,
        rows: f.file.stats?.numRecords ?? null,
        partitionValues: Object.fromEntries(
          snapshot.partitionColumns.map((name) => [name, f.file.add.partitionValues[name] ?? null]),
        ),
      }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    let statement: TableFilesResult['statement'] = null;
    if (options.format === 'duckdb' || options.format === 'polars' || options.format === 'pyarrow') {
      refuseFilesOnly(snapshot);
      const text =
        options.format === 'duckdb'
          ? `${await scanSql(owned.connection, plan)};\n`
          : options.format === 'polars'
            ? polarsStatement(snapshot, files)
            : pyarrowStatement(snapshot, files);
      statement = { engine: options.format, text };
    }
    return {
      table: snapshot.tablePath,
      version: snapshot.version,
      partitionColumns: snapshot.partitionColumns,
      columns: snapshot.schema.fields.map((f) => ({ name: f.name, type: typeName(f.type) })),
      files,
      statement,
    };
  } finally {
    owned.close();
  }
}
