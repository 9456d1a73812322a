/**
 * The compact use case (`futures compact`): find the tables, take the compact lock, check and plan every
 * table before changing any (a bad table or retention writes nothing), then run the maintenance of each
 * (OPTIMIZE, checkpoint, log cleanup, optional VACUUM). A table that fails while running is reported and
 * the others still run.
 */
import { formatDuration } from '../core/duration.js';
import { isUserError, type UserError } from '../core/errors.js';
import {
  loadSnapshot,
  type MaintenanceMetrics,
  type MaintenanceOptions,
  manifestEnabled,
  prepareMaintenance,
  runMaintenance,
  writeSymlinkManifest,
} from '../delta/index.js';
import { lakeDir, listTables } from '../lake/lake.js';
import { acquireLock } from '../queue/lock.js';
import { COMPACT_LOCK, queuePaths } from '../queue/paths.js';
import type { RunContext } from './context.js';

export interface CompactTarget {
  /** The name (under <dataDir>/lake) or the argument as given. */
  table: string;
  path: string;
}

export interface CompactRequest {
  /** The tables to compact; undefined: every Delta table under <dataDir>/lake. */
  targets: readonly CompactTarget[] | undefined;
  targetSize: number;
  partition: string | undefined;
  vacuum: boolean;
  /** VACUUM retention; undefined: each table's delta.deletedFileRetentionDuration. */
  retentionMs: number | undefined;
  forceRetention: boolean;
  dryRun: boolean;
  /** The command line shown to another compactor that finds the lock held. */
  lockHolder: string;
}

export interface TableCompaction {
  table: string;
  path: string;
  status: 'ok' | 'dry-run' | 'failed';
  versionBefore: number | null;
  versionAfter: number | null;
  /** Commits this run added (OPTIMIZE, VACUUM START/END). */
  versionsWritten: number;
  filesBefore: number | null;
  filesAfter: number | null;
  bytesBefore: number | null;
  bytesAfter: number | null;
  /** Rows of the table (from file stats) after the run. */
  rows: number | null;
  durationMs: number;
  optimize: {
    bins: number;
    filesRemoved: number;
    filesAdded: number;
    rowsRewritten: number | null;
    bytesRemoved: number;
    bytesAdded: number | null;
    version: number | null;
    attempts: number;
    checksum: string | null;
  } | null;
  checkpoint: { version: number; written: boolean } | null;
  logCleanup: {
    filesDeleted: number;
    bytesDeleted: number;
    commitsDeleted: number;
    checkpointsDeleted: number;
    keepVersion: number | null;
    skipped: string | null;
  } | null;
  vacuum: {
    filesDeleted: number;
    bytesDeleted: number;
    /** Relative paths deleted (or, in a dry run, that would be deleted). */
    files: string[];
    retention: string;
    cutoff: string;
    startVersion: number | null;
    endVersion: number | null;
  } | null;
  /** Why this table failed while running (the run went on with the next table). */
  failure: UserError | null;
}

export interface CompactReport {
  dryRun: boolean;
  targetSize: number;
  partition: string | null;
  vacuum: boolean;
  /** The retention override, if any (else each table's delta.deletedFileRetentionDuration). */
  retain: string | null;
  tables: TableCompaction[];
}

function optimizeOf(m: MaintenanceMetrics): TableCompaction['optimize'] {
  return {
    bins: m.optimizePlan.bins,
    filesRemoved: m.optimize?.numFilesRemoved ?? m.optimizePlan.filesToRemove,
    filesAdded: m.optimize?.numFilesAdded ?? m.optimizePlan.bins,
    rowsRewritten: m.optimize?.rows ?? m.optimizePlan.rowsToRewrite ?? null,
    bytesRemoved: m.optimizePlan.bytesToRemove,
    bytesAdded: m.optimize ? m.optimize.filesAdded.totalSize : null,
    version: m.optimize?.version ?? null,
    attempts: m.optimize?.attempts ?? 0,
    checksum: m.optimize && m.optimize.version !== undefined ? m.optimize.checksum : null,
  };
}

function logCleanupOf(m: MaintenanceMetrics): TableCompaction['logCleanup'] {
  if (!m.logCleanup) return null;
  return {
    filesDeleted: m.logCleanup.filesDeleted,
    bytesDeleted: m.logCleanup.bytesDeleted,
    commitsDeleted: m.logCleanup.commitsDeleted,
    checkpointsDeleted: m.logCleanup.checkpointsDeleted,
    keepVersion: m.logCleanup.keepVersion ?? null,
    skipped: m.logCleanup.skipped ?? null,
  };
}

function vacuumOf(m: MaintenanceMetrics): TableCompaction['vacuum'] {
  if (!m.vacuum) return null;
  return {
    filesDeleted: m.vacuum.filesDeleted,
    bytesDeleted: m.vacuum.bytesDeleted,
    files: m.vacuum.files,
    retention: formatDuration(m.vacuum.retentionMs),
    cutoff: m.vacuum.cutoff,
    startVersion: m.vacuum.startVersion ?? null,
    endVersion: m.vacuum.endVersion ?? null,
  };
}

function compactedTable(target: CompactTarget, m: MaintenanceMetrics): TableCompaction {
  return {
    table: target.table,
    path: target.path,
    status: m.dryRun ? 'dry-run' : 'ok',
    versionBefore: m.versionBefore,
    versionAfter: m.versionAfter,
    versionsWritten: m.versionsWritten,
    filesBefore: m.filesBefore,
    filesAfter: m.filesAfter,
    bytesBefore: m.bytesBefore,
    bytesAfter: m.bytesAfter,
    rows: m.rows,
    durationMs: Math.round(m.durationMs),
    optimize: optimizeOf(m),
    checkpoint: { version: m.checkpoint.version, written: m.checkpoint.written },
    logCleanup: logCleanupOf(m),
    vacuum: vacuumOf(m),
    failure: null,
  };
}

function failedTable(target: CompactTarget, failure: UserError, durationMs: number): TableCompaction {
  return {
    table: target.table,
    path: target.path,
    status: 'failed',
    versionBefore: null,
    versionAfter: null,
    versionsWritten: 0,
    filesBefore: null,
    filesAfter: null,
    bytesBefore: null,
    bytesAfter: null,
    rows: null,
    durationMs,
    optimize: null,
    checkpoint: null,
    logCleanup: null,
    vacuum: null,
    failure,
  };
}

async function targetsOf(request: CompactRequest, dataDir: string): Promise<CompactTarget[]> {
  if (request.targets !== undefined) return [...request.targets];
  return (await listTables(dataDir)).map(({ name, path }) => ({ table: name, path }));
}

/** A table whose properties ask for symlink manifests gets them rewritten for the version compaction left. */
async function refreshManifest(target: CompactTarget, ctx: RunContext): Promise<void> {
  const snapshot = await loadSnapshot(target.path);
  if (!manifestEnabled(snapshot)) return;
  const written = await writeSymlinkManifest(snapshot);
  ctx.log.info(
    `${target.table}: symlink manifests rewritten for version ${written.version} (${written.manifests} partitions, ${written.files} files)`,
  );
}

/** Prepares every table, then runs each; the compact lock is held throughout (not in a dry run). */
async function compactTargets(
  targets: readonly CompactTarget[],
  options: MaintenanceOptions,
  ctx: RunContext,
): Promise<TableCompaction[]> {
  const prepared = [];
  for (const target of targets)
    prepared.push({ target, plan: await prepareMaintenance(target.path, options) });
  const tables: TableCompaction[] = [];
  for (const { target, plan } of prepared) {
    const started = performance.now();
    ctx.log.debug(`compacting ${target.path}`);
    try {
      const metrics = await runMaintenance(plan);
      if (!options.dryRun) await refreshManifest(target, ctx);
      tables.push(compactedTable(target, metrics));
    } catch (error) {
      if (!isUserError(error)) throw error;
      ctx.log.warn(`compacting ${target.table} failed: ${error.message}`);
      tables.push(failedTable(target, error, Math.round(performance.now() - started)));
    }
  }
  return tables;
}

export async function compactLake(request: CompactRequest, ctx: RunContext): Promise<CompactReport> {
  const dataDir = ctx.config.dataDir;
  const targets = await targetsOf(request, dataDir);
  const report: CompactReport = {
    dryRun: request.dryRun,
    targetSize: request.targetSize,
    partition: request.partition ?? null,
    vacuum: request.vacuum,
    retain: request.retentionMs === undefined ? null : formatDuration(request.retentionMs),
    tables: [],
  };
  if (targets.length === 0) {
    ctx.log.info(`No Delta tables under ${lakeDir(dataDir)}: nothing to compact.`);
    return report;
  }
  const options: MaintenanceOptions = {
    targetSize: request.targetSize,
    partitionFilter: request.partition,
    vacuum: request.vacuum,
    retentionMs: request.retentionMs,
    forceRetention: request.forceRetention,
    logCleanup: ctx.config.compact.logCleanup,
    dryRun: request.dryRun,
    now: () => ctx.clock.now(),
    onWarning: (message: string) => ctx.log.warn(message),
  };
  const lock = request.dryRun
    ? undefined
    : await acquireLock(queuePaths(dataDir).stateDir, COMPACT_LOCK, {
        now: ctx.clock.now(),
        command: request.lockHolder,
      });
  try {
    report.tables = await compactTargets(targets, options, ctx);
  } finally {
    await lock?.release();
  }
  return report;
}
