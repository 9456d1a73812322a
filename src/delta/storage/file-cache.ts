/**
 * A bounded local cache of immutable remote files (Delta data files and checkpoints), so DuckDB reads
 * them from local disk without its httpfs extension.
 *
 * Entries are keyed by location and size: a Delta data file never changes under its name, and a
 * checkpoint rewritten under the same name holds the same state. A download goes to a hidden temp name
 * and is renamed into place, so processes sharing the directory never see a partial file. Least recently
 * used entries are evicted once the total passes maxBytes, except those used in the last pinMs (the files
 * of the scans running now): the bound is exceeded only by what running reads hold.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';

export interface FileCacheOptions {
  dir: string;
  maxBytes: number;
  /** Entries used this recently are never evicted (default 60 s). */
  pinMs?: number;
  now?: () => number;
}

interface Entry {
  file: string;
  size: number;
  lastUsed: number;
}

export interface FileCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  bytes: number;
}

const NAME_RE = /^([0-9a-f]{40})-(\d+)\.bin$/;

export class FileCache {
  private readonly entries = new Map<string, Entry>();
  private loaded: Promise<void> | undefined;
  private readonly inflight = new Map<string, Promise<string>>();
  readonly stats: FileCacheStats = { hits: 0, misses: 0, evictions: 0, bytes: 0 };

  constructor(private readonly options: FileCacheOptions) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Adopts what earlier processes left in the directory (their mtime is their last use). */
  private load(): Promise<void> {
    this.loaded ??= (async () => {
      await mkdir(this.options.dir, { recursive: true });
      for (const name of await readdir(this.options.dir)) {
        const file = path.join(this.options.dir, name);
        if (!NAME_RE.test(name)) {
          if (name.startsWith('.tmp-')) await rm(file, { force: true }).catch(() => undefined);
          continue;
        }
        const info = await stat(file).catch(() => undefined);
        if (!info) continue;
        this.entries.set(name, { file, size: info.size, lastUsed: info.mtimeMs });
        this.stats.bytes += info.size;
      }
    })();
    return this.loaded;
  }

  /**
   * The local path of `location` (of `size` bytes when known), downloading it with `fetch(tempFile)`
   * on a miss. Concurrent requests for one entry share one download.
   */
  async get(
    location: string,
    size: number | undefined,
    fetch: (temp: string) => Promise<number>,
  ): Promise<string> {
    await this.load();
    const digest = createHash('sha1').update(location).digest('hex');
    if (size !== undefined) {
      const name = `${digest}-${size}.bin`;
      const entry = this.entries.get(name);
      if (entry && (await this.touch(entry))) {
        this.stats.hits++;
        return entry.file;
      }
    }
    const key = `${digest}-${size ?? '?'}`;
    const running = this.inflight.get(key);
    if (running) return running;
    const download = this.download(digest, fetch).finally(() => this.inflight.delete(key));
    this.inflight.set(key, download);
    return download;
  }

  private async download(digest: string, fetch: (temp: string) => Promise<number>): Promise<string> {
    this.stats.misses++;
    const temp = path.join(this.options.dir, `.tmp-${randomUUID()}`);
    try {
      const size = await fetch(temp);
      const name = `${digest}-${size}.bin`;
      const file = path.join(this.options.dir, name);
      await this.evict(size);
      await rename(temp, file);
      const previous = this.entries.get(name);
      if (previous) this.stats.bytes -= previous.size;
      this.entries.set(name, { file, size, lastUsed: this.now() });
      this.stats.bytes += size;
      return file;
    } finally {
      await rm(temp, { force: true }).catch(() => undefined);
    }
  }

  /** Marks an entry used; false when another process evicted its file. */
  private async touch(entry: Entry): Promise<boolean> {
    const now = this.now();
    try {
      await utimes(entry.file, now / 1000, now / 1000);
    } catch {
      this.entries.delete(path.basename(entry.file));
      this.stats.bytes -= entry.size;
      return false;
    }
    entry.lastUsed = now;
    return true;
  }

  private async evict(incoming: number): Promise<void> {
    const pinned = this.now() - (this.options.pinMs ?? 60_000);
    const oldestFirst = [...this.entries.entries()].sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [name, entry] of oldestFirst) {
      if (this.stats.bytes + incoming <= this.options.maxBytes) break;
      if (entry.lastUsed >= pinned) break;
      await rm(entry.file, { force: true });
      this.entries.delete(name);
      this.stats.bytes -= entry.size;
      this.stats.evictions++;
    }
  }
}
