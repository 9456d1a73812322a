/**
 * Data skipping trusts an add's min/max stats: a stats text changed after it was written (a damaged
 * log) skips a file that holds matching rows, and the read silently misses them. Our writers record
 * the SHA-256 of the stats text in the add's tags; a scan checks it for every file it skips on stats
 * (no I/O: the hash of a few hundred bytes, once per file per process). Files without the tag (other
 * writers, older files) are not checked here; verify compares every file's stats with its content.
 */
import { createHash } from 'node:crypto';
import { DeltaLogCorruptError } from '../errors.js';
import type { LiveFile, Snapshot } from '../log/types.js';

/** The add tag holding the lowercase hex SHA-256 of the add's `stats` text. */
export const STATS_HASH_TAG = 'statsSha256';

export function statsHash(stats: string): string {
  return createHash('sha256').update(stats).digest('hex');
}

/** Files whose stats matched their tag (a LiveFile is immutable, and snapshots share them). */
const intact = new WeakSet<LiveFile>();

/** Whether the file's stats are the ones its writer recorded (true when it recorded none). */
export function statsIntact(file: LiveFile): boolean {
  if (intact.has(file)) return true;
  const tag = file.add.tags?.[STATS_HASH_TAG];
  if (tag === undefined || tag === null) return true;
  const ok = typeof file.add.stats === 'string' && statsHash(file.add.stats) === tag;
  if (ok) intact.add(file);
  return ok;
}

export function lyingStatsError(snapshot: Snapshot, file: LiveFile): DeltaLogCorruptError {
  return new DeltaLogCorruptError(
    `Delta log is corrupt: the stats of ${file.relativePath} in ${snapshot.tablePath} (version ${snapshot.version}) are not the ones its writer recorded (their SHA-256 differs from the add's ${STATS_HASH_TAG} tag), so a read that skips files on stats could miss its rows.`,
    {
      hint: 'Verify the table to list the files whose stats do not hold; a repair commits their true stats (the data files are sound).',
    },
  );
}
