import { addDays, weekdayOf, ymd } from './zoned.js';

/**
 * Rule-based NYSE holidays and 13:00 early closes (research/signals.md §1.2–1.3). Ad-hoc closures
 * (national days of mourning) are not rules; they live in overrides.ts.
 */

/** How the CME equity session treats an NYSE holiday. */
export type CmeHolidayTreatment = 'closed' | 'halt';

export interface NyseHoliday {
  date: string;
  name: string;
  /** New Year, Good Friday and Christmas close CME equity too; the others halt at 13:00 ET. */
  cme: CmeHolidayTreatment;
}

export interface NyseEarlyClose {
  date: string;
  name: string;
}

/** Gregorian Easter Sunday (anonymous Gregorian computus). */
export function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return ymd(year, month, day);
}

/** The n-th (1-based) given weekday of a month. */
export function nthWeekday(year: number, month: number, weekday: number, n: number): string {
  const first = ymd(year, month, 1);
  const shift = (weekday - weekdayOf(first) + 7) % 7;
  return addDays(first, shift + (n - 1) * 7);
}

export function lastWeekday(year: number, month: number, weekday: number): string {
  const last = addDays(ymd(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1), -1);
  const shift = (weekdayOf(last) - weekday + 7) % 7;
  return addDays(last, -shift);
}

/** Saturday → Friday, Sunday → Monday (the NYSE rule for fixed-date holidays other than New Year). */
function observedNearestWeekday(date: string): { date: string; observed: boolean } {
  const wd = weekdayOf(date);
  if (wd === 6) return { date: addDays(date, -1), observed: true };
  if (wd === 0) return { date: addDays(date, 1), observed: true };
  return { date, observed: false };
}

function named(name: string, observed: boolean): string {
  return observed ? `${name} (observed)` : name;
}

const yearCache = new Map<number, NyseHoliday[]>();

/** NYSE full-day holidays of a calendar year, sorted by date. */
export function nyseHolidaysOfYear(year: number): readonly NyseHoliday[] {
  const cached = yearCache.get(year);
  if (cached) return cached;
  const list: NyseHoliday[] = [];
  // New Year: Sunday → Monday; Saturday → no holiday (the NYSE stays open on Friday Dec 31).
  const newYear = ymd(year, 1, 1);
  const newYearWd = weekdayOf(newYear);
  if (newYearWd === 0)
    list.push({ date: addDays(newYear, 1), name: named("New Year's Day", true), cme: 'closed' });
  else if (newYearWd !== 6) list.push({ date: newYear, name: "New Year's Day", cme: 'closed' });
  list.push({ date: nthWeekday(year, 1, 1, 3), name: 'Martin Luther King Jr. Day', cme: 'halt' });
  list.push({ date: nthWeekday(year, 2, 1, 3), name: "Washington's Birthday", cme: 'halt' });
  list.push({ date: addDays(easterSunday(year), -2), name: 'Good Friday', cme: 'closed' });
  list.push({ date: lastWeekday(year, 5, 1), name: 'Memorial Day', cme: 'halt' });
  if (year >= 2022) {
    const j = observedNearestWeekday(ymd(year, 6, 19));
    list.push({ date: j.date, name: named('Juneteenth', j.observed), cme: 'halt' });
  }
  const ind = observedNearestWeekday(ymd(year, 7, 4));
  list.push({ date: ind.date, name: named('Independence Day', ind.observed), cme: 'halt' });
  list.push({ date: nthWeekday(year, 9, 1, 1), name: 'Labor Day', cme: 'halt' });
  list.push({ date: nthWeekday(year, 11, 4, 4), name: 'Thanksgiving Day', cme: 'halt' });
  const xmas = observedNearestWeekday(ymd(year, 12, 25));
  list.push({ date: xmas.date, name: named('Christmas Day', xmas.observed), cme: 'closed' });
  list.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  yearCache.set(year, list);
  return list;
}

export function nyseHolidayOn(date: string): NyseHoliday | null {
  const year = Number(date.slice(0, 4));
  return nyseHolidaysOfYear(year).find((h) => h.date === date) ?? null;
}

/** NYSE 13:00 ET early closes: July 3 (Mon–Thu), the day after Thanksgiving, Christmas Eve (Mon–Thu). */
export function nyseEarlyCloseOn(date: string): NyseEarlyClose | null {
  const year = Number(date.slice(0, 4));
  const wd = weekdayOf(date);
  if (wd === 0 || wd === 6) return null;
  if (date === ymd(year, 7, 3) && wd >= 1 && wd <= 4) return { date, name: 'Independence Day eve' };
  if (date === addDays(nthWeekday(year, 11, 4, 4), 1)) return { date, name: 'Day after Thanksgiving' };
  if (date === ymd(year, 12, 24) && wd >= 1 && wd <= 4) return { date, name: 'Christmas Eve' };
  return null;
}
