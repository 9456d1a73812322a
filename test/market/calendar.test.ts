import { describe, expect, it } from 'vitest';
import {
  addDays,
  type CmeStatus,
  cmeSessions,
  cmeStatusAt,
  createCalendar,
  defaultCalendar,
  etInstant,
  nextNyseOpen,
  nyseSession,
  nyseSessions,
  nyseStatusAt,
  previousNyseClose,
  segmentOf,
  tradeDateOf,
  weekdayOf,
} from '../../src/market/index.js';

const et = (date: string, time: string) => etInstant(date, time);
const status = (date: string, time: string) => cmeStatusAt(et(date, time));
const iso = (d: Date | undefined) => d?.toISOString();

/**
 * research/signals.md §1.3, every row. nyse: 'closed' or the close time; cme: 'closed' (no session
 * for the trade date), 'regular', or the time the trade date's session ends.
 */
const TABLE_2025_2027: ReadonlyArray<{
  date: string;
  event: string;
  nyse: string;
  cme: string;
  reopen?: string;
}> = [
  { date: '2025-01-01', event: 'New Year', nyse: 'closed', cme: 'closed' },
  { date: '2025-01-09', event: 'Carter mourning', nyse: 'closed', cme: '09:30' },
  { date: '2025-01-20', event: 'MLK', nyse: 'closed', cme: '13:00' },
  { date: '2025-02-17', event: 'Presidents', nyse: 'closed', cme: '13:00' },
  { date: '2025-04-18', event: 'Good Friday (no NFP)', nyse: 'closed', cme: 'closed' },
  { date: '2025-05-26', event: 'Memorial', nyse: 'closed', cme: '13:00' },
  { date: '2025-06-19', event: 'Juneteenth', nyse: 'closed', cme: '13:00' },
  { date: '2025-07-03', event: 'pre-Independence', nyse: '13:00', cme: '13:15' },
  { date: '2025-07-04', event: 'Independence', nyse: 'closed', cme: '13:00' },
  { date: '2025-09-01', event: 'Labor', nyse: 'closed', cme: '13:00' },
  { date: '2025-11-27', event: 'Thanksgiving', nyse: 'closed', cme: '13:00' },
  { date: '2025-11-28', event: 'Black Friday', nyse: '13:00', cme: '13:15' },
  { date: '2025-12-24', event: 'Christmas Eve', nyse: '13:00', cme: '13:15', reopen: '2025-12-25' },
  { date: '2025-12-25', event: 'Christmas', nyse: 'closed', cme: 'closed' },
  { date: '2026-01-01', event: 'New Year', nyse: 'closed', cme: 'closed' },
  { date: '2026-01-19', event: 'MLK', nyse: 'closed', cme: '13:00' },
  { date: '2026-02-16', event: 'Presidents', nyse: 'closed', cme: '13:00' },
  { date: '2026-04-03', event: 'Good Friday with the March jobs report', nyse: 'closed', cme: '09:15' },
  { date: '2026-05-25', event: 'Memorial', nyse: 'closed', cme: '13:00' },
  { date: '2026-06-19', event: 'Juneteenth', nyse: 'closed', cme: '13:00' },
  { date: '2026-07-03', event: 'Independence (obs.)', nyse: 'closed', cme: '13:00' },
  { date: '2026-09-07', event: 'Labor', nyse: 'closed', cme: '13:00' },
  { date: '2026-11-26', event: 'Thanksgiving', nyse: 'closed', cme: '13:00' },
  { date: '2026-11-27', event: 'Black Friday', nyse: '13:00', cme: '13:15' },
  { date: '2026-12-24', event: 'Christmas Eve', nyse: '13:00', cme: '13:15', reopen: '2026-12-27' },
  { date: '2026-12-25', event: 'Christmas', nyse: 'closed', cme: 'closed' },
  { date: '2027-01-01', event: 'New Year', nyse: 'closed', cme: 'closed' },
  { date: '2027-01-18', event: 'MLK', nyse: 'closed', cme: '13:00' },
  { date: '2027-02-15', event: 'Presidents', nyse: 'closed', cme: '13:00' },
  { date: '2027-03-26', event: 'Good Friday (NFP Apr-2)', nyse: 'closed', cme: 'closed' },
  { date: '2027-05-31', event: 'Memorial', nyse: 'closed', cme: '13:00' },
  { date: '2027-06-18', event: 'Juneteenth (obs.)', nyse: 'closed', cme: '13:00' },
  { date: '2027-07-05', event: 'Independence (obs.)', nyse: 'closed', cme: '13:00' },
  { date: '2027-09-06', event: 'Labor', nyse: 'closed', cme: '13:00' },
  { date: '2027-11-25', event: 'Thanksgiving', nyse: 'closed', cme: '13:00' },
  { date: '2027-11-26', event: 'Black Friday', nyse: '13:00', cme: '13:15' },
  { date: '2027-12-24', event: 'Christmas (obs.)', nyse: 'closed', cme: 'closed' },
  { date: '2027-12-31', event: 'New Year 2028 is a Saturday', nyse: '16:00', cme: 'regular' },
];

/** The next open after the trade date: 18:00 that evening, Sunday 18:00 after a Friday, or the row's `reopen` date. */
function expectedReopen(date: string, reopen?: string): Date {
  if (reopen) return et(reopen, '18:00');
  return weekdayOf(date) === 5 ? et(addDays(date, 2), '18:00') : et(date, '18:00');
}

describe('research §1.3 table, 2025–2027 (every row)', () => {
  it.each(TABLE_2025_2027)('$date $event: NYSE $nyse, CME $cme', ({ date, nyse, cme, reopen }) => {
    const n = nyseSession(date);
    if (nyse === 'closed') {
      expect(n).toBeNull();
    } else {
      expect(iso(n?.open)).toBe(iso(et(date, '09:30')));
      expect(iso(n?.close)).toBe(iso(et(date, nyse)));
      expect(n?.earlyClose).toBe(nyse !== '16:00');
    }

    const day = defaultCalendar().cmeDay(date);
    if (cme === 'closed') {
      expect(day.session).toBeNull();
      expect(day.status).toBe('closed');
      const s = status(date, '12:00');
      expect(s).toMatchObject({ open: false, reason: 'holiday', segment: null });
      expect(iso(s.nextOpen)).toBe(iso(expectedReopen(date)));
      // The evening before belongs to the closed trade date, so it is closed too.
      expect(status(addDays(date, -1), '20:00')).toMatchObject({ open: false });
      return;
    }
    const close = cme === 'regular' ? '17:00' : cme;
    expect(iso(day.session?.open)).toBe(iso(et(addDays(date, -1), '18:00')));
    expect(iso(day.session?.close)).toBe(iso(et(date, close)));
    expect(day.status).toBe(cme === 'regular' ? 'open' : cme === '13:15' ? 'early_close' : 'holiday_halt');

    const [h, m] = close.split(':').map(Number) as [number, number];
    const lastMinute = `${String(m === 0 ? h - 1 : h).padStart(2, '0')}:${String(m === 0 ? 59 : m - 1).padStart(2, '0')}`;
    expect(status(date, lastMinute)).toMatchObject({ open: true, tradeDate: date });
    expect(iso(status(date, lastMinute).closesAt)).toBe(iso(et(date, close)));
    const after = status(date, close);
    expect(after.open).toBe(false);
    if (cme === 'regular') {
      expect(after.reason).toBe(weekdayOf(date) === 5 ? 'weekend' : 'halt');
    } else {
      expect(after.reason).toBe(cme === '13:15' ? 'early_close' : 'holiday');
      expect(after.note).toBeTruthy();
    }
    expect(iso(after.nextOpen)).toBe(iso(expectedReopen(date, reopen)));
  });

  it('every other weekday of 2025–2027 is a regular day for both markets', () => {
    const special = new Set(TABLE_2025_2027.map((r) => r.date));
    const problems: string[] = [];
    let regular = 0;
    let weekdays = 0;
    for (let d = '2025-01-01'; d <= '2027-12-31'; d = addDays(d, 1)) {
      const wd = weekdayOf(d);
      if (wd === 0 || wd === 6) continue;
      weekdays++;
      if (special.has(d)) continue;
      const n = defaultCalendar().nyseDay(d);
      const c = defaultCalendar().cmeDay(d);
      if (n.status !== 'open' || iso(n.session?.close) !== iso(et(d, '16:00')))
        problems.push(`${d} NYSE ${n.status}`);
      if (
        c.status !== 'open' ||
        iso(c.session?.close) !== iso(et(d, '17:00')) ||
        c.session?.halts.length !== 0
      ) {
        problems.push(`${d} CME ${c.status}`);
      }
      regular++;
    }
    expect(problems).toEqual([]);
    expect(weekdays).toBe(783);
    expect(regular).toBe(weekdays - special.size);
  });

  it('has exactly the six NYSE early closes of the NYSE release', () => {
    const early = nyseSessions('2025-01-01', '2027-12-31')
      .filter((d) => d.status === 'early_close')
      .map((d) => d.date);
    expect(early).toEqual([
      '2025-07-03',
      '2025-11-28',
      '2025-12-24',
      '2026-11-27',
      '2026-12-24',
      '2027-11-26',
    ]);
  });

  it('has no early close on 2026-07-02 (July 4 falls on a Saturday)', () => {
    expect(nyseSession('2026-07-02')?.earlyClose).toBe(false);
    expect(iso(defaultCalendar().cmeSession('2026-07-02')?.close)).toBe(iso(et('2026-07-02', '17:00')));
  });
});

describe('weekly template', () => {
  it('opens Sunday 18:00 for Monday, halts 17:00–18:00 Mon–Thu, closes Friday 17:00', () => {
    expect(status('2026-03-15', '17:59')).toMatchObject({
      open: false,
      reason: 'weekend',
      tradeDate: '2026-03-16',
    });
    expect(status('2026-03-15', '18:00')).toMatchObject({
      open: true,
      reason: 'open',
      tradeDate: '2026-03-16',
      segment: 'overnight',
    });
    for (const d of ['2026-03-16', '2026-03-17', '2026-03-18', '2026-03-19']) {
      const next = addDays(d, 1);
      expect(status(d, '16:59')).toMatchObject({ open: true, tradeDate: d, segment: 'post' });
      expect(status(d, '17:00')).toMatchObject({ open: false, reason: 'halt', tradeDate: next });
      expect(iso(status(d, '17:00').nextOpen)).toBe(iso(et(d, '18:00')));
      expect(status(d, '18:00')).toMatchObject({ open: true, tradeDate: next, segment: 'overnight' });
    }
    expect(status('2026-03-20', '16:59')).toMatchObject({ open: true, tradeDate: '2026-03-20' });
    const friday = status('2026-03-20', '17:00');
    expect(friday).toMatchObject({ open: false, reason: 'weekend', tradeDate: '2026-03-23' });
    expect(iso(friday.nextOpen)).toBe(iso(et('2026-03-22', '18:00')));
    expect(status('2026-03-20', '18:30')).toMatchObject({ reason: 'weekend', tradeDate: '2026-03-23' });
    expect(status('2026-03-21', '12:00')).toMatchObject({ reason: 'weekend', tradeDate: '2026-03-23' });
  });

  it('assigns trade dates and segments around the boundaries (to the second)', () => {
    const at = (isoText: string) => cmeStatusAt(new Date(isoText));
    // Tuesday 2026-03-10 (EDT, UTC-4).
    expect(at('2026-03-10T20:59:59.999Z')).toMatchObject({
      open: true,
      tradeDate: '2026-03-10',
      segment: 'post',
    });
    expect(at('2026-03-10T21:00:00.000Z')).toMatchObject({
      open: false,
      tradeDate: '2026-03-11',
      reason: 'halt',
    });
    expect(at('2026-03-10T21:59:59.999Z')).toMatchObject({ open: false, tradeDate: '2026-03-11' });
    expect(at('2026-03-10T22:00:00.000Z')).toMatchObject({
      open: true,
      tradeDate: '2026-03-11',
      segment: 'overnight',
    });
    expect(at('2026-03-11T13:29:59.999Z').segment).toBe('overnight');
    expect(at('2026-03-11T13:30:00.000Z').segment).toBe('rth');
    expect(at('2026-03-11T19:59:59.999Z').segment).toBe('rth');
    expect(at('2026-03-11T20:00:00.000Z').segment).toBe('post');
    expect(at('2026-03-11T04:00:00.000Z')).toMatchObject({ tradeDate: '2026-03-11', segment: 'overnight' });
    expect(tradeDateOf(new Date('2026-03-10T22:00:00Z'))).toBe('2026-03-11');
    expect(tradeDateOf(new Date('2026-03-10T21:59:00Z'))).toBe('2026-03-11');
    expect(tradeDateOf(new Date('2026-03-10T20:59:00Z'))).toBe('2026-03-10');
    expect(segmentOf(new Date('2026-03-10T21:30:00Z'))).toBeNull();
    expect(segmentOf(new Date('2026-03-10T14:00:00Z'))).toBe('rth');
  });

  it('sessions are 23 hours and the weekend 49 hours, in UTC terms, away from DST changes', () => {
    const s = defaultCalendar().cmeSession('2026-02-11');
    expect(s && (s.close.getTime() - s.open.getTime()) / 3_600_000).toBe(23);
  });
});

describe('DST weekends', () => {
  const springForward = ['2015-03-08', '2021-03-14', '2025-03-09', '2026-03-08', '2027-03-14', '2030-03-10'];
  const fallBack = ['2015-11-01', '2021-11-07', '2025-11-02', '2026-11-01', '2027-11-07', '2030-11-03'];

  it.each(springForward)('spring forward %s: Friday close 17:00 EST, Sunday open 18:00 EDT', (sunday) => {
    const friday = addDays(sunday, -2);
    const fri = status(friday, '16:45');
    expect(fri.open).toBe(true);
    expect(iso(fri.closesAt)).toBe(`${friday}T22:00:00.000Z`);
    const weekend = cmeStatusAt(new Date(`${friday}T22:00:00Z`));
    expect(weekend.reason).toBe('weekend');
    expect(iso(weekend.nextOpen)).toBe(`${sunday}T22:00:00.000Z`);
    // 48 hours of weekend instead of 49.
    expect(((weekend.nextOpen?.getTime() ?? 0) - weekend.at.getTime()) / 3_600_000).toBe(48);
    expect(cmeStatusAt(new Date(`${sunday}T21:59:59Z`)).open).toBe(false);
    expect(cmeStatusAt(new Date(`${sunday}T22:00:00Z`))).toMatchObject({
      open: true,
      tradeDate: addDays(sunday, 1),
      segment: 'overnight',
    });
    // The nonexistent 02:30 never appears; 01:59 EST and 03:00 EDT are one minute apart and both weekend.
    expect(cmeStatusAt(et(sunday, '01:59')).reason).toBe('weekend');
    expect(et(sunday, '03:00').getTime() - et(sunday, '01:59').getTime()).toBe(60_000);
    const monday = defaultCalendar().cmeSession(addDays(sunday, 1));
    expect(iso(monday?.close)).toBe(`${addDays(sunday, 1)}T21:00:00.000Z`);
  });

  it.each(fallBack)('fall back %s: Friday close 17:00 EDT, Sunday open 18:00 EST', (sunday) => {
    const friday = addDays(sunday, -2);
    const weekend = cmeStatusAt(new Date(`${friday}T21:00:00Z`));
    expect(weekend).toMatchObject({ open: false, reason: 'weekend', tradeDate: addDays(sunday, 1) });
    expect(iso(weekend.nextOpen)).toBe(`${sunday}T23:00:00.000Z`);
    expect(((weekend.nextOpen?.getTime() ?? 0) - weekend.at.getTime()) / 3_600_000).toBe(50);
    expect(cmeStatusAt(new Date(`${friday}T20:59:59Z`)).open).toBe(true);
    // 01:30 ET happens twice; both instants are weekend and report the same next open.
    const first = cmeStatusAt(et(sunday, '01:30'));
    const second = cmeStatusAt(etInstant(sunday, '01:30', { fold: 'later' }));
    expect(second.at.getTime() - first.at.getTime()).toBe(3_600_000);
    for (const s of [first, second]) {
      expect(s).toMatchObject({ open: false, reason: 'weekend', tradeDate: addDays(sunday, 1) });
      expect(iso(s.nextOpen)).toBe(`${sunday}T23:00:00.000Z`);
    }
    expect(cmeStatusAt(new Date(`${sunday}T22:59:59Z`)).open).toBe(false);
    expect(cmeStatusAt(new Date(`${sunday}T23:00:00Z`))).toMatchObject({
      open: true,
      tradeDate: addDays(sunday, 1),
    });
    const monday = defaultCalendar().cmeSession(addDays(sunday, 1));
    expect(iso(monday?.close)).toBe(`${addDays(sunday, 1)}T22:00:00.000Z`);
    expect(iso(nyseSession(addDays(sunday, 1))?.open)).toBe(`${addDays(sunday, 1)}T14:30:00.000Z`);
    expect(iso(nyseSession(friday)?.close)).toBe(`${friday}T20:00:00.000Z`);
  });
});

describe('holidays inside the week', () => {
  it('a holiday Monday: Sunday evening → 13:00 holiday halt → reopen 18:00 for Tuesday', () => {
    const seq: Array<[string, string, Partial<CmeStatus>]> = [
      ['2026-01-18', '17:59', { open: false, reason: 'weekend', tradeDate: '2026-01-19' }],
      ['2026-01-18', '18:00', { open: true, tradeDate: '2026-01-19', segment: 'overnight' }],
      ['2026-01-19', '09:30', { open: true, tradeDate: '2026-01-19', segment: 'rth' }],
      ['2026-01-19', '12:59', { open: true, tradeDate: '2026-01-19' }],
      ['2026-01-19', '13:00', { open: false, reason: 'holiday', tradeDate: '2026-01-20' }],
      ['2026-01-19', '17:30', { open: false, reason: 'holiday', tradeDate: '2026-01-20' }],
      ['2026-01-19', '18:00', { open: true, tradeDate: '2026-01-20', segment: 'overnight' }],
      ['2026-01-20', '16:30', { open: true, tradeDate: '2026-01-20', segment: 'post' }],
    ];
    for (const [date, time, expected] of seq)
      expect(status(date, time), `${date} ${time}`).toMatchObject(expected);
    const halted = status('2026-01-19', '13:00');
    expect(halted.note).toBe('Martin Luther King Jr. Day');
    expect(iso(halted.nextOpen)).toBe(iso(et('2026-01-19', '18:00')));
    expect(iso(status('2026-01-18', '18:00').closesAt)).toBe(iso(et('2026-01-19', '13:00')));
    expect(nyseSession('2026-01-19')).toBeNull();
  });

  it('a holiday Friday (Independence Day 2025) halts at 13:00 and then it is the weekend', () => {
    expect(status('2025-07-04', '12:00')).toMatchObject({ open: true, tradeDate: '2025-07-04' });
    expect(status('2025-07-04', '13:00')).toMatchObject({
      open: false,
      reason: 'holiday',
      tradeDate: '2025-07-07',
    });
    expect(status('2025-07-04', '17:00')).toMatchObject({ open: false, reason: 'weekend' });
    expect(iso(status('2025-07-04', '13:00').nextOpen)).toBe(iso(et('2025-07-06', '18:00')));
  });

  it('Christmas on a Thursday: 13:15 early close Wednesday, closed Thursday, reopen Thursday 18:00', () => {
    expect(status('2025-12-24', '13:14')).toMatchObject({ open: true, tradeDate: '2025-12-24' });
    expect(status('2025-12-24', '13:15')).toMatchObject({
      open: false,
      reason: 'early_close',
      tradeDate: '2025-12-26',
      note: 'Christmas Eve',
    });
    expect(status('2025-12-24', '20:00')).toMatchObject({
      open: false,
      reason: 'holiday',
      note: 'Christmas Day',
    });
    expect(iso(status('2025-12-24', '20:00').nextOpen)).toBe(iso(et('2025-12-25', '18:00')));
    expect(status('2025-12-25', '18:00')).toMatchObject({ open: true, tradeDate: '2025-12-26' });
  });

  it('Black Friday closes 13:15 and then it is the weekend', () => {
    expect(status('2025-11-28', '13:00')).toMatchObject({ open: true, segment: 'rth' });
    expect(status('2025-11-28', '13:15')).toMatchObject({ open: false, reason: 'early_close' });
    expect(status('2025-11-28', '17:00')).toMatchObject({ open: false, reason: 'weekend' });
    expect(nyseSession('2025-11-28')).toMatchObject({ earlyClose: true });
    expect(iso(nyseSession('2025-11-28')?.close)).toBe(iso(et('2025-11-28', '13:00')));
  });

  it('Good Friday without the jobs report (2025): closed from Thursday 18:00 until Sunday 18:00', () => {
    expect(status('2025-04-17', '17:00')).toMatchObject({
      open: false,
      reason: 'halt',
      tradeDate: '2025-04-21',
    });
    expect(status('2025-04-17', '18:00')).toMatchObject({
      open: false,
      reason: 'holiday',
      note: 'Good Friday',
    });
    expect(status('2025-04-18', '08:00')).toMatchObject({
      open: false,
      reason: 'holiday',
      tradeDate: '2025-04-21',
    });
    expect(status('2025-04-18', '17:00')).toMatchObject({ reason: 'weekend' });
    expect(iso(status('2025-04-18', '08:00').nextOpen)).toBe(iso(et('2025-04-20', '18:00')));
    expect(status('2024-03-29', '08:00')).toMatchObject({ open: false, reason: 'holiday' });
  });

  it.each([['2015-04-03'], ['2021-04-02'], ['2023-04-07'], ['2026-04-03']])(
    'Good Friday with the jobs report (%s): abbreviated session until 09:15',
    (friday) => {
      const thursday = addDays(friday, -1);
      expect(status(thursday, '18:00')).toMatchObject({ open: true, tradeDate: friday });
      expect(status(friday, '08:30')).toMatchObject({ open: true, tradeDate: friday, segment: 'overnight' });
      expect(iso(status(friday, '08:30').closesAt)).toBe(iso(et(friday, '09:15')));
      expect(status(friday, '09:15')).toMatchObject({ open: false, reason: 'holiday' });
      expect(iso(status(friday, '09:15').nextOpen)).toBe(iso(et(addDays(friday, 2), '18:00')));
      expect(nyseSession(friday)).toBeNull();
    },
  );

  it('national days of mourning: CME equity until 09:30, NYSE closed', () => {
    for (const date of ['2018-12-05', '2025-01-09']) {
      expect(status(date, '09:29')).toMatchObject({ open: true, tradeDate: date });
      expect(status(date, '09:30')).toMatchObject({ open: false, reason: 'holiday' });
      expect(status(date, '09:30').note).toMatch(/Mourning/);
      expect(status(date, '18:00')).toMatchObject({ open: true, tradeDate: addDays(date, 1) });
      expect(nyseSession(date)).toBeNull();
    }
  });

  it('models the 16:15–16:30 pause until trade date 2021-06-25 only', () => {
    expect(status('2021-06-25', '16:20')).toMatchObject({
      open: false,
      reason: 'halt',
      tradeDate: '2021-06-25',
    });
    expect(iso(status('2021-06-25', '16:20').nextOpen)).toBe(iso(et('2021-06-25', '16:30')));
    expect(iso(status('2021-06-25', '16:00').closesAt)).toBe(iso(et('2021-06-25', '16:15')));
    expect(status('2021-06-25', '16:30')).toMatchObject({ open: true, segment: 'post' });
    expect(status('2021-06-28', '16:20')).toMatchObject({ open: true, segment: 'post' });
  });

  it('finds the next open across a long closure', () => {
    // Christmas 2022 fell on a Sunday: observed Monday 12-26, CME closed; reopen Monday 18:00.
    const s = status('2022-12-23', '17:00');
    expect(s).toMatchObject({ reason: 'weekend', tradeDate: '2022-12-27' });
    expect(iso(s.nextOpen)).toBe(iso(et('2022-12-26', '18:00')));
    expect(status('2022-12-25', '19:00')).toMatchObject({
      reason: 'holiday',
      note: 'Christmas Day (observed)',
    });
  });
});

describe('NYSE helpers', () => {
  it.each([
    ['2025-12-29', '08:00', '2025-12-26', '16:00'],
    ['2025-12-26', '08:00', '2025-12-24', '13:00'],
    ['2026-01-20', '08:00', '2026-01-16', '16:00'],
    ['2025-01-10', '08:00', '2025-01-08', '16:00'],
    ['2026-03-10', '16:00', '2026-03-09', '16:00'],
    ['2026-03-10', '15:59', '2026-03-09', '16:00'],
    ['2026-03-09', '04:00', '2026-03-06', '16:00'],
    ['2025-04-21', '05:00', '2025-04-17', '16:00'],
  ])('previousNyseClose(%s %s ET) = %s %s', (date, time, closeDate, closeTime) => {
    const prev = previousNyseClose(et(date, time));
    expect(prev.date).toBe(closeDate);
    expect(iso(prev.close)).toBe(iso(et(closeDate, closeTime)));
  });

  it('previousNyseClose is strict: one millisecond after the close is that day', () => {
    const close = et('2026-03-10', '16:00');
    expect(previousNyseClose(new Date(close.getTime() + 1)).date).toBe('2026-03-10');
  });

  it('nextNyseOpen skips weekends and holidays; at the open it is that open', () => {
    expect(nextNyseOpen(et('2025-12-24', '14:00'))).toEqual({
      date: '2025-12-26',
      open: et('2025-12-26', '09:30'),
    });
    expect(nextNyseOpen(et('2026-01-16', '17:00')).date).toBe('2026-01-20');
    expect(nextNyseOpen(et('2026-03-10', '09:30')).date).toBe('2026-03-10');
    expect(nextNyseOpen(et('2026-03-10', '09:31')).date).toBe('2026-03-11');
  });

  it('nyseStatusAt reports the cash session', () => {
    expect(nyseStatusAt(et('2026-03-10', '10:00')).open).toBe(true);
    expect(nyseStatusAt(et('2026-03-10', '16:00')).open).toBe(false);
    expect(nyseStatusAt(et('2025-11-28', '13:30')).open).toBe(false);
    expect(nyseStatusAt(et('2026-01-19', '10:00'))).toMatchObject({ open: false, session: null });
  });

  it('nyseSessions and cmeSessions return one entry per calendar day', () => {
    const n = nyseSessions('2026-01-16', '2026-01-20');
    expect(n.map((d) => d.status)).toEqual(['open', 'weekend', 'weekend', 'closed', 'open']);
    expect(n[3]?.note).toBe('Martin Luther King Jr. Day');
    const c = cmeSessions('2026-01-16', '2026-01-20');
    expect(c.map((d) => d.status)).toEqual(['open', 'weekend', 'weekend', 'holiday_halt', 'open']);
    expect(() => cmeSessions('2026-01-20', '2026-01-16')).toThrow(/after/);
  });
});

describe('overrides', () => {
  it('config entries extend and replace the built-in list by date', () => {
    const cal = createCalendar([
      { date: '2026-04-03', kind: 'closed', note: 'CME confirmed: no Good Friday session' },
      { date: '2029-02-07', kind: 'holiday', cmeClose: '09:30', note: 'hypothetical day of mourning' },
      { date: '2026-03-11', kind: 'early_close', note: 'hypothetical half day' },
      { date: '2026-05-25', kind: 'open', note: 'hypothetical: Memorial Day cancelled' },
    ]);
    expect(cal.cmeSession('2026-04-03')).toBeNull();
    const goodFriday = cmeStatusAt(et('2026-04-03', '08:00'), cal);
    expect(goodFriday).toMatchObject({
      open: false,
      reason: 'closed',
      note: 'CME confirmed: no Good Friday session',
    });
    expect(cal.nyseDay('2026-04-03')).toMatchObject({
      status: 'closed',
      note: 'Good Friday',
      source: 'override',
    });

    expect(cal.nyseSession('2029-02-07')).toBeNull();
    expect(iso(cal.cmeSession('2029-02-07')?.close)).toBe(iso(et('2029-02-07', '09:30')));
    expect(defaultCalendar().nyseSession('2029-02-07')).not.toBeNull();

    expect(iso(cal.nyseSession('2026-03-11')?.close)).toBe(iso(et('2026-03-11', '13:00')));
    expect(iso(cal.cmeSession('2026-03-11')?.close)).toBe(iso(et('2026-03-11', '13:15')));
    expect(cmeStatusAt(et('2026-03-11', '14:00'), cal).reason).toBe('early_close');

    expect(cal.nyseDay('2026-05-25').status).toBe('open');
    expect(iso(cal.cmeSession('2026-05-25')?.close)).toBe(iso(et('2026-05-25', '17:00')));
    expect(cal.overrides.map((o) => o.date)).toContain('2025-01-09');
  });

  it('rejects entries that cannot be applied, naming them', () => {
    expect(() => createCalendar([{ date: '2026-03-14', kind: 'closed', note: '' }])).toThrow(
      /#1 \(2026-03-14\).*weekend/,
    );
    expect(() => createCalendar([{ date: '2026-02-30', kind: 'closed', note: '' }])).toThrow(
      /real YYYY-MM-DD/,
    );
    expect(() =>
      createCalendar([{ date: '2026-03-13', kind: 'holiday', cmeClose: '9:30', note: '' }]),
    ).toThrow(/HH:MM/);
    expect(() =>
      createCalendar([{ date: '2026-03-13', kind: 'closed', cmeClose: '09:30', note: '' }]),
    ).toThrow(/cmeClose only applies/);
    expect(() =>
      createCalendar([{ date: '2026-03-13', kind: 'holiday', nyseClose: '12:00', note: '' }]),
    ).toThrow(/nyseClose only applies/);
  });
});

describe('whole-range sanity, 2015–2030', () => {
  it('every instant on a 253-minute grid is consistent with the session list', () => {
    const cal = defaultCalendar();
    const start = et('2015-01-02', '00:00').getTime();
    const end = et('2030-12-31', '00:00').getTime();
    const problems: string[] = [];
    let open = 0;
    let total = 0;
    for (let ms = start; ms < end; ms += 253 * 60_000) {
      const s = cmeStatusAt(new Date(ms), cal);
      total++;
      const session = cal.cmeSession(s.tradeDate);
      const where = `${new Date(ms).toISOString()} ${s.reason}`;
      if (s.open) {
        open++;
        if (!session || ms < session.open.getTime() || ms >= session.close.getTime())
          problems.push(`${where}: outside`);
        if (s.segment === null) problems.push(`${where}: no segment`);
      } else {
        if (!s.nextOpen || s.nextOpen.getTime() <= ms) problems.push(`${where}: nextOpen not ahead`);
        if (s.segment !== null) problems.push(`${where}: segment while closed`);
        // Closed instants name the session that opens next (or, inside a pause, the one that resumes).
        const inPause = session?.halts.some((h) => iso(h.end) === iso(s.nextOpen));
        if (!inPause && iso(session?.open) !== iso(s.nextOpen))
          problems.push(`${where}: tradeDate/nextOpen mismatch`);
      }
    }
    expect(problems).toEqual([]);
    // About 23 of every 24 hours for 5 of 7 days, less holidays.
    expect(open / total).toBeGreaterThan(0.66);
    expect(open / total).toBeLessThan(0.69);
  });
});
