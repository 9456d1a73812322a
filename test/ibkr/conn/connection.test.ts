import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../../src/cli/exit.js';
import { ibConfigSchema } from '../../../src/config/schema.js';
import { manualClock } from '../../../src/core/clock.js';
import {
  IbClientIdInUseError,
  IbConnectionLostError,
  type IbConnectivityEvent,
  IbRequestError,
  IbSession,
  IbTimeoutError,
  IbUnavailableError,
  type ResolvedContract,
  withIb,
} from '../../../src/ibkr/index.js';
import { FakeGateway, futureDetails, until } from './fake-wire.js';

const config = (overrides: Record<string, unknown> = {}) =>
  ibConfigSchema.parse({
    clientIdRange: [7, 9],
    connectTimeoutMs: 1_000,
    requestTimeoutMs: 1_000,
    snapshotTimeoutMs: 300,
    heartbeatIntervalMs: 60_000,
    heartbeatTimeoutMs: 200,
    reconnectBaseMs: 10,
    reconnectMaxMs: 40,
    farmWaitMs: 200,
    ...overrides,
  });

const now = () => new Date('2025-09-02T14:00:00Z');

const esu5: ResolvedContract = {
  symbol: 'ES',
  secType: 'FUT',
  conId: 1,
  localSymbol: 'ESU5',
  contractMonth: '202509',
  lastTradeDate: '20250919',
  exchange: 'CME',
  currency: 'USD',
  tradingClass: 'ES',
  multiplier: 50,
  etf: 'SPY',
};

describe('withIb', () => {
  it('connects with the first free id, waits for nextValidId and disconnects in finally', async () => {
    const gw = new FakeGateway();
    const clientId = await withIb(config(), async (ib) => ib.clientId, { factory: gw.factory, now });
    expect(clientId).toBe(7);
    expect(gw.last.calls.map((c) => c.method)).toEqual(['connect', 'disconnect']);
  });

  it('disconnects in finally when fn throws', async () => {
    const gw = new FakeGateway();
    await expect(
      withIb(
        config(),
        async () => {
          throw new Error('boom');
        },
        { factory: gw.factory, now },
      ),
    ).rejects.toThrow('boom');
    expect(gw.last.disconnected).toBe(true);
  });

  it('takes the next id in the range on 326 (auto)', async () => {
    const gw = new FakeGateway();
    gw.idsInUse.add(7);
    gw.idsInUse.add(8);
    const clientId = await withIb(config(), async (ib) => ib.clientId, { factory: gw.factory, now });
    expect(clientId).toBe(9);
    expect(gw.calls('connect').map((c) => (c.method === 'connect' ? c.clientId : -1))).toEqual([7, 8, 9]);
  });

  it('names the fixed id when it is in use', async () => {
    const gw = new FakeGateway();
    gw.idsInUse.add(42);
    const error = await withIb(config({ clientId: 42 }), async () => 1, { factory: gw.factory, now }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(IbClientIdInUseError);
    expect(error.message).toContain('client id 42');
    expect(exitCodeOf(error)).toBe(3);
    expect(gw.calls('connect')).toHaveLength(1);
  });

  it('reports an exhausted auto range', async () => {
    const gw = new FakeGateway();
    for (const id of [7, 8, 9]) gw.idsInUse.add(id);
    const error = await withIb(config(), async () => 1, { factory: gw.factory, now }).catch((e) => e);
    expect(error).toBeInstanceOf(IbClientIdInUseError);
    expect(error.message).toContain('[7, 9]');
  });

  it('throws IbUnavailableError when the gateway refuses the connection', async () => {
    const gw = new FakeGateway();
    gw.refuse = true;
    const error = await withIb(config(), async () => 1, { factory: gw.factory, now }).catch((e) => e);
    expect(error).toBeInstanceOf(IbUnavailableError);
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('times out a handshake that never completes', async () => {
    const gw = new FakeGateway();
    gw.silent = true;
    const error = await withIb(config({ connectTimeoutMs: 50 }), async () => 1, {
      factory: gw.factory,
      now,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(IbUnavailableError);
    expect(error.message).toMatch(/did not get ready within 50 ms \(no handshake\)/);
    expect(error.cause).toBeInstanceOf(IbTimeoutError);
    expect(gw.last.disconnected).toBe(true);
  });
});

describe('requests', () => {
  it('resolves the front month from contract details and caches it per trade date', async () => {
    const gw = new FakeGateway();
    gw.respond = (wire, call) => {
      if (call.method !== 'reqContractDetails') return;
      wire.later(
        { type: 'contractDetails', reqId: call.reqId, details: futureDetails('ES', 2, '202512', '20251219') },
        { type: 'contractDetails', reqId: call.reqId, details: futureDetails('ES', 1, '202509', '20250919') },
        { type: 'contractDetailsEnd', reqId: call.reqId },
      );
    };
    await withIb(
      config(),
      async (ib) => {
        expect((await ib.resolveFrontMonth('ES')).localSymbol).toBe('ESU5');
        expect((await ib.resolveFrontMonth('ES', new Date('2025-09-02T20:00:00Z'))).localSymbol).toBe('ESU5');
        expect(gw.calls('reqContractDetails')).toHaveLength(1);
        expect((await ib.resolveFrontMonth('ES', new Date('2025-09-12T14:00:00Z'))).localSymbol).toBe('ESZ5');
        expect(gw.calls('reqContractDetails')).toHaveLength(2);
      },
      { factory: gw.factory, now },
    );
    const query = gw.calls('reqContractDetails')[0];
    expect(query?.method === 'reqContractDetails' && query.contract).toEqual({
      symbol: 'ES',
      secType: 'FUT',
      exchange: 'CME',
      currency: 'USD',
    });
  });

  it('turns 200 into IbRequestError with code and reqId', async () => {
    const gw = new FakeGateway();
    gw.respond = (wire, call) => {
      if (call.method === 'reqContractDetails') {
        wire.later({
          type: 'error',
          code: 200,
          reqId: call.reqId,
          message: 'No security definition has been found',
        });
      }
    };
    const error = await withIb(config(), (ib) => ib.resolveFrontMonth('NQ'), {
      factory: gw.factory,
      now,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(IbRequestError);
    expect(error).toMatchObject({ ibCode: 200, reqId: 1, kind: 'usage' });
  });

  it('throws IbTimeoutError instead of returning an empty result', async () => {
    const gw = new FakeGateway();
    const error = await withIb(config({ requestTimeoutMs: 50 }), (ib) => ib.resolveFrontMonth('RTY'), {
      factory: gw.factory,
      now,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(IbTimeoutError);
    expect(error.message).toContain('contract details for RTY');
  });

  it('snapshot: collects ticks, records the delivered type and flags missing fields', async () => {
    const gw = new FakeGateway();
    gw.respond = (wire, call) => {
      if (call.method !== 'reqMktData') return;
      const reqId = call.reqId;
      wire.later(
        { type: 'marketDataType', reqId, marketDataType: 1 },
        { type: 'tickPrice', reqId, field: 1, value: 6500.25 },
        { type: 'tickPrice', reqId, field: 2, value: -1 },
        { type: 'tickSize', reqId, field: 0, value: 12 },
        { type: 'tickPrice', reqId, field: 4, value: 6500.5 },
        { type: 'tickSize', reqId, field: 8, value: 123_456 },
        { type: 'tickString', reqId, field: 45, value: '1756821600' },
        { type: 'tickSnapshotEnd', reqId },
      );
    };
    const snap = await withIb(config(), (ib) => ib.takeSnapshot(esu5), { factory: gw.factory, now });
    expect(snap).toMatchObject({
      bid: 6500.25,
      ask: null,
      last: 6500.5,
      bidSize: 12,
      volume: 123_456,
      marketDataType: 1,
      requestedMarketDataType: 1,
      flags: ['missing_ask'],
    });
    expect(snap.lastTradeAt?.toISOString()).toBe('2025-09-02T14:00:00.000Z');
    const req = gw.calls('reqMktData')[0];
    expect(req?.method === 'reqMktData' && req.snapshot).toBe(true);
  });

  it('snapshot: 354 switches to delayed data and retries once, recorded per row', async () => {
    const gw = new FakeGateway();
    gw.respond = (wire, call) => {
      if (call.method !== 'reqMktData') return;
      const reqId = call.reqId;
      const delayed = gw.calls('reqMarketDataType').length > 0;
      if (!delayed) {
        wire.later({ type: 'error', code: 354, reqId, message: 'Requested market data is not subscribed.' });
        return;
      }
      wire.later(
        { type: 'marketDataType', reqId, marketDataType: 3 },
        { type: 'tickPrice', reqId, field: 66, value: 6499 },
        { type: 'tickPrice', reqId, field: 67, value: 6499.5 },
        { type: 'tickPrice', reqId, field: 68, value: 6499.25 },
        { type: 'tickSnapshotEnd', reqId },
      );
    };
    const snap = await withIb(config(), (ib) => ib.takeSnapshot(esu5), { factory: gw.factory, now });
    expect(snap).toMatchObject({
      bid: 6499,
      ask: 6499.5,
      last: 6499.25,
      marketDataType: 3,
      requestedMarketDataType: 3,
    });
    expect(snap.flags).toEqual(['delayed', 'delayed_fallback']);
    expect(gw.calls('reqMarketDataType')).toEqual([{ method: 'reqMarketDataType', type: 3 }]);
  });

  it('snapshot: 354 without fallback is an IbRequestError', async () => {
    const gw = new FakeGateway();
    gw.respond = (wire, call) => {
      if (call.method === 'reqMktData') {
        wire.later({
          type: 'error',
          code: 354,
          reqId: call.reqId,
          message: 'Requested market data is not subscribed.',
        });
      }
    };
    const error = await withIb(config({ delayedFallback: false }), (ib) => ib.takeSnapshot(esu5), {
      factory: gw.factory,
      now,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(IbRequestError);
    expect(error.ibCode).toBe(354);
  });

  it('snapshot that never ends: partial data plus flags, or IbTimeoutError when nothing came', async () => {
    const gw = new FakeGateway();
    gw.respond = (wire, call) => {
      if (call.method === 'reqMktData' && call.contract.symbol === 'ES') {
        wire.later({ type: 'tickPrice', reqId: call.reqId, field: 4, value: 6501 });
      }
    };
    const silent: ResolvedContract = { ...esu5, symbol: 'NQ', conId: 9, localSymbol: 'NQU5', etf: 'QQQ' };
    const outcomes = await withIb(config(), (ib) => ib.takeSnapshots([esu5, silent]), {
      factory: gw.factory,
      now,
    });
    expect(outcomes[0]?.ok && outcomes[0].snapshot.flags).toEqual([
      'missing_ask',
      'missing_bid',
      'timed_out_partial',
    ]);
    expect(outcomes[1]?.ok).toBe(false);
    expect(!outcomes[1]?.ok && outcomes[1]?.error).toBeInstanceOf(IbTimeoutError);
    expect(gw.calls('cancelMktData')).toHaveLength(2);
  });

  it('fetchBars: retries after a 162 pacing violation with back-off (virtual clock)', async () => {
    const gw = new FakeGateway();
    let historical = 0;
    gw.respond = (wire, call) => {
      if (call.method !== 'reqHistoricalData') return;
      historical += 1;
      if (historical === 1) {
        wire.later({
          type: 'error',
          code: 162,
          reqId: call.reqId,
          message: 'Historical Market Data Service error message:Historical data request pacing violation',
        });
        return;
      }
      wire.later(
        {
          type: 'historicalBar',
          reqId: call.reqId,
          bar: { time: '1756821600', open: 1, high: 2, low: 0.5, close: 1.5, volume: 10, wap: 1.2, count: 3 },
        },
        { type: 'historicalEnd', reqId: call.reqId },
      );
    };
    const clock = manualClock(new Date(0));
    const bars = await withIb(
      config(),
      (ib) =>
        ib.fetchBars({
          contract: esu5,
          barSize: '1 min',
          whatToShow: 'TRADES',
          start: new Date('2025-09-02T13:00:00Z'),
          end: new Date('2025-09-02T15:00:00Z'),
        }),
      { factory: gw.factory, now, pacerClock: clock },
    );
    expect(bars).toHaveLength(1);
    expect(historical).toBe(2);
    expect(clock.now().getTime()).toBeGreaterThanOrEqual(15_000);
    const [first, second] = gw.calls('reqHistoricalData');
    expect(first?.method === 'reqHistoricalData' && first.query).toEqual({
      endDateTime: '20250902-15:00:00',
      durationStr: '7200 S',
      barSize: '1 min',
      whatToShow: 'TRADES',
      useRTH: false,
      formatDate: 2,
    });
    expect(second?.method === 'reqHistoricalData' && second.reqId).not.toBe(
      first?.method === 'reqHistoricalData' && first.reqId,
    );
  });

  it('fetchBars: "HMDS query returned no data" is an empty result, not an error', async () => {
    const gw = new FakeGateway();
    gw.respond = (wire, call) => {
      if (call.method === 'reqHistoricalData') {
        wire.later({
          type: 'error',
          code: 162,
          reqId: call.reqId,
          message:
            'Historical Market Data Service error message:HMDS query returned no data: ESU5@CME Trades',
        });
      }
    };
    const bars = await withIb(
      config(),
      (ib) =>
        ib.fetchBars({
          contract: esu5,
          barSize: '1 day',
          whatToShow: 'TRADES',
          start: new Date('2025-08-01T00:00:00Z'),
          end: new Date('2025-09-01T00:00:00Z'),
        }),
      { factory: gw.factory, now },
    );
    expect(bars).toEqual([]);
  });
});

describe('connectivity', () => {
  it('1100 pauses requests until 1102 and emits lost/restored events', async () => {
    const gw = new FakeGateway();
    const events: IbConnectivityEvent['type'][] = [];
    gw.respond = (wire, call) => {
      if (call.method === 'reqContractDetails') {
        wire.later(
          {
            type: 'contractDetails',
            reqId: call.reqId,
            details: futureDetails('ES', 1, '202509', '20250919'),
          },
          { type: 'contractDetailsEnd', reqId: call.reqId },
        );
      }
    };
    await withIb(
      config(),
      async (ib) => {
        ib.onConnectivity((e) => events.push(e.type));
        gw.last.emit({ type: 'info', code: 1100, message: 'Connectivity between IB and TWS has been lost.' });
        expect(ib.state).toBe('interrupted');
        const pending = ib.resolveFrontMonth('ES');
        await new Promise((resolve) => setTimeout(resolve, 30));
        expect(gw.calls('reqContractDetails')).toHaveLength(0);
        gw.last.emit({ type: 'info', code: 1102, message: 'Connectivity restored - data maintained.' });
        expect((await pending).localSymbol).toBe('ESU5');
      },
      { factory: gw.factory, now },
    );
    expect(events).toEqual(['lost', 'restored', 'closed']);
  });

  it('2103/2104 are farm events; snapshots wait for the farm (bounded) and flag it', async () => {
    const gw = new FakeGateway();
    const farm: string[] = [];
    gw.respond = (wire, call) => {
      if (call.method === 'reqMktData') {
        wire.later(
          { type: 'tickPrice', reqId: call.reqId, field: 4, value: 1 },
          { type: 'tickSnapshotEnd', reqId: call.reqId },
        );
      }
    };
    await withIb(
      config({ farmWaitMs: 50 }),
      async (ib) => {
        ib.onConnectivity((e) => {
          if (e.type === 'farm') farm.push(`${e.farm}:${e.up ? 'up' : 'down'}`);
        });
        gw.last.emit({ type: 'info', code: 2103, message: 'Market data farm connection is broken:usfarm' });
        const degraded = await ib.takeSnapshot(esu5);
        expect(degraded.flags).toContain('farm_degraded');
        gw.last.emit({ type: 'info', code: 2104, message: 'Market data farm connection is OK:usfarm' });
        expect((await ib.takeSnapshot(esu5)).flags).not.toContain('farm_degraded');
      },
      { factory: gw.factory, now },
    );
    expect(farm).toEqual(['market:down', 'market:up']);
  });

  it('one-shot: a dropped socket fails the in-flight request with exit 3', async () => {
    const gw = new FakeGateway();
    gw.respond = (wire, call) => {
      if (call.method === 'reqContractDetails') wire.later({ type: 'disconnected' });
    };
    const error = await withIb(config(), (ib) => ib.resolveFrontMonth('ES'), {
      factory: gw.factory,
      now,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(IbConnectionLostError);
    expect(exitCodeOf(error)).toBe(3);
  });

  it('heartbeat: no answer to reqCurrentTime means a half-open socket', async () => {
    const gw = new FakeGateway();
    gw.answerHeartbeat = false;
    const session = await IbSession.open(config({ heartbeatIntervalMs: 20, heartbeatTimeoutMs: 40 }), {
      factory: gw.factory,
      now,
    });
    const events: string[] = [];
    session.onConnectivity((e) => events.push(e.type));
    try {
      await until(() => session.state === 'down', 3_000, 'heartbeat to detect the dead socket');
      expect(events).toEqual(['heartbeat_timeout', 'lost']);
      await expect(session.resolveFrontMonth('ES')).rejects.toBeInstanceOf(IbUnavailableError);
    } finally {
      await session.close();
    }
  });

  it('keepAlive: pacing state survives a reconnect (an identical request still waits 15 s)', async () => {
    const gw = new FakeGateway();
    gw.respond = (wire, call) => {
      if (call.method === 'reqHistoricalData') wire.later({ type: 'historicalEnd', reqId: call.reqId });
    };
    const clock = manualClock(new Date(0));
    const session = await IbSession.open(config(), {
      factory: gw.factory,
      now,
      keepAlive: true,
      pacerClock: clock,
    });
    const request = {
      contract: esu5,
      barSize: '1 min' as const,
      whatToShow: 'TRADES' as const,
      start: new Date('2025-09-02T13:00:00Z'),
      end: new Date('2025-09-02T14:00:00Z'),
    };
    try {
      await session.fetchBars(request);
      const sent = session.pacing.messagesSent;
      gw.last.emit({ type: 'disconnected' });
      await until(() => session.state === 'ready' && gw.wires.length === 2, 3_000, 'reconnect');
      const before = clock.now().getTime();
      await session.fetchBars(request);
      expect(clock.now().getTime() - before).toBeGreaterThanOrEqual(15_000);
      expect(session.pacing.historicalRequests).toBe(2);
      expect(session.pacing.messagesSent).toBeGreaterThan(sent);
    } finally {
      await session.close();
    }
  });

  it('keepAlive: reconnects with back-off, re-sends the market data type, retries the request', async () => {
    const gw = new FakeGateway();
    let dropped = false;
    gw.respond = (wire, call) => {
      if (call.method !== 'reqContractDetails') return;
      if (!dropped) {
        dropped = true;
        wire.later({ type: 'disconnected' });
        return;
      }
      wire.later(
        { type: 'contractDetails', reqId: call.reqId, details: futureDetails('ES', 1, '202509', '20250919') },
        { type: 'contractDetailsEnd', reqId: call.reqId },
      );
    };
    const session = await IbSession.open(config(), { factory: gw.factory, now, keepAlive: true });
    const events: string[] = [];
    session.onConnectivity((e) => events.push(e.type));
    try {
      await session.connection.setMarketDataType(3);
      const es = await session.resolveFrontMonth('ES');
      expect(es.localSymbol).toBe('ESU5');
      expect(gw.wires).toHaveLength(2);
      expect(events).toEqual(['lost', 'reconnecting', 'reconnected']);
      // The reconnect kept the same (auto) client id and re-sent market data type 3.
      expect(gw.wires[1]?.calls.filter((c) => c.method === 'connect')).toEqual([
        { method: 'connect', clientId: 7 },
      ]);
      await until(() => gw.wires[1]?.calls.some((c) => c.method === 'reqMarketDataType') ?? false);
      // Fresh request ids after the reconnect.
      const ids = gw
        .calls('reqContractDetails')
        .map((c) => (c.method === 'reqContractDetails' ? c.reqId : 0));
      expect(new Set(ids).size).toBe(2);
    } finally {
      await session.close();
    }
  });
});
