/** Coverage per hour: live rows, what a backfill filled (1-minute bars), and closed hours named. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCoverage } from '../../../src/app/dashboard/coverage.js';
import { openMemoryConnection } from '../../../src/delta/index.js';
import { appendBars, appendSnapshots, type BarRecord } from '../../../src/lake/index.js';
import { defaultCalendar } from '../../../src/market/index.js';
import { snapshots } from '../../lake/inputs/fixtures.js';

let dir: string;
const at = (iso: string) => Date.parse(iso);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dash-coverage-'));
  // ES collected every minute 02:00–03:00Z, then nothing until a backfill's bars cover 04:00–05:00Z.
  const es = { symbol: 'ES' as const, conId: 1, localSymbol: 'ESH6', stepMs: 60_000, price: () => 6000 };
  await appendSnapshots(dir, snapshots({ ...es, from: '2026-03-10T02:00:00Z', to: '2026-03-10T02:59:00Z' }));
  const bars: BarRecord[] = [];
  for (let t = at('2026-03-10T04:00:00Z'); t < at('2026-03-10T05:00:00Z'); t += 60_000) {
    bars.push({
      ts: new Date(t),
      tradeDate: '2026-03-10',
      symbol: 'ES',
      conId: 1,
      localSymbol: 'ESH6',
      barSize: '1 min',
      whatToShow: 'TRADES',
      open: 6000,
      high: 6001,
      low: 5999,
      close: 6000,
      volume: 10,
      wap: 6000,
      count: 5,
      source: 'backfill',
    });
  }
  const owned = await openMemoryConnection();
  try {
    await appendBars(owned.connection, dir, bars);
  } finally {
    owned.close();
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readCoverage', () => {
  it('counts live rows and backfilled bars per hour against the slots of the open minutes', async () => {
    const doc = await readCoverage({
      dataDir: dir,
      calendar: defaultCalendar(),
      to: new Date('2026-03-10T05:30:00Z'),
      hours: 10,
      intervalSeconds: 60,
      symbols: ['ES'],
    });
    expect(doc.from).toBe('2026-03-09T20:00:00.000Z');
    const byHour = new Map(doc.symbols.ES!.map((h) => [h.hour, h]));
    const hour = (iso: string) => byHour.get(at(iso));
    expect(hour('2026-03-10T02:00:00Z')).toMatchObject({
      expected: 60,
      rows: 60,
      backfilled: 0,
      closed: null,
    });
    expect(hour('2026-03-10T03:00:00Z')).toMatchObject({
      expected: 60,
      rows: 0,
      backfilled: 0,
      closed: null,
    });
    expect(hour('2026-03-10T04:00:00Z')).toMatchObject({
      expected: 60,
      rows: 0,
      backfilled: 60,
      closed: null,
    });
    // 16:00–17:00 EDT post-close trades; 17:00–18:00 is the daily halt; the hour in progress counts to `to`.
    expect(hour('2026-03-09T20:00:00Z')).toMatchObject({ expected: 60, closed: null });
    expect(hour('2026-03-09T21:00:00Z')).toMatchObject({ expected: 0, closed: 'halt' });
    expect(hour('2026-03-10T05:00:00Z')).toMatchObject({ expected: 30 });
    expect(doc.lake.map((l) => l.table)).toEqual(['futures_snapshots', 'futures_bars']);
  });
});
