/**
 * In-process cache of the newest snapshot per table, advanced by incremental replay.
 *
 * A full load lists `_delta_log` and reads the newest checkpoint through DuckDB, which costs far more
 * than a small append; a long-running writer loads the same table before every append. The cache keeps
 * the last snapshot per table path (a few tables, least recently used dropped) together with its replay
 * state, and on the next load reads only the commits written since, applying them with the same
 * Replay as a full load (replay.ts continueReplay).
 *
 * HAZARDS, and why this is still exact:
 * - Commits are immutable, so the cached state at version v stays the state at v for as long as
 *   `<v>.json` is the file it was built from. A table deleted and recreated at the same path reuses
 *   version numbers: every load compares a hash of `<v>.json` with the one taken when v was cached, and
 *   a missing or different file (log shrunk, table recreated) drops the entry for a full load.
 * - New commits are found by reading `<v+1>.json`, `<v+2>.json`, … until one is missing: O(new
 *   commits), where a directory listing is O(log length). Writers claim versions in order (a version is
 *   taken only after the one below it exists), so a later version after a missing one means a damaged
 *   log, which the next full load reports.
 * - The result equals a full replay from the checkpoint the cached state started from
 *   (`checkpointVersion` says which). Tombstones that a newer checkpoint has dropped as expired are
 *   kept until the state is rebuilt by a full load, at the latest every `rebuildAfterCommits` commits.
 * - Snapshots handed out are never mutated: advancing copies the state's maps and shares only the
 *   unchanged, never-modified action and live-file objects, and the tombstone map until a commit
 *   changes it (then it is copied first). Callers must treat snapshots as read-only.
 */
import { createHash } from 'node:crypto';
import { storageFor } from '../storage/index.js';
import { joinLocation, resolveLocation } from '../storage/location.js';
import { logDirOf, parseCommit } from './log.js';
import { assertNoDeletionVectors, assertReadable } from './protocol.js';
import { continueReplay, type ParsedCommit, type ReplayedSnapshot } from './replay.js';
import { listAndReplay, type ReplayOptions, replaySnapshot } from './snapshot.js';
import { textPieces } from './text-io.js';
import { commitFileName, type Snapshot } from './types.js';

export interface SnapshotCacheOptions {
  /** Tables kept (least recently used dropped first). Default 8. */
  maxTables?: number;
  /** More new commits than this since the cached version: a full load (one checkpoint) is cheaper. Default 200. */
  maxCommitsPerAdvance?: number;
  /** Rebuild by a full load once the cached state is this many commits past its last full load. Default 1000. */
  rebuildAfterCommits?: number;
}

/** How loads were served, for tests and benchmarks. */
export interface SnapshotCacheStats {
  /** Loads that replayed from a checkpoint (no usable entry). */
  fullLoads: number;
  /** Loads that replayed only new commits onto a cached state. */
  advances: number;
  /** Loads answered by the cached snapshot itself (no new commits). */
  hits: number;
  /** Entries dropped because their commit file vanished or changed (log shrunk, table recreated). */
  invalidations: number;
}

interface Entry {
  replayed: ReplayedSnapshot;
  /** Hash of the `<version>.json` the cached state ends with. */
  commitHash: string;
  /** Version of the last full load this state descends from. */
  fullLoadVersion: number;
}

function hashText(text: string): string {
  const hash = createHash('sha1');
  for (const piece of textPieces(text)) hash.update(piece);
  return hash.digest('base64');
}

/** The text of `<version>.json`, or undefined when it does not exist. */
async function readCommitText(logDir: string, version: number): Promise<string | undefined> {
  return storageFor(logDir).readText(joinLocation(logDir, commitFileName(version)));
}

export class SnapshotCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxTables: number;
  private readonly maxCommitsPerAdvance: number;
  private readonly rebuildAfterCommits: number;
  readonly stats: SnapshotCacheStats = { fullLoads: 0, advances: 0, hits: 0, invalidations: 0 };

  constructor(options: SnapshotCacheOptions = {}) {
    this.maxTables = Math.max(1, options.maxTables ?? 8);
    this.maxCommitsPerAdvance = Math.max(1, options.maxCommitsPerAdvance ?? 200);
    this.rebuildAfterCommits = Math.max(1, options.rebuildAfterCommits ?? 1000);
  }

  /**
   * As replaySnapshot, served from the cache where possible. Time travel by timestamp bypasses the cache;
   * an explicit version at or above the cached one is reached incrementally, an older one by a full load.
   */
  async load(tablePath: string, options: ReplayOptions = {}): Promise<Snapshot> {
    if (options.timestamp !== undefined) return replaySnapshot(tablePath, options);
    const root = resolveLocation(tablePath);
    const entry = this.entries.get(root);
    const advanced = entry ? await this.advance(root, entry, options.version) : undefined;
    let snapshot: Snapshot;
    if (advanced) {
      snapshot = advanced.snapshot;
    } else {
      const { listing, replayed } = await listAndReplay(root, { ...options, checkReaderProtocol: false });
      this.stats.fullLoads++;
      const text = await readCommitText(listing.logDir, replayed.snapshot.version);
      if (text !== undefined) {
        this.store(root, {
          replayed,
          commitHash: hashText(text),
          fullLoadVersion: replayed.snapshot.version,
        });
      }
      snapshot = replayed.snapshot;
    }
    if (options.checkReaderProtocol !== false) {
      assertReadable(snapshot.protocol, root);
      assertNoDeletionVectors(snapshot.files, root);
    }
    return snapshot;
  }

  /** Forgets one table (path as given to load), or every table. */
  invalidate(tablePath?: string): void {
    if (tablePath === undefined) this.entries.clear();
    else this.entries.delete(resolveLocation(tablePath));
  }

  /** Number of tables cached. */
  get size(): number {
    return this.entries.size;
  }

  /** The cached state moved forward to `version` (default: the newest commit), or undefined for a full load. */
  private async advance(
    root: string,
    entry: Entry,
    version: number | undefined,
  ): Promise<ReplayedSnapshot | undefined> {
    const cached = entry.replayed.snapshot.version;
    if (version !== undefined && version < cached) return undefined;
    const logDir = logDirOf(root);
    const current = await readCommitText(logDir, cached);
    if (current === undefined || hashText(current) !== entry.commitHash) {
      if (this.entries.get(root) === entry) this.entries.delete(root);
      this.stats.invalidations++;
      return undefined;
    }
    const commits: ParsedCommit[] = [];
    let lastText = current;
    for (let v = cached + 1; version === undefined || v <= version; v++) {
      if (commits.length >= this.maxCommitsPerAdvance) return undefined;
      const text = await readCommitText(logDir, v);
      if (text === undefined) break;
      commits.push({ version: v, actions: parseCommit(text, joinLocation(logDir, commitFileName(v))) });
      lastText = text;
    }
    const reached = cached + commits.length;
    // A version beyond the newest commit: the full load reports it properly.
    if (version !== undefined && reached !== version) return undefined;
    if (commits.length === 0) {
      this.touch(root, entry);
      this.stats.hits++;
      return entry.replayed;
    }
    if (reached - entry.fullLoadVersion >= this.rebuildAfterCommits) return undefined;
    const replayed = await continueReplay(entry.replayed, commits, { checkReaderProtocol: false });
    this.stats.advances++;
    this.store(root, { replayed, commitHash: hashText(lastText), fullLoadVersion: entry.fullLoadVersion });
    return replayed;
  }

  /** Keeps the newer of the stored and the given entry (concurrent loads may finish out of order). */
  private store(root: string, entry: Entry): void {
    const existing = this.entries.get(root);
    if (existing && existing.replayed.snapshot.version > entry.replayed.snapshot.version) {
      this.touch(root, existing);
      return;
    }
    this.touch(root, entry);
  }

  private touch(root: string, entry: Entry): void {
    this.entries.delete(root);
    this.entries.set(root, entry);
    while (this.entries.size > this.maxTables) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}

/** The cache `loadSnapshot(path, { cache: true })` (open.ts) serves from. */
export const processSnapshotCache = new SnapshotCache();
