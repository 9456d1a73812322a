import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OwnedConnection, openMemoryConnection } from '../../src/delta/index.js';
import {
  appendBars,
  appendSignalRun,
  appendSnapshots,
  type BarRecord,
  lakeDir,
  latestSignalRun,
  listTables,
  loadLakeSnapshot,
  readBars,
  readSnapshots,
  type SnapshotRecord,
} from '../../src/lake/index.js';

function snap(symbol: string, ts: string, mid: number, tradeDate = '2026-03-10'): SnapshotRecord {
  return {
    ts: new Date(ts),
    tradeDate,
    segment: 'overnight',
    symbol,
    secType: symbol === 'VIX' ? 'IND' : 'FUT',
    conId: symbol === 'VIX' ? 13455763 : 495512563,
    localSymbol: symbol === 'VIX' ? 'VIX' : `${symbol}H6`,
    contractMonth: symbol === 'VIX' ? null : '202603',
    etf: symbol === 'ES' ? 'SPY' : null,
    bid: mid - 0.125,
    ask: mid + 0.125,
    last: mid,
    mid,
    bidSize: 10,
    askSize: 12,
    lastSize: 1,
    volume: 1000,
    open: null,
    high: null,
    low: null,
    close: mid - 5,
    marketDataType: 1,
    quality: mid > 7000 ? ['outlier'] : [],
    slotTs: new Date(ts),
    source: 'sim',
    runId: 'run-1',
  };
}

function bar(symbol: string, ts: string, close: number): BarRecord {
  return {
    ts: new Date(ts),
    tradeDate: ts.slice(0, 10),
    symbol,
    conId: 1,
    localSymbol: `${symbol}H6`,
    barSize: '1 min',
    whatToShow: 'TRADES',
    open: close,
    high: close + 1,
    low: close - 1,
    close,
    volume: 5,
    wap: close,
    count: 3,
    source: 'backfill',
  };
}

describe('lake tables', () => {
  let dir: string;
  let db: OwnedConnection;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lake-'));
    db = await openMemoryConnection();
  });
  afterAll(async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('appends a round once per txn version and reads it back typed, in time order', async () => {
    const round = [
      snap('NQ', '2026-03-10T05:01:00Z', 25000),
      snap('ES', '2026-03-10T05:01:00Z', 6800.25),
      snap('ES', '2026-03-10T05:00:00Z', 7001),
    ];
    const first = await appendSnapshots(dir, round, { txn: { appId: 'futures-collect', version: 1 } });
    expect(first.skipped).toBe(false);
    const again = await appendSnapshots(dir, round, { txn: { appId: 'futures-collect', version: 1 } });
    expect(again).toMatchObject({ skipped: true, reason: 'txn-already-committed' });

    const { records, version } = await readSnapshots(db.connection, dir, { symbols: ['ES'] });
    expect(version).toBe(first.version);
    expect(records.map((r) => [r.ts.toISOString(), r.mid, r.quality])).toEqual([
      ['2026-03-10T05:00:00.000Z', 7001, ['outlier']],
      ['2026-03-10T05:01:00.000Z', 6800.25, []],
    ]);
    expect(records[0]).toMatchObject({
      tradeDate: '2026-03-10',
      conId: 495512563,
      localSymbol: 'ESH6',
      etf: 'SPY',
    });
    const later = await readSnapshots(db.connection, dir, { from: new Date('2026-03-10T05:00:30Z') });
    expect(later.records.map((r) => r.symbol)).toEqual(['ES', 'NQ']);
  });

  it('reads an absent table as empty', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'lake-empty-'));
    const { records, version } = await readSnapshots(db.connection, empty, {});
    expect(records).toEqual([]);
    expect(version).toBeUndefined();
    expect(await loadLakeSnapshot(empty, 'futures_bars')).toBeUndefined();
    await rm(empty, { recursive: true, force: true });
  });

  it('never stores the same bar twice, across calls and within one call', async () => {
    const bars = [bar('ES', '2026-03-09T14:30:00Z', 6790), bar('ES', '2026-03-09T14:31:00Z', 6791)];
    const first = await appendBars(db.connection, dir, [...bars, bars[0] as BarRecord]);
    expect(first).toMatchObject({ written: 2, duplicates: 1 });
    const second = await appendBars(db.connection, dir, [...bars, bar('ES', '2026-03-10T14:30:00Z', 6800)]);
    expect(second).toMatchObject({ written: 1, duplicates: 2 });
    const none = await appendBars(db.connection, dir, bars);
    expect(none).toMatchObject({ written: 0, duplicates: 2, version: second.version });
    const { records } = await readBars(db.connection, dir, { barSize: '1 min', symbols: ['ES'] });
    expect(records.map((r) => r.close)).toEqual([6790, 6791, 6800]);
  });

  it('stores bar values exactly (doubles, NaN, nulls, big counts, millisecond timestamps) and refuses a bad bar', async () => {
    const odd: BarRecord = {
      ...bar('NQ', '2026-03-11T14:30:00.123Z', 24_123.456789012344),
      conId: null,
      localSymbol: null,
      volume: Number.NaN,
      wap: 0.1 + 0.2,
      count: Number.MAX_SAFE_INTEGER,
    };
    const written = await appendBars(db.connection, dir, [odd, bar('NQ', '2026-03-11T14:31:00Z', 1e-7)]);
    expect(written).toMatchObject({ written: 2, duplicates: 0 });
    const { records } = await readBars(db.connection, dir, { barSize: '1 min', symbols: ['NQ'] });
    expect(records[0]).toMatchObject({
      ts: new Date('2026-03-11T14:30:00.123Z'),
      tradeDate: '2026-03-11',
      close: 24_123.456789012344,
      conId: null,
      localSymbol: null,
      wap: 0.1 + 0.2,
      count: Number.MAX_SAFE_INTEGER,
    });
    expect(records[0]?.volume).toBeNaN();
    expect(records[1]?.close).toBe(1e-7);
    // The same bar with a null contract is still recognized as stored.
    expect(await appendBars(db.connection, dir, [odd])).toMatchObject({ written: 0, duplicates: 1 });
    const bad = { ...bar('NQ', '2026-03-11T14:32:00Z', 1), symbol: null } as unknown as BarRecord;
    await expect(appendBars(db.connection, dir, [bad])).rejects.toThrow(
      /row 0 column symbol: the column is not nullable/,
    );
    const after = await readBars(db.connection, dir, { barSize: '1 min', symbols: ['NQ'] });
    expect(after.records).toHaveLength(2);
  });

  it('finds the latest signal run at or before an instant', async () => {
    const base = { kind: 'regime', bias: null, tableVersion: 3, runId: null };
    for (const [asOf, level] of [
      ['2026-03-10T13:00:00Z', 'normal'],
      ['2026-03-10T13:05:00Z', 'watch'],
      ['2026-03-10T13:10:00Z', 'warning'],
    ] as const) {
      await appendSignalRun(dir, {
        ...base,
        date: '2026-03-10',
        asOf: new Date(asOf),
        recordedAt: new Date(asOf),
        level,
        payload: JSON.stringify({ level }),
      });
    }
    const run = await latestSignalRun(db.connection, dir, 'regime', new Date('2026-03-10T13:07:00Z'));
    expect(run?.level).toBe('watch');
    expect(run?.asOf.toISOString()).toBe('2026-03-10T13:05:00.000Z');
    expect(
      await latestSignalRun(db.connection, dir, 'premarket', new Date('2026-03-10T13:07:00Z')),
    ).toBeUndefined();
  });
});

describe('listTables', () => {
  it('lists the Delta tables of the lake by name, skipping directories without a Delta log', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lake-list-'));
    const db = await openMemoryConnection();
    try {
      expect(await listTables(dir)).toEqual([]);
      await appendBars(db.connection, dir, [bar('ES', '2026-03-10T13:00:00Z', 5000)]);
      await appendSnapshots(dir, [snap('ES', '2026-03-10T13:00:00Z', 6000)]);
      await mkdir(join(lakeDir(dir), 'not_a_table', '_delta_log'), { recursive: true });
      await mkdir(join(lakeDir(dir), '_staging'), { recursive: true });
      await writeFile(join(lakeDir(dir), 'notes.txt'), 'x');
      expect(await listTables(dir)).toEqual([
        { name: 'futures_bars', path: join(lakeDir(dir), 'futures_bars') },
        { name: 'futures_snapshots', path: join(lakeDir(dir), 'futures_snapshots') },
      ]);
    } finally {
      db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
