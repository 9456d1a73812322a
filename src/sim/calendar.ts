/**
 * The simulator's own small CME/CBOE calendar in US/Eastern: weekend, the daily 17:00–18:00 halt,
 * a rule-based holiday list (full closures and 13:00/13:15 early halts), RTH, the trade date, and
 * quarterly expiries (third Friday, moved earlier when it is an exchange holiday). Pure and fast:
 * the market model asks for every minute, so time-zone math uses the US DST rule, not Intl.
 */

import { type CmeDayStatus, defaultCalendar } from '../market/calendar.js';

export const MINUTE_MS = 60_000;
export const DAY_MINUTES = 1440;

export interface SimEtParts {
  year: number;
  month: number;
  day: number;
  /** 0 = Sunday. */
  dow: number;
  /** Minutes since local midnight. */
  minuteOfDay: number;
}

const dstCache = new Map<number, [number, number]>();

function nthWeekdayUtc(year: number, monthIndex: number, weekday: number, n: number): number {
  const first = new Date(Date.UTC(year, monthIndex, 1)).getUTCDay();
  const day = 1 + ((weekday - first + 7) % 7) + (n - 1) * 7;
  return day;
}

/** US DST (since 2007): second Sunday of March 02:00 EST to first Sunday of November 02:00 EDT, as UTC ms. */
function dstRange(year: number): [number, number] {
  let range = dstCache.get(year);
  if (!range) {
    const startDay = nthWeekdayUtc(year, 2, 0, 2);
    const endDay = nthWeekdayUtc(year, 10, 0, 1);
    range = [Date.UTC(year, 2, startDay, 7), Date.UTC(year, 10, endDay, 6)];
    dstCache.set(year, range);
  }
  return range;
}

/** Offset of US/Eastern from UTC in minutes (−240 in summer, −300 in winter). */
export function etOffsetMinutes(ms: number): number {
  // Every year's DST range lies inside [Mar 1, Dec 1) UTC, so the year only matters near its edges.
  const year = yearOf(ms);
  const [start, end] = dstRange(year);
  return ms >= start && ms < end ? -240 : -300;
}

const yearStarts = new Map<number, number>();
let lastYear = 1970;
let lastYearStart = 0;
let lastYearEnd = Date.UTC(1971, 0, 1);

function yearOf(ms: number): number {
  if (ms >= lastYearStart && ms < lastYearEnd) return lastYear;
  const year = new Date(ms).getUTCFullYear();
  lastYear = year;
  lastYearStart = yearStarts.get(year) ?? Date.UTC(year, 0, 1);
  yearStarts.set(year, lastYearStart);
  lastYearEnd = Date.UTC(year + 1, 0, 1);
  return year;
}

/** ET wall-clock parts by the fixed US DST rule (the simulator's fast path; src/market/zoned.ts is the real one). */
export function simEtParts(ms: number): SimEtParts {
  const local = new Date(ms + etOffsetMinutes(ms) * MINUTE_MS);
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    dow: local.getUTCDay(),
    minuteOfDay: local.getUTCHours() * 60 + local.getUTCMinutes(),
  };
}

/** The UTC instant of an ET wall-clock time (the first one when the clock falls back). */
export function etToUtc(year: number, month: number, day: number, minuteOfDay = 0): number {
  const naive = Date.UTC(year, month - 1, day) + minuteOfDay * MINUTE_MS;
  const guess = naive - etOffsetMinutes(naive + 300 * MINUTE_MS) * MINUTE_MS;
  return naive - etOffsetMinutes(guess) * MINUTE_MS;
}

/** Calendar arithmetic on ET dates, via a UTC-noon anchor. */
export function addDays(ymd: Ymd, days: number): Ymd {
  const d = new Date(Date.UTC(ymd.year, ymd.month - 1, ymd.day + days, 12));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

export interface Ymd {
  year: number;
  month: number;
  day: number;
}

export function dayOfWeek(ymd: Ymd): number {
  return new Date(Date.UTC(ymd.year, ymd.month - 1, ymd.day, 12)).getUTCDay();
}

export function ymdKey(ymd: Ymd): number {
  return ymd.year * 10_000 + ymd.month * 100 + ymd.day;
}

export function formatYmd(ymd: Ymd, separator = ''): string {
  return [
    String(ymd.year).padStart(4, '0'),
    String(ymd.month).padStart(2, '0'),
    String(ymd.day).padStart(2, '0'),
  ].join(separator);
}

export function parseYmd(text: string): Ymd | undefined {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(text);
  if (!m) return undefined;
  return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
}

/**
 * closed: CME equity and NYSE closed all day (New Year, Good Friday, Christmas);
 * holiday: NYSE closed, CME equity halts at 13:00 ET (MLK, Presidents, Memorial, Juneteenth, July 4, Labor, Thanksgiving);
 * early: NYSE closes at 13:00, CME equity at 13:15 ET (day after Thanksgiving, Christmas Eve).
 */
export type HolidayKind = 'closed' | 'holiday' | 'early';

const CME_DAY_KIND: Partial<Record<CmeDayStatus, HolidayKind>> = {
  closed: 'closed',
  holiday_halt: 'holiday',
  early_close: 'early',
};

/** The simulator follows the project's calendar (src/market), so both agree on every holiday. */
export function holidayKind(ymd: Ymd): HolidayKind | undefined {
  return CME_DAY_KIND[defaultCalendar().cmeDay(formatYmd(ymd, '-')).status];
}

/** A day on which NYSE/CBOE trade (weekday, not a holiday; early-close days count). */
export function isExchangeBusinessDay(ymd: Ymd): boolean {
  const dow = dayOfWeek(ymd);
  if (dow === 0 || dow === 6) return false;
  const kind = holidayKind(ymd);
  return kind === undefined || kind === 'early';
}

/** The CME trade date a minute belongs to (the session opening 18:00 ET belongs to the next day). */
export function tradeDateOf(ms: number): Ymd {
  const p = simEtParts(ms);
  const ymd = { year: p.year, month: p.month, day: p.day };
  return p.minuteOfDay >= 18 * 60 ? addDays(ymd, 1) : ymd;
}

function isCmeTradeDate(ymd: Ymd): boolean {
  const dow = dayOfWeek(ymd);
  return dow >= 1 && dow <= 5 && holidayKind(ymd) !== 'closed';
}

/** Minute of day (ET) at which the CME equity session of this trade date ends. */
export function sessionEndMinute(ymd: Ymd): number {
  const kind = holidayKind(ymd);
  if (kind === 'holiday') return 13 * 60;
  if (kind === 'early') return 13 * 60 + 15;
  return 17 * 60;
}

export type SessionStatus = 'open' | 'halt' | 'closed';

/** CME Globex equity futures status at an instant. */
export function cmeStatus(ms: number): SessionStatus {
  const p = simEtParts(ms);
  if (p.minuteOfDay >= 17 * 60 && p.minuteOfDay < 18 * 60) {
    const today = { year: p.year, month: p.month, day: p.day };
    return isCmeTradeDate(today) && isCmeTradeDate(addDays(today, 1)) ? 'halt' : 'closed';
  }
  const td = tradeDateOf(ms);
  if (!isCmeTradeDate(td)) return 'closed';
  if (p.minuteOfDay < 18 * 60 && p.minuteOfDay >= sessionEndMinute(td)) return 'halt';
  return 'open';
}

export function isCmeOpen(ms: number): boolean {
  return cmeStatus(ms) === 'open';
}

/** Regular trading hours 09:30–16:00 ET (futures liquid hours). */
export function isRth(ms: number): boolean {
  if (!isCmeOpen(ms)) return false;
  const p = simEtParts(ms);
  if (!isExchangeBusinessDay({ year: p.year, month: p.month, day: p.day })) return false;
  return p.minuteOfDay >= 9 * 60 + 30 && p.minuteOfDay < 16 * 60;
}

/** CBOE VIX index dissemination, simplified to 03:15–16:15 ET on business days (13:15 on early closes). */
export function isVixOpen(ms: number): boolean {
  const p = simEtParts(ms);
  const ymd = { year: p.year, month: p.month, day: p.day };
  if (!isExchangeBusinessDay(ymd)) return false;
  const end = holidayKind(ymd) === 'early' ? 13 * 60 + 15 : 16 * 60 + 15;
  return p.minuteOfDay >= 3 * 60 + 15 && p.minuteOfDay < end;
}

export function isVixRth(ms: number): boolean {
  return isVixOpen(ms) && simEtParts(ms).minuteOfDay >= 9 * 60 + 30;
}

export const FLAG_CME = 1;
export const FLAG_RTH = 2;
export const FLAG_VIX = 4;
export const FLAG_VIX_RTH = 8;

interface LocalDayInfo {
  tradeToday: boolean;
  tradeTomorrow: boolean;
  sessionEnd: number;
  business: boolean;
  vixEnd: number;
}

const localDayCache = new Map<number, LocalDayInfo>();

function localDayInfo(localDay: number): LocalDayInfo {
  let info = localDayCache.get(localDay);
  if (!info) {
    const d = new Date(localDay * 86_400_000 + 12 * 3_600_000);
    const ymd = { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
    info = {
      tradeToday: isCmeTradeDate(ymd),
      tradeTomorrow: isCmeTradeDate(addDays(ymd, 1)),
      sessionEnd: sessionEndMinute(ymd),
      business: isExchangeBusinessDay(ymd),
      vixEnd: holidayKind(ymd) === 'early' ? 13 * 60 + 15 : 16 * 60 + 15,
    };
    localDayCache.set(localDay, info);
  }
  return info;
}

/**
 * CME open, RTH, VIX open and VIX RTH as bit flags for an instant; equivalent to the functions above
 * but without allocating, for the market model's per-minute loop.
 */
export function minuteFlags(ms: number): number {
  const localMinute = Math.floor(ms / MINUTE_MS) + etOffsetMinutes(ms);
  const localDay = Math.floor(localMinute / DAY_MINUTES);
  const minuteOfDay = localMinute - localDay * DAY_MINUTES;
  const today = localDayInfo(localDay);
  let flags = 0;
  if (minuteOfDay >= 18 * 60) {
    if (today.tradeTomorrow) flags |= FLAG_CME;
  } else if (minuteOfDay < today.sessionEnd && minuteOfDay < 17 * 60 && today.tradeToday) {
    flags |= FLAG_CME;
    if (today.business && minuteOfDay >= 9 * 60 + 30 && minuteOfDay < 16 * 60) flags |= FLAG_RTH;
  }
  if (today.business && minuteOfDay >= 3 * 60 + 15 && minuteOfDay < today.vixEnd) {
    flags |= FLAG_VIX;
    if (minuteOfDay >= 9 * 60 + 30) flags |= FLAG_VIX_RTH;
  }
  return flags;
}

/** UTC instant at which the CME session of a trade date opens (18:00 ET the previous calendar day). */
export function sessionStartMs(tradeDate: Ymd): number {
  const prev = addDays(tradeDate, -1);
  return etToUtc(prev.year, prev.month, prev.day, 18 * 60);
}

export function sessionEndMs(tradeDate: Ymd): number {
  return etToUtc(tradeDate.year, tradeDate.month, tradeDate.day, sessionEndMinute(tradeDate));
}

/** The previous CME trade date with a session. */
export function previousTradeDate(tradeDate: Ymd): Ymd {
  let d = addDays(tradeDate, -1);
  while (!isCmeTradeDate(d)) d = addDays(d, -1);
  return d;
}

export function isTradeDate(ymd: Ymd): boolean {
  return isCmeTradeDate(ymd);
}

/** Third Friday of the month, moved to the previous business day when it is an exchange holiday. */
export function quarterlyExpiry(year: number, month: number): Ymd {
  let d: Ymd = { year, month, day: nthWeekdayUtc(year, month - 1, 5, 3) };
  while (!isExchangeBusinessDay(d)) d = addDays(d, -1);
  return d;
}

/** tradingHours / liquidHours strings in IB's format (§4.4) for `days` calendar days from `from`. */
export function sessionStrings(
  from: Ymd,
  days: number,
  kind: 'future' | 'vix',
  tz: 'US/Eastern' | 'US/Central',
): { tradingHours: string; liquidHours: string } {
  const shift = tz === 'US/Central' ? -60 : 0;
  const hhmm = (minute: number) => {
    const m = minute + shift;
    return `${String(Math.floor(m / 60)).padStart(2, '0')}${String(m % 60).padStart(2, '0')}`;
  };
  const trading: string[] = [];
  const liquid: string[] = [];
  for (let i = 0; i < days; i++) {
    const d = addDays(from, i);
    const key = formatYmd(d);
    if (kind === 'future') {
      if (!isCmeTradeDate(d)) {
        trading.push(`${key}:CLOSED`);
        liquid.push(`${key}:CLOSED`);
        continue;
      }
      const prev = formatYmd(addDays(d, -1));
      const end = sessionEndMinute(d);
      trading.push(`${prev}:${hhmm(18 * 60)}-${key}:${hhmm(end)}`);
      if (isExchangeBusinessDay(d))
        liquid.push(`${key}:${hhmm(9 * 60 + 30)}-${key}:${hhmm(Math.min(end, 16 * 60))}`);
      else liquid.push(`${key}:CLOSED`);
    } else {
      if (!isExchangeBusinessDay(d)) {
        trading.push(`${key}:CLOSED`);
        liquid.push(`${key}:CLOSED`);
        continue;
      }
      const end = holidayKind(d) === 'early' ? 13 * 60 + 15 : 16 * 60 + 15;
      trading.push(`${key}:${hhmm(3 * 60 + 15)}-${key}:${hhmm(end)}`);
      liquid.push(`${key}:${hhmm(9 * 60 + 30)}-${key}:${hhmm(end)}`);
    }
  }
  return { tradingHours: trading.join(';'), liquidHours: liquid.join(';') };
}
