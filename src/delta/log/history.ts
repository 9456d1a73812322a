/** Commit history from the commitInfo of each JSON commit still present (newest first). */
import { storageFor } from '../storage/index.js';
import { listCommits, readCommit } from './log.js';
import type { CommitInfo } from './types.js';

export interface HistoryEntry {
  version: number;
  /** inCommitTimestamp, else commitInfo.timestamp, else the commit file's mtime (ms). */
  timestamp: number;
  operation: string | null;
  operationParameters: Record<string, unknown>;
  operationMetrics: Record<string, unknown>;
  engineInfo: string | null;
  /** Whole commitInfo as logged (null when the commit has none). */
  commitInfo: CommitInfo | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads the newest `limit` commits (all when absent). Versions whose JSON was cleaned up are not listed. */
export async function readHistory(
  tablePath: string,
  options: { limit?: number | undefined } = {},
): Promise<HistoryEntry[]> {
  const commits = await listCommits(tablePath);
  const newestFirst = commits.reverse();
  const chosen = options.limit === undefined ? newestFirst : newestFirst.slice(0, options.limit);
  const entries: HistoryEntry[] = [];
  for (const commit of chosen) {
    const actions = await readCommit(tablePath, commit.version);
    let info: CommitInfo | null = null;
    for (const action of actions) {
      if (isRecord(action) && 'commitInfo' in action && isRecord(action.commitInfo)) {
        info = action.commitInfo as CommitInfo;
        break;
      }
    }
    const ict = info?.inCommitTimestamp;
    const timestamp =
      typeof ict === 'number'
        ? ict
        : typeof info?.timestamp === 'number'
          ? info.timestamp
          : Math.trunc((await storageFor(commit.file).head(commit.file))?.mtimeMs ?? 0);
    entries.push({
      version: commit.version,
      timestamp,
      operation: typeof info?.operation === 'string' ? info.operation : null,
      operationParameters: isRecord(info?.operationParameters) ? info.operationParameters : {},
      operationMetrics: isRecord(info?.operationMetrics) ? info.operationMetrics : {},
      engineInfo: typeof info?.engineInfo === 'string' ? info.engineInfo : null,
      commitInfo: info,
    });
  }
  return entries;
}
