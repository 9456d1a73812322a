import type { DuckDBConnection } from '@duckdb/node-api';
import { loadSnapshot, writeAppend } from '../../delta/index.js';
import { createLakeView, ensureTable, type LakeWriteOptions, loadLakeSnapshot } from '../lake.js';
import { LAKE_TABLES, type LakeTableName } from '../tables.js';

export interface AppendNewResult {
  /** Rows not in the table yet: written, or (dry run) that would be written. */
  written: number;
  duplicates: number;
  /** Version written, or the version read when nothing was new (or on a dry run); null: no table yet. */
  version: number | null;
  /** Commits written (one per group of partitions). */
  commits: number;
}

/**
 * Rows per group of partitions de-duplicated and written as one commit. The hash table of the
 * de-duplication, the anti-join and the partitioned write hold state per row of a group, so the
 * group size, not the file size, bounds the memory of an import (bench/RESULTS.md, import.bench.js).
 */
export const APPEND_CHUNK_ROWS = 200_000;

/** Consecutive partition values holding at most `chunkRows` rows (one value can exceed it alone). */
export interface PartitionGroup {
  values: string[];
  rows: number;
}

/** The source's partition values in order, grouped (the key determines the partition value); `source` is SQL of a relation. */
export async function partitionGroups(
  connection: DuckDBConnection,
  source: string,
  column: string,
  chunkRows: number,
): Promise<PartitionGroup[]> {
  const reader = await connection.runAndReadAll(
    `SELECT strftime("${column}", '%Y-%m-%d') AS v, count(*)::BIGINT AS n FROM ${source} GROUP BY 1 ORDER BY 1`,
  );
  const groups: PartitionGroup[] = [];
  let current: PartitionGroup | undefined;
  for (const row of reader.getRowObjectsJS()) {
    const n = Number(row.n);
    if (!current || (current.rows + n > chunkRows && current.rows > 0)) {
      current = { values: [], rows: 0 };
      groups.push(current);
    }
    current.values.push(String(row.v));
    current.rows += n;
  }
  return groups;
}

/** SQL condition: the row's partition value is one of the group's. */
export function inGroup(column: string, group: PartitionGroup): string {
  return `"${column}" IN (${group.values.map((v) => `DATE '${v}'`).join(', ')})`;
}

/**
 * Appends the rows of `source` (SQL of a relation: a quoted table name or a table function) that are
 * not in the lake table yet, identified by `key` (the same anti-join as appendBars, for a source too
 * large for a VALUES list). Rows repeated
 * inside the source count as duplicates too; of those, the row of the first line is kept (or the
 * last, with keep: 'last'). The source has a __line column, never written. The key must determine
 * the partition value: the rows are de-duplicated and written one group of partitions at a time,
 * one commit each, so a failure midway leaves whole groups written (a re-run adds the rest). The
 * caller serialises writers of the table.
 */
export async function appendNewRows(
  connection: DuckDBConnection,
  dataDir: string,
  table: LakeTableName,
  source: string,
  key: readonly string[],
  options: LakeWriteOptions & {
    dryRun?: boolean;
    operation?: string;
    /** Of rows with one key, the one of the first or last line (the source has a __line column). */
    keep?: 'first' | 'last';
    chunkRows?: number;
  } = {},
): Promise<AppendNewResult> {
  const spec = LAKE_TABLES[table];
  const column = spec.partitionColumns[0] as string;
  const groups = await partitionGroups(connection, source, column, options.chunkRows ?? APPEND_CHUNK_ROWS);
  const total = groups.reduce((n, g) => n + g.rows, 0);
  const keyList = key.map((k) => `"${k}"`).join(', ');
  if (options.dryRun && (await loadLakeSnapshot(dataDir, table)) === undefined) {
    let unique = 0;
    for (const g of groups) {
      unique += await count(
        connection,
        `SELECT DISTINCT ${keyList} FROM ${source} WHERE ${inGroup(column, g)}`,
      );
    }
    return { written: unique, duplicates: total - unique, version: null, commits: 0 };
  }
  const path = await ensureTable(dataDir, spec, options);
  // The rows a group is checked against: no group's partitions are written by an earlier group, so
  // the state before the first commit is theirs too (no full replay of a growing log per group).
  const before = await loadSnapshot(path);
  let version = before.version;
  let written = 0;
  let commits = 0;
  for (const group of groups) {
    const fresh = await appendGroup(connection, dataDir, table, source, key, group, {
      ...options,
      path,
      snapshot: before,
    });
    written += fresh.count;
    if (fresh.version !== undefined) {
      commits += 1;
      version = fresh.version;
    }
  }
  return { written, duplicates: total - written, version, commits };
}

async function appendGroup(
  connection: DuckDBConnection,
  dataDir: string,
  table: LakeTableName,
  source: string,
  key: readonly string[],
  group: PartitionGroup,
  options: LakeWriteOptions & {
    dryRun?: boolean;
    operation?: string;
    keep?: 'first' | 'last';
    path: string;
    /** The table's state before the import's first commit: the group's partitions as they were. */
    snapshot: Awaited<ReturnType<typeof loadSnapshot>>;
  },
): Promise<{ count: number; version: number | undefined }> {
  const spec = LAKE_TABLES[table];
  const column = spec.partitionColumns[0] as string;
  const keyList = key.map((k) => `"${k}"`).join(', ');
  const existing = `import_have_${Math.random().toString(36).slice(2, 10)}`;
  // The row of the first (last) line of each key: a min (max) per key and a semi-join on the line,
  // state of fixed size per key (DISTINCT ON … ORDER BY keeps whole rows per key and cannot page out).
  // Streamed twice (count, write) rather than held in a temp table: the staged rows are a cheap read.
  const where = inGroup(column, group);
  const pick = options.keep === 'last' ? 'max' : 'min';
  const distinct = `SELECT * EXCLUDE ("__line") FROM ${source}
     WHERE ${where} AND "__line" IN (SELECT ${pick}("__line") FROM ${source} WHERE ${where} GROUP BY ${keyList})`;
  try {
    await createLakeView(
      connection,
      dataDir,
      table,
      existing,
      { kind: 'in', column, values: group.values },
      options.snapshot,
    );
    const on = key.map((k) => `n."${k}" IS NOT DISTINCT FROM e."${k}"`).join(' AND ');
    const fresh = `SELECT n.* FROM (${distinct}) n ANTI JOIN "${existing}" e ON ${on}`;
    const freshCount = await count(connection, fresh);
    if (freshCount === 0 || options.dryRun) return { count: freshCount, version: undefined };
    // In partition order, so a partitioned write finishes one partition's file before the next.
    const result = await writeAppend(
      options.path,
      { sql: `${fresh} ORDER BY "${column}"` },
      {
        // The latest state through the process's snapshot cache (replays only the commits since).
        connection,
        operation: options.operation ?? 'WRITE',
        now: options.now,
        onWarning: options.onWarning,
      },
    );
    return { count: freshCount, version: result.version };
  } finally {
    await connection.run(`DROP VIEW IF EXISTS "${existing}"`);
  }
}

async function count(connection: DuckDBConnection, sql: string): Promise<number> {
  const reader = await connection.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM (${sql})`);
  return Number(reader.getRowObjectsJS()[0]?.n ?? 0);
}
