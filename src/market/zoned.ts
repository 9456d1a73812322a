/**
 * Wall-clock helpers for America/New_York on top of Intl (the runtime's IANA data), so DST rule
 * changes arrive with Node's tzdata. Dates are 'YYYY-MM-DD' strings, times 'HH:MM[:SS]'.
 *
 * Hazard: on the fall-back Sunday 01:00–01:59 ET happens twice; etInstant picks the earlier (EDT)
 * instant unless told otherwise. On the spring-forward Sunday 02:00–02:59 ET does not exist and
 * etInstant throws NonexistentTimeError.
 */

export const ET_ZONE = 'America/New_York';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface EtParts {
  /** 'YYYY-MM-DD' in ET. */
  date: string;
  /** 'HH:MM' in ET. */
  time: string;
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** Minutes since ET midnight (0–1439). */
  minuteOfDay: number;
  /** UTC offset in minutes (-300 EST, -240 EDT). */
  offsetMinutes: number;
}

/** A wall-clock time that the zone skips (the spring-forward hour). */
export class NonexistentTimeError extends RangeError {
  constructor(
    readonly date: string,
    readonly time: string,
  ) {
    super(`${date} ${time} does not exist in ${ET_ZONE} (clocks spring forward)`);
    this.name = 'NonexistentTimeError';
  }
}

const offsetFormatter = new Intl.DateTimeFormat('en-US', {
  timeZone: ET_ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
});

// ET offsets only change on whole UTC hours, so one lookup per UTC hour is exact.
const offsetCache = new Map<number, number>();

function computeOffsetMinutes(ms: number): number {
  const fields: Record<string, number> = {};
  for (const part of offsetFormatter.formatToParts(new Date(ms))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const asUtc = Date.UTC(
    fields.year ?? 1970,
    (fields.month ?? 1) - 1,
    fields.day ?? 1,
    fields.hour ?? 0,
    fields.minute ?? 0,
    fields.second ?? 0,
  );
  const wholeSeconds = Math.floor(ms / 1000) * 1000;
  return Math.round((asUtc - wholeSeconds) / 60_000);
}

/** UTC offset of ET at the instant `ms`, in minutes. */
export function etOffsetMinutes(ms: number): number {
  const hourKey = Math.floor(ms / HOUR_MS);
  const cached = offsetCache.get(hourKey);
  if (cached !== undefined) return cached;
  const offset = computeOffsetMinutes(hourKey * HOUR_MS);
  if (offsetCache.size > 50_000) offsetCache.clear();
  offsetCache.set(hourKey, offset);
  return offset;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function formatYmd(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`;
}

/** The ET wall-clock fields of an instant. */
export function etParts(at: Date): EtParts {
  const ms = at.getTime();
  if (Number.isNaN(ms)) throw new RangeError('etParts: invalid Date');
  const offsetMinutes = etOffsetMinutes(ms);
  const local = new Date(ms + offsetMinutes * 60_000);
  const year = local.getUTCFullYear();
  const month = local.getUTCMonth() + 1;
  const day = local.getUTCDate();
  const hour = local.getUTCHours();
  const minute = local.getUTCMinutes();
  return {
    date: formatYmd(year, month, day),
    time: `${pad2(hour)}:${pad2(minute)}`,
    year,
    month,
    day,
    hour,
    minute,
    second: local.getUTCSeconds(),
    weekday: local.getUTCDay(),
    minuteOfDay: hour * 60 + minute,
    offsetMinutes,
  };
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_RE = /^(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** UTC midnight of valid dates seen (signal validation checks the same closes on every evaluation). */
const DATE_MS = new Map<string, number>();

function parseIsoDateMs(value: string): number | undefined {
  const cached = DATE_MS.get(value);
  if (cached !== undefined) return cached;
  const m = DATE_RE.exec(value);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const probe = new Date(ms);
  if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d) {
    return undefined;
  }
  if (DATE_MS.size >= 50_000) DATE_MS.clear();
  DATE_MS.set(value, ms);
  return ms;
}

/** True for a real calendar date written 'YYYY-MM-DD'. */
export function isIsoDate(value: string): boolean {
  return parseIsoDateMs(value) !== undefined;
}

/**
 * The years a user may name (flags, config): the calendar and the contract rules compute days around a
 * date, so a year near 9999 would step out of 'YYYY-MM-DD'; nothing this tool reads is older than 1970.
 */
export const INPUT_YEARS = { first: 1970, last: 2199 } as const;
export const INPUT_DATE_MESSAGE = `expected a date YYYY-MM-DD in ${INPUT_YEARS.first}–${INPUT_YEARS.last}`;

/** True for a real date in INPUT_YEARS: what a flag or config value may name. */
export function isInputDate(value: string): boolean {
  if (!isIsoDate(value)) return false;
  const year = Number(value.slice(0, 4));
  return year >= INPUT_YEARS.first && year <= INPUT_YEARS.last;
}

function dateToUtcMs(date: string): number {
  const ms = parseIsoDateMs(date);
  if (ms === undefined) throw new RangeError(`not a date (YYYY-MM-DD): '${date}'`);
  return ms;
}

function utcMsToDate(ms: number): string {
  const d = new Date(ms);
  return formatYmd(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

/** Calendar arithmetic on 'YYYY-MM-DD' (no time zone involved). */
export function addDays(date: string, days: number): string {
  return utcMsToDate(dateToUtcMs(date) + days * DAY_MS);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOf(date: string): number {
  return new Date(dateToUtcMs(date)).getUTCDay();
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((dateToUtcMs(to) - dateToUtcMs(from)) / DAY_MS);
}

export function ymd(year: number, month: number, day: number): string {
  return utcMsToDate(Date.UTC(year, month - 1, day));
}

export const WEEKDAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

export interface EtInstantOptions {
  /** Which instant to take when the wall time happens twice (fall back). Default 'earlier'. */
  fold?: 'earlier' | 'later';
}

/**
 * The instant at which ET wall clocks show `date time` ('HH:MM' or 'HH:MM:SS').
 * Throws NonexistentTimeError inside the spring-forward gap.
 */
export function etInstant(date: string, time: string, options: EtInstantOptions = {}): Date {
  const t = TIME_RE.exec(time);
  if (!t) throw new RangeError(`not a time (HH:MM): '${time}'`);
  const [h, mi, s] = [Number(t[1]), Number(t[2]), Number(t[3] ?? 0)];
  if (h > 23 || mi > 59 || s > 59) throw new RangeError(`not a time (HH:MM): '${time}'`);
  const local = dateToUtcMs(date) + ((h * 60 + mi) * 60 + s) * 1000;
  const offsets = new Set([etOffsetMinutes(local - 12 * HOUR_MS), etOffsetMinutes(local + 12 * HOUR_MS)]);
  const candidates: number[] = [];
  for (const offset of offsets) {
    const ms = local - offset * 60_000;
    if (etOffsetMinutes(ms) === offset) candidates.push(ms);
  }
  if (candidates.length === 0) throw new NonexistentTimeError(date, time);
  candidates.sort((a, b) => a - b);
  const pick = options.fold === 'later' ? candidates[candidates.length - 1] : candidates[0];
  return new Date(pick as number);
}

/** The instant of an ET wall-clock hour and minute on `date` (see etInstant for the DST gap and fold). */
export function etWallTime(date: string, hour: number, minute = 0): Date {
  return etInstant(date, `${pad2(hour)}:${pad2(minute)}`);
}

const MINUTE_MS = 60_000;

/**
 * ET minute-of-day for each whole minute in [end − minutes, end). The UTC offset is looked up per
 * minute only when the window straddles a DST change.
 */
export function etMinutesOfWindow(end: Date, minutes: number): number[] {
  const endMs = Math.floor(end.getTime() / MINUTE_MS) * MINUTE_MS;
  const startMs = endMs - minutes * MINUTE_MS;
  const offStart = etOffsetMinutes(startMs);
  const offEnd = etOffsetMinutes(endMs);
  const out: number[] = [];
  for (let ms = startMs; ms < endMs; ms += MINUTE_MS) {
    const offset = offStart === offEnd ? offStart : etOffsetMinutes(ms);
    const local = ms / MINUTE_MS + offset;
    out.push(((local % 1440) + 1440) % 1440);
  }
  return out;
}

/** ISO-8601 with the ET offset, e.g. '2026-03-09T18:00:00-04:00'. */
export function formatEtIso(at: Date): string {
  const p = etParts(at);
  const sign = p.offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(p.offsetMinutes);
  return `${p.date}T${p.time}:${pad2(p.second)}${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

/** 'YYYY-MM-DD HH:MM' in ET. */
export function formatEt(at: Date): string {
  const p = etParts(at);
  return `${p.date} ${p.time}`;
}

const ET_LOCAL_RE = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,9}))?)?$/;
const ISO_WITH_OFFSET_RE =
  /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/i;

/** The year as written (an ET or offset date), so '2199-12-31 19:00' ET is in range. */
function inInputYears(value: string): void {
  const year = Number(value.trim().slice(0, 4));
  if (year < INPUT_YEARS.first || year > INPUT_YEARS.last) {
    throw new RangeError(
      `'${value}' is outside the supported years ${INPUT_YEARS.first}–${INPUT_YEARS.last}`,
    );
  }
}

export interface ParseInstantOptions {
  /** Also accept a date alone ('YYYY-MM-DD'), meaning ET midnight (a predicate on a timestamp column). */
  dateOnly?: boolean;
}

/** A parsed user instant in microseconds since the epoch (a fraction of a second kept to the µs). */
export interface ParsedInstant {
  micros: bigint;
  /** False when the text carried no offset or Z, so it was read as ET. */
  zoned: boolean;
}

function fractionMicros(digits: string | undefined): bigint {
  return BigInt((digits ?? '').padEnd(6, '0').slice(0, 6) || '0');
}

/**
 * THE parser of instants a person types (flags, predicates, the simulator's start): ISO-8601 with an
 * offset or Z, or a naive 'YYYY-MM-DD HH:MM[:SS[.fff]]' (also with a 'T') meaning America/New_York.
 * Throws RangeError with a readable message (a wall time the spring-forward gap skips included).
 */
export function parseInstantMicros(value: string, options: ParseInstantOptions = {}): ParsedInstant {
  const text = value.trim();
  const local = ET_LOCAL_RE.exec(text);
  if (local && (local[2] !== undefined || options.dateOnly)) {
    const [, date, time, fraction] = local;
    if (!isIsoDate(date as string)) throw new RangeError(`'${value}' is not a valid date`);
    inInputYears(value);
    const at = etInstant(date as string, time ?? '00:00');
    return { micros: BigInt(at.getTime()) * 1000n + fractionMicros(fraction), zoned: false };
  }
  const zoned = ISO_WITH_OFFSET_RE.exec(text);
  if (zoned) {
    const [, date, time, fraction, zone] = zoned;
    if (!isIsoDate(date as string)) throw new RangeError(`'${value}' is not a valid date`);
    const parsed = Date.parse(`${date}T${time}${zone}`);
    if (!Number.isNaN(parsed)) {
      inInputYears(value);
      return { micros: BigInt(parsed) * 1000n + fractionMicros(fraction), zoned: true };
    }
  }
  throw new RangeError(
    `'${value}' is not a time: use ISO-8601 with an offset (2026-03-09T18:00:00-04:00) or 'YYYY-MM-DD HH:MM' in ET`,
  );
}

/** parseInstantMicros as a Date (milliseconds): what every time flag takes. */
export function parseInstant(value: string, options: ParseInstantOptions = {}): Date {
  return new Date(Number(parseInstantMicros(value, options).micros / 1000n));
}

/** True for a zone Intl knows ('America/Chicago', 'UTC', 'Europe/London'). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

function zoneFormatter(zone: string): Intl.DateTimeFormat {
  let formatter = zoneFormatters.get(zone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'short',
    });
    zoneFormatters.set(zone, formatter);
  }
  return formatter;
}

/**
 * An instant for people: '2026-11-20 09:25 ET' (America/New_York, the default), '2026-11-20 14:25 UTC',
 * or the zone's short name ('CST'); `seconds` adds ':SS' and a fraction when there is one.
 */
export function formatInZone(at: Date, zone: string = ET_ZONE, options: { seconds?: boolean } = {}): string {
  const ms = at.getTime();
  let date: string;
  let hm: string;
  let second: number;
  let label: string;
  if (zone === ET_ZONE) {
    const p = etParts(at);
    [date, hm, second, label] = [p.date, p.time, p.second, 'ET'];
  } else {
    const f: Record<string, string> = {};
    for (const part of zoneFormatter(zone).formatToParts(at)) f[part.type] = part.value;
    date = `${f.year}-${f.month}-${f.day}`;
    hm = `${f.hour}:${f.minute}`;
    second = Number(f.second);
    label = zone === 'UTC' || zone === 'Etc/UTC' ? 'UTC' : (f.timeZoneName ?? zone);
  }
  if (!options.seconds) return `${date} ${hm} ${label}`;
  const milli = ((ms % 1000) + 1000) % 1000;
  const fraction = milli === 0 ? '' : `.${String(milli).padStart(3, '0')}`;
  return `${date} ${hm}:${pad2(second)}${fraction} ${label}`;
}
