/**
 * OPTIMIZE planning (pure, no I/O): per partition, the files smaller than the minimum size are packed
 * into bins of at most the target size; each bin of two or more files becomes one new file.
 */
import { UsageError } from '../../core/errors.js';
import { DeltaPredicateError } from '../errors.js';
import type { LiveFile, Snapshot } from '../log/types.js';
import {
  type BoundPredicate,
  bindPredicate,
  type Predicate,
  parsePredicate,
  predicateToSql,
} from '../read/predicate.js';
import { pruneFile } from '../read/prune.js';
import type { Scalar } from '../read/scalar.js';
import { parsePartitionValue } from '../read/scan.js';
import { assertWritable } from '../write/write-protocol.js';
import { DEFAULT_TARGET_FILE_SIZE } from './units.js';

export interface OptimizeOptions {
  /** Bytes; bins are filled up to this size (default 128 MiB). */
  targetSize?: number | undefined;
  /** Files smaller than this are candidates for merging (default: targetSize). */
  minFileSize?: number | undefined;
  /** Only partitions matching this predicate over partition columns, e.g. "day < '2026-11-20'". */
  partitionFilter?: Predicate | string | undefined;
}

/** A group of files of one partition that is rewritten into one file. */
export interface OptimizeBin {
  partitionValues: Record<string, string | null>;
  files: LiveFile[];
  bytes: number;
  /** Sum of numRecords from stats; undefined when a file has none. */
  rows: number | undefined;
}

export interface OptimizePlan {
  tablePath: string;
  snapshot: Snapshot;
  targetSize: number;
  minFileSize: number;
  /** The partition filter as text (for commitInfo), if any. */
  partitionFilter: string | undefined;
  bins: OptimizeBin[];
  /** Live files in the partitions the filter selects. */
  totalConsideredFiles: number;
  /** Considered files left as they are (large enough, or alone in their partition). */
  totalFilesSkipped: number;
  partitionsConsidered: number;
  filesToRemove: number;
  bytesToRemove: number;
  /** From stats; undefined when a file to rewrite has no numRecords. */
  rowsToRewrite: number | undefined;
}

export interface FileSizeSummary {
  totalFiles: number;
  totalSize: number;
  min: number;
  max: number;
  avg: number;
}

function partitionOnly(predicate: BoundPredicate, partitionColumns: readonly string[]): void {
  const visit = (p: BoundPredicate): void => {
    if ('args' in p) {
      p.args.forEach(visit);
      return;
    }
    if (!p.column.isPartition) {
      throw new DeltaPredicateError(
        `The partition filter may only use partition columns (${partitionColumns.join(', ') || 'none'}); '${p.column.name}' is a data column.`,
        { hint: 'Filter on partition columns only, e.g. "day < \'2026-11-20\'".' },
      );
    }
  };
  visit(predicate);
}

function typedPartitionValues(snapshot: Snapshot, file: LiveFile): Map<string, Scalar | null> {
  const values = new Map<string, Scalar | null>();
  for (const column of snapshot.partitionColumns) {
    const field = snapshot.schema.fields.find((f) => f.name === column);
    if (!field) continue;
    values.set(
      column,
      parsePartitionValue(
        file.add.partitionValues[column],
        field.type,
        `for '${column}' of ${file.add.path}`,
      ),
    );
  }
  return values;
}

export function summarizeSizes(sizes: readonly number[]): FileSizeSummary {
  const totalSize = sizes.reduce((a, b) => a + b, 0);
  return {
    totalFiles: sizes.length,
    totalSize,
    min: sizes.length === 0 ? 0 : Math.min(...sizes),
    max: sizes.length === 0 ? 0 : Math.max(...sizes),
    avg: sizes.length === 0 ? 0 : Math.round(totalSize / sizes.length),
  };
}

/**
 * Decides which files to merge. Pure: no I/O. Per partition, candidates (files smaller than
 * minFileSize) are taken in log order and packed greedily into bins of at most targetSize bytes;
 * bins of a single file are dropped, since rewriting one file changes nothing.
 */
export function planOptimize(snapshot: Snapshot, options: OptimizeOptions = {}): OptimizePlan {
  assertWritable(snapshot.tablePath, snapshot.protocol, snapshot.metadata, snapshot.schema);
  const targetSize = options.targetSize ?? DEFAULT_TARGET_FILE_SIZE;
  if (!Number.isSafeInteger(targetSize) || targetSize <= 0) {
    throw new UsageError(`Invalid target size ${targetSize}: give a positive number of bytes.`, {
      hint: 'Give a target size such as 128 MiB (134217728 bytes).',
    });
  }
  const minFileSize = options.minFileSize ?? targetSize;
  if (!Number.isSafeInteger(minFileSize) || minFileSize <= 0) {
    throw new UsageError(`Invalid minimum file size ${minFileSize}: give a positive number of bytes.`);
  }
  let filterText: string | undefined;
  let filter: BoundPredicate | undefined;
  if (options.partitionFilter !== undefined) {
    const parsed =
      typeof options.partitionFilter === 'string'
        ? parsePredicate(options.partitionFilter)
        : options.partitionFilter;
    filter = bindPredicate(parsed, snapshot.schema, snapshot.partitionColumns);
    partitionOnly(filter, snapshot.partitionColumns);
    filterText =
      typeof options.partitionFilter === 'string' ? options.partitionFilter.trim() : predicateToSql(filter);
  }

  const partitions = new Map<string, { values: Record<string, string | null>; files: LiveFile[] }>();
  let considered = 0;
  for (const file of snapshot.files.values()) {
    if (filter) {
      const verdict = pruneFile(filter, {
        partitionValues: typedPartitionValues(snapshot, file),
        stats: undefined,
      });
      if (verdict !== 'keep') continue;
    }
    considered++;
    const values: Record<string, string | null> = {};
    for (const column of snapshot.partitionColumns) values[column] = file.add.partitionValues[column] ?? null;
    const key = JSON.stringify(snapshot.partitionColumns.map((c) => values[c]));
    let group = partitions.get(key);
    if (!group) {
      group = { values, files: [] };
      partitions.set(key, group);
    }
    group.files.push(file);
  }

  const bins: OptimizeBin[] = [];
  for (const { values, files } of partitions.values()) {
    let current: LiveFile[] = [];
    let currentBytes = 0;
    const close = () => {
      if (current.length > 1) {
        const rows = current.every((f) => f.stats?.numRecords !== undefined)
          ? current.reduce((n, f) => n + (f.stats?.numRecords ?? 0), 0)
          : undefined;
        bins.push({ partitionValues: values, files: current, bytes: currentBytes, rows });
      }
      current = [];
      currentBytes = 0;
    };
    for (const file of files) {
      if (file.add.size >= minFileSize) continue;
      if (current.length > 0 && currentBytes + file.add.size > targetSize) close();
      current.push(file);
      currentBytes += file.add.size;
    }
    close();
  }
  const filesToRemove = bins.reduce((n, b) => n + b.files.length, 0);
  return {
    tablePath: snapshot.tablePath,
    snapshot,
    targetSize,
    minFileSize,
    partitionFilter: filterText,
    bins,
    totalConsideredFiles: considered,
    totalFilesSkipped: considered - filesToRemove,
    partitionsConsidered: partitions.size,
    filesToRemove,
    bytesToRemove: bins.reduce((n, b) => n + b.bytes, 0),
    rowsToRewrite: bins.every((b) => b.rows !== undefined)
      ? bins.reduce((n, b) => n + (b.rows ?? 0), 0)
      : undefined,
  };
}
