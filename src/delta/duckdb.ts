/**
 * DuckDB connection handling for the Delta library. Callers either pass their own connection (and
 * keep owning it) or let the library open a private in-memory instance that is closed afterwards.
 * SQL generated here never depends on the session TimeZone, so a caller's connection can keep its own.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

export interface ConnectionOption {
  /** A connection to run on; the library never closes it. Absent: an in-memory instance is opened and closed. */
  connection?: DuckDBConnection | undefined;
}

/** A connection the caller must release with close(). */
export interface OwnedConnection {
  connection: DuckDBConnection;
  close(): void;
}

/** Opens a private in-memory DuckDB (UTC session). */
export async function openMemoryConnection(): Promise<OwnedConnection> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run("SET TimeZone='UTC'");
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** Runs fn on the given connection, or on a temporary in-memory one that is closed when fn settles. */
export async function withConnection<T>(
  connection: DuckDBConnection | undefined,
  fn: (connection: DuckDBConnection) => Promise<T>,
): Promise<T> {
  if (connection) return fn(connection);
  const owned = await openMemoryConnection();
  try {
    return await fn(owned.connection);
  } finally {
    owned.close();
  }
}

/** A SQL list literal of file paths for read_parquet([...]). */
export function sqlPathList(paths: readonly string[]): string {
  return `[${paths.map((p) => `'${p.replaceAll("'", "''")}'`).join(', ')}]`;
}
