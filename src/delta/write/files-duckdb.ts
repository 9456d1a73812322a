/**
 * Data files written by DuckDB: `COPY (...) TO '<table>/_staging/<uuid>' (FORMAT parquet,
 * PARTITION_BY (...), FILENAME_PATTERN 'part-{uuid}', RETURN_STATS true)` into a fresh hidden staging
 * directory (a `_` name, so no Delta reader ever looks inside), never into the table root: COPY's
 * OVERWRITE would delete other files and APPEND would make DuckDB scan the whole table directory. The
 * uniquely named files are then hard-linked into their partition directories (never replacing
 * anything) and fsynced before the caller commits. A crash before the commit leaves at most
 * unreferenced files, which readers ignore and VACUUM removes.
 */

import { randomUUID } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DeltaSchemaViolationError } from '../errors.js';
import { STAGING_DIR } from '../log/paths.js';
import type { Snapshot } from '../log/types.js';
import { quoteIdentifier, quoteLiteral } from '../read/schema.js';
import { storageFor } from '../storage/index.js';
import { joinLocation } from '../storage/location.js';
import { sha256File, writerTags } from './content-hash.js';
import { numIndexedCols, type SinglePartition, type WrittenFile } from './data-file.js';
import {
  buildFileStats,
  encodeAddPath,
  parseColumnStatistics,
  parsePartitionKeys,
  serializePartitionValue,
} from './stats.js';

function toPosix(relative: string): string {
  return relative.split(path.sep).join('/');
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * COPYs the source into a staging dir, then links each file into the table. Returns the add actions.
 * Also used by OPTIMIZE (ops/optimize.ts), which rewrites files through the same path.
 */
export async function writeDataFiles(
  connection: DuckDBConnection,
  root: string,
  snapshot: Snapshot,
  selectSql: string,
  options: {
    /**
     * Every row's partition values, when the caller knows they are all the same (and directory-safe,
     * see singlePartitionOf): one COPY to one file, without DuckDB's PARTITION_BY machinery.
     */
    partition?: SinglePartition;
  } = {},
): Promise<WrittenFile[]> {
  const { schema, partitionColumns, metadata } = snapshot;
  const storage = storageFor(root);
  const stagingRoot = path.join(storage.scratchDir(root), STAGING_DIR);
  const staging = path.join(stagingRoot, randomUUID());
  await mkdir(staging, { recursive: true });
  let stagingRemoval: Promise<void> | undefined;
  try {
    const single = options.partition;
    const partitioned = partitionColumns.length > 0 && !single;
    const fileDir = single ? path.join(staging, single.directory) : staging;
    if (single) await mkdir(fileDir, { recursive: true });
    const target = partitioned
      ? `${quoteLiteral(staging)} (FORMAT parquet, PARTITION_BY (${partitionColumns.map(quoteIdentifier).join(', ')}), FILENAME_PATTERN 'part-{uuid}', RETURN_STATS true)`
      : `${quoteLiteral(path.join(fileDir, `part-${randomUUID()}.parquet`))} (FORMAT parquet, RETURN_STATS true)`;
    // Data files never hold partition columns (their values live in the add action), as with PARTITION_BY.
    const source =
      single && partitionColumns.length > 0
        ? `SELECT * EXCLUDE (${partitionColumns.map(quoteIdentifier).join(', ')}) FROM (${selectSql})`
        : selectSql;
    let rows: Record<string, unknown>[];
    try {
      rows = (await connection.runAndReadAll(`COPY (${source}) TO ${target}`)).getRowObjectsJson();
    } catch (error) {
      const message = errorMessage(error);
      if (message.includes('is not nullable but the data holds a NULL')) {
        const detail =
          /Column '.*' is not nullable but the data holds a NULL\./.exec(message)?.[0] ?? message;
        throw new DeltaSchemaViolationError(`Cannot write to ${root}: ${detail}`, {
          cause: error,
          hint: 'Fix the rows so they match the table schema; nothing was written.',
        });
      }
      throw error;
    }
    const fieldTypes = new Map(schema.fields.map((f) => [f.name, f.type]));
    const described = await Promise.all(
      rows.map(async (row): Promise<(WrittenFile & { staged: string }) | undefined> => {
        const count = Number(row.count);
        if (typeof row.filename !== 'string' || count === 0) return undefined;
        const relative = toPosix(path.relative(staging, row.filename));
        const partitionValues: Record<string, string | null> = {};
        if (single) {
          Object.assign(partitionValues, single.values);
        } else {
          const keys = parsePartitionKeys(row.partition_keys);
          for (const column of partitionColumns) {
            partitionValues[column] = serializePartitionValue(
              fieldTypes.get(column) ?? 'string',
              keys.get(column) ?? null,
            );
          }
        }
        const stats = buildFileStats({
          schema,
          partitionColumns,
          numRecords: String(row.count),
          columns: parseColumnStatistics(row.column_statistics),
          numIndexedCols: numIndexedCols(metadata),
        });
        // The staged file: on a local disk the same inode the table will link to.
        const info = await stat(row.filename);
        return {
          absolute: joinLocation(root, relative),
          staged: row.filename,
          rows: count,
          add: {
            path: encodeAddPath(relative),
            partitionValues,
            size: info.size,
            modificationTime: Math.floor(info.mtimeMs),
            dataChange: true,
            stats,
            tags: writerTags(await sha256File(row.filename), stats),
          },
        };
      }),
    );
    const written = described.filter((f) => f !== undefined);
    // Durable (local disk: linked and fsynced with their directories; object store: uploaded) before the
    // caller commits.
    await storage.publishFiles(
      written.map((f) => ({ from: f.staged, to: f.absolute })),
      { root },
    );
    stagingRemoval = rm(staging, { recursive: true, force: true });
    return written.map(({ staged: _staged, ...file }) => file);
  } finally {
    await (stagingRemoval ?? rm(staging, { recursive: true, force: true }));
  }
}
