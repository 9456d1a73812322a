/**
 * Classic single-file (V1) checkpoints: `_delta_log/<v>.checkpoint.parquet` plus `_last_checkpoint`.
 *
 * HAZARD. A reader that finds `<v>.checkpoint.parquet` trusts it instead of commits 0..v, so a partial
 * or wrong checkpoint is as bad as a corrupt log. The replayed state at v is written as NDJSON to a
 * hidden temp file, DuckDB turns it into Parquet (Spark's layout: one row per action, struct columns
 * txn, add, remove, metaData, protocol, MAP/LIST groups as Spark writes them) under a hidden temp name,
 * the file is fsynced and only then renamed into place. Rename may replace an existing checkpoint of
 * the same version: two checkpoints of one version hold the same state, so either is correct, and the
 * name never points at a partial file. `_last_checkpoint` is only a hint (readers list the directory),
 * written the same way and never moved backwards. Callers treat a failed checkpoint as a warning: the
 * commit it follows already stands.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { parseDuration } from '../../core/duration.js';
import { withWriteConnection } from '../duckdb.js';
import { logDirOf } from '../log/log.js';
import { loadSnapshot } from '../log/open.js';
import { STAGING_DIR } from '../log/paths.js';
import { type Action, checkpointFileName, type Metadata, type Snapshot } from '../log/types.js';
import { quoteLiteral } from '../read/schema.js';
import { storageFor } from '../storage/index.js';
import { joinLocation, resolveLocation } from '../storage/location.js';
import type { DeltaStorage } from '../storage/storage.js';
import { writeDurably } from './put-if-absent.js';
import { assertWritable } from './write-protocol.js';

export interface WriteCheckpointOptions {
  /** The version to checkpoint (default: the latest). */
  version?: number;
  connection?: DuckDBConnection;
  now?: () => Date;
}

export interface CheckpointMetrics {
  version: number;
  /** Number of actions (rows) in the checkpoint: `_last_checkpoint.size`. */
  size: number;
  sizeInBytes: number;
  numOfAddFiles: number;
  file: string;
}

const MAP = 'MAP(VARCHAR, VARCHAR)';
const CHECKPOINT_COLUMNS: ReadonlyArray<[string, string]> = [
  ['txn', 'STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)'],
  [
    'add',
    `STRUCT(path VARCHAR, partitionValues ${MAP}, size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, tags ${MAP})`,
  ],
  [
    'remove',
    `STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, extendedFileMetadata BOOLEAN, partitionValues ${MAP}, size BIGINT)`,
  ],
  [
    'metaData',
    `STRUCT(id VARCHAR, name VARCHAR, description VARCHAR, format STRUCT(provider VARCHAR, options ${MAP}), schemaString VARCHAR, partitionColumns VARCHAR[], configuration ${MAP}, createdTime BIGINT)`,
  ],
  [
    'protocol',
    'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER, readerFeatures VARCHAR[], writerFeatures VARCHAR[])',
  ],
];

const DEFAULT_TOMBSTONE_RETENTION_MS = 7 * 24 * 3600 * 1000;
const STALE_TEMP_MS = 3600 * 1000;
const STALE_STAGING_MS = 6 * 3600 * 1000;

/** The checkpoint's actions: protocol, metaData, txns, live adds and unexpired tombstones. */
export function checkpointActions(snapshot: Snapshot, nowMs: number): Action[] {
  // A retention set but unreadable (or too long to count in milliseconds) keeps every tombstone: a guess
  // could drop tombstones its writer meant to keep.
  const property = snapshot.metadata.configuration['delta.deletedFileRetentionDuration'];
  const retention =
    property === undefined || property === null
      ? DEFAULT_TOMBSTONE_RETENTION_MS
      : (parseDuration(property) ?? Number.POSITIVE_INFINITY);
  const actions: Action[] = [{ protocol: snapshot.protocol }, { metaData: snapshot.metadata }];
  for (const txn of snapshot.txns.values()) actions.push({ txn });
  for (const file of snapshot.files.values()) {
    const { path: p, partitionValues, size, modificationTime, stats, tags } = file.add;
    actions.push({
      add: {
        path: p,
        partitionValues,
        size,
        modificationTime,
        dataChange: false,
        stats: stats ?? null,
        tags: tags ?? null,
      },
    });
  }
  for (const remove of snapshot.tombstones.values()) {
    if (
      remove.deletionTimestamp !== undefined &&
      remove.deletionTimestamp !== null &&
      remove.deletionTimestamp < nowMs - retention
    ) {
      continue;
    }
    actions.push({
      remove: {
        path: remove.path,
        deletionTimestamp: remove.deletionTimestamp ?? null,
        dataChange: false,
        extendedFileMetadata: remove.extendedFileMetadata ?? false,
        partitionValues: remove.partitionValues ?? null,
        size: remove.size ?? null,
      },
    });
  }
  return actions;
}

/**
 * Removes temp files of crashed writers (hidden names only; never a commit or checkpoint): commit and
 * checkpoint temps older than an hour, staged data files older than six hours. A live writer holds its
 * temp for seconds (its commit retries) to minutes (a staged file until its commit), so these ages never
 * touch one. Returns how many were removed.
 */
export async function removeStaleTemps(root: string, nowMs: number): Promise<number> {
  let removed = 0;
  const sweep = async (dir: string, match: (name: string) => boolean, maxAgeMs: number) => {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!match(name)) continue;
      const full = path.join(dir, name);
      const info = await stat(full).catch(() => undefined);
      if (info && nowMs - info.mtimeMs > maxAgeMs) {
        const gone = await rm(full, { recursive: true, force: true }).then(
          () => true,
          () => false,
        );
        if (gone) removed += 1;
      }
    }
  };
  await sweep(logDirOf(root), (n) => /^_(commit|checkpoint|last_checkpoint)-.*\.tmp$/.test(n), STALE_TEMP_MS);
  await sweep(path.join(root, STAGING_DIR), () => true, STALE_STAGING_MS);
  return removed;
}

async function readHintVersion(storage: DeltaStorage, logDir: string): Promise<number | undefined> {
  try {
    const value: unknown = JSON.parse(
      (await storage.readText(joinLocation(logDir, '_last_checkpoint'))) ?? '',
    );
    if (
      typeof value === 'object' &&
      value !== null &&
      'version' in value &&
      typeof value.version === 'number'
    ) {
      return value.version;
    }
  } catch {
    // Missing or corrupt: rewrite it.
  }
  return undefined;
}

/** Writes the classic checkpoint for a version (default: latest), then `_last_checkpoint`. */
export async function writeCheckpoint(
  tablePath: string,
  options: WriteCheckpointOptions = {},
): Promise<CheckpointMetrics> {
  const root = resolveLocation(tablePath);
  const logDir = logDirOf(root);
  const storage = storageFor(root);
  const nowMs = (options.now ?? (() => new Date()))().getTime();
  return withWriteConnection(options.connection, async (connection) => {
    const snapshot = await loadSnapshot(root, {
      version: options.version,
      connection,
      checkReaderProtocol: false,
      // Usually the version the caller just committed: advance the cached state rather than re-read the
      // previous checkpoint (an older explicit version falls back to a full load).
      cache: true,
    });
    assertWritable(root, snapshot.protocol, snapshot.metadata, snapshot.schema);
    const actions = checkpointActions(snapshot, nowMs);
    const id = randomUUID();
    // Local disk: temps next to the checkpoint, so the rename into place is atomic.
    const scratch = storage.scratchDir(logDir);
    if (storage.kind !== 'local') await mkdir(scratch, { recursive: true });
    const jsonTemp = path.join(scratch, `_checkpoint-${id}.json.tmp`);
    const parquetTemp = path.join(scratch, `_checkpoint-${id}.parquet.tmp`);
    const final = joinLocation(logDir, checkpointFileName(snapshot.version));
    let sizeInBytes: number;
    try {
      await writeDurably(jsonTemp, actions.map((a) => JSON.stringify(a)).join('\n') + '\n');
      const columns = CHECKPOINT_COLUMNS.map(
        ([name, type]) => `${quoteLiteral(name)}: ${quoteLiteral(type)}`,
      ).join(', ');
      const select = CHECKPOINT_COLUMNS.map(([name]) => `"${name}"`).join(', ');
      await connection.run(
        `COPY (SELECT ${select} FROM read_json(${quoteLiteral(jsonTemp)}, format='newline_delimited', columns={${columns}}, maximum_object_size=1073741824)) TO ${quoteLiteral(parquetTemp)} (FORMAT parquet)`,
      );
      sizeInBytes = (await stat(parquetTemp)).size;
      await storage.putFile(parquetTemp, final);
    } finally {
      await rm(jsonTemp, { force: true });
      await rm(parquetTemp, { force: true });
    }
    const numOfAddFiles = snapshot.files.size;
    const hintVersion = await readHintVersion(storage, logDir);
    if (hintVersion === undefined || hintVersion <= snapshot.version) {
      await storage.put(
        joinLocation(logDir, '_last_checkpoint'),
        JSON.stringify({ version: snapshot.version, size: actions.length, sizeInBytes, numOfAddFiles }),
      );
    }
    if (storage.kind === 'local') await removeStaleTemps(root, nowMs).catch(() => undefined);
    return { version: snapshot.version, size: actions.length, sizeInBytes, numOfAddFiles, file: final };
  });
}

/** `delta.checkpointInterval` (default 10), as the writer reads it. */
export function checkpointIntervalOf(metadata: Metadata): number {
  const raw = metadata.configuration['delta.checkpointInterval'];
  const n = raw === undefined || raw === null ? 10 : Number(raw);
  return Number.isInteger(n) && n > 0 ? n : 10;
}

/**
 * Writes the checkpoint a commit at `version` is due for (version a multiple of delta.checkpointInterval).
 * A failure is only a warning: the commit already stands.
 */
export async function checkpointIfDue(
  tablePath: string,
  version: number,
  metadata: Metadata,
  options: {
    /** false: never (the caller opted out of checkpoints). */
    checkpoint?: boolean | undefined;
    connection?: DuckDBConnection | undefined;
    now?: (() => Date) | undefined;
    onWarning?: ((message: string) => void) | undefined;
  },
): Promise<number | undefined> {
  if (options.checkpoint === false || version % checkpointIntervalOf(metadata) !== 0) return undefined;
  try {
    const written = await writeCheckpoint(tablePath, {
      version,
      connection: options.connection,
      now: options.now,
    });
    return written.version;
  } catch (error) {
    options.onWarning?.(
      `Checkpoint at version ${version} of ${tablePath} failed (the commit stands): ${error instanceof Error ? error.message : String(error)}`,
    );
    return undefined;
  }
}
