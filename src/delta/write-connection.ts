/**
 * DuckDB for the write path. Opening an in-memory instance costs tens of milliseconds, far more than
 * a small append's COPY, so writes without a caller connection share one lazily opened instance per
 * process and take a fresh connection (sub-millisecond) per operation. The session is UTC, though the
 * SQL we generate never depends on it.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

let shared: Promise<DuckDBInstance> | undefined;

async function sharedInstance(): Promise<DuckDBInstance> {
  shared ??= import('@duckdb/node-api').then(({ DuckDBInstance }) => DuckDBInstance.create(':memory:'));
  try {
    return await shared;
  } catch (error) {
    shared = undefined;
    throw error;
  }
}

/** Runs fn on the caller's connection, or on a fresh connection to the shared write instance. */
export async function withWriteConnection<T>(
  connection: DuckDBConnection | undefined,
  fn: (connection: DuckDBConnection) => Promise<T>,
): Promise<T> {
  if (connection) return fn(connection);
  const own = await (await sharedInstance()).connect();
  try {
    await own.run("SET TimeZone='UTC'");
    return await fn(own);
  } finally {
    own.closeSync();
  }
}
