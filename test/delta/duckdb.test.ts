import { describe, expect, test } from 'vitest';
import { withWriteConnection } from '../../src/delta/duckdb.js';

describe('the shared write instance', () => {
  test('is replaced after many uses without closing it under an operation still running on it', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // One long operation opens a temp table, waits while 1,100 others run (two replacements), then uses it.
    const long = withWriteConnection(undefined, async (connection) => {
      await connection.run('CREATE TEMP TABLE t AS SELECT 41 AS v');
      await held;
      const rows = (await connection.runAndReadAll('SELECT v + 1 AS v FROM t')).getRowObjectsJson();
      return rows[0]?.v;
    });
    const seen = new Set<string>();
    for (let i = 0; i < 1100; i++) {
      const id = await withWriteConnection(undefined, async (connection) => {
        // A temp table exists only in its own connection: each operation gets a fresh one.
        const tables = await connection.runAndReadAll(
          "SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE table_name = 't'",
        );
        expect(tables.getRowObjectsJson()[0]?.n).toBe(0);
        const reader = await connection.runAndReadAll("SELECT current_setting('TimeZone') AS tz");
        return String(reader.getRowObjectsJson()[0]?.tz);
      });
      seen.add(id);
    }
    expect([...seen]).toEqual(['UTC']);
    release();
    expect(await long).toBe(42);
    // And after the long operation finished (its retired instance closed), new operations still work.
    expect(
      await withWriteConnection(undefined, async (c) => (await c.runAndReadAll('SELECT 1 AS x')).getRows()),
    ).toEqual([[1]]);
  });
});
