import {
  enableSymlinkManifest,
  loadSnapshot,
  MANIFEST_DIR,
  type ManifestResult,
  manifestEnabled,
  writeSymlinkManifest,
} from '../delta/index.js';

export interface TableManifestResult extends ManifestResult {
  table: string;
  directory: string;
  /** Whether the table asks writers to keep the manifests current (futures compact does). */
  enabled: boolean;
}

/** Writes the table's symlink manifests; with `enable`, first sets the property that keeps them current. */
export async function tableManifest(tablePath: string, enable: boolean): Promise<TableManifestResult> {
  const snapshot = enable ? await enableSymlinkManifest(tablePath) : await loadSnapshot(tablePath);
  const written = await writeSymlinkManifest(snapshot);
  return {
    table: snapshot.tablePath,
    directory: `${snapshot.tablePath}/${MANIFEST_DIR}`,
    enabled: manifestEnabled(snapshot),
    ...written,
  };
}
