/**
 * DuckDB for the write path. Opening an in-memory instance costs tens of milliseconds, far more than
 * a small append's COPY, so writes without a caller connection share one lazily opened instance per
 * process and take a fresh connection (sub-millisecond) per operation. The session is UTC, though the
 * SQL we generate never depends on it.
 *
 * A long-running writer (the collector: a checkpoint every few commits, for days) would see the shared
 * instance's native memory creep up, so after USES_PER_INSTANCE operations new operations get a new
 * instance, and the old one is closed once its last operation has finished.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

const USES_PER_INSTANCE = 50;

interface SharedInstance {
  instance: Promise<DuckDBInstance>;
  uses: number;
  active: number;
  retired: boolean;
  closed: boolean;
}

let shared: SharedInstance | undefined;

function openShared(): SharedInstance {
  return {
    instance: import('@duckdb/node-api').then(({ DuckDBInstance }) => DuckDBInstance.create(':memory:')),
    uses: 0,
    active: 0,
    retired: false,
    closed: false,
  };
}

async function closeIfIdle(entry: SharedInstance): Promise<void> {
  if (!entry.retired || entry.active > 0 || entry.closed) return;
  entry.closed = true;
  const instance = await entry.instance.catch(() => undefined);
  instance?.closeSync();
}

/** Runs fn on the caller's connection, or on a fresh connection to the shared write instance. */
export async function withWriteConnection<T>(
  connection: DuckDBConnection | undefined,
  fn: (connection: DuckDBConnection) => Promise<T>,
): Promise<T> {
  if (connection) return fn(connection);
  if (!shared || shared.uses >= USES_PER_INSTANCE) {
    if (shared) {
      shared.retired = true;
      void closeIfIdle(shared);
    }
    shared = openShared();
  }
  const entry = shared;
  entry.uses += 1;
  entry.active += 1;
  try {
    let instance: DuckDBInstance;
    try {
      instance = await entry.instance;
    } catch (error) {
      if (shared === entry) shared = undefined;
      throw error;
    }
    const own = await instance.connect();
    try {
      await own.run("SET TimeZone='UTC'");
      return await fn(own);
    } finally {
      own.closeSync();
    }
  } finally {
    entry.active -= 1;
    await closeIfIdle(entry);
  }
}
