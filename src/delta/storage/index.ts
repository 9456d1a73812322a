/** Picks the storage of a location; object stores are configured once per process (configureObjectStores). */
import os from 'node:os';
import path from 'node:path';
import { DeltaStoreConfigError } from '../errors.js';
import { FileCache } from './file-cache.js';
import { LocalStorage } from './local.js';
import { isRemoteLocation, parseBucketUri } from './location.js';
import type { ObjectStoreSettings, S3Storage } from './s3.js';
import type { DeltaStorage, FileToPublish, StagedPut } from './storage.js';

export { type ObjectStoreRequestStats, objectStoreRequests } from './request-stats.js';
export type { ObjectStoreSettings } from './s3.js';

/**
 * An object store whose SDK is loaded on first use: the SDK takes ~0.4 s to import, which every
 * command on a local lake would otherwise pay.
 */
class LazyObjectStorage implements DeltaStorage {
  readonly kind = 'object-store' as const;
  private loaded: Promise<S3Storage> | undefined;

  constructor(
    private readonly bucket: string,
    private readonly settings: ObjectStoreSettings,
    private readonly cache: FileCache,
  ) {}

  private store(): Promise<S3Storage> {
    this.loaded ??= import('./s3.js').then(
      ({ S3Storage }) => new S3Storage(this.bucket, this.settings, this.cache),
    );
    return this.loaded;
  }

  async list(dir: string, options?: { startAfter?: string }) {
    return (await this.store()).list(dir, options);
  }
  async listFiles(dir: string, skip?: (relativeDir: string, name: string, isDirectory: boolean) => boolean) {
    return (await this.store()).listFiles(dir, skip);
  }
  async readText(location: string) {
    return (await this.store()).readText(location);
  }
  async head(location: string) {
    return (await this.store()).head(location);
  }
  async put(location: string, content: string | Uint8Array) {
    return (await this.store()).put(location, content);
  }
  async stage(dir: string, content: string): Promise<StagedPut> {
    return (await this.store()).stage(dir, content);
  }
  async putFile(localFile: string, location: string) {
    return (await this.store()).putFile(localFile, location);
  }
  async publishFiles(files: readonly FileToPublish[]) {
    return (await this.store()).publishFiles(files);
  }
  async deleteMany(locations: readonly string[]) {
    return (await this.store()).deleteMany(locations);
  }
  async localCopy(location: string, size?: number) {
    return (await this.store()).localCopy(location, size);
  }
  scratchDir(dir: string): string {
    return scratchDirOf(this.settings, dir);
  }
  async ensureDir(): Promise<void> {}
  async probe(location: string) {
    return (await this.store()).probe(location);
  }
}

/** A local directory for temp files bound for an object store directory. */
export function scratchDirOf(settings: ObjectStoreSettings, dir: string): string {
  const { bucket, key } = parseBucketUri(dir);
  return path.join(settings.cacheDir, 'scratch', bucket, key.replaceAll('/', '__'));
}

const local = new LocalStorage();
const buckets = new Map<string, DeltaStorage>();
let settings: ObjectStoreSettings | undefined;
let cache: FileCache | undefined;

const DEFAULT_CACHE_BYTES = 2 * 1024 ** 3;

function defaultSettings(): ObjectStoreSettings {
  return { cacheDir: path.join(os.tmpdir(), 'delta-object-cache'), cacheBytes: DEFAULT_CACHE_BYTES };
}

/** Sets how object stores are reached (endpoint, addressing, cache, single-writer). Drops existing clients. */
export function configureObjectStores(next: ObjectStoreSettings): void {
  settings = next;
  cache = undefined;
  buckets.clear();
}

/** The current object store settings (defaults when never configured). */
export function objectStoreSettings(): ObjectStoreSettings {
  return settings ?? defaultSettings();
}

export function storageFor(location: string): DeltaStorage {
  if (!isRemoteLocation(location)) return local;
  const { scheme, bucket } = parseBucketUri(location);
  if (scheme !== 's3' && scheme !== 's3a') {
    throw new DeltaStoreConfigError(
      `Unsupported table location ${location}: only s3:// (and s3a://) object stores are supported.`,
      {
        hint: 'Give a local path or s3://bucket/prefix; GCS is reachable through its S3 interoperability endpoint.',
      },
    );
  }
  if (scheme === 's3a')
    throw new DeltaStoreConfigError(`Write ${location} as s3://… (s3a:// is Hadoop's name for it).`);
  let store = buckets.get(bucket);
  if (!store) {
    const current = objectStoreSettings();
    cache ??= new FileCache({ dir: path.join(current.cacheDir, 'files'), maxBytes: current.cacheBytes });
    store = new LazyObjectStorage(bucket, current, cache);
    buckets.set(bucket, store);
  }
  return store;
}

/** Cache statistics of object store reads (tests, benchmarks). */
export function objectCacheStats(): FileCache['stats'] | undefined {
  return cache?.stats;
}
