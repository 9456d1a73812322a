/**
 * Finding 11 of the red-team review: a data file whose min/max stats in the log lie (say a symbol
 * range that excludes its rows) is skipped by every pruned read, and the signals answered "stale"
 * (exit 6) about data that is there. Checking every skipped file on every read would undo data
 * skipping, so the check runs when an answer came back short: it re-reads the files the evaluation's
 * scans skipped on stats, and a skipped file holding matching rows is a data error naming it.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { filesWithLyingStats } from '../delta/index.js';
import { LakeTableError, type ScanLedger } from './lake.js';

export function newScanLedger(): ScanLedger {
  return { scans: [] };
}

/** Throws LakeTableError (exit 4) when a file a scan skipped on its stats holds rows the scan wanted. */
export async function checkSkippedFiles(connection: DuckDBConnection, ledger: ScanLedger): Promise<void> {
  const checked = new Set<string>();
  for (const { table, plan } of ledger.scans) {
    const key = `${table}\u0000${plan.snapshot.version}\u0000${plan.statsPruned.map((f) => f.file.add.path).join('\u0000')}`;
    if (checked.has(key)) continue;
    checked.add(key);
    const lying = await filesWithLyingStats(connection, plan);
    const first = lying[0];
    if (first === undefined) continue;
    const names = lying.map((f) => f.file.relativePath).join(', ');
    throw new LakeTableError(
      `${table} (version ${plan.snapshot.version}): the min/max stats the log records for ${names} disagree with the file's content: reads skip the file although it holds rows they need, so the answer would be missing data.`,
      {
        hint: `Run 'futures table verify ${table}' to list every file whose stats do not hold and 'futures table repair ${table} --apply' to commit their true stats (it deletes nothing).`,
      },
    );
  }
}
