/**
 * The whole-file content hash every writer of this library records in its adds' `tags`, so that a
 * deep verify can tell a data file whose bytes changed after it was written (bit rot, a partial
 * overwrite) from a sound one, and repair can recognise a file's copy. Plain scans never compute it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { STATS_HASH_TAG, statsHash } from '../read/stats-integrity.js';

/** The add tag holding the lowercase hex SHA-256 of the file's bytes. */
export const CONTENT_HASH_TAG = 'contentSha256';

export function sha256Bytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The tags our writers put on an add: the content hash, and the stats hash when there are stats. */
export function writerTags(contentSha256: string, stats: string | undefined): Record<string, string> {
  const tags: Record<string, string> = { [CONTENT_HASH_TAG]: contentSha256 };
  if (stats !== undefined) tags[STATS_HASH_TAG] = statsHash(stats);
  return tags;
}
