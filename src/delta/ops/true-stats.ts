/**
 * A file's min/max/nullCount stats recomputed from its content, for repair to commit in place of
 * stats that do not hold (verify's stats-mismatch). Top-level columns only, as verify checks them;
 * a nested column gets no stats (readers then never skip on it).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlPath } from '../duckdb.js';
import { resolveDataFile } from '../log/paths.js';
import type { DeltaType, LiveFile, Snapshot } from '../log/types.js';
import { quoteIdentifier } from '../read/schema.js';
import { STATS_HASH_TAG, statsHash } from '../read/stats-integrity.js';
import { numIndexedCols } from '../write/data-file.js';
import {
  buildFileStats,
  type ColumnStatistics,
  statisticsKey,
  timestampPartitionText,
} from '../write/stats.js';

const NUMBERS = new Set(['byte', 'short', 'integer', 'long', 'float', 'double']);

function boundSql(type: DeltaType, ref: string, fn: 'min' | 'max'): string | undefined {
  if (typeof type !== 'string') return undefined;
  if (type === 'timestamp' || type === 'timestamp_ntz') return `epoch_us(${fn}(${ref}))::VARCHAR`;
  if (type === 'date') return `strftime(${fn}(${ref}), '%Y-%m-%d')`;
  if (type === 'string' || NUMBERS.has(type) || type.startsWith('decimal')) return `${fn}(${ref})::VARCHAR`;
  return undefined;
}

/** The stats text the file's content gives (numRecords, minValues, maxValues, nullCount). */
export async function trueStats(
  connection: DuckDBConnection,
  snapshot: Snapshot,
  file: LiveFile,
): Promise<string> {
  const partition = new Set(snapshot.partitionColumns);
  const fields = snapshot.schema.fields.filter((f) => !partition.has(f.name) && typeof f.type === 'string');
  const selects = ['count(*)::VARCHAR AS n'];
  fields.forEach((f, i) => {
    const ref = quoteIdentifier(f.name);
    selects.push(`(count(*) - count(${ref}))::VARCHAR AS nl${i}`);
    const min = boundSql(f.type, ref, 'min');
    const max = boundSql(f.type, ref, 'max');
    if (min && max) selects.push(`${min} AS mn${i}, ${max} AS mx${i}`);
    if (f.type === 'float' || f.type === 'double') selects.push(`bool_or(isnan(${ref})) AS nan${i}`);
  });
  const path = resolveDataFile(snapshot.tablePath, file.relativePath);
  const reader = await connection.runAndReadAll(
    `SELECT ${selects.join(', ')} FROM read_parquet(${sqlPath(path)})`,
  );
  const row = reader.getRowObjectsJS()[0] ?? {};
  const text = (v: unknown) => (v === null || v === undefined ? undefined : String(v));
  const columns = new Map<string, ColumnStatistics>();
  fields.forEach((f, i) => {
    let min = text(row[`mn${i}`]);
    let max = text(row[`mx${i}`]);
    if (f.type === 'timestamp' || f.type === 'timestamp_ntz') {
      min = min === undefined ? undefined : timestampPartitionText(BigInt(min));
      max = max === undefined ? undefined : timestampPartitionText(BigInt(max));
    }
    columns.set(statisticsKey([f.name]), {
      min,
      max,
      nullCount: text(row[`nl${i}`]),
      hasNan: row[`nan${i}`] === true,
    });
  });
  return buildFileStats({
    schema: snapshot.schema,
    partitionColumns: snapshot.partitionColumns,
    numRecords: text(row.n) ?? '0',
    columns,
    numIndexedCols: numIndexedCols(snapshot.metadata),
  });
}

/** The add's tags with the stats hash of `stats` (when the add's writer kept one, or always: ours). */
export function tagsWithStats(file: LiveFile, stats: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(file.add.tags ?? {})) if (typeof v === 'string') tags[k] = v;
  tags[STATS_HASH_TAG] = statsHash(stats);
  return tags;
}
