import { etToUtc, formatYmd, MINUTE_MS, simEtParts } from './calendar.js';

/** The date-time strings IB puts on the wire: version reply, bar times, end dates, head timestamps. */

const TZ_OFFSETS: Readonly<Record<string, 'ET' | 'CT' | 'UTC'>> = {
  'US/Eastern': 'ET',
  'America/New_York': 'ET',
  EST: 'ET',
  EDT: 'ET',
  EST5EDT: 'ET',
  'US/Central': 'CT',
  'America/Chicago': 'CT',
  CST: 'CT',
  CDT: 'CT',
  UTC: 'UTC',
  GMT: 'UTC',
  'Etc/UTC': 'UTC',
};

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** "YYYYMMDD HH:MM:SS US/Eastern" */
export function formatIbEt(ms: number): string {
  const p = simEtParts(ms);
  const sec = Math.floor((((ms % MINUTE_MS) + MINUTE_MS) % MINUTE_MS) / 1000);
  return `${formatYmd(p)} ${pad2(Math.floor(p.minuteOfDay / 60))}:${pad2(p.minuteOfDay % 60)}:${pad2(sec)} US/Eastern`;
}

/** "YYYYMMDD-HH:MM:SS" in UTC. */
export function formatUtcDash(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}-${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/** Parses a historical endDateTime; `warnNoZone` is set when no zone was given (IB warning 2174). */
export function parseEndDateTime(
  text: string,
  nowMs: number,
): { ms: number; warnNoZone: boolean } | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return { ms: nowMs, warnNoZone: false };
  const dash = /^(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})$/.exec(trimmed);
  if (dash) {
    const [, y, mo, d, h, mi, s] = dash.map(Number) as number[];
    return { ms: Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0, s ?? 0), warnNoZone: false };
  }
  const spaced = /^(\d{4})(\d{2})(\d{2})(?:\s+(\d{2}):(\d{2}):(\d{2}))?(?:\s+(\S+))?$/.exec(trimmed);
  if (!spaced) return undefined;
  const y = Number(spaced[1]);
  const mo = Number(spaced[2]);
  const d = Number(spaced[3]);
  const h = Number(spaced[4] ?? 0);
  const mi = Number(spaced[5] ?? 0);
  const s = Number(spaced[6] ?? 0);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  const zoneName = spaced[7];
  const zone = zoneName === undefined ? 'ET' : TZ_OFFSETS[zoneName];
  if (!zone) return undefined;
  const minuteOfDay = h * 60 + mi;
  let ms: number;
  if (zone === 'UTC') ms = Date.UTC(y, mo - 1, d, h, mi, s);
  else ms = etToUtc(y, mo, d, minuteOfDay + (zone === 'CT' ? 60 : 0)) + s * 1000;
  return { ms, warnNoZone: zoneName === undefined };
}
