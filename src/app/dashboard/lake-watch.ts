/**
 * Live refresh: while at least one page listens, the lake's table versions are checked every
 * `intervalMs` (a listing of each `_delta_log`, no data read) and every listener is told when they
 * change, i.e. when a collection round, a backfill or a compaction committed. A new listener is told
 * the current versions at once.
 */
import { type LakeVersions, lakeVersions, versionsKey } from './document-cache.js';

export type LakeListener = (versions: LakeVersions) => void;

export interface LakeWatcher {
  subscribe(listener: LakeListener): () => void;
  /** Listeners now (for tests). */
  listeners(): number;
}

export function watchLake(dataDir: string, intervalMs = 1000): LakeWatcher {
  const listeners = new Set<LakeListener>();
  let last: LakeVersions | undefined;
  let looping = false;

  const pause = () =>
    new Promise<void>((resolve) => {
      // Unref'd: a stopping dashboard does not wait for the next check.
      setTimeout(resolve, intervalMs).unref();
    });

  /** One loop at most: it runs while anyone listens, and forgets the versions when it ends. */
  const loop = async () => {
    looping = true;
    while (listeners.size > 0) {
      try {
        const versions = await lakeVersions(dataDir);
        if (last === undefined || versionsKey(versions) !== versionsKey(last)) {
          last = versions;
          for (const listener of listeners) listener(versions);
        }
      } catch {
        // A lake mid-write or briefly unreadable: the next check tries again.
      }
      await pause();
    }
    last = undefined;
    looping = false;
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (last !== undefined) listener(last);
      if (!looping) void loop();
      return () => {
        listeners.delete(listener);
      };
    },
    listeners: () => listeners.size,
  };
}
