import { describe, expect, it } from 'vitest';
import { toIbBar } from '../../../src/ibkr/history.js';
import type { ResolvedContract } from '../../../src/ibkr/index.js';
import { formatIbUtc, parseIbBarTime, planBarRequests } from '../../../src/ibkr/index.js';

const esz5: ResolvedContract = {
  symbol: 'ES',
  secType: 'FUT',
  conId: 495512563,
  localSymbol: 'ESZ5',
  contractMonth: '202512',
  lastTradeDate: '20251219',
  exchange: 'CME',
  currency: 'USD',
  tradingClass: 'ES',
  multiplier: 50,
  etf: 'SPY',
};

describe('IB date strings', () => {
  it('formats endDateTime as yyyymmdd-hh:mm:ss in UTC', () => {
    expect(formatIbUtc(new Date('2025-01-02T03:04:05Z'))).toBe('20250102-03:04:05');
    expect(formatIbUtc(new Date('2025-12-31T23:59:59.900Z'))).toBe('20251231-23:59:59');
  });

  it('parses epoch seconds (intraday, formatDate=2)', () => {
    expect(parseIbBarTime('1735750800').toISOString()).toBe('2025-01-01T17:00:00.000Z');
  });

  it('parses yyyymmdd (daily bars) as 00:00 UTC of that trade date', () => {
    expect(parseIbBarTime('20250102').toISOString()).toBe('2025-01-02T00:00:00.000Z');
    expect(() => parseIbBarTime('20250230')).toThrow(RangeError);
  });

  it('parses formatDate=1 strings with and without a zone', () => {
    expect(parseIbBarTime('20221125 10:00:00 Europe/Amsterdam').toISOString()).toBe(
      '2022-11-25T09:00:00.000Z',
    );
    expect(parseIbBarTime('20250705 17:56:00 US/Eastern').toISOString()).toBe('2025-07-05T21:56:00.000Z');
    expect(parseIbBarTime('20250102  14:30:00').toISOString()).toBe('2025-01-02T14:30:00.000Z');
    expect(parseIbBarTime('20250102-14:30:00').toISOString()).toBe('2025-01-02T14:30:00.000Z');
    expect(() => parseIbBarTime('20250102 14:30:00 Nowhere/Land')).toThrow(/time zone/);
    expect(() => parseIbBarTime('yesterday')).toThrow(RangeError);
  });

  it('turns IB\u2019s −1 placeholders into nulls via the wire and keeps real values', () => {
    const bar = toIbBar({
      time: '1735750800',
      open: 1,
      high: 2,
      low: 0.5,
      close: 1.5,
      volume: null,
      wap: null,
      count: null,
    });
    expect(bar).toEqual({
      ts: new Date('2025-01-01T17:00:00Z'),
      open: 1,
      high: 2,
      low: 0.5,
      close: 1.5,
      volume: null,
      wap: null,
      count: null,
    });
  });
});

describe('planBarRequests', () => {
  const now = new Date('2025-03-01T00:00:00Z');

  it('splits 1-min history into requests of at most one day, oldest first', () => {
    const chunks = planBarRequests(
      {
        contract: esz5,
        barSize: '1 min',
        whatToShow: 'TRADES',
        start: new Date('2025-01-01T12:00:00Z'),
        end: new Date('2025-01-03T18:00:00Z'),
      },
      now,
    );
    expect(chunks.map((c) => [c.endDateTime, c.durationStr])).toEqual([
      ['20250101-18:00:00', '21600 S'],
      ['20250102-18:00:00', '86400 S'],
      ['20250103-18:00:00', '86400 S'],
    ]);
    expect(chunks[0]?.from.toISOString()).toBe('2025-01-01T12:00:00.000Z');
  });

  it('asks for at least 60 s', () => {
    const chunks = planBarRequests(
      {
        contract: esz5,
        barSize: '1 min',
        whatToShow: 'MIDPOINT',
        start: new Date('2025-01-01T12:00:00Z'),
        end: new Date('2025-01-01T12:00:30Z'),
      },
      now,
    );
    expect(chunks.map((c) => c.durationStr)).toEqual(['60 S']);
  });

  it('splits daily history into requests of at most a year', () => {
    const chunks = planBarRequests(
      {
        contract: esz5,
        barSize: '1 day',
        whatToShow: 'TRADES',
        start: new Date('2023-01-01T00:00:00Z'),
        end: new Date('2025-01-01T00:00:00Z'),
      },
      now,
    );
    expect(chunks.map((c) => [c.endDateTime, c.durationStr])).toEqual([
      ['20230102-00:00:00', '1 D'],
      ['20240102-00:00:00', '365 D'],
      ['20250101-00:00:00', '365 D'],
    ]);
    expect(chunks[0]?.from.toISOString()).toBe('2023-01-01T00:00:00.000Z');
    expect(chunks).toHaveLength(3);
  });

  it('requests continuous daily history once, with an empty end date', () => {
    const chunks = planBarRequests(
      {
        continuous: 'ES',
        barSize: '1 day',
        whatToShow: 'TRADES',
        start: new Date('2025-01-01T00:00:00Z'),
        end: now,
      },
      now,
    );
    expect(chunks).toEqual([
      { endDateTime: '', durationStr: '59 D', from: new Date('2025-01-01T00:00:00Z'), to: now },
    ]);
    const long = planBarRequests(
      {
        continuous: 'NQ',
        barSize: '1 day',
        whatToShow: 'TRADES',
        start: new Date('2022-01-01T00:00:00Z'),
        end: now,
      },
      now,
    );
    expect(long[0]?.durationStr).toBe('4 Y');
  });

  it('rejects an empty or inverted range', () => {
    expect(() =>
      planBarRequests({ contract: esz5, barSize: '1 min', whatToShow: 'TRADES', start: now, end: now }, now),
    ).toThrow(RangeError);
  });
});
