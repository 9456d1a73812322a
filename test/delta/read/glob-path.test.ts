import { copyFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { verifyTable } from '../../../src/delta/ops/verify.js';
import { scanTable } from '../../../src/delta/read/scan.js';
import { commitFiles } from '../ops/damage.js';
import { buildTable, makeTempDir, removeTempDirs } from '../ops/helpers.js';
import { useMemoryDuckDb } from '../shared-duckdb.js';

const duck = useMemoryDuckDb();
afterAll(removeTempDirs);

describe('data-file paths with glob characters (review finding 9)', () => {
  for (const name of ['f*.parquet', 'f?.parquet', 'f[1].parquet']) {
    test(`a file named ${name} is read alone, never its neighbours`, async () => {
      const table = await buildTable(makeTempDir(), 1);
      const [file] = [...(await loadSnapshot(table)).files.values()];
      const relative = file?.relativePath as string;
      const dir = path.join(table, path.dirname(relative));
      renameSync(path.join(table, relative), path.join(dir, name));
      // Neighbours the glob would match: copies of the same rows, not in the log.
      for (const neighbour of ['f1.parquet', 'f2.parquet', 'fa.parquet']) {
        copyFileSync(path.join(dir, name), path.join(dir, neighbour));
      }
      const log = path.join(table, '_delta_log', commitFiles(table).at(-1) as string);
      const logged = path.posix.join(path.dirname(relative), encodeURIComponent(name));
      writeFileSync(log, readFileSync(log, 'utf8').replace(file?.add.path as string, logged));

      const snapshot = await loadSnapshot(table);
      const result = await scanTable(snapshot, { connection: duck.connection });
      expect(result.rows).toHaveLength(4);
      const report = await verifyTable(table, { connection: duck.connection, deep: true });
      expect(report.problems).toEqual([]);
      expect(report.checked.rows).toBe(4);
    });
  }
});
