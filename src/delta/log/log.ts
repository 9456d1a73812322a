/**
 * Listing and parsing of a table's `_delta_log`.
 *
 * The directory is listed once per snapshot load; which files exist decides everything (the
 * `_last_checkpoint` hint is never trusted for correctness, because a crashed or foreign writer can
 * leave it missing, empty, stale or in snake_case). On object stores, where a listing is pages of
 * 1000 keys, the newest snapshot may list from the checkpoint the hint names, only after the listing
 * has shown that checkpoint there whole.
 */
import { DeltaLogCorruptError, DeltaTableNotFoundError } from '../errors.js';
import { storageFor } from '../storage/index.js';
import { joinLocation, resolveLocation } from '../storage/location.js';
import type { StoredEntry } from '../storage/storage.js';
import { type Action, commitFileName, LOG_DIR } from './types.js';

const COMMIT_RE = /^(\d{20})\.json$/;
const SINGLE_CHECKPOINT_RE = /^(\d{20})\.checkpoint\.parquet$/;
const MULTI_CHECKPOINT_RE = /^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/;
const V2_CHECKPOINT_RE = /^(\d{20})\.checkpoint\.[0-9a-fA-F-]{36}\.(json|parquet)$/;

/** A complete classic checkpoint: one file, or every part of a multi-part checkpoint. */
export interface CheckpointRef {
  version: number;
  /** Locations (absolute paths or URIs) of the Parquet file(s), parts in order. */
  files: string[];
  /** Their sizes when the listing knew them (object stores), in the same order. */
  sizes?: (number | undefined)[];
  kind: 'single' | 'multi-part';
}

export interface LogListing {
  tablePath: string;
  logDir: string;
  /** Commit versions present as `<v>.json`, ascending. */
  commitVersions: number[];
  /** Sizes of the commit files, when the listing knew them (object stores). */
  commitSizes?: Map<number, number>;
  /** Complete classic checkpoints, ascending by version (for one version, a single file wins over parts). */
  checkpoints: CheckpointRef[];
  /** Versions of UUID-named (v2) checkpoints seen; we never read them. */
  v2CheckpointVersions: number[];
  /** The newest version for which a commit or a checkpoint exists. */
  latestVersion: number;
  /** Set when only the log from this checkpoint on was listed (ListLogOptions.fromLastCheckpoint). */
  listedFrom?: number;
}

/** What `_last_checkpoint` says, when it is readable. */
export interface LastCheckpointHint {
  version: number;
  size: number | undefined;
  parts: number | undefined;
  sizeInBytes: number | undefined;
  numOfAddFiles: number | undefined;
}

export function logDirOf(tablePath: string): string {
  return joinLocation(tablePath, LOG_DIR);
}

/**
 * A log file's version. Above 2^53 − 1 a version is no exact number here (and no writer gets there):
 * the file's name is damaged, and reading on would misnumber it or walk an impossible range.
 */
function parseVersion(digits: string, logDir: string, name: string): number {
  const v = Number(digits);
  if (!Number.isSafeInteger(v)) {
    throw new DeltaLogCorruptError(
      `Delta log is corrupt: ${joinLocation(logDir, name)} names version ${digits}, beyond any version a writer reaches (2^53 − 1).`,
      {
        hint: "The file name is damaged, or the file is not the table's: move it out of _delta_log (keep a copy), then run `futures table verify <table>`.",
      },
    );
  }
  return v;
}

export interface ListLogOptions {
  /**
   * On an object store, list only from the checkpoint `_last_checkpoint` names (ListObjectsV2 StartAfter)
   * when that checkpoint is there whole, instead of every page of the log: commits and checkpoints below
   * it are left out (`listedFrom` says so). Enough for the newest version and its snapshot; not for
   * history, time travel before the checkpoint, cleanup or verification. A missing or stale hint, or a
   * checkpoint it names that is not there whole, gives the full listing. Local disks always list whole.
   */
  fromLastCheckpoint?: boolean;
}

/**
 * Lists `_delta_log` once. Throws DeltaTableNotFoundError when the path does not exist or holds no
 * Delta log (no commit and no checkpoint).
 */
export async function listLog(tablePath: string, options: ListLogOptions = {}): Promise<LogListing> {
  const root = resolveLocation(tablePath);
  const logDir = logDirOf(root);
  const storage = storageFor(root);
  if (options.fromLastCheckpoint && storage.kind === 'object-store') {
    const hint = await readLastCheckpointHint(root);
    if (hint !== undefined) {
      // Every name of version v and above sorts after its 20 digits alone (`<v>.json`, `<v>.checkpoint…`).
      const startAfter = commitFileName(hint.version).slice(0, 20);
      const partial = await storage
        .list(logDir, { startAfter })
        .then((entries) => listingOf(root, logDir, entries))
        .catch(() => undefined); // the full listing below reports what is wrong
      if (partial?.checkpoints[0]?.version === hint.version) return { ...partial, listedFrom: hint.version };
    }
  }
  let entries: StoredEntry[];
  try {
    entries = await storage.list(logDir);
  } catch (error) {
    throw await notATableError(root, error);
  }
  if (entries.length === 0 && storage.kind === 'object-store') throw await notATableError(root, undefined);
  return listingOf(root, logDir, entries);
}

/** The commits and complete checkpoints among the names of a `_delta_log` listing. */
function listingOf(root: string, logDir: string, entries: readonly StoredEntry[]): LogListing {
  const names = entries.map((e) => e.name);
  const sizes = new Map<string, number | undefined>(entries.map((e) => [e.name, e.size]));
  const commitVersions: number[] = [];
  const commitSizes = new Map<number, number>();
  const singles = new Map<number, string>();
  const multis = new Map<number, Map<number, Map<number, string>>>(); // version → total → index → file
  const v2 = new Set<number>();
  for (const name of names) {
    let m = COMMIT_RE.exec(name);
    if (m) {
      const version = parseVersion(m[1] as string, logDir, name);
      commitVersions.push(version);
      const size = sizes.get(name);
      if (size !== undefined) commitSizes.set(version, size);
      continue;
    }
    m = SINGLE_CHECKPOINT_RE.exec(name);
    if (m) {
      singles.set(parseVersion(m[1] as string, logDir, name), joinLocation(logDir, name));
      continue;
    }
    m = MULTI_CHECKPOINT_RE.exec(name);
    if (m) {
      const version = parseVersion(m[1] as string, logDir, name);
      const index = Number(m[2]);
      const total = Number(m[3]);
      let byTotal = multis.get(version);
      if (!byTotal) {
        byTotal = new Map();
        multis.set(version, byTotal);
      }
      let parts = byTotal.get(total);
      if (!parts) {
        parts = new Map();
        byTotal.set(total, parts);
      }
      parts.set(index, joinLocation(logDir, name));
      continue;
    }
    m = V2_CHECKPOINT_RE.exec(name);
    if (m) v2.add(parseVersion(m[1] as string, logDir, name));
  }
  commitVersions.sort((a, b) => a - b);

  // Object store listings carry sizes, which key the local copies of checkpoints; local ones do not.
  const sizesOf = (files: string[]) => {
    const known = files.map((f) => sizes.get(f.slice(logDir.length + 1)));
    return known.every((n) => n === undefined) ? {} : { sizes: known };
  };
  const checkpoints: CheckpointRef[] = [];
  const checkpointVersions = new Set<number>([...singles.keys(), ...multis.keys()]);
  for (const version of checkpointVersions) {
    const single = singles.get(version);
    if (single) {
      checkpoints.push({ version, files: [single], ...sizesOf([single]), kind: 'single' });
      continue;
    }
    // Readers must ignore multi-part checkpoints with missing parts; take the complete set with most parts.
    const complete = [...(multis.get(version) ?? new Map<number, Map<number, string>>()).entries()]
      .filter(
        ([total, parts]) =>
          // The size first: a damaged part count (up to 10 digits) must not size an array.
          total >= 1 &&
          parts.size === total &&
          Array.from({ length: total }, (_, i) => parts.has(i + 1)).every(Boolean),
      )
      .sort((a, b) => b[0] - a[0])[0];
    if (complete) {
      const [total, parts] = complete;
      const files = Array.from({ length: total }, (_, i) => parts.get(i + 1) as string);
      checkpoints.push({ version, files, ...sizesOf(files), kind: 'multi-part' });
    }
  }
  checkpoints.sort((a, b) => a.version - b.version);

  const latestCommit = commitVersions[commitVersions.length - 1];
  const latestCheckpoint = checkpoints[checkpoints.length - 1]?.version;
  if (latestCommit === undefined && latestCheckpoint === undefined) {
    throw new DeltaTableNotFoundError(
      `${root} is not a Delta table: ${LOG_DIR} holds no commit or checkpoint.`,
      {
        hint: 'Check the path; a Delta table has _delta_log/00000000000000000000.json (or a checkpoint).',
      },
    );
  }
  return {
    tablePath: root,
    logDir,
    commitVersions,
    ...(commitSizes.size > 0 ? { commitSizes } : {}),
    checkpoints,
    v2CheckpointVersions: [...v2].sort((a, b) => a - b),
    latestVersion: Math.max(latestCommit ?? -1, latestCheckpoint ?? -1),
  };
}

export async function notATableError(root: string, cause: unknown): Promise<DeltaTableNotFoundError> {
  const exists = await storageFor(root).probe(root);
  if (exists === 'missing') {
    return new DeltaTableNotFoundError(`No table at ${root}: the path does not exist.`, {
      cause,
      hint: 'Check the table name or path (a name is looked up under <dataDir>/lake).',
    });
  }
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new DeltaTableNotFoundError(`${root}/${LOG_DIR} cannot be read: permission denied (${code}).`, {
      cause,
      hint: `Give this user read access to ${root}/${LOG_DIR} and its files, or run as the user that owns them.`,
    });
  }
  return new DeltaTableNotFoundError(`${root} is not a Delta table: it has no ${LOG_DIR} directory.`, {
    cause,
    hint: 'Point at the table root, the directory that contains _delta_log.',
  });
}

/** The newest version of the table (one listing; on object stores, of the log from the last checkpoint). */
export async function latestVersion(tablePath: string): Promise<number> {
  return (await listLog(tablePath, { fromLastCheckpoint: true })).latestVersion;
}

export interface CommitRef {
  version: number;
  /** Location of `<v>.json`. */
  file: string;
}

/** Commit files present, ascending (optionally only versions in [from, to]). */
export async function listCommits(
  tablePath: string,
  range: { from?: number; to?: number } = {},
): Promise<CommitRef[]> {
  const listing = await listLog(tablePath);
  return listing.commitVersions
    .filter((v) => (range.from === undefined || v >= range.from) && (range.to === undefined || v <= range.to))
    .map((version) => ({ version, file: joinLocation(listing.logDir, commitFileName(version)) }));
}

/** Parses the text of one commit file: newline-delimited JSON, one action per line. */
export function parseCommit(text: string, where: string): Action[] {
  const actions: Action[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new DeltaLogCorruptError(`Delta log is corrupt: ${where} line ${i + 1} is not valid JSON.`, {
        cause: error,
        hint: 'The commit file is damaged; restore it from a backup or copy of the table.',
      });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new DeltaLogCorruptError(`Delta log is corrupt: ${where} line ${i + 1} is not a JSON object.`, {
        hint: 'The commit file is damaged; restore it from a backup or copy of the table.',
      });
    }
    actions.push(value as Action);
  }
  if (actions.length === 0) {
    // Every writer puts at least commitInfo or an add in a commit: an empty one was never written whole.
    throw new DeltaLogCorruptError(
      `Delta log is corrupt: ${where} is empty (${text.length === 0 ? '0 bytes' : 'blank lines only'}): the commit was never written whole (a full disk, or a writer that crashed without writing atomically).`,
      {
        hint: 'Restore the commit file from a backup or copy of the table. `futures table verify <table>` lists what else is damaged; `futures table repair` cannot rebuild a lost commit.',
      },
    );
  }
  return actions;
}

/** Reads and parses `<v>.json`; a missing file is a corrupt log (the listing said it exists). */
export async function readCommit(tablePath: string, version: number): Promise<Action[]> {
  const root = resolveLocation(tablePath);
  const file = joinLocation(logDirOf(root), commitFileName(version));
  let text: string;
  try {
    const found = await storageFor(root).readText(file);
    if (found === undefined) throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
    text = found;
  } catch (error) {
    throw new DeltaLogCorruptError(`Delta log is corrupt: cannot read commit ${version} (${file}).`, {
      cause: error,
      hint: 'The listing named this commit but it could not be read as a file (it vanished, is not a regular file, or this user may not read it): restore it from a copy of the table, and check that nothing deletes or replaces log files.',
    });
  }
  return parseCommit(text, file);
}

function optionalNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Reads `_last_checkpoint` leniently: missing, empty or corrupt gives undefined; camelCase and
 * snake_case field names are both accepted.
 */
export async function readLastCheckpointHint(tablePath: string): Promise<LastCheckpointHint | undefined> {
  let text: string;
  try {
    const root = resolveLocation(tablePath);
    const found = await storageFor(root).readText(joinLocation(logDirOf(root), '_last_checkpoint'));
    if (found === undefined) return undefined;
    text = found;
  } catch {
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const version = optionalNumber(record.version);
  if (version === undefined || !Number.isInteger(version) || version < 0) return undefined;
  return {
    version,
    size: optionalNumber(record.size),
    parts: optionalNumber(record.parts),
    sizeInBytes: optionalNumber(record.sizeInBytes ?? record.size_in_bytes),
    numOfAddFiles: optionalNumber(record.numOfAddFiles ?? record.num_of_add_files),
  };
}
