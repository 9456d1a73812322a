/**
 * add.path is an RFC 2396 URI relative to the table root (or absolute). It is percent-decoded
 * exactly once: a partition value "a%b" lives in directory `x=a%25b` and is logged as `x=a%2525b`.
 * `+` is literal (this is not form encoding).
 */
import path from 'node:path';
import { DeltaUnsupportedError } from '../errors.js';
import { isRemoteLocation, joinLocation } from '../storage/location.js';

/** Decodes %XX sequences once; a malformed sequence is kept literally. */
export function decodeAddPath(encoded: string): string {
  if (!encoded.includes('%')) return encoded;
  const bytes: number[] = [];
  const out: string[] = [];
  const flush = () => {
    if (bytes.length > 0) {
      out.push(Buffer.from(bytes).toString('utf8'));
      bytes.length = 0;
    }
  };
  for (let i = 0; i < encoded.length; i++) {
    const ch = encoded[i] as string;
    if (ch === '%' && /^[0-9a-fA-F]{2}$/.test(encoded.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(encoded.slice(i + 1, i + 3), 16));
      i += 2;
      continue;
    }
    flush();
    out.push(ch);
  }
  flush();
  return out.join('');
}

/** The location (file-system path, or URI for a table on an object store) of a data file given its decoded add path. */
export function resolveDataFile(tablePath: string, decodedPath: string): string {
  if (isRemoteLocation(tablePath)) {
    if (isRemoteLocation(decodedPath)) return decodedPath;
    return joinLocation(tablePath, decodedPath);
  }
  // Already decoded once: strip the scheme by hand (fileURLToPath would decode a second time).
  const fileUri = /^file:(?:\/\/(?:localhost)?)?(\/.*)$/i.exec(decodedPath);
  if (fileUri) return fileUri[1] as string;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(decodedPath)) {
    throw new DeltaUnsupportedError(
      `Data file ${decodedPath} is on a remote store; only local tables are supported.`,
    );
  }
  return path.isAbsolute(decodedPath) ? decodedPath : path.join(tablePath, decodedPath);
}

/**
 * Hidden directory inside a table where DuckDB writes data files before they are linked into place
 * (a `_` name, so no Delta reader ever looks inside); checkpoints sweep what crashed writers left.
 */
export const STAGING_DIR = '_staging';
