/**
 * A table's Snapshot by full replay: start from the newest complete checkpoint at or below the target
 * version, then apply the JSON commits above it in order (reconciliation rules in replay.ts).
 *
 * Hazards handled here: a gap in commit versions after the base is corruption (never silently
 * skipped); JSON commits at or below the checkpoint are never read; an unreadable checkpoint falls
 * back to an older base only when the JSON commits needed for that are all present.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { withWriteConnection } from '../duckdb.js';
import { DeltaLogCorruptError } from '../errors.js';
import { storageFor } from '../storage/index.js';
import { joinLocation } from '../storage/location.js';
import { readCheckpointActions } from './checkpoint-read.js';
import { type CheckpointRef, type LogListing, listLog, readCommit } from './log.js';
import {
  buildSnapshot,
  commitTimestampOf,
  corrupt,
  type ReaderGateOption,
  Replay,
  type ReplayedSnapshot,
} from './replay.js';
import {
  describeCommits,
  firstMissingCommit,
  hasCommit,
  resolveTarget,
  type TimeTravelOptions,
} from './time-travel.js';
import { type Action, commitFileName, type Snapshot } from './types.js';

export interface ReplayOptions extends TimeTravelOptions, ReaderGateOption {
  /** Used to read checkpoints; absent: a connection to the process's shared in-memory DuckDB. */
  connection?: DuckDBConnection | undefined;
}

interface ReplayPlan {
  checkpoint: CheckpointRef | undefined;
  commits: number[];
}

/**
 * Replay plans, newest checkpoint first, produced lazily: the usual open tries only the first, so a
 * log with thousands of checkpoints and commits costs one walk of at most checkpointInterval versions.
 */
function* plansFor(listing: LogListing, target: number): Generator<ReplayPlan> {
  const bases: (CheckpointRef | undefined)[] = listing.checkpoints
    .filter((c) => c.version <= target)
    .reverse();
  bases.push(undefined);
  for (const [i, checkpoint] of bases.entries()) {
    const base = checkpoint ? checkpoint.version : -1;
    const missing = firstMissingCommit(listing.commitVersions, base, target);
    if (missing !== undefined) {
      if (i === 0) {
        throw corrupt(
          listing.tablePath,
          `missing commit ${missing}: versions not contiguous (${checkpoint ? `replaying from checkpoint ${checkpoint.version}` : 'no checkpoint'} to version ${target}; ${describeCommits(listing)}).`,
        );
      }
      continue;
    }
    const commits: number[] = [];
    for (let v = base + 1; v <= target; v++) commits.push(v);
    yield { checkpoint, commits };
  }
}

async function replayCheckpoint(
  replay: Replay,
  checkpoint: CheckpointRef,
  connection: DuckDBConnection | undefined,
): Promise<void> {
  // Without a caller connection, the process's shared instance: opening a fresh in-memory DuckDB
  // costs more than reading a typical checkpoint.
  const actions = await withWriteConnection(connection, (c) => readCheckpointActions(c, checkpoint));
  const where = `checkpoint ${checkpoint.version}`;
  for (const action of actions) replay.apply(action, where);
}

/**
 * Loads the table state at the latest version, or at `version` / `timestamp`, by a full replay.
 * Throws DeltaTableNotFoundError, DeltaVersionNotFoundError, DeltaLogCorruptError or DeltaUnsupportedError.
 */
export async function replaySnapshot(tablePath: string, options: ReplayOptions = {}): Promise<Snapshot> {
  return (await listAndReplay(tablePath, options)).replayed.snapshot;
}

/**
 * Lists the log and replays it. The newest version is replayed from a listing that starts at the last
 * checkpoint where that lists less (object stores); a replay that needs what it left out (the
 * checkpoint turns out unreadable, so an older base is needed) lists again, whole.
 */
export async function listAndReplay(
  tablePath: string,
  options: ReplayOptions = {},
): Promise<{ listing: LogListing; replayed: ReplayedSnapshot }> {
  const newest = options.version === undefined && options.timestamp === undefined;
  const listing = await listLog(tablePath, { fromLastCheckpoint: newest });
  try {
    return { listing, replayed: await replayListing(listing, options) };
  } catch (error) {
    if (listing.listedFrom === undefined || !(error instanceof DeltaLogCorruptError)) throw error;
    const whole = await listLog(tablePath);
    return { listing: whole, replayed: await replayListing(whole, options) };
  }
}

/** As loadSnapshot, from a listing the caller already has (saves a directory listing). Never cached. */
export async function loadSnapshotFromListing(
  listing: LogListing,
  options: ReplayOptions = {},
): Promise<Snapshot> {
  return (await replayListing(listing, options)).snapshot;
}

/** Full replay: newest usable checkpoint at or below the target, then the JSON commits above it. */
export async function replayListing(
  listing: LogListing,
  options: ReplayOptions = {},
): Promise<ReplayedSnapshot> {
  const root = listing.tablePath;
  const target = await resolveTarget(listing, options);
  const plans = plansFor(listing, target);

  let replay: Replay | undefined;
  let used: ReplayPlan | undefined;
  let checkpointError: unknown;
  for (const plan of plans) {
    const attempt = new Replay(root);
    if (plan.checkpoint) {
      try {
        await replayCheckpoint(attempt, plan.checkpoint, options.connection);
      } catch (error) {
        if (!(error instanceof DeltaLogCorruptError)) throw error;
        checkpointError ??= error;
        continue;
      }
    }
    replay = attempt;
    used = plan;
    break;
  }
  if (!replay || !used) {
    if (checkpointError) throw checkpointError;
    throw corrupt(root, `no way to reconstruct version ${target} (${describeCommits(listing)}).`);
  }

  let lastCommitActions: Action[] | undefined;
  for (const version of used.commits) {
    const actions = await readCommit(root, version);
    const where = `commit ${version}`;
    for (const action of actions) replay.apply(action, where);
    if (version === target) lastCommitActions = actions;
  }

  const built = buildSnapshot(replay, root, target, options, undefined);

  let timestamp = lastCommitActions ? commitTimestampOf(lastCommitActions) : undefined;
  if (timestamp === undefined && !lastCommitActions && hasCommit(listing.commitVersions, target)) {
    // The target is the checkpoint's own version: read just its commit for the commit time.
    timestamp = commitTimestampOf(await readCommit(root, target));
  }
  if (timestamp === undefined) {
    const storage = storageFor(root);
    const commitFile = joinLocation(listing.logDir, commitFileName(target));
    const head = await storage.head(commitFile).catch(() => undefined);
    timestamp =
      head?.mtimeMs ??
      (used.checkpoint ? ((await storage.head(used.checkpoint.files[0] as string))?.mtimeMs ?? 0) : 0);
  }
  return {
    snapshot: { ...built, timestamp: Math.trunc(timestamp), checkpointVersion: used.checkpoint?.version },
    state: replay,
  };
}
