/**
 * Where a table's files live: the one interface every log, commit, checkpoint, read, write and
 * maintenance path goes through. Locations are full (an absolute path or an `s3://bucket/key` URI);
 * storageFor picks the implementation from the location.
 *
 * The contract a Delta writer rests on is putIfAbsent: the commit file appears whole and exactly once,
 * or the call answers 'exists' (another writer has that version). Everything else may be plain.
 */

export type PutResult = 'written' | 'exists';

/** A name directly inside a listed directory (a file, or a sub-directory on local disks). */
export interface StoredEntry {
  name: string;
  /** Bytes; known for object stores, absent for local listings (which read no inode). */
  size?: number;
  mtimeMs?: number;
}

/** A file found by listFiles. */
export interface StoredFile {
  /** Path relative to the listed directory, `/`-separated. */
  relative: string;
  location: string;
  size: number;
  mtimeMs: number;
}

export interface StoredHead {
  size: number;
  mtimeMs: number;
}

/** Content prepared once for put-if-absent under one of several names (a commit retried at new versions). */
export interface StagedPut {
  putAs(name: string): Promise<PutResult>;
  discard(): Promise<void>;
}

/** A local file, complete and written by this process, to appear at `to` in the store. */
export interface FileToPublish {
  from: string;
  to: string;
}

export interface DeltaStorage {
  readonly kind: 'local' | 'object-store';
  /**
   * Names directly inside dir greater than startAfter, ascending. Local: throws the filesystem error when
   * dir cannot be read; object store: an empty list for a prefix nothing is under.
   */
  list(dir: string, options?: { startAfter?: string }): Promise<StoredEntry[]>;
  /** Every file under dir; `skip(relativeDir, name, isDirectory)` leaves out a file or a whole directory. */
  listFiles(
    dir: string,
    skip?: (relativeDir: string, name: string, isDirectory: boolean) => boolean,
  ): Promise<StoredFile[]>;
  /** The text at location, or undefined when nothing is there. */
  readText(location: string): Promise<string | undefined>;
  head(location: string): Promise<StoredHead | undefined>;
  /** Replaces location whole: a reader sees the old or the new content, never a part. */
  put(location: string, content: string | Uint8Array): Promise<void>;
  /** Writes dir/name only if nothing is there; 'exists' when another writer got there first. */
  stage(dir: string, content: string): Promise<StagedPut>;
  /** Moves a complete local file to location, replacing what is there (checkpoints). */
  putFile(localFile: string, location: string): Promise<void>;
  /**
   * Makes freshly written local files (uniquely named data files) appear at their locations, durably,
   * never replacing an existing file. The sources may be removed afterwards.
   */
  publishFiles(files: readonly FileToPublish[], options?: { root?: string }): Promise<void>;
  /** Deletes locations; a missing one is not an error. */
  deleteMany(locations: readonly string[]): Promise<void>;
  /** A local path holding the bytes of location, for DuckDB (object store: a cached copy). */
  localCopy(location: string, size?: number): Promise<string>;
  /** A local directory for temp files bound for dir (local disk: dir itself, so a link or rename works). */
  scratchDir(dir: string): string;
  /** Creates dir and its parents where directories exist. */
  ensureDir(dir: string): Promise<void>;
  /** What is at location: a directory (or a prefix with objects under it), a file, or nothing. */
  probe(location: string): Promise<'dir' | 'file' | 'missing'>;
}
