/** Time travel: which versions a log can rebuild, and the version a version or timestamp names. */
import { UsageError } from '../../core/errors.js';
import { DeltaVersionNotFoundError } from '../errors.js';
import { parseTimestamp } from '../read/scalar.js';
import { storageFor } from '../storage/index.js';
import { joinLocation, resolveLocation } from '../storage/location.js';
import type { LogListing } from './log.js';
import { parseCommit } from './log.js';
import { commitTimestampOf, corrupt } from './replay.js';
import { commitFileName } from './types.js';

/** The version to load: the latest, or one named by version or by timestamp. */
export interface TimeTravelOptions {
  /** Time travel to this version. */
  version?: number | undefined;
  /** Time travel to the newest commit whose timestamp is at or before this instant (Date, ms, or ISO text; no zone = UTC). */
  timestamp?: Date | number | string | undefined;
}

/** The range of versions a snapshot can be built for: [earliest, latest]. */
export function availableVersions(listing: LogListing): { earliest: number; latest: number } {
  const hasZero = listing.commitVersions[0] === 0;
  const oldestCheckpoint = listing.checkpoints[0]?.version;
  const earliest = hasZero ? 0 : (oldestCheckpoint ?? listing.commitVersions[0] ?? 0);
  return { earliest, latest: listing.latestVersion };
}

/** Index of the first element ≥ value in an ascending array (its length when there is none). */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The first commit version missing in (base, target], or undefined when all are present. Binary
 * search plus a walk of the interval: a 10,000-commit log costs no more than a 10-commit one here.
 */
export function firstMissingCommit(
  versions: readonly number[],
  base: number,
  target: number,
): number | undefined {
  let i = lowerBound(versions, base + 1);
  for (let v = base + 1; v <= target; v++, i++) if (versions[i] !== v) return v;
  return undefined;
}

export function hasCommit(versions: readonly number[], version: number): boolean {
  return versions[lowerBound(versions, version)] === version;
}

export function describeCommits(listing: LogListing): string {
  const v = listing.commitVersions;
  if (v.length === 0) return 'no JSON commits present';
  const shown = v.length <= 8 ? v.join(', ') : `${v.slice(0, 4).join(', ')}, …, ${v.slice(-3).join(', ')}`;
  return `commits present: ${shown}`;
}

/** The timestamp (ms) of commit `version` as used for time travel. */
export async function commitTimestamp(tablePath: string, version: number): Promise<number> {
  const root = resolveLocation(tablePath);
  const storage = storageFor(root);
  const file = joinLocation(root, '_delta_log', commitFileName(version));
  let text: string;
  try {
    const found = await storage.readText(file);
    if (found === undefined) throw new Error(`ENOENT: ${file} does not exist`);
    text = found;
  } catch (error) {
    throw corrupt(root, `cannot read commit ${version}.`, error);
  }
  const fromInfo = commitTimestampOf(parseCommit(text, file));
  if (fromInfo !== undefined) return fromInfo;
  return (await storage.head(file))?.mtimeMs ?? 0;
}

function parseInstant(value: Date | number | string): number {
  const ms =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'number'
        ? value
        : (() => {
            const parsed = parseTimestamp(value);
            return parsed ? Number(parsed.micros / 1000n) : Number.NaN;
          })();
  if (!Number.isFinite(ms)) {
    throw new UsageError(`Invalid timestamp ${JSON.stringify(String(value))}.`, {
      hint: 'Give an ISO-8601 instant such as 2026-01-02T15:04:05Z.',
    });
  }
  return ms;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The newest commit version whose timestamp is ≤ the instant (binary search over JSON commits). */
async function versionAtTimestamp(listing: LogListing, instantMs: number): Promise<number> {
  const { earliest, latest } = availableVersions(listing);
  const candidates = listing.commitVersions.filter((v) => v >= earliest && v <= latest);
  const first = candidates[0];
  if (first === undefined) {
    throw new DeltaVersionNotFoundError(
      `Cannot time travel by timestamp in ${listing.tablePath}: no commit files are present.`,
      { hint: 'Time travel by version instead.' },
    );
  }
  const firstTs = await commitTimestamp(listing.tablePath, first);
  if (instantMs < firstTs) {
    const lastTs = await commitTimestamp(listing.tablePath, candidates[candidates.length - 1] as number);
    throw new DeltaVersionNotFoundError(
      `No version of ${listing.tablePath} at ${iso(instantMs)}: the first available commit (version ${first}) is at ${iso(firstTs)}; available: versions ${first}..${latest} (${iso(firstTs)} .. ${iso(lastTs)}).`,
      { hint: `Give a timestamp at or after ${iso(firstTs)}.` },
    );
  }
  let lo = 0;
  let hi = candidates.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const ts = await commitTimestamp(listing.tablePath, candidates[mid] as number);
    if (ts <= instantMs) lo = mid;
    else hi = mid - 1;
  }
  return candidates[lo] as number;
}

export async function resolveTarget(listing: LogListing, options: TimeTravelOptions): Promise<number> {
  const { earliest, latest } = availableVersions(listing);
  if (options.version !== undefined && options.timestamp !== undefined) {
    throw new UsageError('Give either a version or a timestamp to time travel, not both.', {
      hint: 'Time travel by version or by timestamp.',
    });
  }
  if (options.version !== undefined) {
    const v = options.version;
    if (!Number.isInteger(v) || v < earliest || v > latest) {
      throw new DeltaVersionNotFoundError(
        `Version ${v} of ${listing.tablePath} is not available: available versions are ${earliest}..${latest}.`,
        { hint: `Pick a version between ${earliest} and ${latest}.` },
      );
    }
    return v;
  }
  if (options.timestamp !== undefined) return versionAtTimestamp(listing, parseInstant(options.timestamp));
  return latest;
}
