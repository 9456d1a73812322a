import { describe, expect, it } from 'vitest';
import { easterSunday, nyseEarlyCloseOn, nyseHolidaysOfYear } from '../../src/market/index.js';
import { addDays, ymd } from '../../src/market/zoned.js';

describe('easterSunday', () => {
  it.each([
    [2008, '2008-03-23'],
    [2015, '2015-04-05'],
    [2016, '2016-03-27'],
    [2019, '2019-04-21'],
    [2024, '2024-03-31'],
    [2025, '2025-04-20'],
    [2026, '2026-04-05'],
    [2027, '2027-03-28'],
    [2030, '2030-04-21'],
    [2038, '2038-04-25'],
  ])('%i → %s', (year, date) => {
    expect(easterSunday(year)).toBe(date);
  });
});

const dates = (year: number) => nyseHolidaysOfYear(year).map((h) => h.date);

describe('NYSE holiday rules', () => {
  it.each([
    [
      2015,
      [
        '2015-01-01',
        '2015-01-19',
        '2015-02-16',
        '2015-04-03',
        '2015-05-25',
        '2015-07-03',
        '2015-09-07',
        '2015-11-26',
        '2015-12-25',
      ],
    ],
    [
      2016,
      [
        '2016-01-01',
        '2016-01-18',
        '2016-02-15',
        '2016-03-25',
        '2016-05-30',
        '2016-07-04',
        '2016-09-05',
        '2016-11-24',
        '2016-12-26',
      ],
    ],
    [
      2021,
      [
        '2021-01-01',
        '2021-01-18',
        '2021-02-15',
        '2021-04-02',
        '2021-05-31',
        '2021-07-05',
        '2021-09-06',
        '2021-11-25',
        '2021-12-24',
      ],
    ],
    [
      // New Year 2022 is a Saturday: no holiday (the NYSE opened Friday 2021-12-31). Juneteenth from 2022.
      2022,
      [
        '2022-01-17',
        '2022-02-21',
        '2022-04-15',
        '2022-05-30',
        '2022-06-20',
        '2022-07-04',
        '2022-09-05',
        '2022-11-24',
        '2022-12-26',
      ],
    ],
    [
      2023,
      [
        '2023-01-02',
        '2023-01-16',
        '2023-02-20',
        '2023-04-07',
        '2023-05-29',
        '2023-06-19',
        '2023-07-04',
        '2023-09-04',
        '2023-11-23',
        '2023-12-25',
      ],
    ],
    [
      2028,
      [
        '2028-01-17',
        '2028-02-21',
        '2028-04-14',
        '2028-05-29',
        '2028-06-19',
        '2028-07-04',
        '2028-09-04',
        '2028-11-23',
        '2028-12-25',
      ],
    ],
  ])('%i', (year, expected) => {
    expect(dates(year)).toEqual(expected);
  });

  it('marks observed days and which holidays CME equity closes for', () => {
    const h2021 = nyseHolidaysOfYear(2021);
    expect(h2021.find((h) => h.date === '2021-12-24')).toEqual({
      date: '2021-12-24',
      name: 'Christmas Day (observed)',
      cme: 'closed',
    });
    expect(h2021.filter((h) => h.cme === 'closed').map((h) => h.name)).toEqual([
      "New Year's Day",
      'Good Friday',
      'Christmas Day (observed)',
    ]);
    expect(nyseHolidaysOfYear(2021).some((h) => h.name.startsWith('Juneteenth'))).toBe(false);
  });

  it('never puts a holiday on a weekend, 2015–2030', () => {
    for (let year = 2015; year <= 2030; year++) {
      for (const h of nyseHolidaysOfYear(year)) {
        const wd = new Date(`${h.date}T12:00:00Z`).getUTCDay();
        expect(wd, h.date).not.toBe(0);
        expect(wd, h.date).not.toBe(6);
      }
    }
  });
});

describe('NYSE 13:00 early closes', () => {
  function earlyCloses(year: number): string[] {
    const out: string[] = [];
    for (let d = ymd(year, 1, 1); d <= ymd(year, 12, 31); d = addDays(d, 1)) {
      if (nyseEarlyCloseOn(d)) out.push(d);
    }
    return out;
  }

  it.each([
    [2015, ['2015-11-27', '2015-12-24']],
    [2018, ['2018-07-03', '2018-11-23', '2018-12-24']],
    [2019, ['2019-07-03', '2019-11-29', '2019-12-24']],
    [2020, ['2020-11-27', '2020-12-24']],
    [2021, ['2021-11-26']],
    [2022, ['2022-11-25']],
    [2023, ['2023-07-03', '2023-11-24']],
    [2024, ['2024-07-03', '2024-11-29', '2024-12-24']],
    [2025, ['2025-07-03', '2025-11-28', '2025-12-24']],
    [2026, ['2026-11-27', '2026-12-24']],
    [2027, ['2027-11-26']],
  ])('%i', (year, expected) => {
    expect(earlyCloses(year)).toEqual(expected);
  });
});
