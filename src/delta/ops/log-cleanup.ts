/**
 * Log cleanup (the protocol's "Metadata Cleanup"): deletes JSON commits, checkpoints and their
 * companion files older than `delta.logRetentionDuration` (default 30 days) once a newer checkpoint
 * makes them unnecessary.
 *
 * HAZARD. A reader rebuilds the table from the newest checkpoint it can read plus the JSON commits
 * after it, so deleting the wrong file makes the table unreadable (delta-rs#2174 deleted the newest
 * checkpoint). The rules:
 * - the cutoff is now − retention; the first version whose commit timestamp (commitInfo.timestamp,
 *   else the file's mtime, as time travel uses) is at or after the cutoff is the oldest version time
 *   travel inside the retention may ask for;
 * - the kept base is the newest checkpoint at or below that version, and it must be readable
 *   (protocol and metaData present) before anything older is deleted; if it is not, an older readable
 *   checkpoint is used; with no usable checkpoint nothing is deleted;
 * - only files of versions strictly below the base are deleted: the base checkpoint, its JSON commit,
 *   the newest checkpoint and everything after them stay;
 * - deletions go in ascending version order, so after a crash at any point the log is a contiguous
 *   suffix of commits on top of a complete checkpoint, which readers open as before.
 * Temp files of crashed writers (`_commit-*.tmp` after a full disk, staged data files after a kill)
 * go too, once older than any live writer holds one (removeStaleTemps).
 * A reader that listed the log just before the cleanup and then replays from an older checkpoint can
 * find a commit gone; it fails with a clear corrupt-log error and succeeds on retry, never reading
 * wrong data. This needs a reader that took longer than the retention window, so it is theoretical.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { withConnection } from '../duckdb.js';
import { readCheckpointActions } from '../log/checkpoint-read.js';
import { type CheckpointRef, type LogListing, listLog, logDirOf } from '../log/log.js';
import { loadSnapshotFromListing } from '../log/snapshot.js';
import { commitTimestamp } from '../log/time-travel.js';
import { storageFor } from '../storage/index.js';
import { joinLocation, resolveLocation } from '../storage/location.js';
import { removeStaleTemps } from '../write/checkpoint-write.js';
import { fsyncDirectory } from '../write/put-if-absent.js';
import { assertWritable } from '../write/write-protocol.js';
import { loadSoundSnapshot } from './preflight.js';
import { logRetention, type RetentionProperty, type StepHook } from './units.js';

export interface LogCleanupOptions {
  /** Override the table's delta.logRetentionDuration (tests, tools). */
  retentionMs?: number | undefined;
  now?: (() => Date) | undefined;
  connection?: DuckDBConnection | undefined;
}

export type LogFileKind = 'commit' | 'checkpoint' | 'checksum' | 'compaction';

export interface LogCleanupFile {
  name: string;
  version: number;
  kind: LogFileKind;
  bytes: number;
}

export type LogCleanupSkip = 'disabled' | 'no-checkpoint' | 'nothing-expired';

export interface LogCleanupPlan {
  tablePath: string;
  retention: RetentionProperty;
  nowMs: number;
  cutoffMs: number;
  latestVersion: number;
  newestCheckpoint: number | undefined;
  /** The checkpoint kept as the oldest base; files of versions below it are deleted. */
  keepVersion: number | undefined;
  /** Files to delete, in deletion order. */
  files: LogCleanupFile[];
  bytes: number;
  /** Why nothing is deleted, when nothing is. */
  skipped: LogCleanupSkip | undefined;
}

export interface ExecuteLogCleanupOptions {
  dryRun?: boolean | undefined;
  onStep?: StepHook | undefined;
}

export interface LogCleanupMetrics {
  dryRun: boolean;
  keepVersion: number | undefined;
  skipped: LogCleanupSkip | undefined;
  filesDeleted: number;
  bytesDeleted: number;
  commitsDeleted: number;
  checkpointsDeleted: number;
  /** The oldest version still reconstructable afterwards. */
  earliestVersion: number | undefined;
  /** Temp files of crashed writers removed (commit/checkpoint temps > 1 h, staged files > 6 h old). */
  tempFilesDeleted: number;
  durationMs: number;
}

const FILE_PATTERNS: ReadonlyArray<[RegExp, LogFileKind]> = [
  [/^(\d{20})\.json$/, 'commit'],
  [/^(\d{20})\.checkpoint\.parquet$/, 'checkpoint'],
  [/^(\d{20})\.checkpoint\.\d{10}\.\d{10}\.parquet$/, 'checkpoint'],
  [/^(\d{20})\.crc$/, 'checksum'],
  // x.y.compacted.json covers versions x..y: its age is that of y.
  [/^\d{20}\.(\d{20})\.compacted\.json$/, 'compaction'],
];

const KIND_ORDER: Readonly<Record<LogFileKind, number>> = {
  commit: 0,
  checkpoint: 1,
  checksum: 2,
  compaction: 3,
};

function classify(name: string): { version: number; kind: LogFileKind } | undefined {
  for (const [re, kind] of FILE_PATTERNS) {
    const m = re.exec(name);
    if (m) return { version: Number(m[1]), kind };
  }
  return undefined;
}

async function isUsableCheckpoint(connection: DuckDBConnection, checkpoint: CheckpointRef): Promise<boolean> {
  try {
    const actions = await readCheckpointActions(connection, checkpoint);
    return actions.some((a) => 'protocol' in a) && actions.some((a) => 'metaData' in a);
  } catch {
    return false;
  }
}

/**
 * The oldest version time travel inside the retention may ask for. A version whose JSON commit is gone
 * but whose checkpoint remains (commits deleted by hand or by another tool) can still be read from that
 * checkpoint: its age is the checkpoint file's mtime, so a recent one is kept like a recent commit.
 */
async function oldestRetainedVersion(listing: LogListing, cutoffMs: number): Promise<number> {
  const commits = new Set(listing.commitVersions);
  const checkpoints = new Map(listing.checkpoints.map((c) => [c.version, c]));
  const versions = [...new Set([...commits, ...checkpoints.keys()])].sort((a, b) => a - b);
  const storage = storageFor(listing.tablePath);
  for (const version of versions) {
    const checkpoint = checkpoints.get(version);
    const stampMs = commits.has(version)
      ? await commitTimestamp(listing.tablePath, version)
      : ((await storage.head(checkpoint?.files[0] as string).catch(() => undefined))?.mtimeMs ??
        UNKNOWN_STAMP);
    if (stampMs >= cutoffMs) return version;
  }
  return listing.latestVersion;
}

/** A checkpoint whose time cannot be read counts as recent: nothing is deleted on a guess. */
const UNKNOWN_STAMP = Number.POSITIVE_INFINITY;

/** Decides which log files can go. Reads the log; deletes nothing. */
export async function planLogCleanup(
  tablePath: string,
  options: LogCleanupOptions = {},
): Promise<LogCleanupPlan> {
  const listing = await listLog(resolveLocation(tablePath));
  const root = listing.tablePath;
  return withConnection(options.connection, async (connection) => {
    const snapshot = await loadSnapshotFromListing(listing, { connection, checkReaderProtocol: false });
    assertWritable(root, snapshot.protocol, snapshot.metadata, snapshot.schema);
    const tableRetention = logRetention(root, snapshot.metadata);
    const retention: RetentionProperty =
      options.retentionMs === undefined ? tableRetention : { ...tableRetention, ms: options.retentionMs };
    const nowMs = (options.now ?? (() => new Date()))().getTime();
    const cutoffMs = nowMs - retention.ms;
    const newestCheckpoint = listing.checkpoints[listing.checkpoints.length - 1]?.version;
    const plan: LogCleanupPlan = {
      tablePath: root,
      retention,
      nowMs,
      cutoffMs,
      latestVersion: listing.latestVersion,
      newestCheckpoint,
      keepVersion: undefined,
      files: [],
      bytes: 0,
      skipped: undefined,
    };
    if (snapshot.metadata.configuration['delta.enableExpiredLogCleanup'] === 'false') {
      return { ...plan, skipped: 'disabled' };
    }

    const oldestRetained = await oldestRetainedVersion(listing, cutoffMs);
    let keep: CheckpointRef | undefined;
    for (const checkpoint of [...listing.checkpoints].reverse()) {
      if (checkpoint.version > oldestRetained) continue;
      if (await isUsableCheckpoint(connection, checkpoint)) {
        keep = checkpoint;
        break;
      }
    }
    if (!keep) return { ...plan, skipped: 'no-checkpoint' };

    const files: LogCleanupFile[] = [];
    const storage = storageFor(root);
    for (const entry of await storage.list(listing.logDir)) {
      const name = entry.name;
      const kind = classify(name);
      if (!kind || kind.version >= keep.version) continue;
      const size =
        entry.size ?? (await storage.head(joinLocation(listing.logDir, name)).catch(() => undefined))?.size;
      if (size !== undefined) files.push({ name, ...kind, bytes: size });
    }
    files.sort((a, b) => a.version - b.version || KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
    return {
      ...plan,
      keepVersion: keep.version,
      files,
      bytes: files.reduce((n, f) => n + f.bytes, 0),
      skipped: files.length === 0 ? 'nothing-expired' : undefined,
    };
  });
}

/** Deletes the planned log files, oldest version first. */
export async function executeLogCleanup(
  plan: LogCleanupPlan,
  options: ExecuteLogCleanupOptions = {},
): Promise<LogCleanupMetrics> {
  const started = performance.now();
  const count = (kind: LogFileKind) => plan.files.filter((f) => f.kind === kind).length;
  const earliest = plan.keepVersion === undefined ? undefined : plan.keepVersion;
  const metrics: LogCleanupMetrics = {
    dryRun: options.dryRun === true,
    keepVersion: plan.keepVersion,
    skipped: plan.skipped,
    filesDeleted: plan.files.length,
    bytesDeleted: plan.bytes,
    commitsDeleted: count('commit'),
    checkpointsDeleted: count('checkpoint'),
    earliestVersion: earliest,
    tempFilesDeleted: 0,
    durationMs: 0,
  };
  if (options.dryRun) return { ...metrics, durationMs: performance.now() - started };
  const logDir = logDirOf(plan.tablePath);
  const storage = storageFor(logDir);
  // A full disk or a kill leaves temps that no later commit removes (they are named by a fresh UUID);
  // object stores get none (commits and data files are written under their final names).
  // Against the wall clock, not plan.nowMs: mtimes are the kernel's, and a clock set ahead (tests,
  // tools) must never make a concurrent writer's fresh temp look stale.
  if (storage.kind === 'local') metrics.tempFilesDeleted = await removeStaleTemps(plan.tablePath, Date.now());
  if (plan.files.length === 0) return { ...metrics, durationMs: performance.now() - started };
  for (const file of plan.files) {
    await storage.deleteMany([joinLocation(logDir, file.name)]);
    await options.onStep?.('log-cleanup:deleted-file');
  }
  if (storage.kind === 'local') await fsyncDirectory(logDir).catch(() => undefined);
  return { ...metrics, durationMs: performance.now() - started };
}

/** Plans and executes log cleanup. */
export async function cleanupLog(
  tablePath: string,
  options: LogCleanupOptions & ExecuteLogCleanupOptions = {},
): Promise<LogCleanupMetrics> {
  await loadSoundSnapshot(await listLog(resolveLocation(tablePath)), options.connection);
  return executeLogCleanup(await planLogCleanup(tablePath, options), options);
}
