import { readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OwnedConnection, openMemoryConnection } from '../../../src/delta/index.js';
import { importFile, parseColumnMap } from '../../../src/lake/import/index.js';
import { readBars } from '../../../src/lake/index.js';
import { join, tempDir } from '../inputs/fixtures.js';

let conn: OwnedConnection;
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  conn = await openMemoryConnection();
  ({ dir, cleanup } = await tempDir('import-plausible-'));
});
afterAll(async () => {
  conn.close();
  await cleanup();
});

async function csv(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

const HEADER = 'date,open,high,low,close,volume\n';

describe('import keeps the bar size of the file (finding 5)', () => {
  it('a daily file with a bad row stays daily under --skip-bad', async () => {
    const file = await csv(
      'd.csv',
      `${HEADER}2025-01-06,5800,5810,5790,5806,1000\n2025-01-07,5800,5810,5790,5807,1000\ngarbage-date,1,1,1,1,1\n`,
    );
    const lake = join(dir, 'lake-5');
    const report = await importFile(conn.connection, lake, file, {
      table: 'futures_bars',
      symbol: 'ES',
      skipBad: true,
    });
    expect(report).toMatchObject({ barSize: '1 day', bad: 1, written: 2 });
    expect(report.badRows[0]).toMatchObject({ line: 4, field: 'ts' });
    const { records } = await readBars(conn.connection, lake, { barSize: '1 day' });
    expect(records.map((r) => r.tradeDate)).toEqual(['2025-01-06', '2025-01-07']);
    expect((await readBars(conn.connection, lake, { barSize: '1 min' })).records).toEqual([]);
  });

  it('a time column that mixes dates and timestamps is refused unless --bar-size says which', async () => {
    const file = await csv(
      'mixed.csv',
      `${HEADER}2025-01-06,5800,5810,5790,5806,1\n2025-01-07T14:30:00Z,5800,5810,5790,5806,1\n`,
    );
    await expect(
      importFile(conn.connection, join(dir, 'lake-m'), file, { table: 'futures_bars', symbol: 'ES' }),
    ).rejects.toMatchObject({
      kind: 'usage',
      message: expect.stringMatching(/mixes dates \(1 rows\) and timestamps/),
    });
    const report = await importFile(conn.connection, join(dir, 'lake-m'), file, {
      table: 'futures_bars',
      symbol: 'ES',
      barSize: '1 day',
      skipBad: true,
      dryRun: true,
    });
    expect(report).toMatchObject({ barSize: '1 day', bad: 1, newRows: 1 });
  });
});

describe('import refuses implausible bars (finding 6)', () => {
  it.each([
    ['1e308', '2026-11-16,1e308,1e308,1e308,1e308,1', 'open', /plausible price band/],
    ['1e-7', '2026-11-16,0.0000001,0.0000001,0.0000001,0.0000001,1', 'open', /plausible price band/],
    ['negative volume', '2026-11-16,5800,5810,5790,5806,-5', 'volume', /negative/],
    ['infinite volume', '2026-11-16,5800,5810,5790,5806,inf', 'volume', /negative or not finite/],
    ['high below low', '2026-11-16,5800,5790,5810,5806,5', 'high', /below low/],
    ['a Saturday', '2026-11-14,5800,5810,5790,5806,5', 'ts', /not a trade date/],
    ['a Sunday', '2026-11-15,5800,5810,5790,5806,5', 'ts', /not a trade date/],
    ['Christmas', '2026-12-25,5800,5810,5790,5806,5', 'ts', /not a trade date/],
    ['ten times the median', '2026-11-16,58000,58000,58000,58000,5', 'open', /median/],
    ['year 9999', '9999-12-31,5800,5810,5790,5806,5', 'ts', /1970–2199/],
  ])('%s: a bad row (exit 4 without --skip-bad, skipped with it)', async (_name, row, field, problem) => {
    const good = [
      '2026-11-17,5800,5810,5790,5806,5',
      '2026-11-18,5801,5811,5791,5807,5',
      '2026-11-19,5802,5812,5792,5808,5',
    ];
    const file = await csv(`bad-${field}.csv`, `${HEADER}${good.join('\n')}\n${row}\n`);
    const lake = join(dir, `lake-6-${Math.random().toString(36).slice(2)}`);
    await expect(
      importFile(conn.connection, lake, file, { table: 'futures_bars', symbol: 'ES' }),
    ).rejects.toMatchObject({
      kind: 'data',
      message: expect.stringMatching(/1 bad row; nothing was written\. First: line 5/),
    });
    const report = await importFile(conn.connection, lake, file, {
      table: 'futures_bars',
      symbol: 'ES',
      skipBad: true,
    });
    expect(report).toMatchObject({ barSize: '1 day', bad: 1, written: 3 });
    expect(report.badRows[0]?.field).toBe(field);
    expect(report.badRows[0]?.problem).toMatch(problem);
  });

  it('the band and the median factor are configurable', async () => {
    const file = await csv('band.csv', `${HEADER}2026-11-17,5800,5810,5790,5806,5\n`);
    await expect(
      importFile(conn.connection, join(dir, 'lake-band'), file, {
        table: 'futures_bars',
        symbol: 'ES',
        dryRun: true,
        priceBands: { ES: [6000, 7000] },
      }),
    ).rejects.toMatchObject({ kind: 'data', message: expect.stringMatching(/plausible price band/) });
  });

  it('reports at most maxBadRows rows with their lines and counts every bad row', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `2026-11-17,5800,5810,5790,${i % 2 ? 5806 : -1},5`);
    const file = await csv('many.csv', `${HEADER}${rows.join('\n')}\n`);
    const report = await importFile(conn.connection, join(dir, 'lake-many'), file, {
      table: 'futures_bars',
      symbol: 'ES',
      skipBad: true,
      dryRun: true,
      maxBadRows: 5,
    });
    expect(report.bad).toBe(15);
    expect(report.badRows.map((b) => b.line)).toEqual([2, 4, 6, 8, 10]);
  });
});

describe('import odds and ends (finding 23)', () => {
  it('an empty file says so', async () => {
    const file = await csv('empty.csv', '');
    await expect(
      importFile(conn.connection, join(dir, 'lake-e'), file, { table: 'futures_bars', symbol: 'ES' }),
    ).rejects.toMatchObject({ kind: 'data', message: expect.stringMatching(/is empty/) });
  });

  it('--map naming a column or a field twice is refused', () => {
    expect(() => parseColumnMap('date=ts,close=close,close=open', 'futures_bars')).toThrow(/second time/);
    expect(() => parseColumnMap('a=close,b=close', 'futures_bars')).toThrow(/second time/);
  });

  it('leaves no spill directory behind', async () => {
    const spillDir = join(dir, 'spill');
    await writeFile(join(dir, 'x'), '');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(spillDir);
    const file = await csv('s.csv', `${HEADER}2026-11-17,5800,5810,5790,5806,5\n`);
    await importFile(conn.connection, join(dir, 'lake-s'), file, {
      table: 'futures_bars',
      symbol: 'ES',
      spillDir,
    });
    expect(await readdir(spillDir)).toEqual([]);
    expect(tmpdir()).toBeTruthy();
  });
});

describe('local times across a DST change (review §23: they were shifted silently)', () => {
  it('refuses a skipped or repeated New York local time, and imports the rest with --skip-bad', async () => {
    const file = await csv(
      'dst.csv',
      'time,open,high,low,close,volume\n' +
        '2026-03-08 01:59:00,5800,5801,5799,5800,1\n' +
        '2026-03-08 02:30:00,5800,5801,5799,5800,1\n' +
        '2026-11-01 01:30:00,5800,5801,5799,5800,1\n' +
        '2026-11-01 01:30:00-05:00,5800,5801,5799,5800,1\n' +
        '2026-03-09 10:00:00,5800,5801,5799,5800,1\n',
    );
    const lake = join(dir, 'lake-dst');
    const options = { table: 'futures_bars' as const, symbol: 'ES', timeZone: 'America/New_York' };
    await expect(importFile(conn.connection, lake, file, options)).rejects.toMatchObject({ kind: 'data' });
    const report = await importFile(conn.connection, lake, file, { ...options, skipBad: true });
    expect(report).toMatchObject({ bad: 2, written: 3 });
    expect(report.badRows.map((r) => r.line)).toEqual([3, 4]);
    expect(report.badRows[0]?.problem).toMatch(/does not exist or occurs twice in America\/New_York/);
    const { records } = await readBars(conn.connection, lake, { barSize: '1 min' });
    expect(records.map((r) => r.ts.toISOString())).toEqual([
      '2026-03-08T06:59:00.000Z',
      '2026-03-09T14:00:00.000Z',
      '2026-11-01T06:30:00.000Z',
    ]);
  });
});
