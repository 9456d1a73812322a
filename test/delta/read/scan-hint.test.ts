/**
 * What `table scan` says when it refuses to read a table (review §4): a column whose log type would
 * round the stored values (double declared float) is not a lost file, so the hint must not only say
 * "missing or damaged; restore it": it names the type mismatch and where to look (verify, repair).
 */
import { copyFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
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

  test('a lost file: named, and the hint still says to restore it', async () => {
    const table = await buildTable(makeTempDir(), 2);
    const lost = newestAddedFile(table);
    rmSync(lost);
    const error = await refusal(table);
    expect(error.message).toContain(`${lost} is missing`);
    expect(error.hint).toMatch(/Restore a lost file from a backup/);
  });

  test("a live file replaced by another valid Parquet file (another table's) is refused, not read", async () => {
    const table = await buildTable(makeTempDir(), 2);
    const other = await buildTable(makeTempDir(), 6);
    const live = newestAddedFile(table);
    const foreign = newestAddedFile(other);
    copyFileSync(foreign, live);
    // DuckDB reads the foreign rows without a word; the add's logged size tells them apart.
    const error = await refusal(table);
    expect(error.message).toMatch(
      new RegExp(`${path.basename(live)} is \\d+ bytes where the log says \\d+: replaced or damaged`),
    );
    expect(readdirSync(path.dirname(live))).toContain(path.basename(live));
  });
});
