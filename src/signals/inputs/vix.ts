/** VIX and VIX3M at an instant, from live prints or daily closes of a PriceSlice. */
import { etParts } from '../../market/index.js';
import type { DailyBar, PriceSlice } from '../../market/price.js';
import { lastIndexAtOrBefore } from '../path.js';
import type { DailyClose, Vix3mInput, VixInput } from '../types.js';
import { countAtOrBefore, memoOnSlice } from './series.js';

function latestDaily(bars: readonly DailyBar[] | undefined, asOf: Date, beforeDate?: string) {
  let found: DailyBar | undefined;
  let previous: DailyBar | undefined;
  for (const b of bars ?? []) {
    if (b.availableAt.getTime() > asOf.getTime()) break;
    if (beforeDate !== undefined && b.date >= beforeDate) break;
    if (found && found.date !== b.date) previous = found;
    found = b;
  }
  return { found, previous };
}

/** VIX: an override, else a live print at most maxAge old, else the latest daily close. */
export function vixOf(
  slice: PriceSlice,
  asOf: Date,
  maxAgeMs: number,
  override?: number,
): VixInput | undefined {
  const prints = slice.prints.get('VIX') ?? [];
  const i = lastIndexAtOrBefore(prints, asOf.getTime());
  const print = i >= 0 ? prints[i] : undefined;
  const daily = slice.daily.get('VIX');
  if (override !== undefined) {
    const prior = latestDaily(daily, asOf, etParts(asOf).date).found?.close ?? print?.priorClose ?? null;
    return { level: override, ts: asOf, priorClose: prior, source: 'override', live: false };
  }
  if (print && asOf.getTime() - print.ts.getTime() <= maxAgeMs) {
    const prior = print.priorClose ?? latestDaily(daily, asOf, etParts(print.ts).date).found?.close ?? null;
    return { level: print.level, ts: print.ts, priorClose: prior, source: 'derived', live: true };
  }
  const { found, previous } = latestDaily(daily, asOf);
  if (found) {
    return {
      level: found.close,
      ts: found.availableAt,
      priorClose: previous?.close ?? null,
      source: 'derived',
      live: false,
    };
  }
  if (print)
    return { level: print.level, ts: print.ts, priorClose: print.priorClose, source: 'derived', live: false };
  return undefined;
}

export function vix3mOf(slice: PriceSlice, asOf: Date, maxAgeMs: number): Vix3mInput | undefined {
  const prints = slice.prints.get('VIX3M') ?? [];
  const i = lastIndexAtOrBefore(prints, asOf.getTime());
  const print = i >= 0 ? prints[i] : undefined;
  if (print && asOf.getTime() - print.ts.getTime() <= maxAgeMs) return { level: print.level, ts: print.ts };
  const { found } = latestDaily(slice.daily.get('VIX3M'), asOf);
  if (found) return { level: found.close, ts: found.availableAt };
  return print ? { level: print.level, ts: print.ts } : undefined;
}

export function vixClosesOf(slice: PriceSlice, asOf: Date, lastDate: string): DailyClose[] {
  const daily = slice.daily.get('VIX') ?? [];
  const available = countAtOrBefore(daily, asOf.getTime(), (b) => b.availableAt.getTime());
  return memoOnSlice(slice, `vix|${lastDate}|${available}`, () => vixClosesNow(slice, asOf, lastDate));
}

function vixClosesNow(slice: PriceSlice, asOf: Date, lastDate: string): DailyClose[] {
  const out: DailyClose[] = [];
  for (const b of slice.daily.get('VIX') ?? []) {
    if (b.availableAt.getTime() > asOf.getTime() || b.date > lastDate) break;
    if (out.at(-1)?.date === b.date) continue;
    out.push({ date: b.date, close: b.close });
  }
  return out;
}
