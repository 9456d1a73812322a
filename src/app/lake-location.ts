/**
 * Where the lake lives, from the config: <dataDir>/lake on the local disk, or lake.uri on an
 * S3-compatible object store (endpoint, addressing, cache and the single-writer override from lake.s3).
 * The queue, the locks and the caches stay on the local disk under dataDir either way.
 */
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { configureObjectStores } from '../delta/index.js';
import { useLakeUri } from '../lake/location.js';

export function applyLakeLocation(config: Pick<Config, 'dataDir' | 'lake'>): void {
  const s3 = config.lake.s3;
  configureObjectStores({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: s3.forcePathStyle ?? s3.endpoint !== undefined,
    singleWriter: s3.singleWriter,
    cacheDir: path.resolve(config.dataDir, s3.cacheDir ?? path.join('cache', 'objects')),
    cacheBytes: s3.cacheBytes,
  });
  useLakeUri(config.dataDir, config.lake.uri);
}
