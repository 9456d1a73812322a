import {
  BarSizeSetting,
  type Contract,
  EventName,
  IBApiNext,
  MarketDataType,
  SecType,
  type TickType,
  WhatToShow,
} from '@stoqey/ib';
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import {
  connectNext,
  connectReady,
  fixedClock,
  RawClient,
  RTH_INSTANT,
  until,
  WEEKEND_INSTANT,
} from './helpers.js';

const ES_FUT: Contract = { symbol: 'ES', secType: SecType.FUT, exchange: 'CME', currency: 'USD' };
const VIX: Contract = { symbol: 'VIX', secType: SecType.IND, exchange: 'CBOE', currency: 'USD' };

let sim: Simulator | undefined;
const clients: { disconnect(): unknown }[] = [];

async function start(opts: Parameters<typeof startSimulator>[0] = {}): Promise<Simulator> {
  sim = await startSimulator({ now: fixedClock(RTH_INSTANT), seed: 11, streamIntervalMs: 0, ...opts });
  return sim;
}

async function next(s: Simulator, clientId: number): Promise<IBApiNext> {
  const ib = await connectNext(s, clientId);
  clients.push(ib);
  return ib;
}

function tickValues(map: ReadonlyMap<TickType, { value?: number }>): Record<number, number | undefined> {
  return Object.fromEntries([...map.entries()].map(([k, v]) => [Number(k), v.value]));
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await sim?.close();
  sim = undefined;
});

describe('handshake and session (real @stoqey/ib client)', () => {
  it('negotiates version 193, sends accounts and nextValidId, and serves the current time', async () => {
    const s = await start();
    const { api, events } = await connectReady(s, 3);
    clients.push(api);
    expect(api.serverVersion).toBe(193);
    expect(events.accounts).toBe('DU1234567');
    expect(events.nextValidId).toBe(1);
    await until(() => (events.infos.some((i) => i.code === 2158) ? true : undefined));
    expect(events.infos.map((i) => i.code)).toEqual([2104, 2106, 2158]);
    const ib = await next(s, 4);
    expect(await ib.getCurrentTime()).toBe(Math.floor(RTH_INSTANT.getTime() / 1000));
    expect(await ib.getManagedAccounts()).toEqual(['DU1234567']);
  });

  it('serves several clients at once with separate client ids', async () => {
    const s = await start();
    const ibs = await Promise.all([next(s, 1), next(s, 2), next(s, 3)]);
    const times = await Promise.all(ibs.map((ib) => ib.getCurrentTime()));
    expect(new Set(times).size).toBe(1);
    expect(
      s
        .sessions()
        .map((x) => x.clientId)
        .sort(),
    ).toEqual([1, 2, 3]);
    expect(s.connections()).toBe(3);
  });

  it('answers 326 (id −1) to a second client with a client id in use and disconnects it', async () => {
    const s = await start();
    const first = await connectReady(s, 9);
    clients.push(first.api);
    const second = await connectReadyOrNot(s, 9);
    clients.push(second.api);
    await until(() => (second.events.disconnected ? true : undefined), 10_000, 'disconnect');
    expect(second.events.infos.map((i) => i.code)).toContain(326);
    expect(second.events.nextValidId).toBeUndefined();
    // The first client is unaffected, and the id is free again once it leaves.
    first.api.disconnect();
    await s.waitFor(() => s.sessions().every((x) => x.clientId !== 9));
    const third = await connectReady(s, 9);
    clients.push(third.api);
    expect(third.events.nextValidId).toBe(1);
  });

  it('refuses a client whose version range excludes 193 by closing the socket', async () => {
    const s = await start();
    const raw = await RawClient.open(s);
    raw.handshake(194, 200);
    await raw.waitClosed();
    expect(raw.frames).toEqual([]);
    const old = await RawClient.open(s);
    old.handshake(38, 99);
    await old.waitClosed();
  });

  it('answers min(clientMax, 193) and tolerates connect options', async () => {
    const s = await start();
    const raw = await RawClient.open(s);
    raw.handshake(100, 176, '+PACEAPI');
    const version = await raw.frame((f) => f.length === 2);
    expect(version[0]).toBe('176');
    expect(version[1]).toMatch(/^20261014 10:00:00 US\/Eastern$/);
    raw.close();
  });

  it('drops a client that sends a bad length', async () => {
    const s = await start();
    const raw = await RawClient.open(s);
    await raw.start(5);
    const bad = Buffer.alloc(4);
    bad.writeInt32BE(-1);
    raw.write(bad);
    await raw.waitClosed();
  });

  it('answers unknown and unsupported requests with errors instead of silence', async () => {
    const s = await start();
    const raw = await RawClient.open(s);
    await raw.start(5);
    raw.send([12345, 1]);
    const unknown = await raw.frame((f) => f[0] === '4' && f[3] === '320');
    expect(unknown[2]).toBe('-1');
    raw.send([62, 1, 77, 'All', 'NetLiquidation']);
    const unsupported = await raw.frame((f) => f[0] === '4' && f[2] === '77');
    expect(unsupported[3]).toBe('321');
    raw.send([3, 42, 0, 'ES']);
    const order = await raw.frame((f) => f[0] === '4' && f[2] === '42');
    expect(order[4]).toMatch(/Read-Only/);
    raw.close();
  });
});

async function connectReadyOrNot(s: Simulator, clientId: number) {
  const { connectApi } = await import('./helpers.js');
  return connectApi(s, clientId);
}

describe('contract details', () => {
  it('lists every quarterly ES contract on CME with IB fields', async () => {
    const s = await start();
    const ib = await next(s, 1);
    const details = await ib.getContractDetails(ES_FUT);
    expect(details.map((d) => d.contract.localSymbol)).toEqual(['ESZ6', 'ESH7', 'ESM7', 'ESU7', 'ESZ7']);
    const z6 = details[0]!;
    expect(z6.contract).toMatchObject({
      symbol: 'ES',
      secType: 'FUT',
      lastTradeDateOrContractMonth: '20261218',
      lastTradeDate: '20261218',
      exchange: 'CME',
      currency: 'USD',
      tradingClass: 'ES',
      multiplier: 50,
    });
    expect(z6.contract.conId).toBeGreaterThan(0);
    expect(z6).toMatchObject({
      minTick: 0.25,
      contractMonth: '202612',
      timeZoneId: 'US/Central',
      realExpirationDate: '20261218',
    });
    // Central time, as a real gateway reports CME hours: 17:00 CT open = 18:00 ET.
    expect(z6.tradingHours).toMatch(/^20261013:1700-20261014:1600;20261014:1700-20261015:1600;/);
    expect(z6.tradingHours?.split(';')).toHaveLength(8);
    expect(z6.liquidHours).toContain('20261014:0830-20261014:1500');
    expect(z6.tradingHours).toContain('20261017:CLOSED');
  });

  it('resolves one month, a local symbol, NQ, RTY, VIX and CONTFUT', async () => {
    const s = await start();
    const ib = await next(s, 1);
    const m6 = await ib.getContractDetails({ ...ES_FUT, lastTradeDateOrContractMonth: '202706' });
    expect(m6.map((d) => d.contract.localSymbol)).toEqual(['ESM7']);
    const nq = await ib.getContractDetails({ secType: SecType.FUT, localSymbol: 'NQH7', exchange: 'CME' });
    expect(nq[0]?.contract).toMatchObject({
      symbol: 'NQ',
      multiplier: 20,
      lastTradeDateOrContractMonth: '20270319',
    });
    const rty = await ib.getContractDetails({ symbol: 'RTY', secType: SecType.FUT, exchange: 'CME' });
    expect(rty[0]).toMatchObject({ minTick: 0.1 });
    const vix = await ib.getContractDetails(VIX);
    expect(vix[0]?.contract).toMatchObject({
      symbol: 'VIX',
      secType: 'IND',
      exchange: 'CBOE',
      conId: 13455763,
    });
    const cont = await ib.getContractDetails({
      symbol: 'ES',
      secType: 'CONTFUT' as SecType,
      exchange: 'CME',
    });
    expect(cont[0]?.contract).toMatchObject({
      secType: 'CONTFUT',
      localSymbol: 'ESZ6',
      conId: m6.length ? cont[0]?.contract.conId : 0,
    });
    const expired = await ib.getContractDetails({ ...ES_FUT, includeExpired: true });
    expect(expired.length).toBe(13);
    expect(expired[0]?.contract.localSymbol).toBe('ESZ4');
  });

  it('rejects an unknown symbol, GLOBEX and an Index on CME with 200', async () => {
    const s = await start();
    const ib = await next(s, 1);
    for (const contract of [
      { symbol: 'XYZ', secType: SecType.FUT, exchange: 'CME' },
      { ...ES_FUT, exchange: 'GLOBEX' },
      { symbol: 'VIX', secType: SecType.IND, exchange: 'CME' },
    ]) {
      await expect(ib.getContractDetails(contract)).rejects.toMatchObject({ code: 200 });
    }
  });
});

describe('market data', () => {
  it('returns a live snapshot with bid, ask, last, sizes, volume, OHLC and ends it', async () => {
    const s = await start();
    const ib = await next(s, 1);
    const [z6] = await ib.getContractDetails(ES_FUT);
    const snap = tickValues(
      await ib.getMarketDataSnapshot({ conId: z6!.contract.conId, exchange: 'CME' }, '', false),
    );
    const q = s.market.quote(
      (await import('../../src/sim/contracts.js')).listedContracts('ES', RTH_INSTANT.getTime())[0]!,
      RTH_INSTANT.getTime(),
    );
    expect(snap[1]).toBe(q.bid);
    expect(snap[2]).toBe(q.ask);
    expect(snap[4]).toBe(q.last);
    expect(snap[0]).toBe(q.bidSize);
    expect(snap[3]).toBe(q.askSize);
    expect(snap[5]).toBe(q.lastSize);
    expect(snap[8]).toBe(q.volume);
    expect(snap[6]).toBe(q.high);
    expect(snap[7]).toBe(q.low);
    expect(snap[9]).toBe(q.close);
    expect(snap[14]).toBe(q.sessionOpen);
    expect(snap[45]).toBe(Math.floor(q.lastTradeMs / 1000));
  });

  it('reports the served market data type and uses delayed tick ids only when delayed is served', async () => {
    const s = await start();
    const { api, events } = await connectReady(s, 2);
    clients.push(api);
    const types = new Map<number, number>();
    const ticks = new Map<number, number[]>();
    api.on(EventName.marketDataType, (reqId: number, type: number) => types.set(reqId, type));
    api.on(EventName.tickPrice, (reqId: number, tickType: number) =>
      ticks.set(reqId, [...(ticks.get(reqId) ?? []), tickType]),
    );
    const ended = new Set<number>();
    api.on(EventName.tickSnapshotEnd, (reqId: number) => ended.add(reqId));
    api.reqMarketDataType(MarketDataType.DELAYED);
    api.reqMktData(1, { ...ES_FUT, lastTradeDateOrContractMonth: '202612' }, '', true, false);
    await until(() => (ended.has(1) ? true : undefined));
    // Live permission exists, so IB serves live data even when delayed was asked for.
    expect(types.get(1)).toBe(1);
    expect(ticks.get(1)).toEqual(expect.arrayContaining([1, 2, 4, 6, 7, 9, 14]));
    expect(events.errors).toEqual([]);
  });

  it('streams ticks until cancelled and sends only changes', async () => {
    let now = RTH_INSTANT.getTime();
    const s = await start({ now: () => new Date(now) });
    const ib = await next(s, 1);
    const updates: ReadonlyMap<TickType, { value?: number }>[] = [];
    const sub = ib
      .getMarketData({ ...ES_FUT, lastTradeDateOrContractMonth: '202612' }, '', false, false)
      .subscribe({
        next: (u) => updates.push(u.all),
      });
    await until(
      () => (updates.length > 0 && updates.at(-1)?.has(14) ? true : undefined),
      10_000,
      'first ticks',
    );
    await s.waitFor(() => s.sessions()[0]?.lines === 1);
    const before = tickValues(updates.at(-1)!);
    let changed = false;
    for (let i = 0; i < 30 && !changed; i++) {
      now += 60_000;
      const count = updates.length;
      s.pump();
      await new Promise((r) => setTimeout(r, 20));
      changed = updates.length > count;
    }
    expect(changed).toBe(true);
    const after = tickValues(updates.at(-1)!);
    expect(after[1] !== before[1] || after[4] !== before[4] || after[8] !== before[8]).toBe(true);
    sub.unsubscribe();
    await s.waitFor(() => s.sessions()[0]?.lines === 0);
  });

  it('serves VIX as an index: last and OHLC, no bid/ask', async () => {
    const s = await start();
    const ib = await next(s, 1);
    const snap = tickValues(await ib.getMarketDataSnapshot(VIX, '', false));
    expect(snap[4]).toBeGreaterThan(5);
    expect(snap[9]).toBeGreaterThan(5);
    expect(snap[1]).toBeUndefined();
    expect(snap[2]).toBeUndefined();
  });

  it('on a weekend returns the last values and the close, with no bid/ask (−1)', async () => {
    const s = await start({ now: fixedClock(WEEKEND_INSTANT) });
    const ib = await next(s, 1);
    const snap = tickValues(
      await ib.getMarketDataSnapshot({ ...ES_FUT, lastTradeDateOrContractMonth: '202612' }, '', false),
    );
    expect(snap[4]).toBeGreaterThan(0);
    expect(snap[9]).toBeGreaterThan(0);
    expect(snap[1]).toBeUndefined();
    expect(snap[2]).toBeUndefined();
    // Frozen data (type 2) gives the bid/ask at the close instead.
    ib.setMarketDataType(MarketDataType.FROZEN);
    const frozen = tickValues(
      await ib.getMarketDataSnapshot({ ...ES_FUT, lastTradeDateOrContractMonth: '202703' }, '', false),
    );
    expect(frozen[1]).toBeGreaterThan(0);
    expect(frozen[2]).toBeGreaterThan(frozen[1] ?? 0);
  });

  it('rejects generic ticks on a snapshot (321), CONTFUT market data (321), an ambiguous future (200), a duplicate id (322)', async () => {
    const s = await start();
    const { api, events } = await connectReady(s, 2);
    clients.push(api);
    api.reqMktData(1, { ...ES_FUT, lastTradeDateOrContractMonth: '202612' }, '233', true, false);
    api.reqMktData(2, { symbol: 'ES', secType: 'CONTFUT' as SecType, exchange: 'CME' }, '', false, false);
    api.reqMktData(3, ES_FUT, '', false, false);
    api.reqMktData(4, VIX, '', false, false);
    api.reqMktData(4, VIX, '', false, false);
    api.cancelMktData(99);
    await until(() => (events.errors.length >= 5 ? true : undefined));
    const byId = Object.fromEntries(events.errors.map((e) => [e.reqId, e.code]));
    expect(byId).toEqual({ 1: 321, 2: 321, 3: 200, 4: 322, 99: 300 });
  });
});

describe('historical data', () => {
  it('returns 1-min TRADES bars for one trading day of a future', async () => {
    const s = await start();
    const ib = await next(s, 1);
    const bars = await ib.getHistoricalData(
      { ...ES_FUT, lastTradeDateOrContractMonth: '202612' },
      '',
      '1 D',
      BarSizeSetting.MINUTES_ONE,
      WhatToShow.TRADES,
      0,
      1,
    );
    // Session opened 18:00 ET yesterday; now is 10:00 ET: 16 h of minutes.
    expect(bars.length).toBe(16 * 60);
    expect(bars[0]?.time).toBe('20261013 18:00:00 US/Eastern');
    expect(bars.at(-1)?.time).toBe('20261014 09:59:00 US/Eastern');
    for (const b of bars) {
      expect(b.high).toBeGreaterThanOrEqual(Math.max(b.open!, b.close!));
      expect(b.low).toBeLessThanOrEqual(Math.min(b.open!, b.close!));
      expect(b.volume).toBeGreaterThan(0);
    }
  });

  it('returns RTH-only 1-min MIDPOINT bars without volume, and epoch times with formatDate 2', async () => {
    const s = await start();
    const ib = await next(s, 1);
    const bars = await ib.getHistoricalData(
      { ...ES_FUT, lastTradeDateOrContractMonth: '202612' },
      '20261013 16:00:00 US/Eastern',
      '1 D',
      BarSizeSetting.MINUTES_ONE,
      WhatToShow.MIDPOINT,
      1,
      2,
    );
    expect(bars.length).toBe(390);
    expect(bars[0]?.time).toBe(String(Date.parse('2026-10-13T13:30:00Z') / 1000));
    expect(bars[0]?.volume).toBeUndefined();
    expect(bars[0]?.WAP).toBeUndefined();
  });

  it('returns daily TRADES bars for a future and CONTFUT with an empty end date', async () => {
    const s = await start();
    const ib = await next(s, 1);
    const daily = await ib.getHistoricalData(
      { ...ES_FUT, lastTradeDateOrContractMonth: '202612' },
      '20261010 00:00:00 US/Eastern',
      '5 D',
      BarSizeSetting.DAYS_ONE,
      WhatToShow.TRADES,
      0,
      1,
    );
    expect(daily.map((b) => b.time)).toEqual(['20261005', '20261006', '20261007', '20261008', '20261009']);
    const cont = await ib.getHistoricalData(
      { symbol: 'ES', secType: 'CONTFUT' as SecType, exchange: 'CME' },
      '',
      '1 M',
      BarSizeSetting.DAYS_ONE,
      WhatToShow.TRADES,
      1,
      1,
    );
    expect(cont.length).toBeGreaterThan(18);
    expect(cont.at(-1)?.time).toBe('20261014');
    const vix = await ib.getHistoricalData(VIX, '', '10 D', BarSizeSetting.DAYS_ONE, WhatToShow.TRADES, 1, 1);
    expect(vix.length).toBe(10);
  });

  it('answers validation errors like IB: 10339, 10314, 321, 162', async () => {
    const s = await start();
    const ib = await next(s, 1);
    const z6 = { ...ES_FUT, lastTradeDateOrContractMonth: '202612' };
    const cont = { symbol: 'ES', secType: 'CONTFUT' as SecType, exchange: 'CME' };
    const h = (c: Contract, end: string, dur: string, bar: string, what: string) =>
      ib.getHistoricalData(c, end, dur, bar as BarSizeSetting, what as WhatToShow, 0, 1);
    await expect(h(cont, '20261010 00:00:00 US/Eastern', '1 D', '1 day', 'TRADES')).rejects.toMatchObject({
      code: 10339,
    });
    await expect(h(z6, 'yesterday', '1 D', '1 min', 'TRADES')).rejects.toMatchObject({ code: 10314 });
    await expect(h(z6, '', '1 D', '7 mins', 'TRADES')).rejects.toMatchObject({ code: 321 });
    await expect(h(z6, '', 'one day', '1 min', 'TRADES')).rejects.toMatchObject({ code: 321 });
    await expect(h(z6, '', '1 D', '1 min', 'PRICES')).rejects.toMatchObject({ code: 321 });
    await expect(h(z6, '', '1 Y', '1 min', 'TRADES')).rejects.toMatchObject({ code: 162 });
    await expect(h(VIX, '', '1 D', '1 min', 'MIDPOINT')).rejects.toMatchObject({ code: 162 });
    await expect(h(z6, '20200101 00:00:00 US/Eastern', '1 D', '1 min', 'TRADES')).rejects.toMatchObject({
      code: 162,
    });
  });

  it('warns 2174 for an end time without a zone and still answers', async () => {
    const s = await start();
    const ib = await next(s, 1);
    const warnings: number[] = [];
    const sub = ib.error.subscribe((e) => warnings.push(e.code));
    const bars = await ib.getHistoricalData(
      { ...ES_FUT, lastTradeDateOrContractMonth: '202612' },
      '20261013 12:00:00',
      '3600 S',
      BarSizeSetting.MINUTES_FIVE,
      WhatToShow.TRADES,
      0,
      1,
    );
    sub.unsubscribe();
    expect(warnings).toContain(2174);
    expect(bars.length).toBe(12);
    expect(bars[0]?.time).toBe('20261013 11:00:00 US/Eastern');
  });

  it('reports head timestamps', async () => {
    const s = await start();
    const ib = await next(s, 1);
    expect(
      await ib.getHeadTimestamp(
        { ...ES_FUT, lastTradeDateOrContractMonth: '202612' },
        WhatToShow.TRADES,
        false,
        1,
      ),
    ).toBe('20250919-22:00:00');
    expect(
      await ib.getHeadTimestamp(
        { symbol: 'ES', secType: 'CONTFUT' as SecType, exchange: 'CME' },
        WhatToShow.TRADES,
        false,
        2,
      ),
    ).toBe(String(Date.parse('2020-01-02T23:00:00Z') / 1000));
  });
});

describe('determinism', () => {
  it('same seed, same prices, whatever the request order; another seed differs', async () => {
    const fetch = async (seed: number, order: 'a' | 'b') => {
      const s = await startSimulator({ now: fixedClock(RTH_INSTANT), seed, streamIntervalMs: 0 });
      const ib = new IBApiNext({ host: s.host, port: s.port });
      ib.connect(1);
      try {
        const req = {
          daily: () =>
            ib.getHistoricalData(
              { ...ES_FUT, lastTradeDateOrContractMonth: '202612' },
              '',
              '10 D',
              BarSizeSetting.DAYS_ONE,
              WhatToShow.TRADES,
              0,
              1,
            ),
          nq: () =>
            ib.getMarketDataSnapshot(
              { symbol: 'NQ', secType: SecType.FUT, exchange: 'CME', lastTradeDateOrContractMonth: '202612' },
              '',
              false,
            ),
          minutes: () =>
            ib.getHistoricalData(
              { ...ES_FUT, lastTradeDateOrContractMonth: '202703' },
              '20260601 12:00:00 US/Eastern',
              '3600 S',
              BarSizeSetting.MINUTES_ONE,
              WhatToShow.TRADES,
              0,
              1,
            ),
        };
        if (order === 'a') {
          const daily = await req.daily();
          const nq = tickValues(await req.nq());
          const minutes = await req.minutes();
          return JSON.stringify({ daily, nq, minutes });
        }
        const minutes = await req.minutes();
        const nq = tickValues(await req.nq());
        const daily = await req.daily();
        return JSON.stringify({ daily, nq, minutes });
      } finally {
        ib.disconnect();
        await s.close();
      }
    };
    const a = await fetch(21, 'a');
    expect(await fetch(21, 'b')).toBe(a);
    expect(await fetch(22, 'a')).not.toBe(a);
  });
});
