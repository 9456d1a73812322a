import { isIsoDate } from '../market/zoned.js';
import { InvalidSignalInputError } from './errors.js';
import type { DailyClose, PricePoint } from './types.js';

export function describeValue(value: unknown): string {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  return JSON.stringify(value);
}

export function requirePositive(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidSignalInputError(path, `must be a positive finite number, got ${describeValue(value)}`);
  }
  return value;
}

export function requireFinite(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidSignalInputError(path, `must be a finite number, got ${describeValue(value)}`);
  }
  return value;
}

export function requireInstant(value: unknown, path: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new InvalidSignalInputError(path, `must be a valid Date, got ${describeValue(value)}`);
  }
  return value;
}

export function requireDate(value: unknown, path: string): string {
  if (typeof value !== 'string' || !isIsoDate(value)) {
    throw new InvalidSignalInputError(path, `must be a YYYY-MM-DD date, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Positive prices, valid instants, strictly ascending time. The common case (a valid point) builds no
 * strings: a replay validates thousands of points per check.
 */
export function requirePath(points: readonly PricePoint[], path: string): void {
  let previous = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < points.length; i++) {
    const point = points[i] as PricePoint;
    const ts = point.ts instanceof Date ? point.ts.getTime() : Number.NaN;
    const price = point.price;
    if (Number.isNaN(ts)) requireInstant(point.ts, `${path}[${i}].ts`);
    if (!(typeof price === 'number' && Number.isFinite(price) && price > 0)) {
      requirePositive(price, `${path}[${i}].price`);
    }
    if (ts <= previous)
      throw new InvalidSignalInputError(`${path}[${i}].ts`, 'must be later than the point before it');
    previous = ts;
  }
}

/** Series already checked: a replay hands the same (memoised, never mutated) closes to every check. */
const checkedCloses = new WeakSet<readonly DailyClose[]>();

export function requireDailyCloses(closes: readonly DailyClose[], path: string): void {
  if (checkedCloses.has(closes)) return;
  let previous = '';
  closes.forEach((row, i) => {
    const date = requireDate(row.date, `${path}[${i}].date`);
    requirePositive(row.close, `${path}[${i}].close`);
    if (date <= previous)
      throw new InvalidSignalInputError(`${path}[${i}].date`, 'must be later than the row before it');
    previous = date;
  });
  checkedCloses.add(closes);
}
