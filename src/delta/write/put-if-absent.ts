/**
 * Put-if-absent of a Delta commit file: the single primitive every writer's atomicity rests on.
 *
 * HAZARD. A commit is `_delta_log/<20-digit version>.json`, and it must appear whole and exactly once:
 * - Never `rename` a temp file onto the commit name: rename silently replaces an existing file, so two
 *   writers racing for the same version would both "succeed" and one commit would vanish.
 * - Never `writeFile(final, {flag: 'wx'})`: the name exists before the content does, so a concurrent
 *   reader (or a crash) sees a half-written commit.
 * Instead: write a hidden temp file inside `_delta_log` (a name no reader lists as a commit), fsync it,
 * then `link(temp, final)`. A hard link is created atomically and fails with EEXIST when the version is
 * taken, so the final name only ever points at complete content and is never overwritten. Then unlink the
 * temp file and fsync the directory so the new entry is durable. This is what delta-rs does on local disk
 * (object_store PutMode::Create = staging file + hard_link). Filesystems without hard links (EPERM,
 * ENOTSUP, ENOSYS on FUSE/exFAT/SMB) are refused rather than degraded to a racy rename.
 */
import { randomUUID } from 'node:crypto';
import { link, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { DeltaUnsupportedError } from '../errors.js';
import { writeText } from '../log/text-io.js';

/** Temp files written next to commits; hidden (leading `_`), and never matching `<digits>.json`. */
export const COMMIT_TEMP_PREFIX = '_commit-';

export type { PutResult } from '../storage/storage.js';

import type { PutResult } from '../storage/storage.js';

/**
 * A commit's content, written and fsynced under a hidden temp name, ready to be linked into place
 * (possibly several times at different versions). Always `discard()` it.
 */
export class StagedCommit {
  private constructor(
    readonly dir: string,
    readonly tempFile: string,
  ) {}

  static async create(dir: string, content: string): Promise<StagedCommit> {
    const temp = path.join(dir, `${COMMIT_TEMP_PREFIX}${randomUUID()}.tmp`);
    await writeDurably(temp, content);
    return new StagedCommit(dir, temp);
  }

  /** Links the staged content to `dir/name` unless that name exists. */
  async linkAs(name: string): Promise<PutResult> {
    try {
      await link(this.tempFile, path.join(this.dir, name));
    } catch (error) {
      if (errorCode(error) === 'EEXIST') return 'exists';
      if (['EPERM', 'ENOTSUP', 'ENOSYS', 'EOPNOTSUPP'].includes(errorCode(error) ?? '')) {
        throw new DeltaUnsupportedError(
          `Cannot commit to ${this.dir}: the filesystem does not support hard links, which atomic Delta commits need.`,
          { cause: error, hint: 'Put the table on a local POSIX filesystem (ext4, xfs, apfs, tmpfs).' },
        );
      }
      throw error;
    }
    // Once linked, the commit is visible: a failed directory fsync must not turn it into a reported failure.
    await fsyncDirectory(this.dir).catch(() => undefined);
    return 'written';
  }

  async discard(): Promise<void> {
    await rm(this.tempFile, { force: true }).catch(() => undefined);
  }
}

/** Writes `content` to `dir/name` only if no such file exists. Returns 'exists' when another writer won. */
export async function putIfAbsent(dir: string, name: string, content: string): Promise<PutResult> {
  const staged = await StagedCommit.create(dir, content);
  try {
    return await staged.linkAs(name);
  } finally {
    await staged.discard();
  }
}

/** Creates `file` exclusively, writes `content` and fsyncs it. */
export async function writeDurably(file: string, content: string | Uint8Array): Promise<void> {
  const handle = await open(file, 'wx');
  try {
    await writeText(handle, content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function fsyncFile(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes directory entries (new links, renames) durable. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}
