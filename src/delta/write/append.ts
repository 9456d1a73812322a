/**
 * Appending data in one commit: plan (validate the source against the snapshot) → write the data
 * files → commit → checkpoint when due.
 *
 * Data files are written (files-duckdb.ts, or files-small.ts for a few plain JS rows) under unique
 * names and made durable before the commit is linked, so a crash leaves at most unreferenced files,
 * which readers ignore and VACUUM removes. Files are deleted again only when the commit provably did
 * not happen (a conflict, our txn already committed, or data that never became durable); after any
 * other failure they stay, because the commit may have landed.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { withWriteConnection } from '../duckdb.js';
import { DeltaConflictError, DeltaSchemaViolationError } from '../errors.js';
import { loadSnapshot } from '../log/open.js';
import type { Action, AddAction, CommitInfo, Snapshot } from '../log/types.js';
import { storageFor } from '../storage/index.js';
import { resolveLocation } from '../storage/location.js';
import { checkpointIfDue } from './checkpoint-write.js';
import { type CommitOptions, type CommitOutcome, commitTransaction } from './commit.js';
import { type SinglePartition, singlePartitionOf, type WrittenFile } from './data-file.js';
import { engineInfo } from './engine.js';
import { writeDataFiles } from './files-duckdb.js';
import { smallAppendColumns, writeSmallFile } from './files-small.js';
import type { ParquetColumn } from './parquet-writer.js';
import { assertWritable } from './write-protocol.js';
import {
  castSelectSql,
  checkSourceColumns,
  type DeltaRow,
  type DeltaRowValue,
  rowsToValuesSql,
} from './write-sql.js';

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

/** What a source turned into, before anything is written. */
interface AppendPlan {
  /** A SELECT of the rows, cast to the table's column types; undefined when there are no rows. */
  selectSql: string | undefined;
  /** The one partition every row falls into, when known up front (JS rows only). */
  partition: SinglePartition | undefined;
  /** Rows the small-append writer encodes without DuckDB. */
  small: { rows: readonly DeltaRow[]; columns: ParquetColumn[] } | undefined;
}

/** Data files written for one append, with their durability. */
interface AppendFiles {
  written: WrittenFile[];
  /** Settles once a small file and its directory entries are fsynced; absent when durable already. */
  durable: Promise<void> | undefined;
  isDurable(): boolean;
}

type ViaDuckDb = <T>(fn: (connection: DuckDBConnection) => Promise<T>) => Promise<T>;

async function removeFiles(files: readonly WrittenFile[]): Promise<void> {
  const first = files[0];
  if (first) await storageFor(first.absolute).deleteMany(files.map((f) => f.absolute));
}

/** The skip result when the table already holds this txn (or a later one of its appId). */
function committedTxn(snapshot: Snapshot, txn: AppendOptions['txn']): AppendSkipped | undefined {
  if (!txn) return undefined;
  if (txn.appId === '' || !Number.isSafeInteger(txn.version)) {
    throw new DeltaSchemaViolationError('Invalid txn: appId must be non-empty and version a safe integer.');
  }
  const committed = snapshot.txns.get(txn.appId);
  if (!committed || committed.version < txn.version) return undefined;
  return {
    skipped: true,
    reason: 'txn-already-committed',
    version: snapshot.version,
    appId: txn.appId,
    txnVersion: committed.version,
  };
}

/** Checks the source against the table schema and picks the writer. */
async function planAppend(
  snapshot: Snapshot,
  source: AppendSource,
  viaDuckDb: ViaDuckDb,
): Promise<AppendPlan> {
  const stringPartitions = new Set(
    snapshot.schema.fields
      .filter((f) => f.type === 'string' && snapshot.partitionColumns.includes(f.name))
      .map((f) => f.name),
  );
  if (Array.isArray(source)) {
    if (source.length === 0) return { selectSql: undefined, partition: undefined, small: undefined };
    // An empty string partition value is a null partition (as castSelectSql's NULLIF does for SQL).
    const rows: readonly DeltaRow[] =
      stringPartitions.size === 0
        ? source
        : source.map((row) => {
            const copy: Record<string, DeltaRowValue> = { ...row };
            for (const column of stringPartitions) if (copy[column] === '') copy[column] = null;
            return copy;
          });
    // JS rows become literals already cast to their column types and checked for nulls.
    const selectSql = rowsToValuesSql(snapshot.schema, rows);
    const partition = singlePartitionOf(snapshot, rows);
    const columns = smallAppendColumns(snapshot, rows, partition);
    return { selectSql, partition, small: columns ? { rows, columns } : undefined };
  }
  const sql = (source as { sql: string }).sql;
  const described = await viaDuckDb((c) => c.runAndReadAll(`DESCRIBE SELECT * FROM (${sql}) AS q`));
  const sourceColumns = checkSourceColumns(
    snapshot.schema,
    described.getRowObjectsJson().map((r) => String(r.column_name)),
  );
  return {
    selectSql: castSelectSql(snapshot.schema, sql, { emptyStringAsNull: stringPartitions, sourceColumns }),
    partition: undefined,
    small: undefined,
  };
}

/** Writes the planned rows as data files; DuckDB only where it is needed (a small append needs none). */
async function writeAppendFiles(
  root: string,
  snapshot: Snapshot,
  plan: AppendPlan,
  viaDuckDb: ViaDuckDb,
): Promise<AppendFiles> {
  if (plan.small) {
    const { written, durable } = await writeSmallFile(
      root,
      snapshot,
      plan.small.rows,
      plan.small.columns,
      plan.partition,
    );
    // The fsyncs run on while the commit is staged; the commit awaits them before linking.
    let dataDurable = false;
    const settled = durable.then(() => {
      dataDurable = true;
    });
    settled.catch(() => {});
    return { written, durable: settled, isDurable: () => dataDurable };
  }
  const selectSql = plan.selectSql;
  const written =
    selectSql === undefined
      ? []
      : await viaDuckDb((c) =>
          writeDataFiles(c, root, snapshot, selectSql, plan.partition ? { partition: plan.partition } : {}),
        );
  return { written, durable: undefined, isDurable: () => true };
}

function appendCommitInfo(
  snapshot: Snapshot,
  files: readonly WrittenFile[],
  options: AppendOptions,
): CommitInfo {
  return {
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
      numFiles: String(files.length),
      numOutputRows: String(files.reduce((n, f) => n + f.rows, 0)),
      numOutputBytes: String(files.reduce((n, f) => n + f.add.size, 0)),
    },
    engineInfo: engineInfo(),
  };
}

/** Commits the written files (and the txn); removes them again when the commit provably did not land. */
async function commitAppend(
  root: string,
  snapshot: Snapshot,
  files: AppendFiles,
  options: AppendOptions & { now: () => Date },
): Promise<CommitOutcome> {
  const { written, durable } = files;
  const actions: Action[] = written.map((f) => ({ add: f.add }));
  const txn = options.txn;
  if (txn) {
    actions.push({ txn: { appId: txn.appId, version: txn.version, lastUpdated: options.now().getTime() } });
  }
  const commitInfo = appendCommitInfo(snapshot, written, options);
  let outcome: CommitOutcome;
  try {
    outcome = await commitTransaction(
      root,
      { readVersion: snapshot.version, actions, commitInfo, ...(durable ? { dataDurable: durable } : {}) },
      { now: options.now, ...options.commit },
    );
  } catch (error) {
    // Only a conflict, or data that never became durable (the commit is linked only after that), proves
    // our commit is not in the log; after anything else the files may be live.
    await durable?.catch(() => {});
    if (error instanceof DeltaConflictError || !files.isDurable()) await removeFiles(written);
    throw error;
  }
  if (outcome.kind === 'already-committed') await removeFiles(written);
  return outcome;
}

/** Appends rows (JS objects or a SQL query's result) to a table in one commit. */
export async function writeAppend(
  tablePath: string,
  source: AppendSource,
  options: AppendOptions = {},
): Promise<AppendResult> {
  const started = performance.now();
  const root = resolveLocation(tablePath);
  const now = options.now ?? (() => new Date());
  const connection = options.connection;
  const viaDuckDb: ViaDuckDb = (fn) => withWriteConnection(connection, fn);
  const snapshot =
    options.snapshot ?? (await loadSnapshot(root, { connection, checkReaderProtocol: false, cache: true }));
  assertWritable(root, snapshot.protocol, snapshot.metadata, snapshot.schema);
  const skipped = committedTxn(snapshot, options.txn);
  if (skipped) return skipped;

  const plan = await planAppend(snapshot, source, viaDuckDb);
  const prepared = performance.now();
  const files = await writeAppendFiles(root, snapshot, plan, viaDuckDb);
  const written = files.written;
  const wroteAt = performance.now();
  if (written.length === 0 && !options.txn) {
    return { skipped: true, reason: 'no-rows', version: snapshot.version };
  }
  const outcome = await commitAppend(root, snapshot, files, { ...options, now });
  const committedAt = performance.now();
  if (outcome.kind === 'already-committed') {
    return {
      skipped: true,
      reason: 'txn-already-committed',
      version: outcome.version,
      appId: outcome.appId,
      txnVersion: outcome.txnVersion,
    };
  }
  const checkpointVersion = await checkpointIfDue(root, outcome.version, snapshot.metadata, {
    ...options,
    now,
  });
  const finished = performance.now();
  return {
    skipped: false,
    version: outcome.version,
    files: written.length,
    rows: written.reduce((n, f) => n + f.rows, 0),
    bytes: written.reduce((n, f) => n + f.add.size, 0),
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
