/**
 * Verify: a read-only integrity check of a Delta table against its log. Nothing is written.
 *
 * Checks, each problem reported with the version or file it concerns:
 * - versions: the JSON commits present form a contiguous run up to the latest version;
 * - the latest snapshot can be rebuilt from the log;
 * - every live file exists with the size the log gives, opens as Parquet, and its columns have the
 *   table schema's types (timestamps stored with isAdjustedToUTC, or as legacy INT96);
 * - numRecords equals the file's row count, and min/max/nullCount stats hold for the actual values
 *   (by the same rules the scan's data skipping relies on: a wrong bound would silently skip rows);
 * - each checked checkpoint opens and holds the state that replaying the JSON commits it summarises
 *   gives (when those commits still exist): protocol, metadata, live files, txns.
 */
import { stat } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlPath, sqlPathList, withConnection } from '../duckdb.js';
import { DeltaLogCorruptError } from '../errors.js';
import { type LogListing, listLog } from '../log/log.js';
import { resolveDataFile } from '../log/paths.js';
import { loadSnapshotFromListing } from '../log/snapshot.js';
import {
  commitFileName,
  type DeltaStructField,
  type LiveFile,
  LOG_DIR,
  type Snapshot,
} from '../log/types.js';
import {
  compareScalars,
  parseDate,
  parseScalarText,
  parseTimestamp,
  type Scalar,
  scalarTypeOf,
} from '../read/scalar.js';
import { deltaTypeToDuckDb, quoteIdentifier, quoteLiteral } from '../read/schema.js';
import { storageFor } from '../storage/index.js';
import { joinLocation, resolveLocation } from '../storage/location.js';
import { CONTENT_HASH_TAG, sha256File } from '../write/content-hash.js';
import { checkPageCrcs } from './page-crc.js';
import { checkCheckpoints } from './verify-checkpoints.js';
import { firstLine, type VerifyProblem } from './verify-problems.js';

export interface VerifyOptions {
  connection?: DuckDBConnection | undefined;
  /** 'latest' (default): the newest checkpoint against the longest JSON replay still possible; 'all': every checkpoint. */
  checkpoints?: 'latest' | 'all' | undefined;
  /** Also read every live file whole: its content hash (add tag) and page CRCs, where the writer recorded them. */
  deep?: boolean | undefined;
}

export interface VerifyReport {
  tablePath: string;
  /** The latest version; undefined when the log could not be replayed. */
  version: number | undefined;
  sound: boolean;
  problems: VerifyProblem[];
  checked: {
    versions: number;
    files: number;
    bytes: number;
    rows: number;
    checkpoints: number;
    /** Checkpoints whose JSON commits are gone (log cleanup): opened but not compared. */
    checkpointsNotComparable: number;
    /** Deep only: files whose content hash was compared, and pages whose CRC was. */
    contentHashes: number;
    pageCrcs: number;
  };
  durationMs: number;
}

const FILE_COLUMN = '__verify_file';
const CHUNK_FILES = 400;

function normalizeType(type: string): string {
  return type
    .replaceAll('"', '')
    .replace(/\s+/g, ' ')
    .replace(/\s*([(),])\s*/g, '$1')
    .toUpperCase()
    .trim();
}

// ---------------------------------------------------------------------------------------------
// Versions

export function checkVersions(listing: LogListing, problems: VerifyProblem[]): number {
  const commits = listing.commitVersions;
  const first = commits[0];
  if (first === undefined) return 0;
  // One problem per missing version, but walked by the gaps between present ones: a gap can be vast.
  const missing = (v: number) =>
    problems.push({
      kind: 'missing-version',
      version: v,
      message: `commit ${v} is missing: versions ${first}..${listing.latestVersion} are not contiguous.`,
    });
  const shown = 20;
  for (const [i, v] of commits.entries()) {
    const next = commits[i + 1] ?? listing.latestVersion + 1;
    if (next - v <= 1) continue;
    const gap = next - v - 1;
    for (let m = v + 1; m < next && m <= v + shown; m++) missing(m);
    if (gap > shown) {
      problems.push({
        kind: 'missing-version',
        version: v + shown + 1,
        message: `commits ${v + shown + 1}..${next - 1} are missing too (${gap - shown} more): versions ${first}..${listing.latestVersion} are not contiguous.`,
      });
    }
  }
  return listing.latestVersion - first + 1;
}

/**
 * A 0-byte commit file (a full disk, or a writer that does not write atomically) is a lost commit,
 * even below a checkpoint where no reader replays it; readers refuse it when they do.
 */
export async function checkEmptyCommits(listing: LogListing, problems: VerifyProblem[]): Promise<void> {
  for (const version of listing.commitVersions) {
    const file = joinLocation(listing.logDir, commitFileName(version));
    const size =
      listing.commitSizes?.get(version) ??
      (
        await storageFor(file)
          .head(file)
          .catch(() => undefined)
      )?.size;
    if (size !== 0) continue;
    problems.push({
      kind: 'empty-commit',
      version,
      file: `${LOG_DIR}/${commitFileName(version)}`,
      message: `commit ${version} (${LOG_DIR}/${commitFileName(version)}) is empty (0 bytes): it was never written whole; restore it from a backup of the table.`,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Data files

interface PhysicalColumn {
  name: string;
  type: string;
}

async function describeFile(connection: DuckDBConnection, file: string): Promise<PhysicalColumn[]> {
  const reader = await connection.runAndReadAll(
    `DESCRIBE SELECT * FROM read_parquet(${sqlPath(file)}, hive_partitioning=false)`,
  );
  return reader
    .getRowObjectsJson()
    .map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}

/** How the column is physically stored when DuckDB shows a naive TIMESTAMP: INT96 is Delta-legal for timestamp. */
async function isInt96(connection: DuckDBConnection, file: string, column: string): Promise<boolean> {
  const reader = await connection.runAndReadAll(
    `SELECT type FROM parquet_schema(${sqlPath(file)}) WHERE name = ${quoteLiteral(column)}`,
  );
  return reader.getRowObjectsJson().some((r) => r.type === 'INT96');
}

async function checkFileSchema(
  connection: DuckDBConnection,
  snapshot: Snapshot,
  file: string,
  relative: string,
  physical: readonly PhysicalColumn[],
  problems: VerifyProblem[],
): Promise<boolean> {
  const partitions = new Set(snapshot.partitionColumns);
  const byName = new Map(physical.map((c) => [c.name.toLowerCase(), c]));
  let ok = true;
  const mismatch = (field: DeltaStructField, why: string) => {
    ok = false;
    problems.push({
      kind: 'schema-mismatch',
      file: relative,
      column: field.name,
      message: `${relative}: column '${field.name}' ${why}.`,
    });
  };
  for (const field of snapshot.schema.fields) {
    if (partitions.has(field.name)) continue;
    const column = byName.get(field.name.toLowerCase());
    if (!column) {
      if (!field.nullable) mismatch(field, 'is missing but not nullable');
      continue;
    }
    const actual = normalizeType(column.type);
    if (field.type === 'timestamp') {
      if (actual === 'TIMESTAMP WITH TIME ZONE') continue;
      if (actual.startsWith('TIMESTAMP') && (await isInt96(connection, file, column.name))) continue;
      mismatch(
        field,
        actual.startsWith('TIMESTAMP')
          ? `is stored as ${column.type} without isAdjustedToUTC (the timestamp_ntz encoding), but the table type is timestamp`
          : `is stored as ${column.type}, but the table type is timestamp (TIMESTAMP WITH TIME ZONE)`,
      );
      continue;
    }
    const expected = normalizeType(deltaTypeToDuckDb(field.type));
    if (actual !== expected) {
      mismatch(
        field,
        `is stored as ${column.type}, but the table schema says ${JSON.stringify(field.type)} (${expected})`,
      );
    }
  }
  return ok;
}

interface CheckedColumn {
  field: DeltaStructField;
  kind: 'integer' | 'float' | 'string' | 'date' | 'timestamp';
}

function checkedColumns(snapshot: Snapshot): CheckedColumn[] {
  const partitions = new Set(snapshot.partitionColumns);
  const out: CheckedColumn[] = [];
  for (const field of snapshot.schema.fields) {
    if (partitions.has(field.name)) continue;
    const kind = scalarTypeOf(field.type);
    if (
      kind === 'integer' ||
      kind === 'float' ||
      kind === 'string' ||
      kind === 'date' ||
      kind === 'timestamp'
    ) {
      out.push({ field, kind });
    }
  }
  return out;
}

function aggregateExpr(column: CheckedColumn, fn: 'min' | 'max'): string {
  const ref = quoteIdentifier(column.field.name);
  if (column.kind === 'timestamp') return `epoch_us(${fn}(${ref}))::VARCHAR`;
  if (column.kind === 'float') return `${fn}(${ref})::DOUBLE::VARCHAR`;
  return `${fn}(${ref})::VARCHAR`;
}

function actualScalar(column: CheckedColumn, text: unknown): Scalar | undefined {
  if (typeof text !== 'string') return undefined;
  if (column.kind === 'timestamp')
    return /^-?\d+$/.test(text) ? { type: 'timestamp', value: BigInt(text) } : undefined;
  return parseScalarText(text, column.field.type);
}

/** A stats bound as the scan's data skipping reads it; undefined when it would not be used. */
function statScalar(column: CheckedColumn, raw: unknown, isMax: boolean): Scalar | undefined {
  switch (column.kind) {
    case 'integer':
      if (typeof raw === 'number' && Number.isSafeInteger(raw))
        return { type: 'integer', value: BigInt(raw) };
      if (typeof raw === 'string' && /^[+-]?\d+$/.test(raw)) return { type: 'integer', value: BigInt(raw) };
      return undefined;
    case 'float':
      return typeof raw === 'number' ? { type: 'float', value: raw } : undefined;
    case 'string':
      if (typeof raw !== 'string' || (isMax && [...raw].length >= 32)) return undefined;
      return { type: 'string', value: raw };
    case 'date': {
      const days = typeof raw === 'string' ? parseDate(raw.slice(0, 10)) : undefined;
      return days === undefined ? undefined : { type: 'date', value: days };
    }
    case 'timestamp': {
      const parsed = typeof raw === 'string' ? parseTimestamp(raw) : undefined;
      if (!parsed) return undefined;
      return { type: 'timestamp', value: isMax ? parsed.micros + 999n : parsed.micros };
    }
  }
}

interface GoodFile {
  file: LiveFile;
  absolute: string;
  relative: string;
}

async function checkStatsChunk(
  connection: DuckDBConnection,
  snapshot: Snapshot,
  files: readonly GoodFile[],
  problems: VerifyProblem[],
): Promise<number> {
  const source = `read_parquet(${sqlPathList(files.map((f) => f.absolute))}, hive_partitioning=false, union_by_name=true, filename=${quoteLiteral(FILE_COLUMN)})`;
  const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
  const present = new Set(described.getRowObjectsJson().map((r) => String(r.column_name).toLowerCase()));
  const columns = checkedColumns(snapshot).filter((c) => present.has(c.field.name.toLowerCase()));
  const selects = [`${quoteIdentifier(FILE_COLUMN)} AS f`, 'count(*)::VARCHAR AS n'];
  columns.forEach((c, i) => {
    selects.push(`${aggregateExpr(c, 'min')} AS mn${i}`, `${aggregateExpr(c, 'max')} AS mx${i}`);
    selects.push(`(count(*) - count(${quoteIdentifier(c.field.name)}))::VARCHAR AS nl${i}`);
  });
  const reader = await connection.runAndReadAll(
    `SELECT ${selects.join(', ')} FROM ${source} GROUP BY ${quoteIdentifier(FILE_COLUMN)}`,
  );
  const byPath = new Map(files.map((f) => [f.absolute, f]));
  let rows = 0;
  const seen = new Set<string>();
  for (const row of reader.getRowObjectsJson()) {
    const good = byPath.get(String(row.f));
    if (!good) continue;
    seen.add(good.absolute);
    const count = Number(row.n);
    rows += count;
    const stats = good.file.stats;
    if (stats?.numRecords !== undefined && stats.numRecords !== count) {
      problems.push({
        kind: 'row-count-mismatch',
        file: good.relative,
        message: `${good.relative}: stats say numRecords=${stats.numRecords} but the file holds ${count} rows.`,
      });
    }
    if (!stats) continue;
    columns.forEach((column, i) => {
      const name = column.field.name;
      const bad = (what: string) =>
        problems.push({
          kind: 'stats-mismatch',
          file: good.relative,
          column: name,
          message: `${good.relative}: ${what}.`,
        });
      const statMin = statScalar(column, stats.minValues?.[name], false);
      const actualMin = actualScalar(column, row[`mn${i}`]);
      if (statMin && actualMin && (compareScalars(statMin, actualMin) ?? 0) > 0) {
        bad(
          `stats minValues.${name}=${JSON.stringify(stats.minValues?.[name])} is above the actual minimum ${String(row[`mn${i}`])}`,
        );
      }
      const statMax = statScalar(column, stats.maxValues?.[name], true);
      const actualMax = actualScalar(column, row[`mx${i}`]);
      if (statMax && actualMax && (compareScalars(statMax, actualMax) ?? 0) < 0) {
        bad(
          `stats maxValues.${name}=${JSON.stringify(stats.maxValues?.[name])} is below the actual maximum ${String(row[`mx${i}`])}`,
        );
      }
      const nulls = stats.nullCount?.[name];
      if (typeof nulls === 'number' && nulls !== Number(row[`nl${i}`])) {
        bad(`stats nullCount.${name}=${nulls} but the file holds ${String(row[`nl${i}`])} nulls`);
      }
    });
  }
  for (const good of files) {
    // A file with no rows yields no group.
    if (
      !seen.has(good.absolute) &&
      good.file.stats?.numRecords !== undefined &&
      good.file.stats.numRecords !== 0
    ) {
      problems.push({
        kind: 'row-count-mismatch',
        file: good.relative,
        message: `${good.relative}: stats say numRecords=${good.file.stats.numRecords} but the file holds no rows.`,
      });
    }
  }
  return rows;
}

/** The partition values of an add name exactly the table's partition columns. */
function checkPartitionValues(snapshot: Snapshot, file: LiveFile, problems: VerifyProblem[]): void {
  const logged = Object.keys(file.add.partitionValues ?? {}).sort();
  const expected = [...snapshot.partitionColumns].sort();
  if (logged.join('\u0000') === expected.join('\u0000')) return;
  problems.push({
    kind: 'partition-mismatch',
    file: file.relativePath,
    message: `${file.relativePath}: its partition values name [${logged.join(', ')}] but the table is partitioned by [${expected.join(', ')}].`,
  });
}

/** Every live file: present with the logged size, readable, of the table schema, stats holding. */
/**
 * The size of a data file, or undefined when it is missing: a stat on a local disk; on an object store
 * one listing of the table answers for every file (a HEAD per file would cost a request each).
 */
async function dataFileSizes(
  tablePath: string,
): Promise<(location: string) => Promise<{ size: number } | undefined>> {
  const storage = storageFor(tablePath);
  if (storage.kind === 'local') {
    return (location) =>
      stat(location).then(
        (s) => ({ size: s.size }),
        () => undefined,
      );
  }
  const listed = new Map((await storage.listFiles(tablePath)).map((f) => [f.location, f.size]));
  return async (location) => {
    const size = listed.get(location);
    return size === undefined ? undefined : { size };
  };
}

/** The whole-file hash and page CRCs of a file that opened (deep verify). */
async function checkContent(
  connection: DuckDBConnection,
  good: GoodFile,
  problems: VerifyProblem[],
  counts: DataFileCounts,
): Promise<boolean> {
  const expected = good.file.add.tags?.[CONTENT_HASH_TAG];
  if (expected !== undefined) {
    counts.contentHashes++;
    const actual = await sha256File(good.absolute);
    if (actual !== expected) {
      problems.push({
        kind: 'hash-mismatch',
        file: good.relative,
        message: `${good.relative}: its content changed since it was written (SHA-256 ${actual.slice(0, 12)}…, the log recorded ${expected.slice(0, 12)}…).`,
      });
      return false;
    }
  }
  try {
    const crcs = await checkPageCrcs(connection, good.absolute);
    counts.pageCrcs += crcs.checked;
    if (crcs.mismatch) {
      problems.push({
        kind: 'page-crc-mismatch',
        file: good.relative,
        column: crcs.mismatch.column,
        message: `${good.relative}: the page of column ${crcs.mismatch.column} at byte ${crcs.mismatch.offset} fails its CRC (the bytes changed after writing).`,
      });
      return false;
    }
  } catch (error) {
    problems.push({
      kind: 'unreadable-file',
      file: good.relative,
      message: `${good.relative}: its pages cannot be walked: ${firstLine(error)}`,
    });
    return false;
  }
  return true;
}

export interface DataFileCounts {
  files: number;
  bytes: number;
  rows: number;
  contentHashes: number;
  pageCrcs: number;
}

export async function checkDataFiles(
  connection: DuckDBConnection,
  snapshot: Snapshot,
  problems: VerifyProblem[],
  deep = false,
): Promise<DataFileCounts> {
  const good: GoodFile[] = [];
  const counts: DataFileCounts = {
    files: snapshot.files.size,
    bytes: 0,
    rows: 0,
    contentHashes: 0,
    pageCrcs: 0,
  };
  let bytes = 0;
  const sizeOf = await dataFileSizes(snapshot.tablePath);
  for (const file of snapshot.files.values()) {
    const relative = file.relativePath;
    const location = resolveDataFile(snapshot.tablePath, relative);
    bytes += file.add.size;
    checkPartitionValues(snapshot, file, problems);
    const info = await sizeOf(location);
    if (!info) {
      problems.push({
        kind: 'missing-file',
        file: relative,
        message: `${relative} is listed in the log but does not exist.`,
      });
      continue;
    }
    if (info.size !== file.add.size) {
      problems.push({
        kind: 'size-mismatch',
        file: relative,
        message: `${relative} has ${info.size} bytes but the log says ${file.add.size}.`,
      });
    }
    const absolute = await storageFor(location).localCopy(location, info.size);
    let physical: PhysicalColumn[];
    try {
      physical = await describeFile(connection, absolute);
    } catch (error) {
      problems.push({
        kind: 'unreadable-file',
        file: relative,
        message: `${relative} cannot be read as Parquet: ${firstLine(error)}`,
      });
      continue;
    }
    if (!(await checkFileSchema(connection, snapshot, absolute, relative, physical, problems))) continue;
    if (deep && !(await checkContent(connection, { file, absolute, relative }, problems, counts))) continue;
    good.push({ file, absolute, relative });
  }
  let rows = 0;
  for (let i = 0; i < good.length; i += CHUNK_FILES) {
    const chunk = good.slice(i, i + CHUNK_FILES);
    try {
      rows += await checkStatsChunk(connection, snapshot, chunk, problems);
    } catch {
      // Some file's data pages are damaged although its footer opened: find which, one at a time.
      for (const one of chunk) {
        try {
          rows += await checkStatsChunk(connection, snapshot, [one], problems);
        } catch (error) {
          problems.push({
            kind: 'unreadable-file',
            file: one.relative,
            message: `${one.relative} cannot be read: ${firstLine(error)}`,
          });
        }
      }
    }
  }
  return { ...counts, bytes, rows };
}

// ---------------------------------------------------------------------------------------------

/** Checks a table against its log; read-only. Throws only when the path is not a Delta table. */
export async function verifyTable(tablePath: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now();
  const listing = await listLog(resolveLocation(tablePath));
  const problems: VerifyProblem[] = [];
  return withConnection(options.connection, async (connection) => {
    const versions = checkVersions(listing, problems);
    await checkEmptyCommits(listing, problems);
    let snapshot: Snapshot | undefined;
    try {
      snapshot = await loadSnapshotFromListing(listing, { connection });
    } catch (error) {
      if (!(error instanceof DeltaLogCorruptError)) throw error;
      problems.push({
        kind: 'log-unreadable',
        version: listing.latestVersion,
        message: `the latest version ${listing.latestVersion} cannot be rebuilt from the log: ${firstLine(error)}`,
      });
    }
    const data = snapshot
      ? await checkDataFiles(connection, snapshot, problems, options.deep === true)
      : { files: 0, bytes: 0, rows: 0, contentHashes: 0, pageCrcs: 0 };
    const checkpoints = await checkCheckpoints(
      connection,
      listing,
      options.checkpoints ?? 'latest',
      problems,
    );
    return {
      tablePath: listing.tablePath,
      version: snapshot?.version,
      sound: problems.length === 0,
      problems,
      checked: {
        versions,
        files: data.files,
        bytes: data.bytes,
        rows: data.rows,
        checkpoints: checkpoints.checked,
        checkpointsNotComparable: checkpoints.notComparable,
        contentHashes: data.contentHashes,
        pageCrcs: data.pageCrcs,
      },
      durationMs: performance.now() - started,
    };
  });
}
