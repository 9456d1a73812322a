import type { PricePoint } from './types.js';

/** Index of the last point with ts ≤ t (binary search over an ascending path), or −1. */
export function lastIndexAtOrBefore(points: readonly { ts: Date }[], t: number): number {
  let lo = 0;
  let hi = points.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid]!.ts.getTime() <= t) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/**
 * The price in force at t: the last point at or before t, if it is at most `maxAgeMs` older.
 * A gap in the stream is missing data, not a flat market (research §4.4), hence the age limit.
 */
export function priceAt(points: readonly PricePoint[], t: number, maxAgeMs: number): number | null {
  const i = lastIndexAtOrBefore(points, t);
  if (i < 0) return null;
  const point = points[i]!;
  return t - point.ts.getTime() <= maxAgeMs ? point.price : null;
}

/** Highest price among points with from ≤ ts ≤ to. */
export function maxInWindow(points: readonly PricePoint[], from: number, to: number): number | null {
  let best: number | null = null;
  for (let i = lastIndexAtOrBefore(points, to); i >= 0; i--) {
    const point = points[i]!;
    if (point.ts.getTime() < from) break;
    if (best === null || point.price > best) best = point.price;
  }
  return best;
}

/** `count` prices picked evenly by observation order (first and last kept), for a sparkline. */
export function resampleByOrder(prices: readonly number[], count: number): number[] {
  if (prices.length <= count) return [...prices];
  const out: number[] = [];
  for (let k = 0; k < count; k++) out.push(prices[Math.round((k * (prices.length - 1)) / (count - 1))]!);
  return out;
}

/** The path clipped to (from, to] plus `last` when it is newer than the path's end. */
export function seriesUntil(
  path: readonly PricePoint[],
  from: number,
  to: number,
  last: PricePoint,
): PricePoint[] {
  const out = path.filter((p) => p.ts.getTime() > from && p.ts.getTime() <= to);
  const end = out.at(-1);
  if (end === undefined || end.ts.getTime() < last.ts.getTime()) out.push(last);
  return out;
}
