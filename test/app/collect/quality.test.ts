import { describe, expect, it } from 'vitest';
import { dataAgeMs, isDeadLine } from '../../../src/app/collect/data-age.js';
import { flagQuality, type PreviousQuote, type QuoteFacts } from '../../../src/app/collect/quality.js';

const T = new Date('2026-09-01T14:00:00Z');
const plus = (s: number) => new Date(T.getTime() + s * 1000);

function quote(over: Partial<QuoteFacts> = {}): QuoteFacts {
  return {
    secType: 'FUT',
    bid: 6800,
    ask: 6800.25,
    last: 6800,
    ts: T,
    lastTradeAt: new Date(T.getTime() - 2000),
    marketDataType: 1,
    ibFlags: [],
    ...over,
  };
}

function prev(over: Partial<PreviousQuote> = {}): PreviousQuote {
  return {
    conId: 1,
    ts: plus(-60),
    bid: 6799.75,
    ask: 6800,
    last: 6800,
    mid: 6799.875,
    unchangedSince: plus(-60),
    ...over,
  };
}

const options = { staleQuoteSeconds: 120, outlierSigma: 8, minuteVolatility: 0.0003 };

describe('flagQuality', () => {
  it('a clean live quote has no flags', () => {
    expect(flagQuality(quote(), prev(), options)).toEqual([]);
  });

  it('crossed and locked books', () => {
    expect(flagQuality(quote({ bid: 6801, ask: 6800 }), null, options)).toEqual(['crossed']);
    expect(flagQuality(quote({ bid: 6800, ask: 6800 }), null, options)).toEqual(['locked']);
  });

  it('missing sides on a future, not on an index', () => {
    expect(flagQuality(quote({ bid: null, ask: null, last: null }), null, options)).toEqual([
      'missing_ask',
      'missing_bid',
      'missing_last',
    ]);
    expect(flagQuality(quote({ secType: 'IND', bid: null, ask: null, last: 17 }), null, options)).toEqual([]);
  });

  it('delayed and frozen from the delivered market data type or the IB flags', () => {
    expect(flagQuality(quote({ marketDataType: 3 }), null, options)).toEqual(['delayed']);
    expect(flagQuality(quote({ marketDataType: 4 }), null, options)).toEqual(['delayed', 'frozen']);
    expect(flagQuality(quote({ ibFlags: ['delayed_fallback'] }), null, options)).toEqual(['delayed']);
    expect(flagQuality(quote({ ibFlags: ['timed_out_partial', 'farm_degraded'] }), null, options)).toEqual([
      'farm_degraded',
      'partial',
    ]);
  });

  it('stale by last trade time, or by an unchanged quote when IB sends no trade time', () => {
    expect(flagQuality(quote({ lastTradeAt: plus(-121) }), null, options)).toEqual(['stale']);
    expect(flagQuality(quote({ lastTradeAt: plus(-119) }), null, options)).toEqual([]);
    const same = { bid: 6800, ask: 6800.25, last: 6800, mid: 6800.125 };
    expect(
      flagQuality(quote({ lastTradeAt: null }), prev({ ...same, unchangedSince: plus(-120) }), options),
    ).toEqual(['stale']);
    expect(
      flagQuality(quote({ lastTradeAt: null }), prev({ ...same, unchangedSince: plus(-60) }), options),
    ).toEqual([]);
  });

  it('outlier: a jump beyond outlierSigma σ·√minutes against the previous quote', () => {
    // 8 σ over one minute at 0.03 % per minute is 0.24 %: 6800 → 6820 (0.29 %) is an outlier, 6810 is not.
    expect(flagQuality(quote({ bid: 6820, ask: 6820.25, last: 6820 }), prev(), options)).toEqual(['outlier']);
    expect(flagQuality(quote({ bid: 6810, ask: 6810.25, last: 6810 }), prev(), options)).toEqual([]);
    // The same jump after an hour is ordinary (σ grows with √60).
    expect(
      flagQuality(quote({ bid: 6820, ask: 6820.25, last: 6820 }), prev({ ts: plus(-3600) }), options),
    ).toEqual([]);
  });

  it('late: taken more than one interval after the slot', () => {
    expect(flagQuality(quote(), null, { ...options, slotTs: plus(-61), intervalSeconds: 60 })).toEqual([
      'late',
    ]);
    expect(flagQuality(quote(), null, { ...options, slotTs: plus(-1), intervalSeconds: 60 })).toEqual([]);
  });
});

describe('dataAgeMs (data-age liveness)', () => {
  const previous = {
    conId: 1,
    ts: new Date('2026-09-01T14:00:00Z'),
    bid: 100,
    ask: 100.25,
    last: 100,
    mid: 100.125,
    unchangedSince: new Date('2026-09-01T13:50:00Z'),
  };
  const at = new Date('2026-09-01T14:01:00Z');
  it('a quote that moved is alive even when the last trade is old (a quiet market)', () => {
    const quote = {
      bid: 100.25,
      ask: 100.5,
      last: 100,
      lastTradeAt: new Date('2026-09-01T13:40:00Z'),
      receivedAt: at,
    };
    expect(dataAgeMs(quote, previous)).toBe(0);
  });
  it('an unchanged quote is as old as its last trade, or as long as it has not changed', () => {
    const same = { bid: 100, ask: 100.25, last: 100, receivedAt: at };
    expect(dataAgeMs({ ...same, lastTradeAt: new Date('2026-09-01T13:59:00Z') }, previous)).toBe(120_000);
    expect(dataAgeMs({ ...same, lastTradeAt: null }, previous)).toBe(660_000);
    expect(dataAgeMs({ ...same, lastTradeAt: null }, null)).toBeNull();
    expect(isDeadLine(120_000, 120_000)).toBe(false);
    expect(isDeadLine(120_001, 120_000)).toBe(true);
    expect(isDeadLine(null, 0)).toBe(false);
  });
});
