import { defaultCalendar, type MarketCalendar, tradeDateOf } from './calendar.js';
import { nthWeekday } from './holidays.js';
import type { FuturesSymbol } from './instruments.js';
import { addDays, etInstant, isIsoDate, weekdayOf } from './zoned.js';

/**
 * Quarterly equity-index contract cycle (H/M/U/Z): last trade 09:30 ET on the third Friday of the
 * contract month, moved back a business day when the NYSE is closed that Friday (Juneteenth 2026
 * and 2027). Default roll: 8 calendar days before the last trade date (CME convention, §2.2).
 */

/** 'YYYYMM', IB's lastTradeDateOrContractMonth. */
export type ContractMonth = string;

export const MONTH_CODES: Readonly<Record<number, string>> = {
  1: 'F',
  2: 'G',
  3: 'H',
  4: 'J',
  5: 'K',
  6: 'M',
  7: 'N',
  8: 'Q',
  9: 'U',
  10: 'V',
  11: 'X',
  12: 'Z',
};

export const QUARTERLY_MONTHS: readonly number[] = [3, 6, 9, 12];
export const DEFAULT_ROLL_DAYS = 8;

const CONTRACT_MONTH_RE = /^(\d{4})(0[1-9]|1[0-2])$/;

function parseContractMonth(month: ContractMonth): { year: number; month: number } {
  const m = CONTRACT_MONTH_RE.exec(month);
  if (!m) throw new RangeError(`not a contract month (YYYYMM): '${month}'`);
  return { year: Number(m[1]), month: Number(m[2]) };
}

function formatContractMonth(year: number, month: number): ContractMonth {
  return `${year}${String(month).padStart(2, '0')}`;
}

export function isQuarterlyMonth(month: ContractMonth): boolean {
  return QUARTERLY_MONTHS.includes(parseContractMonth(month).month);
}

/** The last trade date ('YYYY-MM-DD') of a contract month: third Friday, earlier if the NYSE is closed. */
export function lastTradeDate(month: ContractMonth, calendar: MarketCalendar = defaultCalendar()): string {
  const { year, month: m } = parseContractMonth(month);
  let date = nthWeekday(year, m, 5, 3);
  for (let i = 0; i < 10 && calendar.nyseSession(date) === null; i++) {
    do date = addDays(date, -1);
    while (weekdayOf(date) === 0 || weekdayOf(date) === 6);
  }
  return date;
}

/** The last trading instant of a contract: 09:30 ET on its last trade date (final settlement to the SOQ). */
export function expiryOf(
  _symbol: FuturesSymbol,
  month: ContractMonth,
  calendar: MarketCalendar = defaultCalendar(),
): Date {
  return etInstant(lastTradeDate(month, calendar), '09:30');
}

/** Roll date: `rollDays` calendar days before the last trade date; from this trade date on, the next contract leads. */
export function rollDateOf(
  month: ContractMonth,
  rollDays = DEFAULT_ROLL_DAYS,
  calendar: MarketCalendar = defaultCalendar(),
): string {
  return addDays(lastTradeDate(month, calendar), -rollDays);
}

/** IB local symbol: localSymbol('ES', '202612') → 'ESZ6'. */
export function localSymbol(symbol: FuturesSymbol, month: ContractMonth): string {
  const { year, month: m } = parseContractMonth(month);
  return `${symbol}${MONTH_CODES[m]}${year % 10}`;
}

/** The quarterly contract month after `month` (or the first quarterly month at or after it). */
export function nextQuarterly(month: ContractMonth): ContractMonth {
  const { year, month: m } = parseContractMonth(month);
  const q = QUARTERLY_MONTHS.find((x) => x > m);
  return q === undefined ? formatContractMonth(year + 1, 3) : formatContractMonth(year, q);
}

function quarterlyAtOrAfter(year: number, month: number): ContractMonth {
  const q = QUARTERLY_MONTHS.find((x) => x >= month);
  return q === undefined ? formatContractMonth(year + 1, 3) : formatContractMonth(year, q);
}

export interface QuarterlyContract {
  month: ContractMonth;
  /** Month code + one-digit year, e.g. 'Z6' (prefix the symbol for the IB localSymbol). */
  code: string;
  lastTradeDate: string;
  expiry: Date;
  rollDate: string;
}

function describe(month: ContractMonth, rollDays: number, calendar: MarketCalendar): QuarterlyContract {
  const { year, month: m } = parseContractMonth(month);
  const last = lastTradeDate(month, calendar);
  return {
    month,
    code: `${MONTH_CODES[m]}${year % 10}`,
    lastTradeDate: last,
    expiry: etInstant(last, '09:30'),
    rollDate: addDays(last, -rollDays),
  };
}

/** `count` quarterly contracts not yet past their last trade date on `date` ('YYYY-MM-DD'), nearest first. */
export function quarterlyContracts(
  date: string,
  count = 5,
  rollDays = DEFAULT_ROLL_DAYS,
  calendar: MarketCalendar = defaultCalendar(),
): QuarterlyContract[] {
  if (!isIsoDate(date)) throw new RangeError(`not a date (YYYY-MM-DD): '${date}'`);
  let month = quarterlyAtOrAfter(Number(date.slice(0, 4)), Number(date.slice(5, 7)));
  const out: QuarterlyContract[] = [];
  while (out.length < count) {
    const c = describe(month, rollDays, calendar);
    if (c.lastTradeDate >= date) out.push(c);
    month = nextQuarterly(month);
  }
  return out;
}

export interface RollState {
  tradeDate: string;
  /** The nearest contract not yet expired at `at`. */
  front: QuarterlyContract;
  next: QuarterlyContract;
  /** The contract to collect and signal on: `next` from the front's roll date on. */
  active: QuarterlyContract;
  /** From the Monday of the roll date's week through the last trade date of the expiring contract: collect both. */
  inRollWeek: boolean;
  /** The trade date is a quarterly last trade date. */
  isExpiryDay: boolean;
}

/** Front/next/active contract at an instant (by its CME trade date). rollDays 0 = hold until the 09:30 expiry. */
export function rollStateAt(
  at: Date,
  rollDays = DEFAULT_ROLL_DAYS,
  calendar: MarketCalendar = defaultCalendar(),
): RollState {
  const tradeDate = tradeDateOf(at, calendar);
  const [nearest, second] = quarterlyContracts(tradeDate, 2, rollDays, calendar) as [
    QuarterlyContract,
    QuarterlyContract,
  ];
  const expired = at.getTime() >= nearest.expiry.getTime();
  const front = expired ? second : nearest;
  const next = expired ? describe(nextQuarterly(second.month), rollDays, calendar) : second;
  const rolled = expired || (rollDays > 0 && tradeDate >= nearest.rollDate);
  const rollWeekStart = addDays(nearest.rollDate, -((weekdayOf(nearest.rollDate) + 6) % 7));
  return {
    tradeDate,
    front,
    next,
    active: rolled ? second : nearest,
    inRollWeek: tradeDate >= rollWeekStart && tradeDate <= nearest.lastTradeDate,
    isExpiryDay: tradeDate === nearest.lastTradeDate,
  };
}

/** The contract month to use at `at`: the front until its roll date, then the next one. */
export function contractMonthFor(
  at: Date,
  rollDays = DEFAULT_ROLL_DAYS,
  calendar: MarketCalendar = defaultCalendar(),
): ContractMonth {
  return rollStateAt(at, rollDays, calendar).active.month;
}

export function isRollWeek(
  at: Date,
  rollDays = DEFAULT_ROLL_DAYS,
  calendar: MarketCalendar = defaultCalendar(),
): boolean {
  return rollStateAt(at, rollDays, calendar).inRollWeek;
}

/** True when the CME trade date of `at` (or the given 'YYYY-MM-DD') is a quarterly last trade date. */
export function isExpiryDay(at: Date | string, calendar: MarketCalendar = defaultCalendar()): boolean {
  const date = typeof at === 'string' ? at : tradeDateOf(at, calendar);
  if (!isIsoDate(date)) throw new RangeError(`not a date (YYYY-MM-DD): '${date}'`);
  const month = formatContractMonth(Number(date.slice(0, 4)), Number(date.slice(5, 7)));
  return isQuarterlyMonth(month) && lastTradeDate(month, calendar) === date;
}
