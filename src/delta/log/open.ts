/**
 * Opening a table's snapshot: by a full replay, or through the process-wide snapshot cache, which
 * advances the state it last returned by replaying only the commits written since. The caller
 * chooses; writers that load the same table again and again choose the cache.
 */

import { type ReplayOptions, replaySnapshot } from './snapshot.js';
import { processSnapshotCache } from './snapshot-cache.js';
import type { Snapshot } from './types.js';

export interface LoadSnapshotOptions extends ReplayOptions {
  /** Serve the load from the process-wide snapshot cache (snapshot-cache.ts). Default false. */
  cache?: boolean | undefined;
}

/**
 * Loads the table state at the latest version, or at `version` / `timestamp`.
 * Throws DeltaTableNotFoundError, DeltaVersionNotFoundError, DeltaLogCorruptError or DeltaUnsupportedError.
 */
export function loadSnapshot(tablePath: string, options: LoadSnapshotOptions = {}): Promise<Snapshot> {
  const { cache, ...replay } = options;
  return cache ? processSnapshotCache.load(tablePath, replay) : replaySnapshot(tablePath, replay);
}
