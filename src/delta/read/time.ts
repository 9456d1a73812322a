/** Calendar formatting of days and microseconds since the Unix epoch (UTC, no time-zone database). */

const MICROS_PER_DAY = 86_400_000_000n;

function pad(n: number | bigint, width: number): string {
  return String(n).padStart(width, '0');
}

/** Days since 1970-01-01 as YYYY-MM-DD. */
export function formatDays(days: number): string {
  const date = new Date(days * 86_400_000);
  const year = date.getUTCFullYear();
  const y =
    year >= 0 && year <= 9999
      ? pad(year, 4)
      : date.toISOString().slice(0, date.toISOString().indexOf('-', 1));
  return `${y}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}`;
}

/** Microseconds since the epoch as YYYY-MM-DDTHH:MM:SS.ffffff (no zone). */
export function formatMicros(micros: bigint): string {
  let days = micros / MICROS_PER_DAY;
  let rem = micros % MICROS_PER_DAY;
  if (rem < 0n) {
    rem += MICROS_PER_DAY;
    days -= 1n;
  }
  const seconds = rem / 1_000_000n;
  const fraction = rem % 1_000_000n;
  const hh = seconds / 3600n;
  const mm = (seconds % 3600n) / 60n;
  const ss = seconds % 60n;
  return `${formatDays(Number(days))}T${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}.${pad(fraction, 6)}`;
}
