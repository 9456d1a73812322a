/**
 * Table locations: a local path, or a URI (`s3://bucket/prefix/table`) on an object store.
 *
 * A local location is resolved to an absolute path and joined with `path.join`; a URI is joined with `/`
 * and never passed through `path` (which would fold `s3://` into `s3:/`).
 */
import path from 'node:path';
import { DeltaUnsupportedError } from '../errors.js';

const URI_RE = /^([a-z][a-z0-9+.-]*):\/\//i;

/** True for `scheme://…` locations other than `file://`. */
export function isRemoteLocation(location: string): boolean {
  const m = URI_RE.exec(location);
  return m !== null && (m[1] as string).toLowerCase() !== 'file';
}

/** The canonical form of a location: an absolute path, or a URI without trailing slashes. */
export function resolveLocation(location: string): string {
  if (!isRemoteLocation(location)) return path.resolve(location);
  return location.replace(/\/+$/, '');
}

/** `base/part/…` for either kind of location. */
export function joinLocation(base: string, ...parts: string[]): string {
  if (!isRemoteLocation(base)) return path.join(base, ...parts);
  let out = base.replace(/\/+$/, '');
  for (const part of parts) {
    const trimmed = part.replace(/^\/+|\/+$/g, '');
    if (trimmed !== '') out = `${out}/${trimmed}`;
  }
  return out;
}

/** The parent of a location. */
export function parentLocation(location: string): string {
  if (!isRemoteLocation(location)) return path.dirname(location);
  const i = location.replace(/\/+$/, '').lastIndexOf('/');
  return location.slice(0, i);
}

/** The last component of a location. */
export function baseName(location: string): string {
  if (!isRemoteLocation(location)) return path.basename(location);
  const trimmed = location.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** Splits `s3://bucket/key` into bucket and key (key without a leading slash, possibly empty). */
export function parseBucketUri(location: string): { scheme: string; bucket: string; key: string } {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/]+)\/?(.*)$/i.exec(location);
  if (!m) throw new Error(`Not an object store URI: ${location}`);
  return {
    scheme: (m[1] as string).toLowerCase(),
    bucket: m[2] as string,
    key: (m[3] as string).replace(/\/+$/, ''),
  };
}

/** Refuses operations written for local disks only (they rename or link files in place). */
export function assertLocalTable(location: string, what: string): void {
  if (!isRemoteLocation(location)) return;
  throw new DeltaUnsupportedError(
    `${what} works on tables on a local disk only; ${location} is on an object store.`,
    {
      hint: 'Copy the table to a local disk to run it there, or run the other maintenance commands (compact, verify).',
    },
  );
}
