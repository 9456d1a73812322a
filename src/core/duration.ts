/**
 * The one duration grammar of every flag and table property: "90s", "15m", "2h", "1d12h", "1w",
 * "250ms", Spark's interval text ("interval 30 days", "2 hours"). A bare number ("90") is seconds where
 * the caller allows it (`bare: 'seconds'`) and refused elsewhere (a retention period must name its unit).
 */

const DAY_MS = 86_400_000;

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  millisecond: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hour: 3_600_000,
  d: DAY_MS,
  day: DAY_MS,
  w: 7 * DAY_MS,
  week: 7 * DAY_MS,
  // Calendar units are ambiguous in milliseconds; round up, because a longer retention is the safe side.
  month: 31 * DAY_MS,
  year: 366 * DAY_MS,
};

function unitMs(unit: string): number | undefined {
  const lower = unit.toLowerCase();
  return UNIT_MS[lower] ?? (lower.endsWith('s') ? UNIT_MS[lower.slice(0, -1)] : undefined);
}

export interface ParseDurationOptions {
  /** What a number without a unit means: seconds, or unreadable (the default). */
  bare?: 'seconds' | 'refuse';
}

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(
  text: string | null | undefined,
  options: ParseDurationOptions = {},
): number | undefined {
  if (text === null || text === undefined) return undefined;
  let rest = text.trim().replace(/^interval\s+/i, '');
  if (rest === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(rest)) {
    return options.bare === 'seconds' ? exact(Math.round(Number(rest) * 1000)) : undefined;
  }
  let total = 0;
  const part = /^(\d+(?:\.\d+)?)\s*([a-z]+)\s*/i;
  while (rest !== '') {
    const m = part.exec(rest);
    if (!m) return undefined;
    const ms = unitMs(m[2] as string);
    if (ms === undefined) return undefined;
    total += Number(m[1]) * ms;
    rest = rest.slice(m[0].length);
  }
  return exact(Math.round(total));
}

/**
 * A duration whose milliseconds are an exact integer (up to ~285,000 years): `99999999999999999999s`
 * became 99999999999999980000 s, printed and compared as a number nobody typed.
 */
function exact(ms: number): number | undefined {
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** "7d", "36h", "90m", "45s", "250ms": the largest unit that divides the duration exactly. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  for (const [unit, size] of [
    ['w', 7 * DAY_MS],
    ['d', DAY_MS],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** An age for people, rounded to the unit that reads best: "45s", "12m", "3.5h", "2.6d". */
export function formatAge(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 120) return `${Math.round(seconds)}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)}h`;
  return `${(seconds / 86_400).toFixed(1)}d`;
}
