/**
 * Table maintenance as one pass: OPTIMIZE → checkpoint → log cleanup → (optionally) VACUUM, each
 * planned, then executed, each returning its metrics. `prepareMaintenance` does every check that can
 * refuse the run (table exists and is writable, filter and retention valid) without writing anything,
 * so a caller can validate all tables before touching any.
 *
 * Order matters: the checkpoint after OPTIMIZE lets log cleanup drop the commits before it, and
 * VACUUM runs last so that files OPTIMIZE just removed are kept (their tombstones are new).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { listLog } from '../log/log.js';
import { loadSnapshot } from '../log/open.js';
import type { Snapshot } from '../log/types.js';
import type { Predicate } from '../read/predicate.js';
import { resolveLocation } from '../storage/location.js';
import { type CheckpointMetrics, writeCheckpoint } from '../write/checkpoint-write.js';
import type { CommitOptions } from '../write/commit.js';
import { assertWritable } from '../write/write-protocol.js';
import {
  type ExecuteLogCleanupOptions,
  executeLogCleanup,
  type LogCleanupMetrics,
  planLogCleanup,
} from './log-cleanup.js';
import { executeOptimize, type OptimizeMetrics } from './optimize.js';
import { type OptimizePlan, planOptimize } from './optimize-plan.js';
import { loadSoundSnapshot } from './preflight.js';
import type { StepHook } from './units.js';
import { executeVacuum, planVacuum, type VacuumMetrics } from './vacuum.js';

export interface CheckpointOnDemandOptions {
  connection?: DuckDBConnection | undefined;
  now?: (() => Date) | undefined;
  /** Write one even when the latest version already has a checkpoint. */
  force?: boolean | undefined;
  dryRun?: boolean | undefined;
}

export interface CheckpointOnDemandResult {
  /** The latest version (the one checkpointed, or already checkpointed). */
  version: number;
  written: boolean;
  /** True when a checkpoint of that version already existed (nothing to do). */
  alreadyPresent: boolean;
  metrics: CheckpointMetrics | undefined;
  durationMs: number;
}

/** Writes a checkpoint of the latest version unless one exists (the writer's writeCheckpoint). */
export async function checkpointOnDemand(
  tablePath: string,
  options: CheckpointOnDemandOptions = {},
): Promise<CheckpointOnDemandResult> {
  const started = performance.now();
  const listing = await listLog(resolveLocation(tablePath));
  const version = listing.latestVersion;
  const alreadyPresent = listing.checkpoints.some((c) => c.version === version);
  if ((alreadyPresent && !options.force) || options.dryRun) {
    return {
      version,
      written: false,
      alreadyPresent,
      metrics: undefined,
      durationMs: performance.now() - started,
    };
  }
  const metrics = await writeCheckpoint(listing.tablePath, {
    version,
    connection: options.connection,
    now: options.now,
  });
  return { version, written: true, alreadyPresent, metrics, durationMs: performance.now() - started };
}

export interface MaintenanceOptions {
  /** OPTIMIZE target file size in bytes (default 128 MiB). */
  targetSize?: number | undefined;
  minFileSize?: number | undefined;
  partitionFilter?: Predicate | string | undefined;
  /** Run VACUUM (default false: deleting files is opt-in). */
  vacuum?: boolean | undefined;
  /** VACUUM retention (default: the table's delta.deletedFileRetentionDuration). */
  retentionMs?: number | undefined;
  forceRetention?: boolean | undefined;
  /** Run log cleanup (default true). */
  logCleanup?: boolean | undefined;
  /** Plan only: nothing is written or deleted. */
  dryRun?: boolean | undefined;
  now?: (() => Date) | undefined;
  connection?: DuckDBConnection | undefined;
  commit?: CommitOptions | undefined;
  onStep?: StepHook | undefined;
  onWarning?: ((message: string) => void) | undefined;
}

/** A table checked and planned for maintenance; nothing written yet. */
export interface PreparedMaintenance {
  tablePath: string;
  snapshot: Snapshot;
  optimize: OptimizePlan;
  options: MaintenanceOptions;
}

export interface OptimizePlanSummary {
  bins: number;
  filesToRemove: number;
  bytesToRemove: number;
  rowsToRewrite: number | undefined;
  partitions: number;
}

export interface MaintenanceMetrics {
  tablePath: string;
  dryRun: boolean;
  versionBefore: number;
  versionAfter: number;
  filesBefore: number;
  /** After the run; in a dry run, what OPTIMIZE would leave. */
  filesAfter: number;
  bytesBefore: number;
  /** After the run; in a dry run, the bytes before (the rewritten size is not known). */
  bytesAfter: number;
  /** Rows of the table from stats (after). */
  rows: number;
  /** Commits this run added (OPTIMIZE, VACUUM START/END). */
  versionsWritten: number;
  optimize: OptimizeMetrics | undefined;
  optimizePlan: OptimizePlanSummary;
  checkpoint: CheckpointOnDemandResult;
  logCleanup: LogCleanupMetrics | undefined;
  vacuum: VacuumMetrics | undefined;
  durationMs: number;
}

function totals(snapshot: Snapshot): { files: number; bytes: number; rows: number } {
  let bytes = 0;
  let rows = 0;
  for (const file of snapshot.files.values()) {
    bytes += file.add.size;
    rows += file.stats?.numRecords ?? 0;
  }
  return { files: snapshot.files.size, bytes, rows };
}

/** Loads the table and runs every check that can refuse the run. Writes nothing. */
export async function prepareMaintenance(
  tablePath: string,
  options: MaintenanceOptions = {},
): Promise<PreparedMaintenance> {
  const root = resolveLocation(tablePath);
  // Refuses a damaged table before anything runs (preflight.ts).
  const snapshot = await loadSoundSnapshot(await listLog(root), options.connection);
  assertWritable(root, snapshot.protocol, snapshot.metadata, snapshot.schema);
  const optimize = planOptimize(snapshot, options);
  if (options.vacuum) {
    // Validates the retention against the table's setting (VacuumRetentionError) before anything runs.
    await planVacuum(snapshot, {
      retentionMs: options.retentionMs,
      forceRetention: options.forceRetention,
      now: options.now,
    });
  }
  return { tablePath: root, snapshot, optimize, options };
}

/** Runs OPTIMIZE, checkpoint, log cleanup and (when asked) VACUUM on a prepared table. */
export async function runMaintenance(prepared: PreparedMaintenance): Promise<MaintenanceMetrics> {
  const started = performance.now();
  const { tablePath, snapshot, optimize: plan, options } = prepared;
  const dryRun = options.dryRun === true;
  const before = totals(snapshot);
  const common = { connection: options.connection, now: options.now };
  const optimizePlan: OptimizePlanSummary = {
    bins: plan.bins.length,
    filesToRemove: plan.filesToRemove,
    bytesToRemove: plan.bytesToRemove,
    rowsToRewrite: plan.rowsToRewrite,
    partitions: plan.partitionsConsidered,
  };

  let optimize: OptimizeMetrics | undefined;
  let versionsWritten = 0;
  if (!dryRun) {
    optimize = await executeOptimize(plan, {
      ...common,
      commit: options.commit,
      onStep: options.onStep,
      onWarning: options.onWarning,
      // The on-demand checkpoint below covers the latest version anyway.
      checkpoint: false,
    });
    if (optimize.version !== undefined) versionsWritten++;
  }
  await options.onStep?.('maintenance:optimized');
  const checkpoint = await checkpointOnDemand(tablePath, { ...common, dryRun });
  await options.onStep?.('maintenance:checkpointed');

  let logCleanup: LogCleanupMetrics | undefined;
  if (options.logCleanup !== false) {
    const cleanupOptions: ExecuteLogCleanupOptions = { dryRun, onStep: options.onStep };
    logCleanup = await executeLogCleanup(await planLogCleanup(tablePath, common), cleanupOptions);
  }
  await options.onStep?.('maintenance:log-cleaned');

  let vacuum: VacuumMetrics | undefined;
  if (options.vacuum) {
    // Checked again: the snapshot VACUUM acts on is the one after OPTIMIZE and any concurrent append.
    const current = dryRun ? snapshot : await loadSoundSnapshot(await listLog(tablePath), options.connection);
    const vacuumPlan = await planVacuum(current, {
      retentionMs: options.retentionMs,
      forceRetention: options.forceRetention,
      now: options.now,
    });
    vacuum = await executeVacuum(vacuumPlan, {
      ...common,
      dryRun,
      commit: options.commit,
      onStep: options.onStep,
      onWarning: options.onWarning,
    });
    if (vacuum.startVersion !== undefined) versionsWritten++;
    if (vacuum.endVersion !== undefined) versionsWritten++;
  }

  const after = dryRun
    ? { files: before.files - plan.filesToRemove + plan.bins.length, bytes: before.bytes, rows: before.rows }
    : totals(await loadSnapshot(tablePath, { connection: options.connection, checkReaderProtocol: false }));
  const versionAfter = dryRun ? snapshot.version : (await listLog(tablePath)).latestVersion;
  return {
    tablePath,
    dryRun,
    versionBefore: snapshot.version,
    versionAfter,
    filesBefore: before.files,
    filesAfter: after.files,
    bytesBefore: before.bytes,
    bytesAfter: after.bytes,
    rows: after.rows,
    versionsWritten,
    optimize,
    optimizePlan,
    checkpoint,
    logCleanup,
    vacuum,
    durationMs: performance.now() - started,
  };
}
