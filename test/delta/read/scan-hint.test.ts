/**
 * What `table scan` says when it refuses to read a table (review §4): a column whose log type would
 * round the stored values (double declared float) is not a lost file, so the hint must not only say
 * "missing or damaged; restore it": it names the type mismatch and where to look (verify, repair).
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import { DeltaDataFileError } from '../../../src/delta/errors.js';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { scanTable } from '../../../src/delta/read/scan.js';
import { COLUMNS, DAMAGES, newestAddedFile } from '../ops/damage.js';
import { buildTable, makeTempDir, removeTempDirs } from '../ops/helpers.js';
import { useMemoryDuckDb } from '../shared-duckdb.js';

const duck = useMemoryDuckDb();
afterAll(removeTempDirs);

async function refusal(table: string): Promise<DeltaDataFileError> {
  const error = await scanTable(await loadSnapshot(table), { connection: duck.connection }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeltaDataFileError);
  return error as DeltaDataFileError;
}

describe('the hint of a refused scan', () => {
  test('a column declared float over stored doubles: the hint names the schema mismatch, verify and repair', async () => {
    const table = await buildTable(makeTempDir(), 2);
    DAMAGES.find((d) => d.name === 'column type float')?.apply(table, COLUMNS);
    const error = await refusal(table);
    expect(error.message).toMatch(/column 'price' is stored as DOUBLE .* would round every value/);
    expect(error.hint).toMatch(/stored with other types than the log's schema declares/);
    expect(error.hint).toMatch(/futures table verify <table>/);
    expect(error.hint).toMatch(/futures table repair <table>/);
  });

  test('a lost file: the hint still says to restore it', async () => {
    const table = await buildTable(makeTempDir(), 2);
    rmSync(newestAddedFile(table));
    expect((await refusal(table)).hint).toMatch(/Restore a lost file from a backup/);
  });
});
