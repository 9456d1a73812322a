/**
 * Verify's checkpoint check: each checked checkpoint must open and hold the state that replaying the
 * JSON commits it summarises gives (when those commits still exist): protocol, metadata, live files, txns.
 */
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DeltaLogCorruptError, DeltaVersionNotFoundError } from '../errors.js';
import type { CheckpointRef, LogListing } from '../log/log.js';
import { loadSnapshotFromListing } from '../log/snapshot.js';
import type { Snapshot } from '../log/types.js';
import { firstLine, type VerifyProblem } from './verify-problems.js';

const MAX_DIFFERENCES_PER_CHECKPOINT = 20;

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Differences between the state a checkpoint holds and the state the JSON replay gives. */
export function compareSnapshots(checkpoint: Snapshot, replay: Snapshot): string[] {
  const out: string[] = [];
  const protocol = (s: Snapshot) =>
    stableJson({
      r: s.protocol.minReaderVersion,
      w: s.protocol.minWriterVersion,
      rf: s.protocol.readerFeatures ?? [],
      wf: s.protocol.writerFeatures ?? [],
    });
  if (protocol(checkpoint) !== protocol(replay))
    out.push(`protocol differs: ${protocol(checkpoint)} vs ${protocol(replay)}`);
  const meta = (s: Snapshot) =>
    stableJson({
      id: s.metadata.id,
      schemaString: s.metadata.schemaString,
      partitionColumns: s.metadata.partitionColumns,
      configuration: s.metadata.configuration,
    });
  if (meta(checkpoint) !== meta(replay))
    out.push('metaData differs (id, schema, partition columns or configuration)');
  const byPath = (s: Snapshot) => new Map([...s.files.values()].map((f) => [f.relativePath, f]));
  const inCheckpoint = byPath(checkpoint);
  const inReplay = byPath(replay);
  for (const [p, file] of inReplay) {
    const other = inCheckpoint.get(p);
    if (!other) {
      out.push(`file ${p} is live per the JSON log but missing from the checkpoint`);
      continue;
    }
    if (other.add.size !== file.add.size)
      out.push(`file ${p}: size ${other.add.size} in the checkpoint, ${file.add.size} in the log`);
    if (stableJson(other.add.partitionValues) !== stableJson(file.add.partitionValues)) {
      out.push(`file ${p}: partition values differ`);
    }
    if (other.add.stats && file.add.stats && other.add.stats !== file.add.stats)
      out.push(`file ${p}: stats differ`);
  }
  for (const p of inCheckpoint.keys()) {
    if (!inReplay.has(p)) out.push(`file ${p} is in the checkpoint but not live per the JSON log`);
  }
  const txns = (s: Snapshot) =>
    stableJson(Object.fromEntries([...s.txns.values()].map((t) => [t.appId, t.version])));
  if (txns(checkpoint) !== txns(replay))
    out.push(`txn versions differ: ${txns(checkpoint)} vs ${txns(replay)}`);
  return out;
}

/** The base to replay JSON commits from for checkpoint `target`: -1 (from commit 0) or a checkpoint version. */
function replayBase(
  listing: LogListing,
  target: CheckpointRef,
  mode: 'latest' | 'all',
): CheckpointRef | -1 | undefined {
  const present = new Set(listing.commitVersions);
  const contiguous = (from: number) => {
    for (let v = from + 1; v <= target.version; v++) if (!present.has(v)) return false;
    return true;
  };
  const older = listing.checkpoints.filter((c) => c.version < target.version);
  // 'latest': the longest replay possible (least trust in other checkpoints); 'all': the previous checkpoint,
  // itself checked in turn, so every checkpoint costs one short replay.
  const candidates: Array<CheckpointRef | -1> = mode === 'latest' ? [-1, ...older] : [...older.reverse(), -1];
  for (const base of candidates) {
    if (base === -1 ? present.has(0) && contiguous(-1) : contiguous(base.version)) return base;
  }
  return undefined;
}

export async function checkCheckpoints(
  connection: DuckDBConnection,
  listing: LogListing,
  mode: 'latest' | 'all',
  problems: VerifyProblem[],
): Promise<{ checked: number; notComparable: number }> {
  const targets = mode === 'all' ? listing.checkpoints : listing.checkpoints.slice(-1);
  let notComparable = 0;
  for (const target of targets) {
    const file = path.basename(target.files[0] ?? '');
    let fromCheckpoint: Snapshot;
    try {
      fromCheckpoint = await loadSnapshotFromListing(
        { ...listing, checkpoints: listing.checkpoints.filter((c) => c.version <= target.version) },
        { version: target.version, connection, checkReaderProtocol: false },
      );
    } catch (error) {
      problems.push({
        kind: 'checkpoint-unreadable',
        version: target.version,
        file,
        message: `checkpoint ${target.version} cannot be used: ${firstLine(error)}`,
      });
      continue;
    }
    if (fromCheckpoint.checkpointVersion !== target.version) {
      problems.push({
        kind: 'checkpoint-unreadable',
        version: target.version,
        file,
        message: `checkpoint ${target.version} cannot be read (readers fall back to an older base).`,
      });
      continue;
    }
    const base = replayBase(listing, target, mode);
    if (base === undefined) {
      notComparable++;
      continue;
    }
    let fromJson: Snapshot;
    try {
      fromJson = await loadSnapshotFromListing(
        { ...listing, checkpoints: base === -1 ? [] : [base] },
        { version: target.version, connection, checkReaderProtocol: false },
      );
    } catch (error) {
      if (error instanceof DeltaLogCorruptError || error instanceof DeltaVersionNotFoundError) {
        notComparable++;
        continue;
      }
      throw error;
    }
    const differences = compareSnapshots(fromCheckpoint, fromJson);
    for (const difference of differences.slice(0, MAX_DIFFERENCES_PER_CHECKPOINT)) {
      problems.push({
        kind: 'checkpoint-mismatch',
        version: target.version,
        file,
        message: `checkpoint ${target.version} disagrees with the JSON commits ${base === -1 ? 0 : base.version + 1}..${target.version}: ${difference}.`,
      });
    }
    if (differences.length > MAX_DIFFERENCES_PER_CHECKPOINT) {
      problems.push({
        kind: 'checkpoint-mismatch',
        version: target.version,
        file,
        message: `checkpoint ${target.version}: ${differences.length - MAX_DIFFERENCES_PER_CHECKPOINT} more differences.`,
      });
    }
  }
  return { checked: targets.length, notComparable };
}
