import { writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OwnedConnection, openMemoryConnection } from '../../../src/delta/index.js';
import { importFile, parseColumnMap } from '../../../src/lake/import/index.js';
import { readBars, readSnapshots } from '../../../src/lake/index.js';
import { join, tempDir } from '../inputs/fixtures.js';

let conn: OwnedConnection;
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  conn = await openMemoryConnection();
  ({ dir, cleanup } = await tempDir('sig-import-'));
});
afterAll(async () => {
  conn.close();
  await cleanup();
});

const NQ_CSV = `ts_utc,open,high,low,close,window
2026-03-08 22:00:00+00:00,20000,20001,19999,20000.5,w
2026-03-08 22:01:00+00:00,20000.5,20002,20000,20001.25,w
2026-03-09 13:29:00+00:00,20100,20101,20099,20100.75,w
2026-03-09 21:00:00+00:00,20200,20201,20199,20200,w
`;

describe('futures import', () => {
  it('imports 1-minute bars (gzip) with CME trade dates and is idempotent', async () => {
    const file = join(dir, 'nq.csv.gz');
    await writeFile(file, gzipSync(NQ_CSV));
    const lake = join(dir, 'lake-a');
    const first = await importFile(conn.connection, lake, file, { table: 'futures_bars', symbol: 'NQ' });
    expect(first).toMatchObject({
      format: 'csv',
      barSize: '1 min',
      rowsRead: 4,
      bad: 0,
      written: 4,
      duplicates: 0,
      symbols: ['NQ'],
      ignoredColumns: ['window'],
      tradeDates: 2,
    });
    expect(first.columns).toMatchObject({ ts: 'ts_utc', close: 'close' });
    const { records } = await readBars(conn.connection, lake, { barSize: '1 min' });
    // Sunday 18:00 EDT starts Monday's trade date; Monday 17:00 EDT (21:00Z) is the halt → Tuesday's
    expect(records.map((r) => [r.ts.toISOString(), r.tradeDate, r.close, r.source])).toEqual([
      ['2026-03-08T22:00:00.000Z', '2026-03-09', 20000.5, 'import'],
      ['2026-03-08T22:01:00.000Z', '2026-03-09', 20001.25, 'import'],
      ['2026-03-09T13:29:00.000Z', '2026-03-09', 20100.75, 'import'],
      ['2026-03-09T21:00:00.000Z', '2026-03-10', 20200, 'import'],
    ]);
    const again = await importFile(conn.connection, lake, file, { table: 'futures_bars', symbol: 'NQ' });
    expect(again).toMatchObject({ written: 0, duplicates: 4, version: first.version });
  });

  it('conflicting duplicates in one file (same key, other values): refused unless --on-conflict says which line wins', async () => {
    const csv = `ts,open,high,low,close
2026-03-09 14:00:00+00:00,20000,20001,19999,20000.5
2026-03-09 14:01:00+00:00,20000.5,20002,20000,20001.25
2026-03-09 14:00:00+00:00,20000,20001,19999,20000.5
2026-03-09 14:01:00+00:00,20000.5,20002,20000,20009
2026-03-09 14:02:00+00:00,20001,20003,20000,20002
2026-03-09 14:01:00+00:00,20000.5,20002,20000,20007
`;
    const file = join(dir, 'conflicts.csv');
    await writeFile(file, csv);
    const lake = join(dir, 'lake-conflicts');
    const options = { table: 'futures_bars' as const, symbol: 'NQ' };
    // Line 4 repeats line 2 exactly (a plain duplicate); lines 3, 5 and 7 give 14:01 three closes.
    for (const dryRun of [true, false]) {
      await expect(importFile(conn.connection, lake, file, { ...options, dryRun })).rejects.toThrow(
        /conflicts\.csv: 1 key appears more than once with different values; nothing was written\. First: symbol NQ, .*ts 2026-03-09T14:01:00Z on lines 3, 5, 7/,
      );
    }
    expect((await readBars(conn.connection, lake, { barSize: '1 min' })).records).toEqual([]);
    const last = await importFile(conn.connection, lake, file, { ...options, onConflict: 'last' });
    // Of the 7 rows: 3 written; line 4 is a duplicate of line 2; of 14:01's three lines two are
    // dropped by the rule (they are no duplicates: their values differ from the one kept).
    expect(last).toMatchObject({
      written: 3,
      duplicates: 1,
      conflicts: 1,
      conflictRowsDropped: 2,
      onConflict: 'last',
      conflictExamples: [{ key: { symbol: 'NQ', ts: '2026-03-09T14:01:00Z' }, lines: [3, 5, 7] }],
    });
    const closes = async (at: string) =>
      (await readBars(conn.connection, lake, { barSize: '1 min' })).records
        .filter((r) => r.ts.toISOString() === at)
        .map((r) => r.close);
    expect(await closes('2026-03-09T14:01:00.000Z')).toEqual([20007]);
    const other = join(dir, 'lake-conflicts-first');
    await importFile(conn.connection, other, file, { ...options, onConflict: 'first' });
    const first = (await readBars(conn.connection, other, { barSize: '1 min' })).records;
    expect(
      first.filter((r) => r.ts.toISOString() === '2026-03-09T14:01:00.000Z').map((r) => r.close),
    ).toEqual([20001.25]);
  });

  it('writes one commit per group of trade dates (memory bounded by the group), with the answer of one group', async () => {
    const csv = `ts,open,high,low,close
2026-03-09 14:00:00+00:00,20000,20001,19999,20000.5
2026-03-10 14:00:00+00:00,20000,20001,19999,20010.5
2026-03-10 14:00:00+00:00,20000,20001,19999,20011.5
2026-03-11 14:00:00+00:00,20000,20001,19999,20020.5
2026-03-11 14:01:00+00:00,20000,20001,19999,20021.5
2026-03-12 14:00:00+00:00,20000,20001,19999,20030.5
2026-03-12 14:00:00+00:00,20000,20001,19999,20031.5
2026-03-12 14:00:00+00:00,20000,20001,19999,20030.5
`;
    const file = join(dir, 'groups.csv');
    await writeFile(file, csv);
    const options = { table: 'futures_bars' as const, symbol: 'NQ', chunkRows: 2 };
    // Conflicts in two groups (10th and 12th) are both found before anything is written.
    await expect(importFile(conn.connection, join(dir, 'lake-g0'), file, options)).rejects.toThrow(
      /2 keys appear more than once .* on lines 3, 4; .* on lines 7, 8, 9/,
    );
    const lakeOne = join(dir, 'lake-g1');
    const lakeMany = join(dir, 'lake-g2');
    const one = await importFile(conn.connection, lakeOne, file, {
      ...options,
      chunkRows: 1000,
      onConflict: 'last',
    });
    const many = await importFile(conn.connection, lakeMany, file, { ...options, onConflict: 'last' });
    // No duplicates: the 10th drops one conflicting row, the 12th two (line 9 repeats line 7, but of a
    // conflicting key every row the rule does not keep is counted as dropped).
    expect(many).toMatchObject({ written: 5, duplicates: 0, conflicts: 2, conflictRowsDropped: 3 });
    expect(one).toMatchObject({
      written: 5,
      duplicates: 0,
      conflicts: 2,
      conflictRowsDropped: 3,
      version: 1,
    });
    // At most two rows a group: [09], [10], [11], [12] (alone over the limit), four commits after the creation.
    expect(many.version).toBe(4);
    const closes = async (lake: string) =>
      (await readBars(conn.connection, lake, { barSize: '1 min' })).records.map((r) => [
        r.ts.toISOString(),
        r.close,
      ]);
    expect(await closes(lakeMany)).toEqual(await closes(lakeOne));
    expect((await closes(lakeMany)).map(([, c]) => c)).toEqual([20000.5, 20011.5, 20020.5, 20021.5, 20030.5]);
    const again = await importFile(conn.connection, lakeMany, file, { ...options, onConflict: 'last' });
    // Again: the 5 kept rows are in the table (duplicates), the rule drops the other 3 as before.
    expect(again).toMatchObject({ written: 0, duplicates: 5, conflictRowsDropped: 3, version: 4 });
  });

  it('imports daily index data as it comes (MM/DD/YYYY, upper-case columns)', async () => {
    const file = join(dir, 'vix.csv');
    await writeFile(
      file,
      'DATE,OPEN,HIGH,LOW,CLOSE\n03/05/2026,20,22,19,21.5\n03/06/2026,21.5,23,20,22.25\n',
    );
    const lake = join(dir, 'lake-b');
    const report = await importFile(conn.connection, lake, file, { table: 'futures_bars', symbol: 'VIX' });
    expect(report).toMatchObject({ barSize: '1 day', written: 2, symbols: ['VIX'] });
    const { records } = await readBars(conn.connection, lake, { barSize: '1 day' });
    expect(records.map((r) => [r.tradeDate, r.symbol, r.close])).toEqual([
      ['2026-03-05', 'VIX', 21.5],
      ['2026-03-06', 'VIX', 22.25],
    ]);
  });

  it('names the line and field of a bad row and writes nothing without --skip-bad', async () => {
    const file = join(dir, 'bad.csv');
    await writeFile(
      file,
      'date,open,high,low,close\n2026-03-05,5800,5810,5790,5805\n2026-03-06,5800,5810,5790,abc\n2026-13-40,5800,5810,5790,5805\n2026-03-09,5800,5810,5790,-3\n',
    );
    const lake = join(dir, 'lake-c');
    await expect(
      importFile(conn.connection, lake, file, { table: 'futures_bars', symbol: 'ES', barSize: '1 day' }),
    ).rejects.toMatchObject({
      kind: 'data',
      message: expect.stringMatching(
        /3 bad rows; nothing was written\. First: line 3, field close \(column 'close'\): 'abc' is not a number/,
      ),
    });
    const empty = await readBars(conn.connection, lake, { barSize: '1 day' });
    expect(empty.records).toEqual([]);
    const skipped = await importFile(conn.connection, lake, file, {
      table: 'futures_bars',
      symbol: 'ES',
      barSize: '1 day',
      skipBad: true,
    });
    expect(skipped).toMatchObject({ rowsRead: 4, bad: 3, written: 1 });
    expect(skipped.badRows.map((b) => [b.line, b.field, b.problem])).toEqual([
      [3, 'close', 'is not a number'],
      [4, 'ts', 'is not a date (YYYY-MM-DD or MM/DD/YYYY)'],
      [5, 'close', 'is not a positive price'],
    ]);
  });

  it('reads naive timestamps in --tz, maps columns, imports snapshots, and a dry run writes nothing', async () => {
    const file = join(dir, 'quotes.csv');
    await writeFile(
      file,
      'When,Sym,B,A,Px\n2026-03-09 08:00:00,es,6000,6000.25,6000\n2026-03-09 08:00:05,ES,6000.25,6000.5,6000.5\n',
    );
    const lake = join(dir, 'lake-d');
    const map = parseColumnMap('When=ts,Sym=symbol,B=bid,A=ask,Px=last', 'futures_snapshots');
    const dry = await importFile(conn.connection, lake, file, {
      table: 'futures_snapshots',
      timeZone: 'America/New_York',
      map,
      dryRun: true,
    });
    expect(dry).toMatchObject({ newRows: 2, written: 0, dryRun: true, version: null });
    const report = await importFile(conn.connection, lake, file, {
      table: 'futures_snapshots',
      timeZone: 'America/New_York',
      map,
    });
    expect(report).toMatchObject({ written: 2, first: '2026-03-09T12:00:00.000Z' });
    const { records } = await readSnapshots(conn.connection, lake, {});
    expect(records[0]).toMatchObject({
      symbol: 'ES',
      tradeDate: '2026-03-09',
      segment: 'overnight',
      mid: 6000.125,
      secType: 'FUT',
      etf: 'SPY',
      source: 'import',
    });
  });

  it('rejects an unknown zone, an unknown --map field and a file without a time column', async () => {
    const file = join(dir, 'x.csv');
    await writeFile(file, 'a,close\n1,2\n');
    await expect(
      importFile(conn.connection, dir, file, { table: 'futures_bars', symbol: 'ES', timeZone: 'Mars/Base' }),
    ).rejects.toMatchObject({ kind: 'usage' });
    expect(() => parseColumnMap('a=nope', 'futures_bars')).toThrow(/unknown field 'nope'/);
    await expect(
      importFile(conn.connection, dir, file, { table: 'futures_bars', symbol: 'ES' }),
    ).rejects.toThrow(/no time column/);
  });
});
