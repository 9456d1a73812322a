/**
 * VACUUM: deletes data files the current snapshot no longer references once they are older than the
 * retention (`delta.deletedFileRetentionDuration`, default 7 days).
 *
 * HAZARD. Deleting a file a reader or writer still needs corrupts what they see: a query still reading
 * an older version, time travel inside the retention, or a writer whose files are written but not yet
 * committed. The rules that keep this safe:
 * - the table directory is listed recursively (so orphans of crashed writers are found), but
 *   `_delta_log` and every hidden name (leading `.` or `_`, e.g. the writer's `_staging`) are never
 *   entered or touched; partition directories (`<column>=…`) are not hidden even when the column
 *   name starts with `_`;
 * - a file is deleted only when it is unreferenced AND older than the cutoff (now − retention): for a
 *   tombstoned file both its deletionTimestamp and its mtime must be older, for an orphan its mtime
 *   (a writer's uncommitted files are new, so they are kept);
 * - a retention below the table's setting is refused unless forceRetention is given;
 * - right before deleting, a fresh snapshot is loaded and every candidate it references is kept, and
 *   each file is stat'ed again (an append that committed after planning only adds new files).
 * Like delta-rs, a run that deletes something records a commitInfo-only `VACUUM START` commit before
 * and a `VACUUM END` commit after the deletions (no add/remove actions, so they never conflict); they
 * make the deletion visible in the table's commit history. A crash in between leaves START without END, which
 * is harmless: the remaining candidates are still unreferenced and the next run deletes them.
 */
import { lstat } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { formatDuration } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import { listLog } from '../log/log.js';
import { loadSnapshot } from '../log/open.js';
import { decodeAddPath, resolveDataFile } from '../log/paths.js';
import { LOG_DIR, type Snapshot } from '../log/types.js';
import { storageFor } from '../storage/index.js';
import { resolveLocation } from '../storage/location.js';
import { checkpointIfDue } from '../write/checkpoint-write.js';
import { type CommitOptions, commitTransaction } from '../write/commit.js';
import { engineInfo } from '../write/engine.js';
import { errorCode } from '../write/put-if-absent.js';
import { assertWritable } from '../write/write-protocol.js';
import { loadSoundSnapshot } from './preflight.js';
import { deletedFileRetention, type RetentionProperty, type StepHook } from './units.js';

/** A retention shorter than the table's own needs forceRetention: the caller must decide. */
export class VacuumRetentionError extends UsageError {}

export interface VacuumOptions {
  /** Keep unreferenced files younger than this (default: the table's delta.deletedFileRetentionDuration). */
  retentionMs?: number | undefined;
  /** Allow a retention below the table's setting. */
  forceRetention?: boolean | undefined;
  now?: (() => Date) | undefined;
}

export interface VacuumCandidate {
  /** Path relative to the table root, `/`-separated, as on disk. */
  path: string;
  absolutePath: string;
  bytes: number;
  /** 'tombstone': removed by a commit still in the snapshot; 'orphan': never referenced (or its remove expired). */
  kind: 'tombstone' | 'orphan';
  /** The instant (ms) its age is counted from: the later of deletionTimestamp and mtime. */
  since: number;
}

export interface VacuumPlan {
  tablePath: string;
  snapshot: Snapshot;
  retentionMs: number;
  tableRetention: RetentionProperty;
  forced: boolean;
  nowMs: number;
  cutoffMs: number;
  files: VacuumCandidate[];
  bytes: number;
  /** Data files found by the listing. */
  scannedFiles: number;
  /** Of those, referenced by the snapshot. */
  liveFiles: number;
  /** Unreferenced but newer than the cutoff. */
  recentFiles: number;
}

export interface ExecuteVacuumOptions {
  /** List what would be deleted; delete nothing and commit nothing. */
  dryRun?: boolean | undefined;
  /** Record VACUUM START / VACUUM END commits (default true). */
  recordCommits?: boolean | undefined;
  commit?: CommitOptions | undefined;
  connection?: DuckDBConnection | undefined;
  now?: (() => Date) | undefined;
  onStep?: StepHook | undefined;
  onWarning?: ((message: string) => void) | undefined;
}

export interface VacuumMetrics {
  dryRun: boolean;
  retentionMs: number;
  /** ISO-8601: files older than this were eligible. */
  cutoff: string;
  /** Deleted (or, in a dry run, to be deleted). */
  filesDeleted: number;
  bytesDeleted: number;
  /** Relative paths of the files deleted (or to be deleted in a dry run). */
  files: string[];
  /** Candidates kept after the re-check (referenced again, or modified since planning). */
  filesKept: number;
  scannedFiles: number;
  startVersion: number | undefined;
  endVersion: number | undefined;
  durationMs: number;
}

function isHidden(name: string, isDirectory: boolean, partitionColumns: readonly string[]): boolean {
  if (!name.startsWith('.') && !name.startsWith('_')) return false;
  return !(isDirectory && partitionColumns.some((c) => name.startsWith(`${c}=`)));
}

interface ListedFile {
  relative: string;
  absolute: string;
  bytes: number;
  mtimeMs: number;
}

/** Every regular, non-hidden file under the table root outside `_delta_log`. */
export async function listDataFiles(
  tablePath: string,
  partitionColumns: readonly string[],
): Promise<ListedFile[]> {
  const root = resolveLocation(tablePath);
  const files = await storageFor(root).listFiles(
    root,
    (relativeDir, name, isDirectory) =>
      (relativeDir === '' && name === LOG_DIR) || isHidden(name, isDirectory, partitionColumns),
  );
  return files.map((f) => ({
    relative: f.relative,
    absolute: f.location,
    bytes: f.size,
    mtimeMs: f.mtimeMs,
  }));
}

/** A candidate as it is now: missing, or whether it is a regular file and when it was last modified. */
async function currentState(location: string): Promise<{ isFile: boolean; mtimeMs: number } | undefined> {
  const storage = storageFor(location);
  if (storage.kind !== 'local') {
    const head = await storage.head(location);
    return head && { isFile: true, mtimeMs: head.mtimeMs };
  }
  try {
    const info = await lstat(location);
    return { isFile: info.isFile(), mtimeMs: info.mtimeMs };
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
    return undefined;
  }
}

function referencedPaths(snapshot: Snapshot): Set<string> {
  const live = new Set<string>();
  for (const file of snapshot.files.values()) {
    live.add(resolveLocation(resolveDataFile(snapshot.tablePath, file.relativePath)));
  }
  return live;
}

/** Decides what to delete. Lists the table directory; deletes nothing. */
export async function planVacuum(snapshot: Snapshot, options: VacuumOptions = {}): Promise<VacuumPlan> {
  const root = resolveLocation(snapshot.tablePath);
  assertWritable(root, snapshot.protocol, snapshot.metadata, snapshot.schema);
  const tableRetention = deletedFileRetention(root, snapshot.metadata);
  const retentionMs = options.retentionMs ?? tableRetention.ms;
  if (!Number.isFinite(retentionMs) || retentionMs < 0) {
    throw new UsageError(`Invalid vacuum retention ${retentionMs} ms: give a duration ≥ 0, e.g. 7d.`);
  }
  const forced = options.forceRetention === true;
  if (retentionMs < tableRetention.ms && !forced) {
    throw new VacuumRetentionError(
      `Refusing to vacuum ${root} with a retention of ${formatDuration(retentionMs)}: the table keeps deleted files for ${formatDuration(tableRetention.ms)} (${tableRetention.key}${tableRetention.text === undefined ? ' default' : `=${tableRetention.text}`}).`,
      {
        hint: `A shorter retention deletes files that time travel to versions inside the ${formatDuration(tableRetention.ms)} window still needs, and files that running readers or concurrent writers (not yet committed) still use, which breaks their queries and can corrupt their commits. Force the retention only when no other process reads or writes the table and losing time travel is acceptable.`,
      },
    );
  }
  const nowMs = (options.now ?? (() => new Date()))().getTime();
  const cutoffMs = nowMs - retentionMs;
  const live = referencedPaths(snapshot);
  const tombstones = new Map<string, number | undefined>();
  for (const remove of snapshot.tombstones.values()) {
    tombstones.set(
      resolveLocation(resolveDataFile(root, decodeAddPath(remove.path))),
      remove.deletionTimestamp ?? undefined,
    );
  }
  const listed = await listDataFiles(root, snapshot.partitionColumns);
  const files: VacuumCandidate[] = [];
  let liveFiles = 0;
  let recentFiles = 0;
  for (const file of listed) {
    if (live.has(file.absolute)) {
      liveFiles++;
      continue;
    }
    const isTombstone = tombstones.has(file.absolute);
    const deletedAt = tombstones.get(file.absolute);
    const since = Math.max(file.mtimeMs, deletedAt ?? Number.NEGATIVE_INFINITY);
    if (since >= cutoffMs) {
      recentFiles++;
      continue;
    }
    files.push({
      path: file.relative,
      absolutePath: file.absolute,
      bytes: file.bytes,
      kind: isTombstone ? 'tombstone' : 'orphan',
      since,
    });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    tablePath: root,
    snapshot,
    retentionMs,
    tableRetention,
    forced,
    nowMs,
    cutoffMs,
    files,
    bytes: files.reduce((n, f) => n + f.bytes, 0),
    scannedFiles: listed.length,
    liveFiles,
    recentFiles,
  };
}

/**
 * Deletes the candidates that are still regular files older than the cutoff (each stat'ed again right
 * before); the others are kept.
 */
async function deleteCandidates(
  candidates: readonly VacuumCandidate[],
  cutoffMs: number,
  onStep: StepHook | undefined,
): Promise<{ deleted: string[]; bytesDeleted: number; kept: number }> {
  const deleted: string[] = [];
  let bytesDeleted = 0;
  let kept = 0;
  for (const file of candidates) {
    const info = await currentState(file.absolutePath);
    if (info === undefined) {
      // Already gone (an earlier, interrupted vacuum): counts as deleted, like delta-rs's NotFound.
      deleted.push(file.path);
      continue;
    }
    if (!info.isFile || info.mtimeMs >= cutoffMs) {
      kept++;
      continue;
    }
    await storageFor(file.absolutePath).deleteMany([file.absolutePath]);
    deleted.push(file.path);
    bytesDeleted += file.bytes;
    await onStep?.('vacuum:deleted-file');
  }
  return { deleted, bytesDeleted, kept };
}

/** Deletes the planned files (after re-checking them), between VACUUM START and VACUUM END commits. */
export async function executeVacuum(
  plan: VacuumPlan,
  options: ExecuteVacuumOptions = {},
): Promise<VacuumMetrics> {
  const started = performance.now();
  const root = plan.tablePath;
  const now = options.now ?? (() => new Date());
  const result = (fields: Partial<VacuumMetrics>): VacuumMetrics => ({
    dryRun: options.dryRun === true,
    retentionMs: plan.retentionMs,
    cutoff: new Date(plan.cutoffMs).toISOString(),
    filesDeleted: 0,
    bytesDeleted: 0,
    files: [],
    filesKept: 0,
    scannedFiles: plan.scannedFiles,
    startVersion: undefined,
    endVersion: undefined,
    ...fields,
    durationMs: performance.now() - started,
  });
  if (options.dryRun) {
    return result({
      filesDeleted: plan.files.length,
      bytesDeleted: plan.bytes,
      files: plan.files.map((f) => f.path),
    });
  }
  if (plan.files.length === 0) return result({});

  const fresh = await loadSnapshot(root, { connection: options.connection, checkReaderProtocol: false });
  assertWritable(root, fresh.protocol, fresh.metadata, fresh.schema);
  const live = referencedPaths(fresh);
  const candidates = plan.files.filter((f) => !live.has(f.absolutePath));
  let kept = plan.files.length - candidates.length;
  const record = options.recordCommits !== false;
  const commitOptions: CommitOptions = { now, ...options.commit };

  let startVersion: number | undefined;
  if (record) {
    const outcome = await commitTransaction(
      root,
      {
        readVersion: fresh.version,
        actions: [],
        commitInfo: {
          operation: 'VACUUM START',
          operationParameters: {
            retentionCheckEnabled: String(!plan.forced),
            specifiedRetentionMillis: String(plan.retentionMs),
            defaultRetentionMillis: String(plan.tableRetention.ms),
          },
          operationMetrics: {
            numFilesToDelete: String(candidates.length),
            sizeOfDataToDelete: String(candidates.reduce((n, f) => n + f.bytes, 0)),
          },
          readVersion: fresh.version,
          isBlindAppend: true,
          engineInfo: engineInfo(),
        },
      },
      commitOptions,
    );
    startVersion = outcome.version;
    await options.onStep?.('vacuum:started');
  }

  const deletion = await deleteCandidates(candidates, plan.cutoffMs, options.onStep);
  const { deleted, bytesDeleted } = deletion;
  kept += deletion.kept;

  let endVersion: number | undefined;
  if (record && startVersion !== undefined) {
    const outcome = await commitTransaction(
      root,
      {
        readVersion: startVersion,
        actions: [],
        commitInfo: {
          operation: 'VACUUM END',
          operationParameters: { status: 'COMPLETED' },
          operationMetrics: { numDeletedFiles: String(deleted.length), numVacuumedDirectories: '0' },
          readVersion: startVersion,
          isBlindAppend: true,
          engineInfo: engineInfo(),
        },
      },
      commitOptions,
    );
    endVersion = outcome.version;
    for (const version of [startVersion, endVersion]) {
      await checkpointIfDue(root, version, fresh.metadata, {
        connection: options.connection,
        now,
        onWarning: options.onWarning,
      });
    }
  }
  return result({
    filesDeleted: deleted.length,
    bytesDeleted,
    files: deleted,
    filesKept: kept,
    startVersion,
    endVersion,
  });
}

/** Loads the latest snapshot, plans and executes VACUUM. */
export async function vacuumTable(
  tablePath: string,
  options: VacuumOptions & ExecuteVacuumOptions = {},
): Promise<VacuumMetrics> {
  const snapshot = await loadSoundSnapshot(await listLog(resolveLocation(tablePath)), options.connection);
  return executeVacuum(await planVacuum(snapshot, options), options);
}
