/**
 * Where the lake of a data directory is: <dataDir>/lake, or an object store URI (config lake.uri).
 * Light on purpose (no DuckDB, no SDK): the CLI resolves table names with it before loading Delta.
 */
import { join } from 'node:path';
import { resolveLocation } from '../delta/storage/location.js';

/** Lakes moved to an object store, by data directory. */
const lakeUris = new Map<string, string>();

/** Puts the lake of a data directory at `uri` (s3://bucket/prefix), or back under it (undefined). */
export function useLakeUri(dataDir: string, uri: string | undefined): void {
  if (uri === undefined) lakeUris.delete(dataDir);
  else lakeUris.set(dataDir, resolveLocation(uri));
}

/** The lake of a data directory (DESIGN.md "Data"). */
export function lakeDir(dataDir: string): string {
  return lakeUris.get(dataDir) ?? join(dataDir, 'lake');
}
