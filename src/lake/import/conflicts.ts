/**
 * Conflicting duplicates inside one import file: rows of one key (the table's identity of a row)
 * whose other values differ. Identical repeats are plain duplicates; conflicting ones need a rule,
 * since keeping "whichever came first" silently drops a price (review §23).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { ident } from './sql.js';

export interface ConflictExample {
  /** The key's values as text (ts as ISO-8601 UTC). */
  key: Record<string, string | null>;
  /** Lines of the key's rows (at most five). */
  lines: number[];
}

export interface Conflicts {
  count: number;
  /** Rows of the conflicting keys beyond one per key: what a rule (--on-conflict) drops. */
  dropped: number;
  examples: ConflictExample[];
}

const EXAMPLES = 3;

/**
 * Keys of `rows` (SQL of a relation with a __line column) that hold rows with different values. A key
 * conflicts when the hashes of its rows' values differ (min ≠ max): fixed-size state per key, so the
 * aggregate pages out like the de-duplication does; lines are read for the few examples only.
 */
export async function findConflicts(
  connection: DuckDBConnection,
  rows: string,
  key: readonly string[],
  where = 'true',
): Promise<Conflicts> {
  const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${rows}`);
  const values = described
    .getRowObjectsJS()
    .map((r) => String(r.column_name))
    .filter((c) => c !== '__line' && !key.includes(c));
  const hash = `hash(${values.map(ident).join(', ')})`;
  const groupBy = key.map(ident).join(', ');
  const reader = await connection.runAndReadAll(
    `SELECT *, count(*) OVER () AS total, sum(n - 1) OVER () AS dropped FROM (
       SELECT ${key.map((k) => (k === 'ts' ? 'epoch_us(ts) AS ts' : ident(k))).join(', ')}, min(__line) AS first_line, count(*) AS n
       FROM ${rows} WHERE ${where} GROUP BY ${groupBy}
       HAVING min(${hash}) <> max(${hash})
     ) ORDER BY first_line LIMIT ${EXAMPLES}`,
  );
  const found = reader.getRowObjectsJS();
  const examples: ConflictExample[] = [];
  for (const r of found) {
    const same = key.map((k) => `${ident(k)} IS NOT DISTINCT FROM ${keyLiteral(k, r[k])}`).join(' AND ');
    const lines = await connection.runAndReadAll(
      `SELECT __line FROM ${rows} WHERE ${same} ORDER BY __line LIMIT 5`,
    );
    const shown = await connection.runAndReadAll(
      `SELECT ${key.map((k) => (k === 'ts' ? `strftime(${keyLiteral(k, r[k])} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS ts` : `${keyLiteral(k, r[k])}::VARCHAR AS ${ident(k)}`)).join(', ')}`,
    );
    const text = shown.getRowObjectsJS()[0] ?? {};
    examples.push({
      key: Object.fromEntries(
        key.map((k) => [k, text[k] === null || text[k] === undefined ? null : String(text[k])]),
      ),
      lines: lines.getRowObjectsJS().map((l) => Number(l.__line)),
    });
  }
  return { count: Number(found[0]?.total ?? 0), dropped: Number(found[0]?.dropped ?? 0), examples };
}

/** findConflicts one group of rows at a time (`wheres`), so its state is bounded by a group. */
export async function findConflictsInGroups(
  connection: DuckDBConnection,
  rows: string,
  key: readonly string[],
  wheres: readonly string[],
): Promise<Conflicts> {
  const all: Conflicts = { count: 0, dropped: 0, examples: [] };
  for (const where of wheres) {
    const found = await findConflicts(connection, rows, key, where);
    all.count += found.count;
    all.dropped += found.dropped;
    all.examples.push(...found.examples.slice(0, EXAMPLES - all.examples.length));
  }
  return all;
}

/** SQL literal of a key value as read back from DuckDB (ts as epoch microseconds). */
function keyLiteral(column: string, value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (column === 'ts') return `make_timestamptz(${String(value)}::BIGINT)`;
  if (typeof value === 'bigint' || typeof value === 'number') return String(value);
  return `'${String(value).replaceAll("'", "''")}'`;
}

export function describeConflict(c: ConflictExample): string {
  const key = Object.entries(c.key)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return `${key} on lines ${c.lines.join(', ')}`;
}
