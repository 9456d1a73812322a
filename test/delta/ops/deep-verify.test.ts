import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { resolveDataFile } from '../../../src/delta/log/paths.js';
import { verifyTable } from '../../../src/delta/ops/verify.js';
import { appendRows, writeAppend } from '../../../src/delta/write/append.js';
import { createTable } from '../../../src/delta/write/create.js';
import { useMemoryDuckDb } from '../shared-duckdb.js';
import { commitFiles } from './damage.js';
import { fullScan, makeTempDir, removeTempDirs, TICK_SCHEMA, ticks } from './helpers.js';

const duck = useMemoryDuckDb();
afterAll(removeTempDirs);

async function newTable(): Promise<string> {
  const table = path.join(makeTempDir(), 'ticks');
  await createTable(table, { schema: TICK_SCHEMA, partitionColumns: ['trade_date'] });
  return table;
}

async function onlyFile(table: string): Promise<string> {
  const [file] = [...(await loadSnapshot(table)).files.values()];
  return resolveDataFile(table, file?.relativePath ?? '');
}

/** Flips bit 0 of byte 5 of the first stored little-endian double `value` (the review's bit flip). */
function flipDouble(file: string, value: number): void {
  const bytes = readFileSync(file);
  const needle = Buffer.alloc(8);
  needle.writeDoubleLE(value);
  const at = bytes.indexOf(needle);
  if (at < 0) throw new Error(`${value} not stored plainly in ${file}`);
  bytes[at + 5] = (bytes[at + 5] as number) ^ 1;
  writeFileSync(file, bytes);
}

/** Removes the content hashes from the log (a file written before they existed). */
function dropTags(table: string): void {
  for (const name of commitFiles(table)) {
    const file = path.join(table, '_delta_log', name);
    const text = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        const action = JSON.parse(l);
        if (action.add) delete action.add.tags;
        return JSON.stringify(action);
      });
    writeFileSync(file, `${text.join('\n')}\n`);
  }
}

describe('verify --deep: content integrity (review finding 3)', () => {
  test('a flipped bit in a plain (uncompressed) page: scans read the wrong price, plain verify passes, deep verify names the file', async () => {
    const table = await newTable();
    const rows = ticks('2026-03-02', 1);
    await appendRows(table, rows);
    const price = rows[0]?.price as number;
    const before = await fullScan(table, undefined, duck);
    const file = await onlyFile(table);
    flipDouble(file, price);
    expect(await fullScan(table, undefined, duck)).not.toEqual(before); // silently wrong
    const plain = await verifyTable(table, { connection: duck.connection });
    expect(plain.problems.filter((p) => p.kind !== 'stats-mismatch')).toEqual([]);

    const deep = await verifyTable(table, { connection: duck.connection, deep: true });
    expect(deep.sound).toBe(false);
    expect(deep.problems).toEqual([
      expect.objectContaining({ kind: 'hash-mismatch', file: path.relative(table, file) }),
    ]);

    // Without the logged hash (an older file), the page CRC still catches it.
    dropTags(table);
    const crcOnly = await verifyTable(table, { connection: duck.connection, deep: true });
    expect(crcOnly.problems).toEqual([
      expect.objectContaining({
        kind: 'page-crc-mismatch',
        file: path.relative(table, file),
        column: 'price',
      }),
    ]);
  });

  test('a sound table passes deep verify with every hash and page CRC checked', async () => {
    const table = await newTable();
    await appendRows(table, ticks('2026-03-02', 1));
    await appendRows(table, ticks('2026-03-03', 2));
    const report = await verifyTable(table, { connection: duck.connection, deep: true });
    expect(report.problems).toEqual([]);
    expect(report.checked.contentHashes).toBe(2);
    expect(report.checked.pageCrcs).toBe(2 * 6); // six stored columns (trade_date is the partition)
  });

  test('files DuckDB writes (an SQL append) carry the content hash too', async () => {
    const table = await newTable();
    await writeAppend(table, {
      sql: `SELECT DATE '2026-03-02' + (i % 2)::INTEGER AS trade_date, TIMESTAMPTZ '2026-03-02 00:00:00+00' + to_seconds(i) AS ts, 'ES' AS symbol, 4000.25 + i AS price, i::BIGINT AS size, 'w' AS writer, i::BIGINT AS seq FROM range(100) t(i)`,
    });
    const files = [...(await loadSnapshot(table)).files.values()];
    expect(files.length).toBe(2);
    for (const f of files) expect(f.add.tags?.contentSha256).toMatch(/^[0-9a-f]{64}$/);
    const file = resolveDataFile(table, files[0]?.relativePath ?? '');
    const bytes = readFileSync(file);
    bytes[Math.floor(bytes.length / 2)] = (bytes[Math.floor(bytes.length / 2)] as number) ^ 1;
    writeFileSync(file, bytes);
    const deep = await verifyTable(table, { connection: duck.connection, deep: true });
    expect(deep.problems.map((p) => [p.kind, p.file])).toContainEqual([
      'hash-mismatch',
      path.relative(table, file),
    ]);
  });
});
