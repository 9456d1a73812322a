import {
  BarSizeSetting,
  ConnectionState,
  type Contract,
  EventName,
  MarketDataType,
  SecType,
  WhatToShow,
} from '@stoqey/ib';
import { afterEach, describe, expect, it } from 'vitest';
import { listedContracts } from '../../src/sim/contracts.js';
import { type Fault, type Simulator, startSimulator } from '../../src/sim/index.js';
import { parseScenario } from '../../src/sim/scenario.js';
import { connectApi, connectNext, connectReady, fixedClock, RTH_INSTANT, until } from './helpers.js';

const ES_Z6: Contract = {
  symbol: 'ES',
  secType: SecType.FUT,
  exchange: 'CME',
  lastTradeDateOrContractMonth: '202612',
};
const RTY_Z6: Contract = {
  symbol: 'RTY',
  secType: SecType.FUT,
  exchange: 'CME',
  lastTradeDateOrContractMonth: '202612',
};
const VIX: Contract = { symbol: 'VIX', secType: SecType.IND, exchange: 'CBOE', currency: 'USD' };

let sim: Simulator | undefined;
const clients: { disconnect(): unknown }[] = [];

async function start(faults: unknown[]): Promise<Simulator> {
  const scenario = parseScenario({ name: 'test', faults });
  sim = await startSimulator({ now: fixedClock(RTH_INSTANT), seed: 3, streamIntervalMs: 0, scenario });
  return sim;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await sim?.close();
  sim = undefined;
});

async function ready(s: Simulator, clientId: number) {
  const c = await connectReady(s, clientId);
  clients.push(c.api);
  return c;
}

describe('faults seen by the real @stoqey/ib client', () => {
  it('disconnect after N messages: N answers, then the socket closes', async () => {
    const s = await start([{ type: 'disconnect', afterMessages: 2 }]);
    const { api, events } = await ready(s, 1);
    const times: number[] = [];
    api.on(EventName.currentTime, (t: number) => times.push(t));
    api.reqCurrentTime();
    api.reqCurrentTime();
    api.reqCurrentTime();
    await until(() => (events.disconnected ? true : undefined), 10_000, 'disconnect');
    expect(times).toHaveLength(2);
    expect(s.stats().faultsFired).toEqual(['conn 1: disconnect']);
  });

  it('disconnect limited to the first session lets the client reconnect (IBApiNext sees Disconnected)', async () => {
    const s = await start([{ type: 'disconnect', afterMessages: 0, sessions: 1 }]);
    const { IBApiNext } = await import('@stoqey/ib');
    const ib = new IBApiNext({ host: s.host, port: s.port });
    clients.push(ib);
    const states: ConnectionState[] = [];
    ib.connectionState.subscribe((st) => states.push(st));
    ib.connect(4);
    await until(() =>
      states.includes(ConnectionState.Connected) && states.at(-1) === ConnectionState.Disconnected
        ? true
        : undefined,
    );
    ib.disconnect();
    const again = await connectNext(s, 4);
    clients.push(again);
    expect(await again.getCurrentTime()).toBeGreaterThan(0);
  });

  it('1100 → 1102: infos with id −1, requests held meanwhile and answered after the restore', async () => {
    const s = await start([
      { type: 'systemMessages', afterMessages: 1, codes: [1100, 1102], intervalMs: 300 },
    ]);
    const { api, events } = await ready(s, 1);
    const times: number[] = [];
    api.on(EventName.currentTime, (t: number) => times.push(t));
    api.reqCurrentTime();
    await until(() => (events.infos.some((i) => i.code === 1100) ? true : undefined));
    expect(times).toHaveLength(1);
    api.reqCurrentTime();
    await until(() => (times.length === 2 ? true : undefined), 10_000, 'held request answered');
    const codes = events.infos.map((i) => i.code);
    expect(codes.indexOf(1100)).toBeLessThan(codes.indexOf(1102));
    expect(events.errors).toEqual([]);
    expect(events.disconnected).toBe(false);
    expect(events.infos.find((i) => i.code === 1100)?.message).toMatch(
      /Connectivity between IB and Trader Workstation has been lost/,
    );
  });

  it('1100 makes IBApiNext drop the connection by itself', async () => {
    const s = await start([
      { type: 'systemMessages', afterMessages: 1, codes: [1100, 1102], intervalMs: 60_000 },
    ]);
    const ib = await connectNext(s, 2);
    clients.push(ib);
    const states: ConnectionState[] = [];
    ib.connectionState.subscribe((st) => states.push(st));
    await until(
      () => (states.at(-1) === ConnectionState.Disconnected ? true : undefined),
      10_000,
      'IBApiNext disconnect',
    );
  });

  it('2103 → 2104: farm flap without holding requests', async () => {
    const s = await start([
      { type: 'systemMessages', afterMs: 0, codes: [2103, 2104], intervalMs: 100, holdRequests: false },
    ]);
    const { events } = await ready(s, 1);
    await until(() => (events.infos.filter((i) => i.code === 2104).length >= 2 ? true : undefined));
    const codes = events.infos.map((i) => i.code).filter((c) => c === 2103 || c === 2104);
    expect(codes).toEqual([2104, 2103, 2104]);
    expect(events.infos.find((i) => i.code === 2103)?.message).toBe(
      'Market data farm connection is broken:usfarm',
    );
  });

  it('clientIdInUse: 326 for the listed client id for one session, then accepted', async () => {
    const s = await start([{ type: 'clientIdInUse', clientIds: [5], sessions: 1 }]);
    const refused = await connectApi(s, 5);
    clients.push(refused.api);
    await until(() => (refused.events.disconnected ? true : undefined), 10_000, 'disconnect after 326');
    expect(refused.events.infos.map((i) => i.code)).toEqual([326]);
    const other = await ready(s, 6);
    expect(other.events.nextValidId).toBe(1);
    const retry = await ready(s, 5);
    expect(retry.events.nextValidId).toBe(1);
  });

  it('pacingViolation: the Nth historical request gets 162 and the next one succeeds', async () => {
    const s = await start([{ type: 'pacingViolation', onHistoricalRequest: 2 }]);
    const ib = await connectNext(s, 1);
    clients.push(ib);
    const h = () =>
      ib.getHistoricalData(ES_Z6, '', '3600 S', BarSizeSetting.MINUTES_ONE, WhatToShow.TRADES, 0, 1);
    expect((await h()).length).toBe(60);
    await expect(h()).rejects.toMatchObject({
      code: 162,
      error: { message: expect.stringMatching(/pacing violation/) },
    });
    expect((await h()).length).toBe(60);
    expect(s.stats().historicalRequests).toBe(3);
  });

  it('noSecurityDefinition: 200 for the symbol in details, market data and history; others unaffected', async () => {
    const s = await start([{ type: 'noSecurityDefinition', symbols: ['RTY'] }]);
    const ib = await connectNext(s, 1);
    clients.push(ib);
    await expect(ib.getContractDetails(RTY_Z6)).rejects.toMatchObject({ code: 200 });
    await expect(ib.getMarketDataSnapshot(RTY_Z6, '', false)).rejects.toMatchObject({ code: 200 });
    await expect(
      ib.getHistoricalData(RTY_Z6, '', '1 D', BarSizeSetting.DAYS_ONE, WhatToShow.TRADES, 0, 1),
    ).rejects.toMatchObject({ code: 200 });
    expect((await ib.getContractDetails(ES_Z6)).length).toBe(1);
  });

  it('delayedOnly: live refused with 354, delayed served as type 3 with delayed tick ids and 15-minute-old prices', async () => {
    const s = await start([{ type: 'delayedOnly' }]);
    const ib = await connectNext(s, 1);
    clients.push(ib);
    await expect(ib.getMarketDataSnapshot(ES_Z6, '', false)).rejects.toMatchObject({ code: 354 });
    const warnings: number[] = [];
    const sub = ib.error.subscribe((e) => warnings.push(e.code));
    ib.setMarketDataType(MarketDataType.DELAYED);
    const snap = await ib.getMarketDataSnapshot(ES_Z6, '', false);
    sub.unsubscribe();
    expect(warnings).toContain(10167);
    const keys = [...snap.keys()].map(Number);
    expect(keys).toEqual(expect.arrayContaining([66, 67, 68, 72, 73, 74, 75, 76]));
    expect(keys.filter((k) => k < 50 && k !== 49)).toEqual([]);
    const contract = listedContracts('ES', RTH_INSTANT.getTime())[0]!;
    const delayed = s.market.quote(contract, RTH_INSTANT.getTime() - 15 * 60_000);
    expect(snap.get(66 as never)?.value).toBe(delayed.bid);
    expect(snap.get(68 as never)?.value).toBe(delayed.last);
  });

  it('delayedOnly: the low-level client sees marketDataType 3', async () => {
    const s = await start([{ type: 'delayedOnly', symbols: ['VIX'] }]);
    const { api } = await ready(s, 1);
    const types = new Map<number, number>();
    api.on(EventName.marketDataType, (reqId: number, t: number) => types.set(reqId, t));
    api.reqMarketDataType(MarketDataType.DELAYED);
    api.reqMktData(1, VIX, '', true, false);
    api.reqMktData(2, ES_Z6, '', true, false);
    await until(() => (types.size === 2 ? true : undefined));
    expect(types.get(1)).toBe(3);
    expect(types.get(2)).toBe(1);
  });

  it('snapshotNeverEnds: ticks arrive but no tickSnapshotEnd, while other symbols end normally', async () => {
    const s = await start([{ type: 'snapshotNeverEnds', symbols: ['ES'] }]);
    const { api } = await ready(s, 1);
    const ticks = new Set<number>();
    const ended = new Set<number>();
    api.on(EventName.tickPrice, (reqId: number) => ticks.add(reqId));
    api.on(EventName.tickSnapshotEnd, (reqId: number) => ended.add(reqId));
    api.reqMktData(1, ES_Z6, '', true, false);
    api.reqMktData(2, VIX, '', true, false);
    // Both snapshots have the same end delay and ES was scheduled first: once VIX ended, ES would have too.
    await until(() => (ended.has(2) ? true : undefined));
    expect(ticks.has(1)).toBe(true);
    expect(ended.has(1)).toBe(false);
    expect(s.stats().faultsFired).toEqual(['conn 1: snapshotNeverEnds reqId 1']);
  });

  it('halfOpen: after N messages nothing is answered but the socket stays open', async () => {
    const s = await start([{ type: 'halfOpen', afterMessages: 1 }]);
    const { api, events } = await ready(s, 1);
    const times: number[] = [];
    api.on(EventName.currentTime, (t: number) => times.push(t));
    api.reqCurrentTime();
    await until(() => (times.length === 1 ? true : undefined));
    const sentBefore = s.sessions()[0]?.sent;
    api.reqCurrentTime();
    api.reqCurrentTime();
    await s.waitFor(() => s.sessions()[0]?.requests === 3);
    // Replies are written synchronously on receipt, so none were written for the two requests.
    expect(s.sessions()[0]).toMatchObject({ sent: sentBefore, halfOpen: true });
    expect(s.connections()).toBe(1);
    expect(events.disconnected).toBe(false);
    expect(api.isConnected).toBe(true);
    expect(times).toHaveLength(1);
  });

  it('slow: responses of the chosen kind are delayed, others are not', async () => {
    const s = await start([{ type: 'slow', delayMs: 400, requests: ['historical'] }]);
    const ib = await connectNext(s, 1);
    clients.push(ib);
    const t0 = performance.now();
    await ib.getHistoricalData(ES_Z6, '', '3600 S', BarSizeSetting.MINUTES_ONE, WhatToShow.TRADES, 0, 1);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(390);
    const t1 = performance.now();
    const [details] = await Promise.all([ib.getContractDetails(ES_Z6)]);
    expect(details).toHaveLength(1);
    expect(performance.now() - t1).toBeLessThan(5_000);
  });

  for (const variant of ['extraField', 'unknownMessageId', 'missingField'] as const) {
    it(`malformedFrame (${variant}): the client's decoder reports 505`, async () => {
      const s = await start([{ type: 'malformedFrame', afterMessages: 0, variant } satisfies Fault]);
      const { events } = await connectApi(s, 1);
      await until(() => (events.errors.some((e) => e.code === 505) ? true : undefined), 10_000, '505');
      expect(events.errors.find((e) => e.code === 505)?.reqId).toBe(-1);
    });
  }
});
