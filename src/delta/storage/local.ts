/**
 * Tables on a local POSIX filesystem. Commits are put-if-absent by temp file + fsync + hard link
 * (write/put-if-absent.ts); replacements (checkpoints, `_last_checkpoint`) by temp file + fsync + rename;
 * data files are hard-linked from a staging directory inside the table and fsynced with their
 * directories before the commit that names them.
 */
import { randomUUID } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { link, lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { readTextFile } from '../log/text-io.js';
import { errorCode, fsyncDirectory, fsyncFile, StagedCommit, writeDurably } from '../write/put-if-absent.js';
import type {
  DeltaStorage,
  FileToPublish,
  StagedPut,
  StoredEntry,
  StoredFile,
  StoredHead,
} from './storage.js';

export class LocalStorage implements DeltaStorage {
  readonly kind = 'local' as const;

  async list(dir: string, options: { startAfter?: string } = {}): Promise<StoredEntry[]> {
    const names = await readdir(dir);
    const after = options.startAfter;
    return names
      .filter((n) => after === undefined || n > after)
      .sort()
      .map((name) => ({ name }));
  }

  async listFiles(
    dir: string,
    skip?: (relativeDir: string, name: string, isDirectory: boolean) => boolean,
  ): Promise<StoredFile[]> {
    const out: StoredFile[] = [];
    const walk = async (current: string, relative: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(current, { withFileTypes: true });
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return;
        throw error;
      }
      for (const entry of entries) {
        if (skip?.(relative, entry.name, entry.isDirectory())) continue;
        const location = path.join(current, entry.name);
        const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
        if (entry.isDirectory()) await walk(location, rel);
        else if (entry.isFile()) {
          // lstat: a symlink swapped in since readdir is not followed out of the table.
          const info = await lstat(location).catch(() => undefined);
          if (info?.isFile()) out.push({ relative: rel, location, size: info.size, mtimeMs: info.mtimeMs });
        }
      }
    };
    await walk(dir, '');
    return out;
  }

  async readText(location: string): Promise<string | undefined> {
    try {
      return await readTextFile(location);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  async head(location: string): Promise<StoredHead | undefined> {
    const info = await stat(location).catch((error: unknown) => {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    });
    return info?.isFile() ? { size: info.size, mtimeMs: info.mtimeMs } : undefined;
  }

  async put(location: string, content: string | Uint8Array): Promise<void> {
    const dir = path.dirname(location);
    const temp = path.join(dir, `_${path.basename(location).replace(/^_/, '')}-${randomUUID()}.tmp`);
    try {
      await writeDurably(temp, content);
      await rename(temp, location);
      await fsyncDirectory(dir);
    } finally {
      await rm(temp, { force: true });
    }
  }

  async stage(dir: string, content: string): Promise<StagedPut> {
    const staged = await StagedCommit.create(dir, content);
    return { putAs: (name) => staged.linkAs(name), discard: () => staged.discard() };
  }

  async putFile(localFile: string, location: string): Promise<void> {
    await fsyncFile(localFile);
    await rename(localFile, location);
    await fsyncDirectory(path.dirname(location));
  }

  async publishFiles(files: readonly FileToPublish[], options: { root?: string } = {}): Promise<void> {
    const linked: string[] = [];
    const dirs = new Set<string>();
    try {
      // Settled, not Promise.all: after a failure every link made must be known before cleaning up.
      const placed = await Promise.allSettled(
        files.map(async ({ from, to }) => {
          await mkdir(path.dirname(to), { recursive: true });
          await link(from, to);
          linked.push(to);
          dirs.add(path.dirname(to));
        }),
      );
      for (const result of placed) if (result.status === 'rejected') throw result.reason;
      // Every file and directory entry is durable before this returns (the caller commits next).
      await Promise.all([
        ...files.map((file) => fsyncFile(file.to)),
        ...[...dirs].map((dir) => fsyncDirectory(dir)),
        ...(dirs.size > 0 && options.root !== undefined ? [fsyncDirectory(options.root)] : []),
      ]);
    } catch (error) {
      await Promise.all(linked.map((file) => rm(file, { force: true })));
      throw error;
    }
  }

  async deleteMany(locations: readonly string[]): Promise<void> {
    for (const location of locations) await rm(location, { force: true });
  }

  async localCopy(location: string): Promise<string> {
    return location;
  }

  scratchDir(dir: string): string {
    return dir;
  }

  async ensureDir(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
  }

  async probe(location: string): Promise<'dir' | 'file' | 'missing'> {
    return stat(location).then(
      (s) => (s.isDirectory() ? 'dir' : 'file'),
      () => 'missing' as const,
    );
  }
}
