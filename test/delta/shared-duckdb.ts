import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll } from 'vitest';
import { type OwnedConnection, openMemoryConnection } from '../../src/delta/duckdb.js';

/**
 * One in-memory DuckDB for a whole test file: opened in beforeAll, closed in afterAll. Read
 * `connection` inside tests (it does not exist before beforeAll has run).
 */
export function useMemoryDuckDb(): OwnedConnection {
  let owned: OwnedConnection | undefined;
  beforeAll(async () => {
    owned = await openMemoryConnection();
  });
  afterAll(() => {
    owned?.close();
    owned = undefined;
  });
  return {
    get connection(): DuckDBConnection {
      if (!owned) throw new Error('The test DuckDB is open only between beforeAll and afterAll.');
      return owned.connection;
    },
    close() {
      owned?.close();
      owned = undefined;
    },
  };
}
