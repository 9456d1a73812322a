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
}

/**
 * Appends the rows of a temp table that are not in the lake table yet, identified by `key`
 * (the same anti-join as appendBars, for a SQL source too large for a VALUES list). Rows repeated
 * inside the source count as duplicates too; of those, the row of the first line is kept (or the
 * last, with keep: 'last'). The source has a __line column, never written. The caller serialises
 * writers of the table.
 */
export async function appendNewRows(
  connection: DuckDBConnection,
  dataDir: string,
  table: LakeTableName,
  sourceTable: string,
  key: readonly string[],
  options: LakeWriteOptions & {
    dryRun?: boolean;
    operation?: string;
    /** Of rows with one key, the one of the first or last line (the source has a __line column). */
    keep?: 'first' | 'last';
  } = {},
): Promise<AppendNewResult> {
  const spec = LAKE_TABLES[table];
  const total = await count(connection, `SELECT * FROM "${sourceTable}"`);
  const keyList = key.map((k) => `"${k}"`).join(', ');
  if (options.dryRun && (await loadLakeSnapshot(dataDir, table)) === undefined) {
    const unique = await count(connection, `SELECT DISTINCT ${keyList} FROM "${sourceTable}"`);
    return { written: unique, duplicates: total - unique, version: null };
  }
  const path = await ensureTable(dataDir, spec, options);
  const snapshot = await loadSnapshot(path);
  if (total === 0) return { written: 0, duplicates: 0, version: snapshot.version };
  const dates = await connection.runAndReadAll(
    `SELECT DISTINCT strftime(${spec.partitionColumns[0]}, '%Y-%m-%d') AS d FROM "${sourceTable}"`,
  );
  const existing = `import_have_${Math.random().toString(36).slice(2, 10)}`;
  const distinct = `import_new_${Math.random().toString(36).slice(2, 10)}`;
  const order = `${keyList}, "__line"${options.keep === 'last' ? ' DESC' : ''}`;
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE "${distinct}" AS SELECT DISTINCT ON (${keyList}) * EXCLUDE ("__line")
     FROM "${sourceTable}" ORDER BY ${order}`,
  );
  try {
    await createLakeView(
      connection,
      dataDir,
      table,
      existing,
      {
        kind: 'in',
        column: spec.partitionColumns[0] as string,
        values: dates.getRowObjectsJS().map((r) => String(r.d)),
      },
      snapshot,
    );
    const on = key.map((k) => `n."${k}" IS NOT DISTINCT FROM e."${k}"`).join(' AND ');
    const fresh = `SELECT n.* FROM "${distinct}" n ANTI JOIN "${existing}" e ON ${on}`;
    // In partition order, so a partitioned write finishes one partition's file before the next.
    const ordered = `${fresh} ORDER BY "${spec.partitionColumns[0]}"`;
    const freshCount = await count(connection, fresh);
    if (freshCount === 0 || options.dryRun) {
      return { written: freshCount, duplicates: total - freshCount, version: snapshot.version };
    }
    const result = await writeAppend(
      path,
      { sql: ordered },
      {
        connection,
        snapshot,
        operation: options.operation ?? 'WRITE',
        now: options.now,
        onWarning: options.onWarning,
      },
    );
    return { written: freshCount, duplicates: total - freshCount, version: result.version };
  } finally {
    await connection.run(`DROP TABLE IF EXISTS "${distinct}"`);
    await connection.run(`DROP VIEW IF EXISTS "${existing}"`);
  }
}

async function count(connection: DuckDBConnection, sql: string): Promise<number> {
  const reader = await connection.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM (${sql})`);
  return Number(reader.getRowObjectsJS()[0]?.n ?? 0);
}
