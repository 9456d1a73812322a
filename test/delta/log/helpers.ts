import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { checkpointFileName, type Snapshot } from '../../../src/delta/log/types.js';
import type { DeltaRow } from '../../../src/delta/write/write-sql.js';

/** Rows for the child-process table schema (test/delta/write/helpers.ts childSchema). */
export function batchRows(writer: string, batch: number, count = 2, dayCount = 3): DeltaRow[] {
  return Array.from({ length: count }, (_, i) => ({
    day: `2024-01-0${(batch % dayCount) + 1}`,
    writer,
    batch,
    i,
    ts: new Date(Date.UTC(2024, 0, 1) + batch * 1000 + i),
  }));
}

function sortedEntries<V>(map: ReadonlyMap<string, V>): [string, V][] {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Everything a snapshot holds, in a form toEqual compares exactly (map order ignored). */
export function exactState(snapshot: Snapshot): Record<string, unknown> {
  return {
    version: snapshot.version,
    timestamp: snapshot.timestamp,
    checkpointVersion: snapshot.checkpointVersion,
    protocol: snapshot.protocol,
    metadata: snapshot.metadata,
    schema: snapshot.schema,
    partitionColumns: snapshot.partitionColumns,
    files: sortedEntries(snapshot.files),
    txns: sortedEntries(snapshot.txns),
    tombstones: sortedEntries(snapshot.tombstones),
  };
}

/**
 * The table as a reader sees it, whatever base the replay started from: a checkpoint rewrites adds
 * with dataChange false and keeps only some tombstone fields, so those are compared by path only.
 */
export function tableState(snapshot: Snapshot): Record<string, unknown> {
  return {
    tablePath: snapshot.tablePath,
    version: snapshot.version,
    timestamp: snapshot.timestamp,
    protocol: snapshot.protocol,
    metadata: snapshot.metadata,
    schema: snapshot.schema,
    partitionColumns: snapshot.partitionColumns,
    files: sortedEntries(snapshot.files).map(([key, f]) => [
      key,
      {
        path: f.add.path,
        partitionValues: f.add.partitionValues,
        size: f.add.size,
        modificationTime: f.add.modificationTime,
        stats: f.add.stats ?? null,
        relativePath: f.relativePath,
        parsedStats: f.stats,
      },
    ]),
    txns: sortedEntries(snapshot.txns),
    tombstones: [...snapshot.tombstones.keys()].sort(),
  };
}

/**
 * A full replay of the same version from the same base as `snapshot` (its checkpoint, or none): the
 * JSON commits and only that checkpoint are copied into a scratch table. Equal to an incremental
 * replay in every field.
 */
export async function sameBaseReplay(
  table: string,
  snapshot: Snapshot,
  connection: DuckDBConnection,
): Promise<Snapshot> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'delta-cache-base-'));
  try {
    const from = path.join(table, '_delta_log');
    const to = path.join(scratch, '_delta_log');
    mkdirSync(to);
    const base =
      snapshot.checkpointVersion === undefined ? undefined : checkpointFileName(snapshot.checkpointVersion);
    for (const name of readdirSync(from)) {
      if (/^\d{20}\.json$/.test(name) || name === base)
        copyFileSync(path.join(from, name), path.join(to, name));
    }
    const replayed = await loadSnapshot(scratch, { version: snapshot.version, connection });
    return { ...replayed, tablePath: snapshot.tablePath };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
