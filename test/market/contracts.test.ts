import { describe, expect, it } from 'vitest';
import {
  contractMonthFor,
  createCalendar,
  etInstant,
  expiryOf,
  INSTRUMENTS,
  isExpiryDay,
  isRollWeek,
  lastTradeDate,
  localSymbol,
  nextQuarterly,
  quarterlyContracts,
  rollDateOf,
  rollStateAt,
} from '../../src/market/index.js';

const et = (date: string, time: string) => etInstant(date, time);

/** research/signals.md §2.2 expiry and roll table (rule-derived roll = last trade − 8 calendar days). */
const EXPIRIES = [
  ['202503', 'ESH5', '2025-03-21', '2025-03-13'],
  ['202506', 'ESM5', '2025-06-20', '2025-06-12'],
  ['202509', 'ESU5', '2025-09-19', '2025-09-11'],
  ['202512', 'ESZ5', '2025-12-19', '2025-12-11'],
  ['202603', 'ESH6', '2026-03-20', '2026-03-12'],
  ['202606', 'ESM6', '2026-06-18', '2026-06-10'],
  ['202609', 'ESU6', '2026-09-18', '2026-09-10'],
  ['202612', 'ESZ6', '2026-12-18', '2026-12-10'],
  ['202703', 'ESH7', '2027-03-19', '2027-03-11'],
  ['202706', 'ESM7', '2027-06-17', '2027-06-09'],
  ['202709', 'ESU7', '2027-09-17', '2027-09-09'],
  ['202712', 'ESZ7', '2027-12-17', '2027-12-09'],
] as const;

describe('contract cycle', () => {
  it.each(EXPIRIES)('%s %s: last trade %s 09:30 ET, roll %s', (month, local, last, roll) => {
    expect(localSymbol('ES', month)).toBe(local);
    expect(lastTradeDate(month)).toBe(last);
    expect(rollDateOf(month)).toBe(roll);
    expect(expiryOf('ES', month).toISOString()).toBe(et(last, '09:30').toISOString());
    expect(expiryOf('RTY', month)).toEqual(expiryOf('NQ', month));
    expect(isExpiryDay(last)).toBe(true);
  });

  it('moves the expiry back when the third Friday is an NYSE holiday (Juneteenth 2026/2027, Good Friday 2008)', () => {
    expect(lastTradeDate('202606')).toBe('2026-06-18');
    expect(lastTradeDate('202706')).toBe('2027-06-17');
    expect(lastTradeDate('200803')).toBe('2008-03-20');
    expect(isExpiryDay('2026-06-19')).toBe(false);
    expect(expiryOf('ES', '202606').toISOString()).toBe('2026-06-18T13:30:00.000Z');
    expect(expiryOf('ES', '202612').toISOString()).toBe('2026-12-18T14:30:00.000Z');
    // A config closure on a third Friday moves it too.
    const cal = createCalendar([{ date: '2026-09-18', kind: 'closed', note: 'hypothetical' }]);
    expect(lastTradeDate('202609', cal)).toBe('2026-09-17');
  });

  it('names local symbols for every future', () => {
    expect(localSymbol('ES', '202612')).toBe('ESZ6');
    expect(localSymbol('NQ', '202703')).toBe('NQH7');
    expect(localSymbol('RTY', '202606')).toBe('RTYM6');
    expect(localSymbol('ES', '203009')).toBe('ESU0');
    expect(() => localSymbol('ES', '2026-12')).toThrow(/YYYYMM/);
    expect(() => localSymbol('ES', '202613')).toThrow(RangeError);
  });

  it('lists quarterly contracts not yet expired, nearest first', () => {
    expect(quarterlyContracts('2026-03-20', 3).map((c) => c.month)).toEqual(['202603', '202606', '202609']);
    expect(quarterlyContracts('2026-03-21', 2).map((c) => c.month)).toEqual(['202606', '202609']);
    expect(quarterlyContracts('2026-11-30', 2).map((c) => `${c.code} ${c.lastTradeDate}`)).toEqual([
      'Z6 2026-12-18',
      'H7 2027-03-19',
    ]);
    expect(nextQuarterly('202612')).toBe('202703');
    expect(nextQuarterly('202604')).toBe('202606');
  });
});

describe('roll', () => {
  it.each([
    ['2026-03-11', '10:00', '202603'],
    ['2026-03-11', '17:30', '202606'], // the halt after 17:00 belongs to the next trade date (03-12 = roll date)
    ['2026-03-11', '19:00', '202606'],
    ['2026-03-12', '10:00', '202606'],
    ['2026-03-20', '09:00', '202606'],
    ['2026-06-09', '12:00', '202606'],
    ['2026-06-10', '12:00', '202609'],
    ['2026-12-09', '12:00', '202612'],
    ['2026-12-10', '12:00', '202703'],
    ['2026-12-31', '12:00', '202703'],
  ])('contractMonthFor(%s %s ET) = %s', (date, time, month) => {
    expect(contractMonthFor(et(date, time))).toBe(month);
  });

  it('rollDays 0 holds the front until its 09:30 expiry', () => {
    expect(contractMonthFor(et('2026-03-20', '09:29'), 0)).toBe('202603');
    expect(contractMonthFor(et('2026-03-20', '09:30'), 0)).toBe('202606');
    expect(contractMonthFor(et('2026-03-12', '10:00'), 5)).toBe('202603');
    expect(contractMonthFor(et('2026-03-15', '19:00'), 5)).toBe('202606');
  });

  it('marks roll week (Monday of the roll date week through expiry) and expiry day', () => {
    expect(isRollWeek(et('2026-03-06', '12:00'))).toBe(false);
    expect(isRollWeek(et('2026-03-08', '19:00'))).toBe(true); // Sunday evening = Monday 03-09's trade date
    expect(isRollWeek(et('2026-03-09', '12:00'))).toBe(true);
    expect(isRollWeek(et('2026-03-20', '09:00'))).toBe(true);
    expect(isRollWeek(et('2026-03-23', '09:00'))).toBe(false);
    // Juneteenth 2026: roll Wednesday 06-10, week from Monday 06-08.
    expect(isRollWeek(et('2026-06-05', '12:00'))).toBe(false);
    expect(isRollWeek(et('2026-06-08', '12:00'))).toBe(true);
    expect(isExpiryDay(et('2026-06-18', '08:00'))).toBe(true);
    expect(isExpiryDay(et('2026-06-18', '18:30'))).toBe(false);
  });

  it('rollStateAt names front, next and active contracts', () => {
    const before = rollStateAt(et('2026-03-20', '09:00'));
    expect(before).toMatchObject({ tradeDate: '2026-03-20', inRollWeek: true, isExpiryDay: true });
    expect([before.front.month, before.next.month, before.active.month]).toEqual([
      '202603',
      '202606',
      '202606',
    ]);
    const after = rollStateAt(et('2026-03-20', '10:00'));
    expect([after.front.month, after.next.month, after.active.month]).toEqual(['202606', '202609', '202606']);
    expect(after.isExpiryDay).toBe(true);
  });
});

describe('instruments', () => {
  it('describes ES, NQ, RTY and the VIX index', () => {
    expect(INSTRUMENTS.ES).toMatchObject({
      secType: 'FUT',
      exchange: 'CME',
      etf: 'SPY',
      multiplier: 50,
      tickSize: 0.25,
    });
    expect(INSTRUMENTS.NQ).toMatchObject({ etf: 'QQQ', multiplier: 20 });
    expect(INSTRUMENTS.RTY).toMatchObject({ etf: 'IWM', multiplier: 50, tickSize: 0.1 });
    expect(INSTRUMENTS.VIX).toMatchObject({ secType: 'IND', exchange: 'CBOE', etf: null });
  });
});
