import { describe, expect, it } from 'vitest';
import {
  cmeStatus,
  etToUtc,
  FLAG_CME,
  FLAG_RTH,
  isCmeOpen,
  isRth,
  minuteFlags,
  quarterlyExpiry,
  sessionStrings,
  simEtParts,
  tradeDateOf,
} from '../../src/sim/calendar.js';
import { activeContract, listedContracts, VIX_INDEX } from '../../src/sim/contracts.js';
import { MarketModel } from '../../src/sim/market/model.js';
import { RTH_INSTANT } from './helpers.js';

const NOW = RTH_INSTANT.getTime();
const MIN = 60_000;

function model(seed = 1, extra: Partial<ConstructorParameters<typeof MarketModel>[0]> = {}): MarketModel {
  return new MarketModel({ seed, startMs: NOW, ...extra });
}

describe('calendar', () => {
  it('converts US/Eastern across DST', () => {
    expect(etToUtc(2026, 10, 14, 600)).toBe(Date.parse('2026-10-14T14:00:00Z'));
    expect(etToUtc(2026, 12, 14, 600)).toBe(Date.parse('2026-12-14T15:00:00Z'));
    expect(simEtParts(Date.parse('2026-03-08T06:59:00Z')).minuteOfDay).toBe(1 * 60 + 59);
    expect(simEtParts(Date.parse('2026-03-08T07:00:00Z')).minuteOfDay).toBe(3 * 60);
  });

  it('knows the CME week: Sunday 18:00 open, daily 17:00–18:00 halt, Friday 17:00 close', () => {
    const at = (iso: string) => cmeStatus(Date.parse(iso));
    expect(at('2026-10-18T21:59:00Z')).toBe('closed'); // Sun 17:59 ET
    expect(at('2026-10-18T22:00:00Z')).toBe('open'); // Sun 18:00 ET
    expect(at('2026-10-14T21:00:00Z')).toBe('halt'); // Wed 17:00 ET
    expect(at('2026-10-14T22:00:00Z')).toBe('open'); // Wed 18:00 ET
    expect(at('2026-10-16T20:59:00Z')).toBe('open'); // Fri 16:59 ET
    expect(at('2026-10-16T21:00:00Z')).toBe('closed'); // Fri 17:00 ET
    expect(at('2026-10-17T16:00:00Z')).toBe('closed'); // Sat
  });

  it('closes for Christmas and halts at 13:00 ET on Thanksgiving', () => {
    expect(isCmeOpen(Date.parse('2026-12-25T15:00:00Z'))).toBe(false);
    expect(isCmeOpen(Date.parse('2026-11-26T17:59:00Z'))).toBe(true); // 12:59 ET
    expect(cmeStatus(Date.parse('2026-11-26T18:00:00Z'))).toBe('halt'); // 13:00 ET
    expect(isCmeOpen(Date.parse('2026-11-26T23:00:00Z'))).toBe(true); // 18:00 ET reopen
  });

  it('the fast per-minute flags agree with the reference functions over two weeks', () => {
    const start = Date.parse('2026-11-20T00:00:00Z');
    for (let ms = start; ms < start + 14 * 86_400_000; ms += 7 * MIN) {
      const flags = minuteFlags(ms);
      expect((flags & FLAG_CME) !== 0, new Date(ms).toISOString()).toBe(isCmeOpen(ms));
      expect((flags & FLAG_RTH) !== 0, new Date(ms).toISOString()).toBe(isRth(ms));
    }
  });

  it('assigns the evening session to the next trade date', () => {
    expect(tradeDateOf(Date.parse('2026-10-14T22:30:00Z'))).toEqual({ year: 2026, month: 10, day: 15 });
    expect(tradeDateOf(Date.parse('2026-10-14T14:00:00Z'))).toEqual({ year: 2026, month: 10, day: 14 });
  });

  it('expires on the third Friday, a day earlier when it is Juneteenth', () => {
    expect(quarterlyExpiry(2026, 12)).toEqual({ year: 2026, month: 12, day: 18 });
    expect(quarterlyExpiry(2026, 9)).toEqual({ year: 2026, month: 9, day: 18 });
    expect(quarterlyExpiry(2026, 6)).toEqual({ year: 2026, month: 6, day: 18 }); // 19 June is a holiday
    expect(quarterlyExpiry(2027, 3)).toEqual({ year: 2027, month: 3, day: 19 });
  });

  it('writes tradingHours/liquidHours in IB format', () => {
    const { tradingHours, liquidHours } = sessionStrings(
      { year: 2026, month: 10, day: 16 },
      3,
      'future',
      'US/Eastern',
    );
    expect(tradingHours).toBe('20261015:1800-20261016:1700;20261017:CLOSED;20261018:CLOSED');
    expect(liquidHours).toBe('20261016:0930-20261016:1600;20261017:CLOSED;20261018:CLOSED');
    const central = sessionStrings({ year: 2026, month: 10, day: 16 }, 1, 'future', 'US/Central');
    expect(central.tradingHours).toBe('20261015:1700-20261016:1600');
  });
});

describe('contracts', () => {
  it('lists five quarterly contracts, front first, with IB local symbols', () => {
    const es = listedContracts('ES', NOW);
    expect(es.map((c) => c.localSymbol)).toEqual(['ESZ6', 'ESH7', 'ESM7', 'ESU7', 'ESZ7']);
    expect(es[0]).toMatchObject({ contractMonth: '202612', multiplier: 50, tick: 0.25 });
    expect(listedContracts('RTY', NOW)[0]).toMatchObject({ localSymbol: 'RTYZ6', tick: 0.1, multiplier: 50 });
    expect(listedContracts('NQ', NOW)[0]).toMatchObject({ localSymbol: 'NQZ6', multiplier: 20 });
    expect(new Set(es.map((c) => c.conId)).size).toBe(5);
  });

  it('rolls the active contract 8 days before expiry and drops an expired one', () => {
    expect(activeContract('ES', Date.parse('2026-12-09T15:00:00Z')).localSymbol).toBe('ESZ6');
    expect(activeContract('ES', Date.parse('2026-12-10T15:00:00Z')).localSymbol).toBe('ESH7');
    expect(listedContracts('ES', Date.parse('2026-12-18T15:00:00Z'))[0]?.localSymbol).toBe('ESH7');
    expect(listedContracts('ES', Date.parse('2026-12-18T14:00:00Z'))[0]?.localSymbol).toBe('ESZ6');
  });
});

describe('market model', () => {
  const [esz6, esh7] = listedContracts('ES', NOW);
  const nqz6 = listedContracts('NQ', NOW)[0]!;
  const rtyz6 = listedContracts('RTY', NOW)[0]!;

  it("a quote's session statistics are the same whether minutes are asked in order, out of order or cold", () => {
    const walked = model(3);
    const minutes = [-600, -599, -420, -30, -29, -1, 0];
    const asked = minutes.map((m) => walked.quote(esz6!, NOW + m * MIN));
    // Back to an earlier minute after a later one, and VIX whose session is the calendar day.
    asked.push(
      walked.quote(esz6!, NOW - 300 * MIN),
      walked.quote(VIX_INDEX, NOW - 60 * MIN),
      walked.quote(VIX_INDEX, NOW),
    );
    const cold = [...minutes, -300].map((m) => model(3).quote(esz6!, NOW + m * MIN));
    cold.push(model(3).quote(VIX_INDEX, NOW - 60 * MIN), model(3).quote(VIX_INDEX, NOW));
    expect(asked).toEqual(cold);
    expect(new Set(asked.slice(0, 7).map((q) => q.volume)).size).toBe(7);
  });

  it('has late-2026 levels on the right tick grid', () => {
    const m = model();
    const es = m.quote(esz6!, NOW);
    const nq = m.quote(nqz6, NOW);
    const rty = m.quote(rtyz6, NOW);
    const vix = m.quote(VIX_INDEX, NOW);
    expect(es.bid).toBeGreaterThan(5500);
    expect(es.bid).toBeLessThan(8500);
    expect(nq.bid).toBeGreaterThan(19000);
    expect(nq.bid).toBeLessThan(32000);
    expect(rty.bid).toBeGreaterThan(1900);
    expect(rty.bid).toBeLessThan(3200);
    expect(vix.last).toBeGreaterThan(8);
    expect(vix.last).toBeLessThan(40);
    for (const [q, tick] of [
      [es, 0.25],
      [nq, 0.25],
      [rty, 0.1],
    ] as const) {
      expect(Math.abs((q.bid ?? 0) / tick - Math.round((q.bid ?? 0) / tick))).toBeLessThan(1e-6);
      expect((q.ask ?? 0) - (q.bid ?? 0)).toBeGreaterThan(0);
    }
    expect(Math.abs(vix.last * 100 - Math.round(vix.last * 100))).toBeLessThan(1e-6);
    expect(vix.bid).toBeUndefined();
  });

  it('is a pure function of (seed, minute): request order does not matter', () => {
    const times = [NOW, NOW - 40 * 86_400_000, NOW + 3 * 86_400_000, NOW - 200 * 86_400_000, NOW - 7 * MIN];
    const a = model(42);
    const forward = times.map((t) => a.prices.value(esz6!, Math.floor(t / MIN)));
    const b = model(42);
    const backward = [...times].reverse().map((t) => b.prices.value(esz6!, Math.floor(t / MIN)));
    expect(backward.reverse()).toEqual(forward);
    const c = model(43);
    expect(c.prices.value(esz6!, Math.floor(NOW / MIN))).not.toBe(forward[0]);
  });

  it('prices the next contract above the front by the carry (a calendar spread)', () => {
    const m = model();
    const minute = Math.floor(NOW / MIN);
    const spread = m.prices.value(esh7!, minute) - m.prices.value(esz6!, minute);
    expect(spread).toBeGreaterThan(20);
    expect(spread).toBeLessThan(80);
  });

  it('freezes prices while CME is closed', () => {
    const m = model();
    const fri = Date.parse('2026-10-16T20:59:00Z');
    const sat = Date.parse('2026-10-17T16:00:00Z');
    expect(m.prices.value(esz6!, Math.floor(sat / MIN))).toBe(m.prices.value(esz6!, Math.floor(fri / MIN)));
    expect(m.quote(esz6!, sat).open).toBe(false);
  });

  it('moves more in RTH than overnight and correlates ES with NQ and RTY', () => {
    const m = model(5);
    const rets = (c: typeof esz6, minutes: number[]) =>
      minutes.map((x) => Math.log(m.prices.value(c!, x) / m.prices.value(c!, x - 1)));
    const rth: number[] = [];
    const night: number[] = [];
    const start = Math.floor(Date.parse('2026-09-08T00:00:00Z') / MIN);
    for (let x = start; x < start + 20 * 1440; x++) {
      const flags = minuteFlags(x * MIN);
      if (flags & FLAG_RTH) rth.push(x);
      else if (flags & FLAG_CME && minuteFlags((x - 1) * MIN) & FLAG_CME) night.push(x);
    }
    const sd = (v: number[]) => Math.sqrt(v.reduce((s, r) => s + r * r, 0) / v.length);
    expect(sd(rets(esz6, rth))).toBeGreaterThan(1.5 * sd(rets(esz6, night)));
    const corr = (a: number[], b: number[]) => {
      const dot = a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);
      return dot / Math.sqrt(a.reduce((s, x) => s + x * x, 0) * b.reduce((s, x) => s + x * x, 0));
    };
    const es = rets(esz6, rth);
    expect(corr(es, rets(nqz6, rth))).toBeGreaterThan(0.75);
    expect(corr(es, rets(rtyz6, rth))).toBeGreaterThan(0.6);
    // VIX moves against ES.
    const vixRets = rth.map((x) => Math.log(m.prices.vixValue(x) / m.prices.vixValue(x - 1)));
    expect(corr(es, vixRets)).toBeLessThan(-0.3);
  });

  it('scales volatility with the VIX level', () => {
    const calm = model(9, { vix: 12 });
    const wild = model(9, { vix: 36 });
    const x = Math.floor(NOW / MIN);
    const move = (m: MarketModel) =>
      Math.abs(Math.log(m.prices.value(esz6!, x + 300) / m.prices.value(esz6!, x - 3000)));
    const ratio = move(wild) / move(calm);
    expect(ratio).toBeGreaterThan(2.5);
    expect(ratio).toBeLessThan(3.5);
  });

  it('applies a dated overnight selloff on top of the path', () => {
    const base = model(3);
    const sold = model(3, {
      events: [{ type: 'selloff', date: '2026-10-14', from: '20:00', to: '23:00', pct: -3 }],
    });
    const before = Math.floor(etToUtc(2026, 10, 14, 19 * 60) / MIN);
    const after = Math.floor(etToUtc(2026, 10, 15, 1 * 60) / MIN);
    expect(sold.prices.value(esz6!, before)).toBe(base.prices.value(esz6!, before));
    expect(sold.prices.value(esz6!, after) / base.prices.value(esz6!, after)).toBeCloseTo(0.97, 6);
    expect(sold.prices.value(nqz6, after) / base.prices.value(nqz6, after)).toBeCloseTo(
      Math.exp(1.2 * Math.log(0.97)),
      6,
    );
  });

  it('resolves undated events to the first occurrence after the start, and gaps at the reopen', () => {
    const start = etToUtc(2026, 10, 14, 12 * 60);
    const base = new MarketModel({ seed: 4, startMs: start });
    const gapped = new MarketModel({
      seed: 4,
      startMs: start,
      events: [{ type: 'gap', at: '18:00', pct: 2 }],
    });
    const at1759 = Math.floor(etToUtc(2026, 10, 14, 17 * 60 + 59) / MIN);
    const at1800 = Math.floor(etToUtc(2026, 10, 14, 18 * 60) / MIN);
    expect(gapped.prices.value(esz6!, at1759)).toBe(base.prices.value(esz6!, at1759));
    expect(gapped.prices.value(esz6!, at1800) / base.prices.value(esz6!, at1800)).toBeCloseTo(1.02, 6);
  });

  it('locks limit-down at 7% below the prior settlement until 09:30 ET', () => {
    const m = model(3, {
      events: [{ type: 'limitDown', date: '2026-10-14', from: '21:00', to: '23:00', pct: -12, limitPct: 7 }],
    });
    const settle = m.prices.indexLevel('ES', Math.floor(etToUtc(2026, 10, 14, 16 * 60) / MIN) - 1);
    const locked = m.prices.indexLevel('ES', Math.floor(etToUtc(2026, 10, 15, 3 * 60) / MIN));
    expect(locked / settle).toBeCloseTo(0.93, 6);
    const released = m.prices.indexLevel('ES', Math.floor(etToUtc(2026, 10, 15, 10 * 60) / MIN));
    expect(released / settle).toBeLessThan(0.92);
  });

  it('raises VIX during a spike and decays afterwards', () => {
    const m = model(3, {
      events: [
        { type: 'vixSpike', date: '2026-10-14', from: '10:00', to: '12:00', level: 40, decayHours: 6 },
      ],
    });
    expect(m.prices.regimeVix(etToUtc(2026, 10, 14, 12 * 60))).toBeCloseTo(40, 6);
    expect(m.prices.regimeVix(etToUtc(2026, 10, 14, 9 * 60))).toBe(16);
    expect(m.prices.regimeVix(etToUtc(2026, 10, 15, 12 * 60))).toBeLessThan(20);
    expect(m.quote(VIX_INDEX, etToUtc(2026, 10, 14, 12 * 60)).last).toBeGreaterThan(25);
  });

  it('builds session statistics that bracket the last price', () => {
    const q = model().quote(esz6!, NOW);
    expect(q.high).toBeGreaterThanOrEqual(q.last);
    expect(q.low).toBeLessThanOrEqual(q.last);
    expect(q.volume).toBeGreaterThan(1000);
    expect(q.close).toBeGreaterThan(0);
  });
});
