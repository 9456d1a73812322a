/**
 * DuckDB connection handling for the Delta library. Callers either pass their own connection (and
 * keep owning it) or let the library open a private in-memory instance that is closed afterwards.
 * SQL generated here never depends on the session TimeZone, so a caller's connection can keep its own.
 *
 * The write path (and checkpoint reads) share one instance instead: opening an in-memory instance
 * costs tens of milliseconds, far more than a small append's COPY, so operations without a caller
 * connection take a fresh connection (sub-millisecond) to a lazily opened shared instance. A
 * long-running writer (the collector: a checkpoint every few commits, for days) would see that
 * instance's native memory creep up, so after USES_PER_INSTANCE operations new operations get a new
 * instance, and the old one is closed once its last operation has finished.
 */
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

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

/**
 * A SQL string literal naming exactly one file for read_parquet/parquet_metadata/parquet_schema.
 * DuckDB globs every path it is given, so `*`, `?` and `[` in a file name are escaped as one-character
 * classes (`[*]`), which match only themselves: a file named `f*.parquet` never reads its neighbours.
 */
export function sqlPath(file: string): string {
  return `'${file.replace(/[*?[]/g, (c) => `[${c}]`).replaceAll("'", "''")}'`;
}

/** A SQL list literal of file paths for read_parquet([...]), each taken literally (sqlPath). */
export function sqlPathList(paths: readonly string[]): string {
  return `[${paths.map(sqlPath).join(', ')}]`;
}

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
    instance: DuckDBInstance.create(':memory:'),
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
