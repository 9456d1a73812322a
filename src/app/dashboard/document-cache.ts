/**
 * The dashboard's documents, computed once per lake version. A document evaluated at a fixed instant
 * (a past session's 09:25 call, its regime, its price paths) is a function of the lake's contents, and
 * the lake changes only by a new commit: so each is kept under its name, its instant and the version of
 * every lake table, and asked again it is served from memory until a commit lands. Finding the newest
 * versions lists each table's `_delta_log` (no data is read). Concurrent asks for the same document
 * share one computation; failures are not kept.
 */
import { DeltaTableNotFoundError, latestVersion } from '../../delta/index.js';
import { LAKE_TABLES, type LakeTableName, tablePath } from '../../lake/index.js';

/** Each lake table's newest version (null: absent), in a fixed order. */
export type LakeVersions = Record<LakeTableName, number | null>;

export async function lakeVersions(dataDir: string): Promise<LakeVersions> {
  const names = Object.keys(LAKE_TABLES) as LakeTableName[];
  const versions = await Promise.all(
    names.map((name) =>
      latestVersion(tablePath(dataDir, name)).catch((error: unknown) => {
        if (error instanceof DeltaTableNotFoundError) return null;
        throw error;
      }),
    ),
  );
  return Object.fromEntries(names.map((name, i) => [name, versions[i] ?? null])) as LakeVersions;
}

export const versionsKey = (versions: LakeVersions) => JSON.stringify(versions);

export interface DocumentCacheStats {
  hits: number;
  computed: number;
}

export class DocumentCache {
  private readonly entries = new Map<string, Promise<object>>();
  readonly stats: DocumentCacheStats = { hits: 0, computed: 0 };

  constructor(
    private readonly versions: () => Promise<LakeVersions>,
    private readonly maxEntries = 64,
  ) {}

  /** The document `key` names at the lake's current versions, computed by `make` when not kept. */
  async get(key: string, make: () => Promise<object>): Promise<object> {
    const full = `${versionsKey(await this.versions())} ${key}`;
    const kept = this.entries.get(full);
    if (kept !== undefined) {
      this.stats.hits++;
      this.entries.delete(full);
      this.entries.set(full, kept);
      return kept;
    }
    this.stats.computed++;
    const pending = make();
    this.entries.set(full, pending);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    pending.catch(() => {
      if (this.entries.get(full) === pending) this.entries.delete(full);
    });
    return pending;
  }
}
