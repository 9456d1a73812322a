/**
 * What the import says of a file that is not a whole CSV or Parquet file of rows: each case names the
 * cause (a second campaign found these answered "No such file", "no close column" or exit 0).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OwnedConnection, openMemoryConnection } from '../../../src/delta/index.js';
import { importFile } from '../../../src/lake/import/index.js';
import { join, tempDir } from '../inputs/fixtures.js';

let conn: OwnedConnection;
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  conn = await openMemoryConnection();
  ({ dir, cleanup } = await tempDir('import-source-'));
});
afterAll(async () => {
  conn.close();
  await cleanup();
});

const ROWS = `ts,open,high,low,close,volume
${Array.from({ length: 2000 }, (_, i) => `${new Date(Date.UTC(2026, 2, 9, 14) + i * 60_000).toISOString()},20000,20001,19999,${20000 + i / 4},${i}`).join('\n')}
`;

function importInto(file: string, lake = 'lake') {
  return importFile(conn.connection, join(dir, lake), file, { table: 'futures_bars', symbol: 'NQ' });
}

async function treeOf(path: string): Promise<string[]> {
  return (await readdir(path, { recursive: true }).catch(() => [])).sort();
}

describe('import: the file itself', () => {
  it('a directory, a named pipe and a missing "-" are named for what they are (exit 2)', async () => {
    const sub = join(dir, 'a-dir');
    await mkdir(sub);
    await expect(importInto(sub)).rejects.toMatchObject({
      kind: 'usage',
      message: expect.stringMatching(/a-dir is a directory, not a file/),
    });
    const fifo = join(dir, 'pipe.csv');
    execFileSync('mkfifo', [fifo]);
    await expect(importInto(fifo)).rejects.toMatchObject({
      kind: 'usage',
      message: expect.stringMatching(/is a named pipe \(FIFO\), not a file/),
    });
    await expect(importInto(join(dir, '-'))).rejects.toMatchObject({
      kind: 'usage',
      hint: expect.stringMatching(/standard input is not supported/),
    });
  });

  it('a truncated gzip is corrupt (exit 4), not a file without a close column', async () => {
    const whole = gzipSync(Buffer.from(ROWS));
    const file = join(dir, 'cut.csv.gz');
    await writeFile(file, whole.subarray(0, Math.floor(whole.length / 2)));
    await expect(importInto(file)).rejects.toMatchObject({
      kind: 'data',
      message: expect.stringMatching(/cut\.csv\.gz is truncated or corrupt/),
    });
    expect(await treeOf(join(dir, 'lake'))).toEqual([]);
  });

  it('gzip named .csv and plain text named .csv.gz are told apart by their bytes', async () => {
    const zipped = join(dir, 'zipped.csv');
    await writeFile(zipped, gzipSync(Buffer.from(ROWS)));
    await expect(importInto(zipped)).rejects.toMatchObject({
      kind: 'data',
      message: expect.stringMatching(/is gzip-compressed but its name does not end in \.gz/),
    });
    const plain = join(dir, 'plain.csv.gz');
    await writeFile(plain, ROWS);
    await expect(importInto(plain)).rejects.toMatchObject({
      kind: 'data',
      message: expect.stringMatching(/is named \.gz but is not gzip-compressed/),
    });
  });

  it('a header without rows is refused (no bar size is invented from nothing)', async () => {
    const file = join(dir, 'header.csv');
    await writeFile(file, 'ts,open,high,low,close,volume\n');
    await expect(importInto(file)).rejects.toMatchObject({
      kind: 'data',
      message: expect.stringMatching(
        /header\.csv has no rows \(columns: ts, open, high, low, close, volume\)/,
      ),
    });
  });

  it('a header that names a column twice is refused, not half-imported with high empty', async () => {
    const file = join(dir, 'twice.csv');
    await writeFile(file, 'date,open,open,low,close,volume\n2025-01-06,5800,5810,5790,5806,1000\n');
    await expect(importInto(file)).rejects.toMatchObject({
      kind: 'data',
      message: expect.stringMatching(/names column 'open' twice \(columns 2 and 3\)/),
    });
    expect(await treeOf(join(dir, 'lake'))).toEqual([]);
  });

  it('the whole gzip is still imported', async () => {
    const file = join(dir, 'whole.csv.gz');
    await writeFile(file, gzipSync(Buffer.from(ROWS)));
    const report = await importInto(file, 'lake-whole');
    expect(report).toMatchObject({ rowsRead: 2000, bad: 0 });
  });
});
