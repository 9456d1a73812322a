import {
  etToUtc,
  MINUTE_MS,
  previousTradeDate,
  sessionEndMs,
  sessionStartMs,
  simEtParts,
  tradeDateOf,
  type Ymd,
} from '../calendar.js';
import { activeContract, type FutureSymbol, type SimContract } from '../contracts.js';
import { uniform } from '../random.js';
import { aggregateBars, type Bar, BarSum, clean, floorTo, roundTo, type WhatToShow } from './bars.js';
import { PriceProcess, type PriceProcessOptions } from './prices.js';

/**
 * What the simulator serves, derived from the price process: one-minute bars on the tick grid (volume,
 * count, wap), daily bars, and quotes (top of book and session statistics) at an instant.
 */

export type { Bar, WhatToShow } from './bars.js';

/** No history before this instant (head timestamps of continuous series start here). */
export const MODEL_START_MS = Date.UTC(2020, 0, 2, 23);
const BASE_VOLUME: Readonly<Record<FutureSymbol, number>> = { ES: 3000, NQ: 1200, RTY: 250 };

export interface Quote {
  /** Whether the contract's market is trading at this instant. */
  open: boolean;
  bid: number | undefined;
  ask: number | undefined;
  last: number;
  bidSize: number;
  askSize: number;
  lastSize: number;
  volume: number | undefined;
  sessionOpen: number | undefined;
  high: number | undefined;
  low: number | undefined;
  /** Prior settlement (futures: 16:00 ET of the previous trade date; VIX: previous 16:15 value). */
  close: number;
  /** Last instant the price changed (start of the last open minute), UTC ms. */
  lastTradeMs: number;
}

export type MarketModelOptions = PriceProcessOptions;

export class MarketModel {
  /** The deterministic levels every bar and quote is derived from. */
  readonly prices: PriceProcess;
  private readonly seed: number;
  private readonly dailyCache = new Map<string, Bar | null>();
  private readonly sessionSums = new Map<string, { sum: BarSum; through: number }>();

  constructor(options: MarketModelOptions) {
    this.prices = new PriceProcess(options);
    this.seed = this.prices.seed;
  }

  /** Aggregates consecutive one-minute bars into one. */
  static aggregate(bars: readonly Bar[]): Bar | undefined {
    return aggregateBars(bars);
  }

  private minuteVolume(contract: SimContract, minute: number): number {
    if (contract.secType === 'IND' || !this.prices.isOpenMinute(contract, minute)) return 0;
    const symbol = contract.symbol as FutureSymbol;
    const active = activeContract(symbol, minute * MINUTE_MS).conId === contract.conId;
    const base =
      BASE_VOLUME[symbol] * (this.prices.isRthMinute(contract, minute) ? 1 : 0.12) * (active ? 1 : 0.02);
    const stress = this.prices.regimeVix(minute * MINUTE_MS) / 16;
    return Math.max(
      1,
      Math.round(base * stress * (0.4 + 1.2 * uniform(this.seed, 100 + contract.conId, minute))),
    );
  }

  /** A one-minute bar starting at `minute` (TRADES prices on the tick grid; MIDPOINT on the half-tick). */
  minuteBar(contract: SimContract, minute: number, what: WhatToShow): Bar {
    const tick = contract.tick;
    const step = what === 'MIDPOINT' ? tick / 2 : tick;
    // The first bar after a closure opens where it trades (the gap falls between bars).
    const previous = this.prices.isOpenMinute(contract, minute - 1)
      ? this.prices.value(contract, minute - 1)
      : undefined;
    const close = this.prices.value(contract, minute);
    const open = previous ?? close;
    const range = Math.abs(close - open) + tick * 2 * uniform(this.seed, 7, minute + contract.conId);
    const high = Math.max(open, close) + range * uniform(this.seed, 8, minute + contract.conId);
    const low = Math.min(open, close) - range * uniform(this.seed, 9, minute + contract.conId);
    const shiftBidAsk = what === 'BID' ? -tick / 2 : what === 'ASK' ? tick / 2 : 0;
    const o = roundTo(open + shiftBidAsk, step);
    const c = roundTo(close + shiftBidAsk, step);
    const h = Math.max(o, c, roundTo(high + shiftBidAsk, step));
    const l = Math.min(o, c, roundTo(low + shiftBidAsk, step));
    const prices = { startMs: minute * MINUTE_MS, open: o, high: h, low: l, close: c };
    if (what !== 'TRADES') return { ...prices, volume: -1, wap: -1, count: -1 };
    const volume = contract.secType === 'IND' ? 0 : this.minuteVolume(contract, minute);
    return {
      ...prices,
      volume,
      wap: clean((o + h + l + c) / 4),
      count: contract.secType === 'IND' ? 0 : Math.max(1, Math.round(volume / 4)),
    };
  }

  /** Open minutes of a contract in [fromMs, toMs), optionally RTH only. */
  openMinutes(contract: SimContract, fromMs: number, toMs: number, rthOnly: boolean): number[] {
    const out: number[] = [];
    const first = Math.ceil(fromMs / MINUTE_MS);
    const last = Math.ceil(toMs / MINUTE_MS);
    for (let m = first; m < last; m++) {
      if (rthOnly ? this.prices.isRthMinute(contract, m) : this.prices.isOpenMinute(contract, m)) out.push(m);
    }
    return out;
  }

  /** The daily bar of a trade date (the whole session, or RTH only); undefined when nothing traded. */
  dailyBar(contract: SimContract, tradeDate: Ymd, what: WhatToShow, rthOnly: boolean): Bar | undefined {
    const key = `${contract.conId}:${tradeDate.year}-${tradeDate.month}-${tradeDate.day}:${what}:${rthOnly}`;
    const cached = this.dailyCache.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const from =
      contract.secType === 'IND'
        ? etToUtc(tradeDate.year, tradeDate.month, tradeDate.day)
        : sessionStartMs(tradeDate);
    const to =
      contract.secType === 'IND'
        ? etToUtc(tradeDate.year, tradeDate.month, tradeDate.day, 24 * 60 - 1)
        : sessionEndMs(tradeDate);
    const minutes = this.openMinutes(contract, from, to, rthOnly);
    const bar = aggregateBars(minutes.map((m) => this.minuteBar(contract, m, what)));
    if (bar) bar.tradeDate = tradeDate;
    this.dailyCache.set(key, bar ?? null);
    if (this.dailyCache.size > 50_000) this.dailyCache.clear();
    return bar;
  }

  /** Top of book and session statistics at an instant. */
  quote(contract: SimContract, ms: number): Quote {
    const minute = Math.floor(ms / MINUTE_MS);
    const open = this.prices.isOpenMinute(contract, minute);
    const lastMinute = this.prices.lastOpenMinute(contract, minute);
    return contract.secType === 'IND'
      ? this.indexQuote(contract, open, lastMinute)
      : this.futureQuote(contract, open, lastMinute);
  }

  /** VIX: a last value, no book; close is the previous day's last published value. */
  private indexQuote(contract: SimContract, open: boolean, lastMinute: number): Quote {
    const tick = contract.tick;
    const value = this.prices.value(contract, lastMinute);
    const day = simEtParts(lastMinute * MINUTE_MS);
    const today = { year: day.year, month: day.month, day: day.day };
    const todayBar = this.dailyBarUpTo(contract, today, lastMinute);
    const midnight = Math.floor(etToUtc(day.year, day.month, day.day) / MINUTE_MS);
    const prevClose = this.prices.value(contract, this.prices.lastOpenMinute(contract, midnight - 1));
    return {
      open,
      bid: undefined,
      ask: undefined,
      last: roundTo(value, tick),
      bidSize: 0,
      askSize: 0,
      lastSize: 0,
      volume: undefined,
      sessionOpen: todayBar?.open,
      high: todayBar?.high,
      low: todayBar?.low,
      close: roundTo(prevClose, tick),
      lastTradeMs: lastMinute * MINUTE_MS,
    };
  }

  /** A future: one-tick book (wider overnight), sizes, session statistics and the prior settlement. */
  private futureQuote(contract: SimContract, open: boolean, lastMinute: number): Quote {
    const tick = contract.tick;
    const value = this.prices.value(contract, lastMinute);
    const rth = this.prices.isRthMinute(contract, lastMinute);
    const symbol = contract.symbol as FutureSymbol;
    const wide =
      !rth && uniform(this.seed, 11, lastMinute + contract.conId) < (symbol === 'RTY' ? 0.5 : 0.15);
    const bid = floorTo(value, tick);
    const ask = clean(bid + tick * (wide ? 2 : 1));
    const sizeBase = BASE_VOLUME[symbol] / (rth ? 60 : 300);
    const size = (stream: number) =>
      Math.max(
        1,
        Math.round(sizeBase * (0.3 + 1.4 * uniform(this.seed, stream, lastMinute + contract.conId))),
      );
    const td = tradeDateOf(lastMinute * MINUTE_MS);
    const sessionBar = this.dailyBarUpTo(contract, td, lastMinute);
    const prev = previousTradeDate(td);
    const settleMinute = Math.floor(etToUtc(prev.year, prev.month, prev.day, 16 * 60) / MINUTE_MS) - 1;
    return {
      open,
      bid,
      ask,
      last: uniform(this.seed, 12, lastMinute + contract.conId) < 0.5 ? bid : ask,
      bidSize: size(13),
      askSize: size(14),
      lastSize: Math.max(1, Math.round(size(15) / 4)),
      volume: sessionBar?.volume,
      sessionOpen: sessionBar?.open,
      high: sessionBar?.high,
      low: sessionBar?.low,
      close: roundTo(this.prices.futureValue(contract, settleMinute), tick),
      lastTradeMs: lastMinute * MINUTE_MS,
    };
  }

  /**
   * The session so far, up to and including `lastMinute`. Quotes ask for it minute after minute, so the
   * running sum is kept per contract and session and extended, not re-added from the session's start.
   */
  private dailyBarUpTo(contract: SimContract, tradeDate: Ymd, lastMinute: number): Bar | undefined {
    const from =
      contract.secType === 'IND'
        ? etToUtc(tradeDate.year, tradeDate.month, tradeDate.day)
        : sessionStartMs(tradeDate);
    const key = `${contract.conId}:${from}`;
    let running = this.sessionSums.get(key);
    if (!running || running.through > lastMinute) {
      running = { sum: new BarSum(), through: Math.ceil(from / MINUTE_MS) - 1 };
      if (this.sessionSums.size >= 256) this.sessionSums.clear();
      this.sessionSums.set(key, running);
    }
    const minutes = this.openMinutes(
      contract,
      (running.through + 1) * MINUTE_MS,
      (lastMinute + 1) * MINUTE_MS,
      false,
    );
    for (const m of minutes) running.sum.add(this.minuteBar(contract, m, 'TRADES'));
    running.through = Math.max(running.through, lastMinute);
    return running.sum.bar();
  }
}
