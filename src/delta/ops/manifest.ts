/**
 * Symlink-format manifests (`_symlink_format_manifest/`), as Spark's `GENERATE symlink_format_manifest`
 * writes them, for readers that find a table's files through a manifest instead of the log (Redshift
 * Spectrum, Presto/Athena symlink tables, Hive): one `manifest` file per partition directory (or one at
 * the root of an unpartitioned table) listing the absolute URIs of the partition's live data files.
 *
 * HAZARD. A reader of a manifest sees exactly the files it lists, so a stale manifest is a wrong table:
 * after every change to the table (append, OPTIMIZE) the manifests must be written again, which
 * `delta.compatibility.symlinkFormatManifest.enabled` asks writers to do. Each manifest is replaced
 * atomically (written beside, then renamed), and partitions that no longer hold files lose theirs.
 */
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadSnapshot } from '../log/open.js';
import { resolveDataFile } from '../log/paths.js';
import type { Metadata, Snapshot } from '../log/types.js';
import { assertLocalTable } from '../storage/location.js';
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

async function manifestFilesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  return entries.filter((e) => path.basename(e) === 'manifest');
}

/** Writes the manifests of the snapshot's live files, replacing each atomically, and drops stale ones. */
export async function writeSymlinkManifest(snapshot: Snapshot): Promise<ManifestResult> {
  assertLocalTable(snapshot.tablePath, 'The symlink manifest');
  const root = path.join(snapshot.tablePath, MANIFEST_DIR);
  const groups = new Map<string, string[]>();
  for (const file of snapshot.files.values()) {
    const dir = partitionDir(snapshot, file.add.partitionValues);
    const uri = pathToFileURL(resolveDataFile(snapshot.tablePath, file.relativePath)).href;
    const list = groups.get(dir);
    if (list) list.push(uri);
    else groups.set(dir, [uri]);
  }
  for (const [dir, uris] of groups) {
    const target = path.join(root, dir, 'manifest');
    await mkdir(path.dirname(target), { recursive: true });
    const temporary = `${target}.${process.pid}.tmp`;
    await writeFile(temporary, `${uris.sort().join('\n')}\n`);
    await rename(temporary, target);
  }
  let removed = 0;
  for (const existing of await manifestFilesUnder(root)) {
    const dir = path.dirname(existing) === '.' ? '' : path.dirname(existing);
    if (groups.has(dir)) continue;
    await rm(path.join(root, dir === '' ? 'manifest' : dir), { recursive: true, force: true });
    removed++;
  }
  let files = 0;
  for (const uris of groups.values()) files += uris.length;
  return { version: snapshot.version, manifests: groups.size, files, removed };
}

/**
 * Sets the table property that asks writers to keep the manifests current (a metadata-only commit, as
 * Spark's `ALTER TABLE … SET TBLPROPERTIES`); returns the snapshot after it, or the same one when set.
 */
export async function enableSymlinkManifest(tablePath: string): Promise<Snapshot> {
  assertLocalTable(tablePath, 'The symlink manifest');
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
