import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../../src/cli/exit.js';
import { ibConfigSchema } from '../../../src/config/schema.js';
import { IbSession, IbUnavailableError, withIb } from '../../../src/ibkr/index.js';
import { startSimulator } from '../../../src/sim/index.js';
import { NOW, now, type SimHarness, startSim } from './sim-helpers.js';

/** The real @stoqey/ib client against the simulator over loopback TCP. */

let harness: SimHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('connection (real client, simulator)', () => {
  it('connects with the first id of the range and disconnects in finally', async () => {
    harness = await startSim();
    const { sim } = harness;
    const seen = await withIb(
      harness.config(),
      async (ib) => ({ clientId: ib.clientId, connections: sim.connections(), time: await ib.currentTime() }),
      { factory: harness.factory, now },
    );
    expect(seen).toEqual({ clientId: 101, connections: 1, time: Math.floor(NOW.getTime() / 1000) });
    await sim.waitFor(() => sim.connections() === 0, 5_000);
  });

  it('disconnects in finally when the body throws', async () => {
    harness = await startSim();
    const { sim } = harness;
    await expect(
      withIb(
        harness.config(),
        async () => {
          throw new Error('body failed');
        },
        { factory: harness.factory, now },
      ),
    ).rejects.toThrow('body failed');
    await sim.waitFor(() => sim.connections() === 0, 5_000);
  });

  it('gateway down → IbUnavailableError (exit 3)', async () => {
    const sim = await startSimulator({ port: 0, now });
    const port = sim.port;
    await sim.close();
    const error = await withIb(ibConfigSchema.parse({ connectTimeoutMs: 5_000 }), async () => 1, {
      factory: { target: { host: '127.0.0.1', port } },
      now,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(IbUnavailableError);
    expect(exitCodeOf(error)).toBe(3);
    expect(error.message).toMatch(/Cannot connect to IB Gateway at 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });

  it('auto client ids: a second session takes the next id (326 on the first)', async () => {
    harness = await startSim();
    const first = await IbSession.open(harness.config(), { factory: harness.factory, now });
    try {
      const second = await withIb(harness.config(), async (ib) => ib.clientId, {
        factory: harness.factory,
        now,
      });
      expect(first.clientId).toBe(101);
      expect(second).toBe(102);
    } finally {
      await first.close();
    }
  });
});

describe('contracts, snapshots and bars (real client, simulator)', () => {
  it('resolves ES/NQ/RTY front months and the VIX index', async () => {
    harness = await startSim();
    const contracts = await withIb(
      harness.config(),
      (ib) => ib.resolveContracts(['ES', 'NQ', 'RTY', 'VIX']),
      {
        factory: harness.factory,
        now,
      },
    );
    expect(
      contracts.map((c) => [c.localSymbol, c.secType, c.contractMonth, c.lastTradeDate, c.exchange, c.etf]),
    ).toEqual([
      ['ESU6', 'FUT', '202609', '20260918', 'CME', 'SPY'],
      ['NQU6', 'FUT', '202609', '20260918', 'CME', 'QQQ'],
      ['RTYU6', 'FUT', '202609', '20260918', 'CME', 'IWM'],
      ['VIX', 'IND', null, null, 'CBOE', null],
    ]);
    expect(contracts.map((c) => c.multiplier)).toEqual([50, 20, 50, null]);
    expect(contracts.every((c) => c.conId > 0)).toBe(true);
  });

  it('rolls to the next quarter 8 days before IB\u2019s last trade date', async () => {
    harness = await startSim();
    const [before, after] = await withIb(
      harness.config(),
      async (ib) => [
        await ib.resolveFrontMonth('ES', new Date('2026-09-09T14:00:00Z')),
        await ib.resolveFrontMonth('ES', new Date('2026-09-10T14:00:00Z')),
      ],
      { factory: harness.factory, now },
    );
    expect(before?.localSymbol).toBe('ESU6');
    expect(after?.localSymbol).toBe('ESZ6');
  });

  it('takes live snapshots of all four instruments', async () => {
    harness = await startSim();
    const outcomes = await withIb(
      harness.config(),
      async (ib) => ib.takeSnapshots(await ib.resolveContracts(['ES', 'NQ', 'RTY', 'VIX'])),
      { factory: harness.factory, now },
    );
    for (const outcome of outcomes) {
      expect(outcome.ok).toBe(true);
      if (!outcome.ok) continue;
      const s = outcome.snapshot;
      expect(s.marketDataType).toBe(1);
      expect(s.last).toBeGreaterThan(0);
      expect(s.close).toBeGreaterThan(0);
      expect(s.receivedAt).toEqual(NOW);
      if (s.contract.secType === 'FUT') {
        expect(s.bid).toBeGreaterThan(0);
        expect(s.ask).toBeGreaterThanOrEqual(s.bid ?? Number.POSITIVE_INFINITY);
        expect(s.bidSize).toBeGreaterThan(0);
        expect(s.volume).toBeGreaterThan(0);
        expect(s.flags).toEqual([]);
      } else {
        expect(s.bid).toBeNull();
        expect(s.flags).toEqual([]);
      }
    }
  });

  it('fetches 1-min TRADES and MIDPOINT bars across several requests', async () => {
    harness = await startSim();
    const start = new Date('2026-08-30T12:00:00Z');
    const { trades, midpoint, requests } = await withIb(
      harness.config(),
      async (ib) => {
        const es = await ib.resolveFrontMonth('ES');
        const trades = await ib.fetchBars({
          contract: es,
          barSize: '1 min',
          whatToShow: 'TRADES',
          start,
          end: NOW,
        });
        const midpoint = await ib.fetchBars({
          contract: es,
          barSize: '1 min',
          whatToShow: 'MIDPOINT',
          start: new Date('2026-09-01T13:00:00Z'),
          end: NOW,
        });
        return { trades, midpoint, requests: ib.pacing.historicalRequests };
      },
      { factory: harness.factory, now },
    );
    // 2 days 2 hours → 3 requests of at most a day each for TRADES, 1 for MIDPOINT.
    expect(requests).toBe(4);
    expect(trades.length).toBeGreaterThan(1_500);
    expect(trades[0]?.ts.getTime()).toBeGreaterThanOrEqual(start.getTime());
    expect(trades[trades.length - 1]?.ts.getTime()).toBeLessThan(NOW.getTime());
    for (let i = 1; i < trades.length; i += 1) {
      expect((trades[i]?.ts.getTime() ?? 0) - (trades[i - 1]?.ts.getTime() ?? 0)).toBeGreaterThanOrEqual(
        60_000,
      );
    }
    const bar = trades[trades.length - 1];
    expect(bar?.high).toBeGreaterThanOrEqual(Math.max(bar?.open ?? 0, bar?.close ?? 0));
    expect(bar?.volume).toBeGreaterThan(0);
    expect(midpoint).toHaveLength(60);
    expect(midpoint[0]?.ts).toEqual(new Date('2026-09-01T13:00:00Z'));
    expect(midpoint[0]?.volume).toBeNull();
  });

  it('fetches continuous daily history (CONTFUT, empty end date)', async () => {
    harness = await startSim();
    const bars = await withIb(
      harness.config(),
      (ib) =>
        ib.fetchBars({
          continuous: 'ES',
          barSize: '1 day',
          whatToShow: 'TRADES',
          start: new Date('2026-06-01T00:00:00Z'),
          end: NOW,
        }),
      { factory: harness.factory, now },
    );
    expect(bars.length).toBeGreaterThan(50);
    expect(bars.length).toBeLessThan(70);
    expect(bars.every((b) => b.ts.getUTCHours() === 0)).toBe(true);
    expect(bars[bars.length - 1]?.ts.getTime()).toBeLessThan(NOW.getTime());
  });
});
