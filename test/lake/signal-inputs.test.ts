import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OwnedConnection, openMemoryConnection } from '../../src/delta/index.js';
import { appendBars, appendSnapshots } from '../../src/lake/index.js';
import { fetchSlice } from '../../src/lake/signal-inputs.js';
import { type Quote, SNAPSHOT_KIND_SQL, SNAPSHOT_PRICE_SQL, snapshotPrice } from '../../src/market/price.js';
import { inTempDir, minuteBars, priceRamp as ramp, snapshots } from './inputs/fixtures.js';

let conn: OwnedConnection;
beforeAll(async () => {
  conn = await openMemoryConnection();
});
afterAll(() => conn.close());

describe('the snapshot price in SQL is the TypeScript rule', () => {
  const cases: Array<[string, Quote]> = [
    ['ES', { bid: 6000, ask: 6000.25, last: 5999 }],
    ['ES', { bid: 6000, ask: 6001, last: 5999 }], // 4 ticks: sane
    ['ES', { bid: 6000, ask: 6001.25, last: 5999 }], // 5 ticks, 1.25 > 0.0002 × mid: last
    ['NQ', { bid: 21000, ask: 21004, last: 21001 }], // 16 ticks but within 0.02 % of the mid
    ['NQ', { bid: 21000, ask: 21005, last: 21001 }], // beyond both: last
    ['RTY', { bid: 2000, ask: 2000.4, last: 1999 }], // 4 ticks of 0.1
    ['RTY', { bid: 2000, ask: 2000.5, last: 1999 }], // 5 ticks: last
    ['VIX', { bid: 18, ask: 18.04, last: 18.1 }],
    ['VIX3M', { bid: 20, ask: 20.05, last: 20.1 }], // unlisted symbol: default tick 0.01
    ['ES', { bid: 6001, ask: 6000, last: 6000.5 }], // crossed: last
    ['ES', { bid: 0, ask: 6000, last: 6000.5 }],
    ['ES', { bid: null, ask: 6000, last: 6000.5 }],
    ['ES', { bid: 6000, ask: 6000.25, last: null }],
    ['ES', { bid: null, ask: null, last: null }], // no price
    ['ES', { bid: 6001, ask: 6000, last: 0 }], // no price
  ];

  it.each(cases)('%s %j', async (symbol, quote) => {
    const lit = (v: number | null) => (v === null ? 'NULL' : `CAST(${v} AS DOUBLE)`);
    const reader = await conn.connection.runAndReadAll(
      `SELECT ${SNAPSHOT_PRICE_SQL} AS price, ${SNAPSHOT_KIND_SQL} AS kind
       FROM (SELECT '${symbol}' AS symbol, ${lit(quote.bid)} AS bid, ${lit(quote.ask)} AS ask, ${lit(quote.last)} AS last)`,
    );
    const row = reader.getRowObjectsJS()[0];
    const expected = snapshotPrice(symbol, quote);
    expect(row?.price ?? null).toBe(expected?.price ?? null);
    if (expected !== null) expect(row?.kind).toBe(expected.kind);
  });
});

describe('fetchSlice', () => {
  it('prefers snapshots where both exist and falls back to bars where snapshots are missing', async () => {
    await inTempDir('sig-mixed-', async (dir) => {
      const es = ramp('2026-03-09T08:00:00Z', 6000);
      await appendBars(
        conn.connection,
        dir,
        minuteBars({
          symbol: 'ES',
          conId: 7,
          localSymbol: 'ESH6',
          from: '2026-03-09T08:00:00Z',
          to: '2026-03-09T12:59:00Z',
          price: (t) => es(t) + 1000, // recognisably different
        }),
      );
      await appendSnapshots(
        dir,
        snapshots({
          symbol: 'ES',
          conId: 7,
          localSymbol: 'ESH6',
          from: '2026-03-09T12:00:00Z',
          to: '2026-03-09T13:00:00Z',
          stepMs: 15_000,
          price: es,
        }),
      );
      const slice = await fetchSlice(conn.connection, dir, {
        symbols: ['ES'],
        pointsFrom: new Date('2026-03-09T11:00:00Z'),
        pointsTo: new Date('2026-03-09T13:00:00Z'),
        fixingTargets: [],
        fixingMaxAgeMs: 900_000,
        dailyFrom: '2026-03-01',
        dailyTo: '2026-03-09',
      });
      const points = slice!.points.get('ES')!;
      const bars = points.filter((p) => p.kind === 'bar_close');
      expect(bars.length).toBe(60); // 11:01 … 12:00 bar ends; later minutes are covered by snapshots
      expect(bars.every((p) => p.ts.getTime() <= Date.parse('2026-03-09T12:00:00Z'))).toBe(true);
      expect(points.filter((p) => p.kind === 'mid').length).toBe(241);
      for (let i = 1; i < points.length; i++) {
        expect(points[i]!.ts.getTime()).toBeGreaterThan(points[i - 1]!.ts.getTime());
      }
    });
  });
});
