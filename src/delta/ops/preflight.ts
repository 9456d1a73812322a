/**
 * The check every destructive maintenance step (OPTIMIZE, log cleanup, VACUUM) runs first: the log
 * replays with contiguous versions and no empty commit file, and every live file of the snapshot exists with the logged size,
 * opens as Parquet, holds the table's column types and partition values, reads to the end, and has
 * the content hash and page CRCs its writer recorded (when it recorded them). On a
 * damaged table the files VACUUM would delete (the tombstoned ones time travel still reads, or the
 * real file a damaged add path no longer names) and the commits log cleanup would delete are the only
 * way back, so the operation refuses with DeltaTableDamagedError and changes nothing.
 */

import type { DuckDBConnection } from '@duckdb/node-api';
import { withConnection } from '../duckdb.js';
import { DeltaLogCorruptError, DeltaTableDamagedError } from '../errors.js';
import type { LogListing } from '../log/log.js';
import { assertNoDeletionVectors } from '../log/protocol.js';
import { loadSnapshotFromListing } from '../log/snapshot.js';
import type { Snapshot } from '../log/types.js';
import { checkDataFiles, checkEmptyCommits, checkVersions } from './verify.js';
import { firstLine, type VerifyProblem } from './verify-problems.js';

const SHOWN_PROBLEMS = 3;

export function damagedError(tablePath: string, problems: readonly VerifyProblem[]): DeltaTableDamagedError {
  const shown = problems.slice(0, SHOWN_PROBLEMS).map((p) => p.message);
  const more = problems.length > SHOWN_PROBLEMS ? ` (and ${problems.length - SHOWN_PROBLEMS} more)` : '';
  return new DeltaTableDamagedError(
    `The table at ${tablePath} is damaged, so maintenance changed nothing (deleting files or log entries now could destroy the only intact copy): ${shown.join(' ')}${more}`,
    problems,
  );
}

/**
 * Loads the latest snapshot from a listing and checks it (see the module comment). Returns the
 * snapshot when sound; throws DeltaTableDamagedError otherwise.
 */
export async function loadSoundSnapshot(
  listing: LogListing,
  connection: DuckDBConnection | undefined,
): Promise<Snapshot> {
  const problems: VerifyProblem[] = [];
  checkVersions(listing, problems);
  await checkEmptyCommits(listing, problems);
  return withConnection(connection, async (conn) => {
    let snapshot: Snapshot;
    try {
      snapshot = await loadSnapshotFromListing(listing, { connection: conn, checkReaderProtocol: false });
    } catch (error) {
      if (!(error instanceof DeltaLogCorruptError)) throw error;
      problems.push({
        kind: 'log-unreadable',
        version: listing.latestVersion,
        message: `the latest version ${listing.latestVersion} cannot be rebuilt from the log: ${firstLine(error)}`,
      });
      throw damagedError(listing.tablePath, problems);
    }
    // A deletion vector this library does not apply: rewriting the file (OPTIMIZE) or a checkpoint that
    // drops the vector would bring the deleted rows back.
    assertNoDeletionVectors(snapshot.files, listing.tablePath);
    // Deep: a file whose bytes changed after writing must not be rewritten into a fresh, "sound" one.
    await checkDataFiles(conn, snapshot, problems, true);
    if (problems.length > 0) throw damagedError(listing.tablePath, problems);
    return snapshot;
  });
}
