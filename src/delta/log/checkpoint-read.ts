/**
 * Reads a classic checkpoint (single file or all parts of a multi-part one) with DuckDB and turns
 * its rows back into log actions, so replay treats checkpoint rows and JSON commit lines alike.
 * Every action column is rendered with to_json(): MAPs become objects and missing struct fields or
 * columns simply do not appear, which copes with the many checkpoint layouts writers produce.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlPathList } from '../duckdb.js';
import { DeltaLogCorruptError } from '../errors.js';
import { quoteIdentifier } from '../read/schema.js';
import { storageFor } from '../storage/index.js';
import type { CheckpointRef } from './log.js';
import type { Action } from './types.js';

const ACTION_COLUMNS = ['protocol', 'metaData', 'add', 'remove', 'txn', 'domainMetadata'] as const;

export async function readCheckpointActions(
  connection: DuckDBConnection,
  checkpoint: CheckpointRef,
): Promise<Action[]> {
  const storage = storageFor(checkpoint.files[0] ?? '');
  const local = await Promise.all(
    checkpoint.files.map((f, i) => storage.localCopy(f, checkpoint.sizes?.[i])),
  );
  const source = `read_parquet(${sqlPathList(local)}, union_by_name=true, hive_partitioning=false)`;
  try {
    const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
    const present = new Set(described.getRowObjectsJson().map((r) => String(r.column_name)));
    const columns = ACTION_COLUMNS.filter((c) => present.has(c));
    if (columns.length === 0) return [];
    // One JSON text per row ({"add":{…}}): a single VARCHAR column is far cheaper to transfer than
    // five mostly-NULL columns.
    const cases = columns
      .map(
        (c) =>
          `WHEN ${quoteIdentifier(c)} IS NOT NULL THEN '{"${c}":' || to_json(${quoteIdentifier(c)}) || '}'`,
      )
      .join(' ');
    const where = columns.map((c) => `${quoteIdentifier(c)} IS NOT NULL`).join(' OR ');
    const reader = await connection.runAndReadAll(
      `SELECT CASE ${cases} END AS action FROM ${source} WHERE ${where}`,
    );
    const actions: Action[] = [];
    for (const text of reader.getColumns()[0] ?? []) {
      if (typeof text === 'string') actions.push(JSON.parse(text) as Action);
    }
    return actions;
  } catch (error) {
    throw new DeltaLogCorruptError(
      `Delta log is corrupt: cannot read checkpoint ${checkpoint.files.map((f) => f.split('/').pop()).join(', ')}.`,
      {
        cause: error,
        hint: 'The checkpoint file is damaged; delete it only if the JSON commits it covers still exist.',
      },
    );
  }
}
