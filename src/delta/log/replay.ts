/**
 * Log replay per the protocol's Action Reconciliation rules: latest protocol and metaData win; files
 * are keyed by (decoded path, deletion vector); the latest txn per appId wins; removes are kept as
 * tombstones (without their stats, as in a checkpoint). A replay can continue from an earlier one's
 * state (continueReplay), which the snapshot cache uses to apply only new commits.
 */

import { DeltaLogCorruptError } from '../errors.js';
import { parseSchemaString } from '../read/schema.js';
import { storageFor } from '../storage/index.js';
import { joinLocation } from '../storage/location.js';
import { decodeAddPath } from './paths.js';
import { assertNoDeletionVectors, assertReadable } from './protocol.js';
import {
  type Action,
  type AddAction,
  type CommitInfo,
  commitFileName,
  type DeltaStructType,
  type FileStats,
  type LiveFile,
  LOG_DIR,
  type Metadata,
  type Protocol,
  type RemoveAction,
  type Snapshot,
  type TxnAction,
} from './types.js';

/** Whether a replay checks the reader protocol gate (the writer applies its own). Default true. */
export interface ReaderGateOption {
  checkReaderProtocol?: boolean | undefined;
}

type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function corrupt(tablePath: string, message: string, cause?: unknown): DeltaLogCorruptError {
  return new DeltaLogCorruptError(`Delta log of ${tablePath} is corrupt: ${message}`, {
    cause,
    hint: 'The table cannot be read safely. Restore the missing or damaged _delta_log files from a copy of the table.',
  });
}

function stringMap(value: unknown): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (!isRecord(value)) return out;
  for (const [k, v] of Object.entries(value)) out[k] = v === null || v === undefined ? null : String(v);
  return out;
}

// Actions of one partition share one frozen partitionValues object, across replays: a collector's cached
// state holds a week of tombstones (~1,000 per compaction) and a day of adds, nearly all of a handful of
// partitions. Bounded: the cache starts over once it holds PARTITION_CACHE_LIMIT distinct maps.
const PARTITION_CACHE_LIMIT = 4096;
const partitionCache = new Map<string, Readonly<Record<string, string | null>>>();

function sharedPartitionValues(value: unknown): Record<string, string | null> {
  const values = stringMap(value);
  const key = JSON.stringify(values);
  const known = partitionCache.get(key);
  if (known) return known as Record<string, string | null>;
  if (partitionCache.size >= PARTITION_CACHE_LIMIT) partitionCache.clear();
  partitionCache.set(key, Object.freeze(values));
  return values;
}

function toNumber(value: unknown, fallback: number): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return fallback;
}

/** Identity of a file action: the decoded path plus the deletion vector's unique id, if any. */
function fileKey(decodedPath: string, deletionVector: unknown): string {
  if (!isRecord(deletionVector)) return decodedPath;
  const id = `${String(deletionVector.storageType ?? '')}${String(deletionVector.pathOrInlineDv ?? '')}${
    deletionVector.offset === undefined || deletionVector.offset === null
      ? ''
      : `@${String(deletionVector.offset)}`
  }`;
  return `${decodedPath}\u0000${id}`;
}

/** Parses an add's stats JSON; a broken stats string only disables data skipping for that file. */
export function parseStats(stats: string | null | undefined): FileStats | undefined {
  if (typeof stats !== 'string' || stats === '') return undefined;
  try {
    const value: unknown = JSON.parse(stats);
    if (!isRecord(value)) return undefined;
    const result: FileStats = {};
    if (typeof value.numRecords === 'number') result.numRecords = value.numRecords;
    else if (typeof value.numRecords === 'string' && /^\d+$/.test(value.numRecords))
      result.numRecords = Number(value.numRecords);
    if (isRecord(value.minValues)) result.minValues = value.minValues;
    if (isRecord(value.maxValues)) result.maxValues = value.maxValues;
    if (isRecord(value.nullCount)) result.nullCount = value.nullCount;
    if (typeof value.tightBounds === 'boolean') result.tightBounds = value.tightBounds;
    return result;
  } catch {
    return undefined;
  }
}

const NOT_PARSED: unique symbol = Symbol('stats not parsed');

/**
 * A live file whose stats JSON is parsed on first use. A writer keeps a snapshot of every live file
 * and never reads their stats; parsed, they would double what each file costs in memory (~1.3 KB of
 * objects next to the ~1.2 KB string), which a long-running collector holds for a thousand files.
 */
class LiveFileEntry implements LiveFile {
  readonly relativePath: string;
  #parsed: FileStats | undefined | typeof NOT_PARSED = NOT_PARSED;

  constructor(readonly add: AddAction) {
    this.relativePath = decodeAddPath(add.path);
  }

  get stats(): FileStats | undefined {
    if (this.#parsed === NOT_PARSED) this.#parsed = parseStats(this.add.stats);
    return this.#parsed;
  }
}

/** The live file of an add (its stats parsed when first read). */
export function liveFileOf(add: AddAction): LiveFile {
  return new LiveFileEntry(add);
}

/**
 * The reconciled state a replay ended with, from which another replay can continue (files and
 * tombstones keyed by decoded path and deletion vector). Never mutated once a snapshot is built from it.
 */
export interface ReplayState {
  readonly protocol: Protocol | undefined;
  readonly metadata: Metadata | undefined;
  readonly files: ReadonlyMap<string, AddAction>;
  readonly tombstones: ReadonlyMap<string, RemoveAction>;
  readonly txns: ReadonlyMap<string, TxnAction>;
}

/** A snapshot together with the replay state it was built from. */
export interface ReplayedSnapshot {
  snapshot: Snapshot;
  state: ReplayState;
}

/** Mutable replay state; starts empty or from a copy of an earlier replay's state. */
export class Replay implements ReplayState {
  protocol: Protocol | undefined;
  metadata: Metadata | undefined;
  readonly files: Map<string, AddAction>;
  // Shared with the state replayed from until a commit adds or removes a tombstone: a table keeps
  // every removed file for a week, and most commits (appends) never touch them.
  private tombstoneMap: ReadonlyMap<string, RemoveAction>;
  private ownsTombstones: boolean;
  readonly txns: Map<string, TxnAction>;

  constructor(
    private readonly tablePath: string,
    from?: ReplayState,
  ) {
    this.protocol = from?.protocol;
    this.metadata = from?.metadata;
    this.files = new Map(from?.files);
    this.tombstoneMap = from?.tombstones ?? new Map();
    this.ownsTombstones = !from;
    this.txns = new Map(from?.txns);
  }

  apply(action: Action, where: string): void {
    if (!isRecord(action)) return;
    if ('add' in action) this.applyAdd(action.add, where);
    else if ('remove' in action) this.applyRemove(action.remove, where);
    else if ('metaData' in action) this.applyMetadata(action.metaData, where);
    else if ('protocol' in action) this.applyProtocol(action.protocol, where);
    else if ('txn' in action) this.applyTxn(action.txn, where);
    // commitInfo, cdc, domainMetadata and unknown actions do not change the file set.
  }

  private applyAdd(value: unknown, where: string): void {
    if (!isRecord(value) || typeof value.path !== 'string' || value.path === '') {
      throw corrupt(this.tablePath, `${where}: an add action has no path.`);
    }
    // One literal with every field (absent ones undefined): fields added afterwards would cost each kept
    // action a separate property array.
    const add: AddAction = {
      path: value.path,
      partitionValues: sharedPartitionValues(value.partitionValues),
      size: toNumber(value.size, 0),
      modificationTime: toNumber(value.modificationTime, 0),
      dataChange: value.dataChange !== false,
      stats: typeof value.stats === 'string' ? value.stats : undefined,
      tags: isRecord(value.tags) ? (stringMap(value.tags) as Record<string, string>) : undefined,
      deletionVector: isRecord(value.deletionVector) ? value.deletionVector : undefined,
      baseRowId: typeof value.baseRowId === 'number' ? value.baseRowId : undefined,
      defaultRowCommitVersion:
        typeof value.defaultRowCommitVersion === 'number' ? value.defaultRowCommitVersion : undefined,
    };
    const key = fileKey(decodeAddPath(add.path), add.deletionVector);
    this.files.set(key, add);
    if (this.tombstoneMap.has(key)) this.ownTombstones().delete(key);
  }

  get tombstones(): ReadonlyMap<string, RemoveAction> {
    return this.tombstoneMap;
  }

  private ownTombstones(): Map<string, RemoveAction> {
    if (!this.ownsTombstones) {
      this.tombstoneMap = new Map(this.tombstoneMap);
      this.ownsTombstones = true;
    }
    return this.tombstoneMap as Map<string, RemoveAction>;
  }

  private applyRemove(value: unknown, where: string): void {
    if (!isRecord(value) || typeof value.path !== 'string' || value.path === '') {
      throw corrupt(this.tablePath, `${where}: a remove action has no path.`);
    }
    // A remove's stats are not kept: nothing reads a tombstone's stats and checkpoints leave them out,
    // while a collector's cached state would hold ~1 KB of them for every file a compaction removed.
    const remove: RemoveAction = {
      path: value.path,
      deletionTimestamp: typeof value.deletionTimestamp === 'number' ? value.deletionTimestamp : undefined,
      dataChange: value.dataChange !== false,
      extendedFileMetadata:
        typeof value.extendedFileMetadata === 'boolean' ? value.extendedFileMetadata : undefined,
      partitionValues: isRecord(value.partitionValues)
        ? sharedPartitionValues(value.partitionValues)
        : undefined,
      size: typeof value.size === 'number' ? value.size : undefined,
      deletionVector: isRecord(value.deletionVector) ? value.deletionVector : undefined,
    };
    const key = fileKey(decodeAddPath(remove.path), remove.deletionVector);
    this.files.delete(key);
    this.ownTombstones().set(key, remove);
  }

  private applyMetadata(value: unknown, where: string): void {
    if (!isRecord(value)) throw corrupt(this.tablePath, `${where}: a metaData action is not an object.`);
    const format = isRecord(value.format) ? value.format : {};
    this.metadata = {
      id: typeof value.id === 'string' ? value.id : String(value.id ?? ''),
      name: typeof value.name === 'string' ? value.name : null,
      description: typeof value.description === 'string' ? value.description : null,
      format: {
        provider: typeof format.provider === 'string' ? format.provider : 'parquet',
        options: stringMap(format.options) as Record<string, string>,
      },
      schemaString: typeof value.schemaString === 'string' ? value.schemaString : '',
      partitionColumns: Array.isArray(value.partitionColumns) ? value.partitionColumns.map(String) : [],
      configuration: stringMap(value.configuration),
      createdTime: typeof value.createdTime === 'number' ? value.createdTime : null,
    };
  }

  private applyProtocol(value: unknown, where: string): void {
    if (!isRecord(value)) throw corrupt(this.tablePath, `${where}: a protocol action is not an object.`);
    const reader = value.minReaderVersion;
    const writer = value.minWriterVersion;
    if (typeof reader !== 'number' || !Number.isInteger(reader) || typeof writer !== 'number') {
      throw corrupt(
        this.tablePath,
        `${where}: the protocol action lacks integer minReaderVersion/minWriterVersion.`,
      );
    }
    const protocol: Protocol = { minReaderVersion: reader, minWriterVersion: writer };
    if (Array.isArray(value.readerFeatures)) protocol.readerFeatures = value.readerFeatures.map(String);
    if (Array.isArray(value.writerFeatures)) protocol.writerFeatures = value.writerFeatures.map(String);
    this.protocol = protocol;
  }

  private applyTxn(value: unknown, where: string): void {
    if (!isRecord(value) || typeof value.appId !== 'string') {
      throw corrupt(this.tablePath, `${where}: a txn action has no appId.`);
    }
    const txn: TxnAction = { appId: value.appId, version: toNumber(value.version, -1) };
    if (typeof value.lastUpdated === 'number') txn.lastUpdated = value.lastUpdated;
    this.txns.set(txn.appId, txn);
  }
}

/** Timestamp (ms) of a commit: inCommitTimestamp, else commitInfo.timestamp, else the file's mtime. */
export function commitTimestampOf(actions: readonly Action[]): number | undefined {
  for (const action of actions) {
    if (isRecord(action) && 'commitInfo' in action && isRecord(action.commitInfo)) {
      const info = action.commitInfo as CommitInfo;
      const ict = info.inCommitTimestamp;
      if (typeof ict === 'number') return ict;
      if (typeof info.timestamp === 'number') return info.timestamp;
    }
  }
  return undefined;
}

/** One JSON commit, already read and parsed. */
export interface ParsedCommit {
  version: number;
  actions: Action[];
}

/**
 * Continues a replay: applies the commits that directly follow `base` (versions base+1, base+2, …, in
 * order) to a copy of its state, with the same reconciliation rules as a full replay. The result is
 * what a full replay from the checkpoint `base` started from would give; `base` is left unchanged,
 * and live-file entries of unchanged files are shared with it.
 */
export async function continueReplay(
  base: ReplayedSnapshot,
  commits: readonly ParsedCommit[],
  options: ReaderGateOption = {},
): Promise<ReplayedSnapshot> {
  const root = base.snapshot.tablePath;
  let expected = base.snapshot.version + 1;
  for (const commit of commits) {
    if (commit.version !== expected) {
      throw corrupt(root, `missing commit ${expected}: versions not contiguous (found ${commit.version}).`);
    }
    expected++;
  }
  const last = commits[commits.length - 1];
  if (!last) return base;
  const replay = new Replay(root, base.state);
  for (const commit of commits) {
    const where = `commit ${commit.version}`;
    for (const action of commit.actions) replay.apply(action, where);
  }
  const built = buildSnapshot(replay, root, last.version, options, base.snapshot);
  let timestamp = commitTimestampOf(last.actions);
  if (timestamp === undefined) {
    const commitFile = joinLocation(root, LOG_DIR, commitFileName(last.version));
    timestamp = await storageFor(root)
      .head(commitFile)
      .then(
        (s) => s?.mtimeMs ?? 0,
        () => 0,
      );
  }
  return {
    snapshot: {
      ...built,
      timestamp: Math.trunc(timestamp),
      checkpointVersion: base.snapshot.checkpointVersion,
    },
    state: replay,
  };
}

/**
 * Validates the replayed state and builds the snapshot (without timestamp and checkpoint). With a
 * `previous` snapshot, its schema and live-file entries are reused where the actions are the same objects.
 */
export function buildSnapshot(
  replay: Replay,
  root: string,
  target: number,
  options: ReaderGateOption,
  previous: Snapshot | undefined,
): Omit<Snapshot, 'timestamp' | 'checkpointVersion'> {
  if (!replay.protocol) {
    throw corrupt(
      root,
      `no protocol action found at version ${target} (a table's first commit must contain one).`,
    );
  }
  if (options.checkReaderProtocol !== false) assertReadable(replay.protocol, root);
  if (!replay.metadata) {
    throw corrupt(root, `no metadata (metaData action) found at version ${target}.`);
  }
  let schema: DeltaStructType;
  if (previous && previous.metadata === replay.metadata) {
    schema = previous.schema;
  } else {
    schema = parseSchemaString(replay.metadata.schemaString);
    const fieldNames = new Set(schema.fields.map((f) => f.name));
    for (const column of replay.metadata.partitionColumns) {
      if (!fieldNames.has(column))
        throw corrupt(root, `partition column '${column}' is not in the table schema.`);
    }
  }

  const files = new Map<string, LiveFile>();
  for (const add of replay.files.values()) {
    const known = previous?.files.get(add.path);
    files.set(add.path, known && known.add === add ? known : liveFileOf(add));
  }
  if (options.checkReaderProtocol !== false) assertNoDeletionVectors(files, root);

  return {
    tablePath: root,
    version: target,
    protocol: replay.protocol,
    metadata: replay.metadata,
    schema,
    partitionColumns: [...replay.metadata.partitionColumns],
    files,
    txns: new Map(replay.txns),
    tombstones: tombstonesByPath(replay.tombstones),
  };
}

// Snapshots whose states share one tombstone map share one by-path view of it (read-only, like them).
// Keyed by decoded path and deletion vector, the state's map is that view already when no path is
// encoded and no tombstone has a deletion vector (a week of tombstones: one map instead of two).
const byPathViews = new WeakMap<ReadonlyMap<string, RemoveAction>, ReadonlyMap<string, RemoveAction>>();

function tombstonesByPath(tombstones: ReadonlyMap<string, RemoveAction>): ReadonlyMap<string, RemoveAction> {
  let view = byPathViews.get(tombstones);
  if (!view) {
    let keyedByPath = true;
    for (const [key, remove] of tombstones) {
      if (key !== remove.path) {
        keyedByPath = false;
        break;
      }
    }
    view = keyedByPath ? tombstones : new Map([...tombstones.values()].map((r) => [r.path, r]));
    byPathViews.set(tombstones, view);
  }
  return view;
}
