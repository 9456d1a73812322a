import {
  addDays,
  etToUtc,
  formatYmd,
  isTradeDate,
  MINUTE_MS,
  previousTradeDate,
  sessionEndMs,
  sessionStartMs,
  simEtParts,
  tradeDateOf,
  type Ymd,
} from '../calendar.js';
import { activeContract, isFutureSymbol, type SimContract } from '../contracts.js';
import { type Bar, MarketModel, MODEL_START_MS, type WhatToShow } from '../market/model.js';
import type { SecType } from './contracts.js';

/** The bars of a historical request: a window of trade dates or calendar time, cut into bar-size buckets. */

export const UNIT_SECONDS: Readonly<Record<string, number>> = {
  S: 1,
  D: 86_400,
  W: 604_800,
  M: 2_592_000,
  Y: 31_536_000,
};

export interface BarWindow {
  contract: SimContract;
  secType: SecType;
  startMs: number;
  endMs: number;
  barMinutes: number;
  what: WhatToShow;
  useRth: boolean;
}

/** Start of a request window: D counts trade dates (like IB), other units are calendar time. */
export function windowStart(endMs: number, unit: string, count: number, isIndex: boolean): number {
  if (unit !== 'D') return endMs - count * (UNIT_SECONDS[unit] ?? 86_400) * 1000;
  let td = tradeDateOf(endMs - 1);
  if (!isTradeDate(td)) td = previousTradeDate(td);
  for (let i = 1; i < count; i++) td = previousTradeDate(td);
  return isIndex ? etToUtc(td.year, td.month, td.day) : sessionStartMs(td);
}

export function buildBars(market: MarketModel, window: BarWindow): Bar[] {
  const { contract, secType } = window;
  const from = Math.max(
    window.startMs,
    MODEL_START_MS,
    contract.listed && secType === 'FUT' ? sessionStartMs(contract.listed) : 0,
  );
  const to =
    secType === 'FUT' && contract.expiryMs !== undefined
      ? Math.min(window.endMs, contract.expiryMs)
      : window.endMs;
  if (from >= to) return [];
  const span: Span = {
    from,
    to,
    // A continuous series is priced from whichever contract was active at each instant.
    pick: (ms) =>
      secType === 'CONTFUT' && isFutureSymbol(contract.symbol)
        ? activeContract(contract.symbol, ms)
        : contract,
  };
  return window.barMinutes >= 1440 ? dailyBars(market, window, span) : intradayBars(market, window, span);
}

/** The part of the window the contract has history for, and which contract prices each instant. */
interface Span {
  from: number;
  to: number;
  pick(ms: number): SimContract;
}

function dailyBars(market: MarketModel, window: BarWindow, { from, to, pick }: Span): Bar[] {
  const bars: Bar[] = [];
  let td = tradeDateOf(from);
  const last = tradeDateOf(to - 1);
  for (let guard = 0; guard < 20_000 && formatYmd(td) <= formatYmd(last); guard++, td = addDays(td, 1)) {
    if (!isTradeDate(td)) continue;
    const sessionStart =
      window.contract.secType === 'IND' ? etToUtc(td.year, td.month, td.day) : sessionStartMs(td);
    const bar = partialDaily(market, pick(sessionStart), td, window, to);
    if (bar) bars.push(bar);
  }
  return bars;
}

function intradayBars(market: MarketModel, window: BarWindow, { from, to, pick }: Span): Bar[] {
  const { barMinutes } = window;
  const minutes = market.openMinutes(window.contract, from, to, window.useRth);
  const bars: Bar[] = [];
  let bucket: Bar[] = [];
  let bucketKey: number | undefined;
  const bucketOf = (minute: number): number => {
    if (barMinutes === 1) return minute;
    // Bars align to the ET clock (e.g. 5-minute bars start at :00, :05 ...).
    const offset = simEtParts(minute * MINUTE_MS).minuteOfDay;
    return minute - (offset % barMinutes);
  };
  for (const m of minutes) {
    const key = bucketOf(m);
    if (bucketKey !== undefined && key !== bucketKey) {
      const agg = MarketModel.aggregate(bucket);
      if (agg) bars.push({ ...agg, startMs: bucketKey * MINUTE_MS });
      bucket = [];
    }
    bucketKey = key;
    bucket.push(market.minuteBar(pick(m * MINUTE_MS), m, window.what));
  }
  const agg = MarketModel.aggregate(bucket);
  if (agg && bucketKey !== undefined) bars.push({ ...agg, startMs: bucketKey * MINUTE_MS });
  return bars;
}

/** A daily bar, cut at `to` when the trade date is still in progress. */
function partialDaily(
  market: MarketModel,
  contract: SimContract,
  td: Ymd,
  window: BarWindow,
  to: number,
): Bar | undefined {
  const { what, useRth } = window;
  const endOfDay =
    contract.secType === 'IND' ? etToUtc(td.year, td.month, td.day, 24 * 60) : sessionEndMs(td);
  if (endOfDay <= to) return market.dailyBar(contract, td, what, useRth);
  const from = contract.secType === 'IND' ? etToUtc(td.year, td.month, td.day) : sessionStartMs(td);
  const minutes = market.openMinutes(contract, from, to, useRth);
  const bar = MarketModel.aggregate(minutes.map((m) => market.minuteBar(contract, m, what)));
  if (bar) bar.tradeDate = td;
  return bar;
}
