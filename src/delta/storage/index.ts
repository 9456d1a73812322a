/** Picks the storage of a location; object stores are configured once per process (configureObjectStores). */
import os from 'node:os';
import path from 'node:path';
import { DeltaStoreConfigError } from '../errors.js';
import { FileCache } from './file-cache.js';
import { LocalStorage } from './local.js';
import { isRemoteLocation, parseBucketUri } from './location.js';
import { type ObjectStoreSettings, S3Storage } from './s3.js';
import type { DeltaStorage } from './storage.js';

export type { ObjectStoreSettings } from './s3.js';

const local = new LocalStorage();
const buckets = new Map<string, S3Storage>();
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
    store = new S3Storage(bucket, current, cache);
    buckets.set(bucket, store);
  }
  return store;
}

/** Cache statistics of object store reads (tests, benchmarks). */
export function objectCacheStats(): FileCache['stats'] | undefined {
  return cache?.stats;
}
