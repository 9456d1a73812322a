import { TZDate } from '@date-fns/tz';

/** Date and time strings as IB reads and writes them. All instants in and out are UTC `Date`s. */

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `yyyymmdd-hh:mm:ss`, the UTC form IB accepts for historical endDateTime without warning 2174. */
export function formatIbUtc(at: Date): string {
  return (
    `${at.getUTCFullYear()}${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())}-` +
    `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}`
  );
}

/** `YYYYMMDD` → a Date at 00:00 UTC of that day. */
export function parseYmd(ymd: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(ymd);
  if (!m) throw new RangeError(`not a YYYYMMDD date: ${JSON.stringify(ymd)}`);
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  if (date.getUTCDate() !== Number(m[3])) throw new RangeError(`not a calendar date: ${ymd}`);
  return date;
}

export function formatYmd(date: Date): string {
  return `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}`;
}

/** Calendar days from `from` to `to`, both YYYYMMDD. */
export function daysBetween(from: string, to: string): number {
  return Math.round((parseYmd(to).getTime() - parseYmd(from).getTime()) / 86_400_000);
}

/**
 * Parses the `date` of a historical bar:
 * - epoch seconds (intraday bars with formatDate=2),
 * - `yyyymmdd` (daily bars; the bar is that trade date, returned as 00:00 UTC of it),
 * - `yyyymmdd hh:mm:ss[ <IANA zone>]` or `yyyymmdd-hh:mm:ss` (formatDate=1; no zone means UTC).
 */
export function parseIbBarTime(text: string): Date {
  const value = text.trim();
  if (/^\d{9,}$/.test(value)) return new Date(Number(value) * 1000);
  if (/^\d{8}$/.test(value)) return parseYmd(value);
  const m = /^(\d{4})(\d{2})(\d{2})[ -]+(\d{2}):(\d{2}):(\d{2})(?:\s+(\S+))?$/.exec(value);
  if (m) {
    const n = (group: number) => Number(m[group]);
    const zone = m[7];
    if (!zone || zone === 'UTC' || zone === 'GMT')
      return new Date(Date.UTC(n(1), n(2) - 1, n(3), n(4), n(5), n(6)));
    const ms = new TZDate(n(1), n(2) - 1, n(3), n(4), n(5), n(6), zone).getTime();
    if (Number.isNaN(ms)) throw new RangeError(`unknown time zone in IB bar time: ${JSON.stringify(text)}`);
    return new Date(ms);
  }
  throw new RangeError(`unrecognised IB bar time: ${JSON.stringify(text)}`);
}

/**
 * The CME trade date of an instant (YYYYMMDD): the session that opens at 18:00 New York time belongs to
 * the next calendar day. Weekends and holidays are not shifted here (the calendar layer does that).
 */
export function cmeTradeDate(at: Date): string {
  const ny = new TZDate(at.getTime(), 'America/New_York');
  const day = new Date(Date.UTC(ny.getFullYear(), ny.getMonth(), ny.getDate()));
  if (ny.getHours() >= 18) day.setUTCDate(day.getUTCDate() + 1);
  return formatYmd(day);
}

/** Normalises IB's lastTradeDateOrContractMonth ("20250919", "20250919 08:30 US/Central", "202509"). */
export function leadingDigits(value: string | undefined, length: 6 | 8): string | null {
  if (!value) return null;
  const m = /^\s*(\d+)/.exec(value);
  const digits = m?.[1];
  if (!digits || digits.length < length) return null;
  return digits.slice(0, length);
}
