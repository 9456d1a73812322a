/**
 * Where the lake lives, from the config: <dataDir>/lake on the local disk, or lake.uri on an
 * S3-compatible object store (endpoint, addressing, cache and the single-writer override from lake.s3).
 * The queue, the locks and the caches stay on the local disk under dataDir either way.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../core/errors.js';
import { configureObjectStores, isRemoteLocation } from '../delta/index.js';
import { lakeDir, useLakeUri } from '../lake/location.js';

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
  checkLocalLake(lakeDir(config.dataDir));
}

/**
 * A local lake that is a file is a config error for every command: read as "no tables" it made status
 * report the queue's done rounds as lost commits (exit 4), compact find nothing to do (exit 0) and
 * signals answer stale (exit 6). A missing lake is fine: writers create it.
 */
function checkLocalLake(lake: string): void {
  if (isRemoteLocation(lake)) return;
  const info = statSync(lake, { throwIfNoEntry: false });
  if (info && !info.isDirectory()) {
    throw new ConfigError(`The lake ${lake} is not a directory.`, {
      hint: 'Move the file out of the way (the lake is <dataDir>/lake), or pass --data-dir (or --lake) for another place.',
    });
  }
}
