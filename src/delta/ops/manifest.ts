/**
 * Symlink-format manifests (`_symlink_format_manifest/`), as Spark's `GENERATE symlink_format_manifest`
 * writes them, for readers that find a table's files through a manifest instead of the log (Redshift
 * Spectrum, Presto/Athena symlink tables, Hive): one `manifest` file per partition directory (or one at
 * the root of an unpartitioned table) listing the absolute URIs of the partition's live data files.
 *
 * HAZARD. A reader of a manifest sees exactly the files it lists, so a stale manifest is a wrong table:
 * after every change to the table (append, OPTIMIZE) the manifests must be written again, which
 * `delta.compatibility.symlinkFormatManifest.enabled` asks writers to do. Each manifest is replaced
 * atomically through the table's storage (a disk: written beside, then renamed; a bucket: one PUT), and
 * partitions that no longer hold files lose theirs.
 */
import { rmdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadSnapshot } from '../log/open.js';
import { resolveDataFile } from '../log/paths.js';
import type { Metadata, Snapshot } from '../log/types.js';
import { storageFor } from '../storage/index.js';
import { isRemoteLocation, joinLocation } from '../storage/location.js';
import { commitTransaction } from '../write/commit.js';
import { engineInfo } from '../write/engine.js';
import { assertWritable } from '../write/write-protocol.js';

export const MANIFEST_DIR = '_symlink_format_manifest';
export const MANIFEST_PROPERTY = 'delta.compatibility.symlinkFormatManifest.enabled';
const HIVE_NULL = '__HIVE_DEFAULT_PARTITION__';

export interface ManifestResult {
  version: number;
  /** Manifest files written (one per partition holding files, or one for an unpartitioned table). */
  manifests: number;
  files: number;
  /** Partition manifests removed because their partition no longer holds a live file. */
  removed: number;
}

export function manifestEnabled(snapshot: Snapshot): boolean {
  return snapshot.metadata.configuration[MANIFEST_PROPERTY]?.toLowerCase() === 'true';
}

/** Hive's escaping of a partition path segment (the characters Spark's escapePathName escapes). */
function escapeSegment(value: string): string {
  return value.replace(
    /[\u0000-\u001f"#%'*/:=?\\\u007f{[\]^]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

function partitionDir(snapshot: Snapshot, values: Record<string, string | null>): string {
  return snapshot.partitionColumns
    .map((name) => {
      const value = values[name] ?? null;
      return `${escapeSegment(name)}=${value === null || value === '' ? HIVE_NULL : escapeSegment(value)}`;
    })
    .join('/');
}

/** What a manifest lists for a data file: its s3:// URI on an object store, a file:// URL on a disk. */
function manifestUri(tablePath: string, relativePath: string): string {
  const location = resolveDataFile(tablePath, relativePath);
  return isRemoteLocation(location) ? location : pathToFileURL(location).href;
}

/** Writes the manifests of the snapshot's live files, replacing each atomically, and drops stale ones. */
export async function writeSymlinkManifest(snapshot: Snapshot): Promise<ManifestResult> {
  const root = joinLocation(snapshot.tablePath, MANIFEST_DIR);
  const storage = storageFor(root);
  const groups = new Map<string, string[]>();
  for (const file of snapshot.files.values()) {
    const dir = partitionDir(snapshot, file.add.partitionValues);
    const uri = manifestUri(snapshot.tablePath, file.relativePath);
    const list = groups.get(dir);
    if (list) list.push(uri);
    else groups.set(dir, [uri]);
  }
  for (const [dir, uris] of groups) {
    const target = joinLocation(root, dir === '' ? 'manifest' : `${dir}/manifest`);
    await storage.ensureDir(dir === '' ? root : joinLocation(root, dir));
    await storage.put(target, `${uris.sort().join('\n')}\n`);
  }
  const stale = (await storage.listFiles(root))
    .filter((f) => path.posix.basename(f.relative) === 'manifest')
    .filter((f) => !groups.has(path.posix.dirname(f.relative) === '.' ? '' : path.posix.dirname(f.relative)));
  await storage.deleteMany(stale.map((f) => f.location));
  if (storage.kind === 'local') {
    // Emptied partition directories go too (an object store has no directories to leave behind).
    for (const f of stale) await rmdir(path.dirname(f.location)).catch(() => undefined);
  }
  let files = 0;
  for (const uris of groups.values()) files += uris.length;
  return { version: snapshot.version, manifests: groups.size, files, removed: stale.length };
}

/**
 * Sets the table property that asks writers to keep the manifests current (a metadata-only commit, as
 * Spark's `ALTER TABLE … SET TBLPROPERTIES`); returns the snapshot after it, or the same one when set.
 */
export async function enableSymlinkManifest(tablePath: string): Promise<Snapshot> {
  const snapshot = await loadSnapshot(tablePath);
  if (manifestEnabled(snapshot)) return snapshot;
  assertWritable(snapshot.tablePath, snapshot.protocol, snapshot.metadata, snapshot.schema);
  const metaData: Metadata = {
    ...snapshot.metadata,
    configuration: { ...snapshot.metadata.configuration, [MANIFEST_PROPERTY]: 'true' },
  };
  await commitTransaction(snapshot.tablePath, {
    readVersion: snapshot.version,
    actions: [{ metaData }],
    commitInfo: {
      operation: 'SET TBLPROPERTIES',
      operationParameters: { properties: JSON.stringify({ [MANIFEST_PROPERTY]: 'true' }) },
      engineInfo: engineInfo(),
    },
  });
  return loadSnapshot(tablePath);
}
