/** The SQL vocabulary of the queue: one session on the file (Tx) and the values it takes and returns. */
import type { DuckDBValue, JS } from '@duckdb/node-api';

export type SqlValue = DuckDBValue;
export type SqlRow = Record<string, JS>;
export type SqlCell = JS | undefined;

/** One open session on the queue file (inside a transaction). */
export interface Tx {
  readonly readOnly: boolean;
  all(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]>;
  run(sql: string, params?: readonly SqlValue[]): Promise<void>;
  /** A LIST parameter; always cast it in SQL (`$1::BIGINT[]`). Elements must not start with a NULL. */
  list(items: readonly SqlValue[]): SqlValue;
}
