/**
 * OPTIMIZE by bin-packing: per partition, the files smaller than the target size are merged into as
 * few files as possible and swapped in with one commit of dataChange=false removes and adds.
 *
 * HAZARD. A rewrite that drops or duplicates a row loses data silently, and nobody reads the old files
 * again to notice. So before anything is committed, the new files are read back from disk and their
 * row count and an order-independent content checksum (DuckDB `sum(hash(<every column>))`, partition
 * columns included) must equal those of the files they replace; otherwise the new files are deleted
 * and OptimizeVerificationError is thrown.
 *
 * Concurrency: the commit goes through commitTransaction. Blind appends that land meanwhile only add
 * new paths, so they never conflict and the commit is rebased past them; a concurrent rewrite that
 * removed one of our input files is a DeltaConflictError (only then are our new files deleted, because
 * only then is the commit provably absent). After any other failure the files stay: the commit may
 * have landed, and if it did not they are orphans that VACUUM removes after the retention.
 */
import { randomUUID } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DataError } from '../../core/errors.js';
import { withWriteConnection } from '../duckdb.js';
import { DeltaConflictError } from '../errors.js';
import { listLog } from '../log/log.js';
import { liveFileOf } from '../log/replay.js';
import type { Action, CommitInfo, LiveFile, RemoveAction, Snapshot } from '../log/types.js';
import { planScan, scanSql } from '../read/scan.js';
import { quoteIdentifier } from '../read/schema.js';
import { storageFor } from '../storage/index.js';
import { resolveLocation } from '../storage/location.js';
import { checkpointIfDue } from '../write/checkpoint-write.js';
import { type CommitOptions, type CommitOutcome, commitTransaction } from '../write/commit.js';
import type { WrittenFile } from '../write/data-file.js';
import { engineInfo } from '../write/engine.js';
import { writeDataFiles } from '../write/files-duckdb.js';
import { assertWritable } from '../write/write-protocol.js';
import {
  type FileSizeSummary,
  type OptimizeBin,
  type OptimizeOptions,
  type OptimizePlan,
  planOptimize,
  summarizeSizes,
} from './optimize-plan.js';
import { loadSoundSnapshot } from './preflight.js';
import type { StepHook } from './units.js';

/** Optimize retries past concurrent appends far longer than an append would: its work is expensive to redo. */
export const OPTIMIZE_COMMIT_ATTEMPTS = 100;

/** Bins of a wave up to this many Parquet bytes are read once into memory (a temp table), larger ones twice. */
const MATERIALIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/** The rewritten files do not hold exactly the rows of the files they were to replace. Nothing was committed. */
export class OptimizeVerificationError extends DataError {}

export interface ExecuteOptimizeOptions {
  /** DuckDB connection to run on (default: a connection to the shared write instance). */
  connection?: DuckDBConnection | undefined;
  /** Commit options (default maxAttempts: OPTIMIZE_COMMIT_ATTEMPTS). */
  commit?: CommitOptions | undefined;
  /** Write the checkpoint the commit version is due for (default true). */
  checkpoint?: boolean | undefined;
  now?: (() => Date) | undefined;
  /** Fault injection for tests. */
  onStep?: StepHook | undefined;
  onWarning?: ((message: string) => void) | undefined;
}

export interface OptimizeMetrics {
  readVersion: number;
  /** The committed version; undefined when there was nothing to rewrite. */
  version: number | undefined;
  /** Commit attempts (more than 1 when concurrent commits landed first). */
  attempts: number;
  numFilesAdded: number;
  numFilesRemoved: number;
  filesAdded: FileSizeSummary;
  filesRemoved: FileSizeSummary;
  partitionsOptimized: number;
  numBins: number;
  totalConsideredFiles: number;
  totalFilesSkipped: number;
  /** Rows rewritten (counted by DuckDB, equal before and after). */
  rows: number;
  /** sum(hash(row)) over the rewritten rows, equal before and after. */
  checksum: string;
  checkpointVersion: number | undefined;
  /** rewriteMs: read inputs, checksum them, write the new files; verifyMs: read the new files back. */
  durations: { rewriteMs: number; verifyMs: number; commitMs: number; totalMs: number };
}

function withFiles(snapshot: Snapshot, files: readonly LiveFile[]): Snapshot {
  return { ...snapshot, files: new Map(files.map((f) => [f.add.path, f])) };
}

interface ContentChecksum {
  rows: number;
  hash: string;
}

function checksumSql(snapshot: Snapshot, relationSql: string): string {
  const columns = snapshot.schema.fields.map((f) => quoteIdentifier(f.name)).join(', ');
  return `SELECT count(*)::VARCHAR AS n, COALESCE(sum(hash(${columns})), 0)::VARCHAR AS h FROM (${relationSql}) AS q`;
}

/** Row count and sum(hash(every column)) of a relation with the table's columns. */
async function checksumOf(
  connection: DuckDBConnection,
  snapshot: Snapshot,
  relationSql: string,
): Promise<ContentChecksum> {
  const row =
    (await connection.runAndReadAll(checksumSql(snapshot, relationSql))).getRowObjectsJson()[0] ?? {};
  return { rows: Number(row.n), hash: String(row.h) };
}

/** Row count and checksum of the given files, read through the scan path. */
async function contentChecksum(
  connection: DuckDBConnection,
  snapshot: Snapshot,
  files: readonly LiveFile[],
): Promise<ContentChecksum> {
  return checksumOf(connection, snapshot, await scanSql(connection, planScan(withFiles(snapshot, files))));
}

/**
 * Reads the input files, checksums them and writes the merged files. Inputs up to
 * MATERIALIZE_LIMIT_BYTES are read once into a temporary table (checksum and COPY both read it);
 * larger ones are read twice rather than held in memory.
 */
async function rewriteWave(
  connection: DuckDBConnection,
  root: string,
  snapshot: Snapshot,
  inputs: readonly LiveFile[],
): Promise<{ before: ContentChecksum; written: WrittenFile[] }> {
  const sourceSql = await scanSql(connection, planScan(withFiles(snapshot, inputs)));
  const bytes = inputs.reduce((n, f) => n + f.add.size, 0);
  if (bytes > MATERIALIZE_LIMIT_BYTES) {
    const before = await checksumOf(connection, snapshot, sourceSql);
    return { before, written: await writeDataFiles(connection, root, snapshot, sourceSql) };
  }
  const temp = quoteIdentifier(`__optimize_${randomUUID().replaceAll('-', '')}`);
  await connection.run(`CREATE TEMP TABLE ${temp} AS ${sourceSql}`);
  try {
    const before = await checksumOf(connection, snapshot, `SELECT * FROM ${temp}`);
    return { before, written: await writeDataFiles(connection, root, snapshot, `SELECT * FROM ${temp}`) };
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${temp}`);
  }
}

function writtenLiveFile(written: WrittenFile): LiveFile {
  return liveFileOf({ ...written.add, dataChange: false });
}

async function removeWritten(files: readonly WrittenFile[]): Promise<void> {
  const first = files[0];
  if (first) await storageFor(first.absolute).deleteMany(files.map((f) => f.absolute));
}

/** Bins grouped so that each group holds at most one bin per partition: one COPY writes each group. */
function waves(bins: readonly OptimizeBin[]): OptimizeBin[][] {
  const out: OptimizeBin[][] = [];
  const seen = new Map<string, number>();
  for (const bin of bins) {
    const key = JSON.stringify(bin.partitionValues);
    const index = seen.get(key) ?? 0;
    seen.set(key, index + 1);
    const wave = out[index] ?? [];
    wave.push(bin);
    out[index] = wave;
  }
  return out;
}

/** What every OPTIMIZE result reports, committed or not. */
type OptimizeBase = Pick<
  OptimizeMetrics,
  'readVersion' | 'partitionsOptimized' | 'numBins' | 'totalConsideredFiles' | 'totalFilesSkipped'
>;

/** The merged files, the rows they hold and the time spent writing and reading them back. */
interface VerifiedRewrite {
  written: WrittenFile[];
  rows: number;
  checksum: string;
  rewriteMs: number;
  verifyMs: number;
}

function nothingToOptimize(base: OptimizeBase, started: number): OptimizeMetrics {
  return {
    ...base,
    version: undefined,
    attempts: 0,
    numFilesAdded: 0,
    numFilesRemoved: 0,
    filesAdded: summarizeSizes([]),
    filesRemoved: summarizeSizes([]),
    rows: 0,
    checksum: '0',
    checkpointVersion: undefined,
    durations: { rewriteMs: 0, verifyMs: 0, commitMs: 0, totalMs: performance.now() - started },
  };
}

/**
 * Writes the merged files wave by wave and reads each wave back: its rows and checksum must equal
 * those of the files it replaces. On any failure the new files are deleted (nothing is committed yet).
 */
async function rewriteAndVerify(
  connection: DuckDBConnection,
  plan: OptimizePlan,
  onStep: StepHook | undefined,
): Promise<VerifiedRewrite> {
  const root = resolveLocation(plan.tablePath);
  const { snapshot } = plan;
  const result: VerifiedRewrite = { written: [], rows: 0, checksum: '0', rewriteMs: 0, verifyMs: 0 };
  let hash = 0n;
  try {
    for (const wave of waves(plan.bins)) {
      const inputs = wave.flatMap((b) => b.files);
      const t1 = performance.now();
      const { before, written } = await rewriteWave(connection, root, snapshot, inputs);
      result.written.push(...written);
      await onStep?.('optimize:files-written');
      const t2 = performance.now();
      const after = await contentChecksum(connection, snapshot, written.map(writtenLiveFile));
      result.rewriteMs += t2 - t1;
      result.verifyMs += performance.now() - t2;
      if (before.rows !== after.rows || before.hash !== after.hash) {
        throw new OptimizeVerificationError(
          `OPTIMIZE of ${root} aborted: the rewritten files hold ${after.rows} rows (checksum ${after.hash}) but the ${inputs.length} files they replace hold ${before.rows} rows (checksum ${before.hash}). Nothing was committed.`,
          { hint: 'Verify the table; the original files are untouched.' },
        );
      }
      result.rows += before.rows;
      hash += BigInt(before.hash);
    }
  } catch (error) {
    await removeWritten(result.written);
    throw error;
  }
  result.checksum = hash.toString();
  return result;
}

/** dataChange=false removes of the merged files and adds of the new ones. */
function swapActions(
  removed: readonly LiveFile[],
  added: readonly LiveFile[],
  deletionTimestamp: number,
): Action[] {
  return [
    ...removed.map((file): Action => {
      const remove: RemoveAction = {
        path: file.add.path,
        deletionTimestamp,
        dataChange: false,
        extendedFileMetadata: true,
        partitionValues: file.add.partitionValues,
        size: file.add.size,
      };
      if (file.add.stats) remove.stats = file.add.stats;
      if (file.add.tags) remove.tags = file.add.tags;
      return { remove };
    }),
    ...added.map((file): Action => ({ add: file.add })),
  ];
}

function optimizeCommitInfo(
  plan: OptimizePlan,
  base: OptimizeBase,
  sizes: { filesAdded: FileSizeSummary; filesRemoved: FileSizeSummary },
  rewrite: VerifiedRewrite,
): CommitInfo {
  return {
    operation: 'OPTIMIZE',
    operationParameters: {
      predicate: JSON.stringify(plan.partitionFilter === undefined ? [] : [plan.partitionFilter]),
      targetSize: String(plan.targetSize),
      zOrderBy: '[]',
    },
    readVersion: plan.snapshot.version,
    isolationLevel: 'SnapshotIsolation',
    isBlindAppend: false,
    operationMetrics: {
      numFilesAdded: String(sizes.filesAdded.totalFiles),
      numFilesRemoved: String(sizes.filesRemoved.totalFiles),
      filesAdded: JSON.stringify(sizes.filesAdded),
      filesRemoved: JSON.stringify(sizes.filesRemoved),
      partitionsOptimized: String(base.partitionsOptimized),
      numBatches: String(plan.bins.length),
      totalConsideredFiles: String(plan.totalConsideredFiles),
      totalFilesSkipped: String(plan.totalFilesSkipped),
      preserveInsertionOrder: 'true',
      numOutputRows: String(rewrite.rows),
      contentChecksum: rewrite.checksum,
    },
    engineInfo: engineInfo(),
  };
}

/** Commits the swap; on a conflict (the commit provably absent) the new files are deleted. */
async function commitSwap(
  root: string,
  plan: OptimizePlan,
  commit: { actions: Action[]; commitInfo: CommitInfo; written: readonly WrittenFile[] },
  options: ExecuteOptimizeOptions & { now: () => Date },
): Promise<CommitOutcome> {
  try {
    return await commitTransaction(
      root,
      { readVersion: plan.snapshot.version, actions: commit.actions, commitInfo: commit.commitInfo },
      { now: options.now, maxAttempts: OPTIMIZE_COMMIT_ATTEMPTS, ...options.commit },
    );
  } catch (error) {
    if (error instanceof DeltaConflictError) {
      await removeWritten(commit.written);
      throw new DeltaConflictError(
        `OPTIMIZE of ${root} was not committed: ${error.message}`,
        error.conflictingVersion,
        {
          cause: error,
          hint: 'Another process rewrote or removed the same files; nothing was lost. Optimize again to merge what is left.',
        },
      );
    }
    throw error;
  }
}

/** Rewrites the plan's bins, verifies the rows, and commits removes and adds in one commit. */
export async function executeOptimize(
  plan: OptimizePlan,
  options: ExecuteOptimizeOptions = {},
): Promise<OptimizeMetrics> {
  const started = performance.now();
  const root = resolveLocation(plan.tablePath);
  const { snapshot } = plan;
  const now = options.now ?? (() => new Date());
  const base: OptimizeBase = {
    readVersion: snapshot.version,
    partitionsOptimized: new Set(plan.bins.map((b) => JSON.stringify(b.partitionValues))).size,
    numBins: plan.bins.length,
    totalConsideredFiles: plan.totalConsideredFiles,
    totalFilesSkipped: plan.totalFilesSkipped,
  };
  if (plan.bins.length === 0) return nothingToOptimize(base, started);
  assertWritable(root, snapshot.protocol, snapshot.metadata, snapshot.schema);

  return withWriteConnection(options.connection, async (connection) => {
    const rewrite = await rewriteAndVerify(connection, plan, options.onStep);
    await options.onStep?.('optimize:verified');
    const removed = plan.bins.flatMap((b) => b.files);
    const added = rewrite.written.map(writtenLiveFile);
    const sizes = {
      filesAdded: summarizeSizes(added.map((f) => f.add.size)),
      filesRemoved: summarizeSizes(removed.map((f) => f.add.size)),
    };
    const actions = swapActions(removed, added, now().getTime());
    const commitInfo = optimizeCommitInfo(plan, base, sizes, rewrite);
    const committing = performance.now();
    const outcome = await commitSwap(
      root,
      plan,
      { actions, commitInfo, written: rewrite.written },
      { ...options, now },
    );
    const committed = performance.now();
    await options.onStep?.('optimize:committed');
    const checkpointVersion = await checkpointIfDue(root, outcome.version, snapshot.metadata, {
      ...options,
      connection,
      now,
    });
    return {
      ...base,
      version: outcome.version,
      attempts: outcome.attempts,
      numFilesAdded: added.length,
      numFilesRemoved: removed.length,
      ...sizes,
      rows: rewrite.rows,
      checksum: rewrite.checksum,
      checkpointVersion,
      durations: {
        rewriteMs: rewrite.rewriteMs,
        verifyMs: rewrite.verifyMs,
        commitMs: committed - committing,
        totalMs: performance.now() - started,
      },
    };
  });
}

/** Loads the latest snapshot, plans and executes OPTIMIZE. */
export async function optimizeTable(
  tablePath: string,
  options: OptimizeOptions & ExecuteOptimizeOptions = {},
): Promise<OptimizeMetrics> {
  const snapshot = await loadSoundSnapshot(await listLog(resolveLocation(tablePath)), options.connection);
  return executeOptimize(planOptimize(snapshot, options), options);
}
