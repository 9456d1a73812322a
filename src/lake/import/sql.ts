/** SQL text helpers of the import. */
import type { DuckDBConnection } from '@duckdb/node-api';

export function quoteText(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export async function scalar(connection: DuckDBConnection, sql: string): Promise<unknown> {
  const reader = await connection.runAndReadAll(sql);
  const row = reader.getRows()[0];
  const v = row?.[0];
  return typeof v === 'bigint' ? Number(v) : v;
}

/** SQL: the time text carries its own offset (Z, ±HH, ±HHMM, ±HH:MM), so --tz does not apply to it. */
export const HAS_OFFSET_SQL = (v: string) => `regexp_matches(${v}, '(Z|[+-]\\d{2}(:?\\d{2})?)$')`;
