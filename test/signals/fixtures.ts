import { addDays, etWallTime } from '../../src/market/zoned.js';
import type {
  DailyClose,
  IndexSymbol,
  PremarketIndexInput,
  PremarketInputs,
  PricePoint,
  RegimeIndexInput,
  RegimeInputs,
} from '../../src/signals/index.js';
import { referenceInstant } from '../../src/signals/index.js';

/** Deterministic builders of signal inputs on fixed New York clocks. */

export const CON_IDS: Record<IndexSymbol, number> = { ES: 495512563, NQ: 563947738, RTY: 568550526 };
export const LOCAL: Record<IndexSymbol, string> = { ES: 'ESM5', NQ: 'NQM5', RTY: 'RTYM5' };
export const REF_PRICE: Record<IndexSymbol, number> = { ES: 6000, NQ: 21000, RTY: 2100 };

export function sigmaOnFromVix(vix: number, share = 0.35): number {
  return (vix / 100 / Math.sqrt(252)) * Math.sqrt(share);
}

/** Ascending daily dates (weekdays) ending the day before `end`. */
export function weekdaysBefore(end: string, count: number): string[] {
  const out: string[] = [];
  let date = end;
  while (out.length < count) {
    date = addDays(date, -1);
    const wd = new Date(`${date}T00:00:00Z`).getUTCDay();
    if (wd !== 0 && wd !== 6) out.unshift(date);
  }
  return out;
}

/** Closes from daily log returns: closes[0] = start. */
export function closesFromReturns(
  dates: readonly string[],
  start: number,
  returns: (i: number) => number,
): DailyClose[] {
  let price = start;
  return dates.map((date, i) => {
    if (i > 0) price *= Math.exp(returns(i));
    return { date, close: price };
  });
}

/** A linear path of `count` points from `from` to `to` between two instants (both ends excluded/included: (start, end]). */
export function linearPath(start: Date, end: Date, from: number, to: number, count: number): PricePoint[] {
  const out: PricePoint[] = [];
  for (let k = 1; k <= count; k++) {
    const f = k / count;
    out.push({
      ts: new Date(start.getTime() + f * (end.getTime() - start.getTime())),
      price: from + f * (to - from),
    });
  }
  return out;
}

export interface PremarketFixture {
  sessionDate?: string;
  refDate?: string;
  earlyClose?: boolean;
  /** New York wall time of asOf on the session date. */
  at?: [number, number];
  /** z per index (ES σ = σ_ON from VIX, NQ/RTY scaled by default ratios and the gap factor). */
  z?: Partial<Record<IndexSymbol, number | null>>;
  vix?: number | null;
  vix3m?: number;
  regime?: 'bullish' | 'neutral' | 'bearish';
  ageSeconds?: Partial<Record<IndexSymbol, number>>;
  history?: number[];
}

export const DEFAULT_RATIO: Record<IndexSymbol, number> = { ES: 1, NQ: 1.25, RTY: 1.35 };

export function premarketInputs(f: PremarketFixture = {}): PremarketInputs {
  const sessionDate = f.sessionDate ?? '2025-06-11';
  const refDate = f.refDate ?? '2025-06-10';
  const [hh, mm] = f.at ?? [9, 25];
  const asOf = etWallTime(sessionDate, hh, mm);
  const refTime = referenceInstant(refDate, f.earlyClose === true);
  const vix = f.vix === undefined ? 16 : f.vix;
  const extra = Math.round((Date.parse(sessionDate) - Date.parse(refDate)) / 86_400_000) - 1;
  const gap = Math.sqrt(1 + 0.25 * extra);
  const sigmaOn = sigmaOnFromVix(vix ?? 16);
  const zs = f.z ?? { ES: 0, NQ: 0, RTY: 0 };
  const perIndex: Partial<Record<IndexSymbol, PremarketIndexInput>> = {};
  for (const symbol of ['ES', 'NQ', 'RTY'] as const) {
    const z = zs[symbol];
    if (z === null || z === undefined) continue;
    const ref = REF_PRICE[symbol];
    const price = ref * Math.exp(z * sigmaOn * DEFAULT_RATIO[symbol] * gap);
    const ts = new Date(asOf.getTime() - (f.ageSeconds?.[symbol] ?? 5) * 1000);
    perIndex[symbol] = {
      conId: CON_IDS[symbol],
      localSymbol: LOCAL[symbol],
      reference: { price: ref, ts: refTime, conId: CON_IDS[symbol], kind: 'settlement' },
      current: { price, ts, conId: CON_IDS[symbol], kind: 'mid', spread: 0.25 },
      path: linearPath(refTime, new Date(ts.getTime() - 60_000), ref, price, 30),
      daysToExpiry: 9,
      dailyCloses: [],
    };
  }
  return {
    asOf,
    sessionDate,
    reference: { sessionDate: refDate, earlyClose: f.earlyClose === true },
    perIndex,
    vix:
      vix === null
        ? undefined
        : {
            level: vix,
            ts: new Date(asOf.getTime() - 60_000),
            priorClose: vix,
            source: 'derived',
            live: true,
          },
    vix3m: f.vix3m === undefined ? undefined : { level: f.vix3m, ts: asOf },
    regimeOverride: f.regime ?? 'neutral',
    overnightHistory: (f.history ?? []).map((r, i) => ({
      sessionDate: addDays(refDate, -(f.history ?? []).length + i),
      returns: { ES: r },
    })),
    calendar: { rollWeek: false, expiryDay: false },
    lake: [{ table: 'futures_snapshots', version: 42 }],
  };
}

export interface RegimeIndexFixture {
  /** Price path as fractions of the reference, one value per minute ending at asOf. */
  minutes: number[];
  ageSeconds?: number;
}

/** Regime inputs: reference at the last 16:00 ET; per-minute paths ending at asOf. */
export function regimeInputs(
  asOf: Date,
  refTime: Date,
  perIndex: Partial<Record<IndexSymbol, RegimeIndexFixture>>,
  extra: Partial<RegimeInputs> = {},
): RegimeInputs {
  const out: Partial<Record<IndexSymbol, RegimeIndexInput>> = {};
  for (const [symbol, fx] of Object.entries(perIndex) as [IndexSymbol, RegimeIndexFixture][]) {
    const ref = REF_PRICE[symbol];
    const n = fx.minutes.length;
    const lag = (fx.ageSeconds ?? 0) * 1000;
    const path = fx.minutes.map((m, i) => ({
      ts: new Date(asOf.getTime() - lag - (n - 1 - i) * 60_000),
      price: ref * m,
    }));
    const last = path.at(-1)!;
    out[symbol] = {
      conId: CON_IDS[symbol],
      localSymbol: LOCAL[symbol],
      reference: { price: ref, ts: refTime, conId: CON_IDS[symbol], kind: 'settlement' },
      current: { price: last.price, ts: last.ts, conId: CON_IDS[symbol], kind: 'bar_close' },
      path: path.slice(0, -1),
      dailyCloses: [],
    };
  }
  return {
    asOf,
    perIndex: out,
    vix: { level: 20, ts: new Date(asOf.getTime() - 30_000), priorClose: 20, source: 'derived', live: true },
    regimeOverride: 'neutral',
    ...extra,
  };
}

/** n minutes of a flat path at `level` (fraction of reference). */
export function flat(n: number, level = 1): number[] {
  return Array.from({ length: n }, () => level);
}

/** n minutes moving linearly from `from` to `to` (fractions of reference), inclusive of both ends. */
export function ramp(n: number, from: number, to: number): number[] {
  return Array.from({ length: n }, (_, i) => from + ((to - from) * i) / Math.max(1, n - 1));
}
