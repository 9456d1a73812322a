import { describe, expect, it } from 'vitest';
import { contractSpec, reportedLastTradeDate, toResolved } from '../../../src/ibkr/contracts.js';
import { cmeTradeDate, continuousContract, INSTRUMENTS, selectFrontMonth } from '../../../src/ibkr/index.js';
import { futureDetails } from './fake-wire.js';

const es = [
  // Deliberately out of order: selection sorts by IB's lastTradeDate.
  futureDetails('ES', 3, '202603', '20260320'),
  futureDetails('ES', 1, '202509', '20250919'),
  futureDetails('ES', 2, '202512', '20251219'),
];

describe('selectFrontMonth', () => {
  it('takes the nearest quarterly contract more than N days before its expiry', () => {
    expect(selectFrontMonth('ES', es, '20250901', 8)?.chosen.localSymbol).toBe('ESU5');
    expect(selectFrontMonth('ES', es, '20250910', 8)?.chosen.localSymbol).toBe('ESU5');
    // 20250919 − 8 days = 20250911: the roll date.
    const rolled = selectFrontMonth('ES', es, '20250911', 8);
    expect(rolled?.chosen.localSymbol).toBe('ESZ5');
    expect(selectFrontMonth('ES', es, '20250910', 8)?.rollDate).toBe('20250911');
    expect(rolled?.candidates.map((c) => c.localSymbol)).toEqual(['ESU5', 'ESZ5', 'ESH6']);
  });

  it('uses the expiry IB reports, so a holiday-shifted expiry rolls a day earlier', () => {
    // June 2026: the third Friday (19th) is Juneteenth; IB reports the last trade date as Thursday the 18th.
    const june = [
      futureDetails('ES', 11, '202606', '20260618', {
        lastTradeDateOrContractMonth: '20260618 08:30 US/Central',
      }),
      futureDetails('ES', 12, '202609', '20260918'),
    ];
    // A recomputed third Friday (20260619) would still hold M6 on the 10th (9 days > 8); IB's date rolls.
    expect(selectFrontMonth('ES', june, '20260609', 8)?.chosen.localSymbol).toBe('ESM6');
    expect(selectFrontMonth('ES', june, '20260610', 8)?.chosen.localSymbol).toBe('ESU6');
    expect(selectFrontMonth('ES', june, '20260609', 8)?.chosen.lastTradeDate).toBe('20260618');
  });

  it('ignores serial months, other trading classes and other security types', () => {
    const mixed = [
      futureDetails('ES', 20, '202510', '20251017'),
      futureDetails('ES', 21, '202512', '20251219', { tradingClass: 'XES' }),
      futureDetails('ES', 22, '202512', '20251219', { secType: 'CONTFUT' }),
      futureDetails('ES', 23, '202603', '20260320'),
    ];
    expect(selectFrontMonth('ES', mixed, '20251001', 8)?.chosen.conId).toBe(23);
  });

  it('honours rollDaysBeforeExpiry = 0 (hold through the day before expiry)', () => {
    expect(selectFrontMonth('ES', es, '20250918', 0)?.chosen.localSymbol).toBe('ESU5');
    expect(selectFrontMonth('ES', es, '20250919', 0)?.chosen.localSymbol).toBe('ESZ5');
  });

  it('returns null when nothing qualifies', () => {
    expect(selectFrontMonth('ES', es, '20260315', 8)).toBeNull();
    expect(selectFrontMonth('NQ', es, '20250901', 8)).toBeNull();
  });

  it('produces the typed ResolvedContract with the ETF proxy', () => {
    const chosen = selectFrontMonth('ES', es, '20250901', 8)?.chosen;
    expect(chosen).toEqual({
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
    });
  });
});

describe('contract specs', () => {
  it('defines ES/NQ/RTY as CME futures and VIX as a CBOE index', () => {
    expect(INSTRUMENTS.ES).toMatchObject({ secType: 'FUT', exchange: 'CME', currency: 'USD', etf: 'SPY' });
    expect(INSTRUMENTS.NQ).toMatchObject({ secType: 'FUT', exchange: 'CME', etf: 'QQQ' });
    expect(INSTRUMENTS.RTY).toMatchObject({ secType: 'FUT', exchange: 'CME', etf: 'IWM' });
    expect(INSTRUMENTS.VIX).toMatchObject({ secType: 'IND', exchange: 'CBOE', etf: null });
  });

  it('uses CONTFUT only as a historical contract', () => {
    expect(continuousContract('ES')).toEqual({
      symbol: 'ES',
      secType: 'CONTFUT',
      exchange: 'CME',
      currency: 'USD',
    });
  });

  it('normalises the last trade date IB reports', () => {
    const d = futureDetails('ES', 1, '202509', '', {
      lastTradeDateOrContractMonth: '20250919 08:30 US/Central',
    });
    expect(reportedLastTradeDate(d)).toBe('20250919');
  });

  it('resolves the VIX index without month or expiry', () => {
    const vix = toResolved('VIX', {
      ...futureDetails('VIX', 13455763, '', ''),
      secType: 'IND',
      localSymbol: 'VIX',
      exchange: 'CBOE',
      multiplier: null,
    });
    expect(vix).toMatchObject({ secType: 'IND', contractMonth: null, lastTradeDate: null, etf: null });
    expect(contractSpec(vix)).toEqual({
      conId: 13455763,
      symbol: 'VIX',
      secType: 'IND',
      exchange: 'CBOE',
      currency: 'USD',
    });
  });
});

describe('cmeTradeDate', () => {
  it('assigns the 18:00 New York reopen to the next day', () => {
    expect(cmeTradeDate(new Date('2025-09-10T21:59:00Z'))).toBe('20250910'); // 17:59 EDT
    expect(cmeTradeDate(new Date('2025-09-10T22:00:00Z'))).toBe('20250911'); // 18:00 EDT
    expect(cmeTradeDate(new Date('2025-12-10T23:30:00Z'))).toBe('20251211'); // 18:30 EST
    expect(cmeTradeDate(new Date('2025-12-10T22:30:00Z'))).toBe('20251210'); // 17:30 EST
  });
});
