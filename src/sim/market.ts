import {
  addDays,
  DAY_MINUTES,
  etToUtc,
  FLAG_CME,
  FLAG_RTH,
  FLAG_VIX,
  FLAG_VIX_RTH,
  MINUTE_MS,
  minuteFlags,
  parseYmd,
  previousTradeDate,
  sessionEndMs,
  sessionStartMs,
  simEtParts,
  tradeDateOf,
  type Ymd,
} from './calendar.js';
import { activeContract, type FutureSymbol, INSTRUMENTS, type SimContract } from './contracts.js';
import { gaussianPairs, uniform } from './random.js';
import type { MarketEvent } from './scenario.js';

/**
 * The deterministic market: per-minute log-price increments are hashed from (seed, stream, minute), so the
 * level at any instant is a pure function of (seed, scenario, minute) however requests are ordered. The
 * cumulative sums are cached in UTC-day chunks walking outward from the anchor day (2026-09-01), where
 * the index levels are pinned (ES 6800, NQ 25000, RTY 2500). Prices are frozen while the market is closed.
 */

const ANCHOR_MS = Date.UTC(2026, 8, 1);
const ANCHOR_DAY = Math.floor(ANCHOR_MS / MINUTE_MS / DAY_MINUTES);
/** No history before this instant (head timestamps of continuous series start here). */
export const MODEL_START_MS = Date.UTC(2020, 0, 2, 23);
const YEAR_MS = 365.25 * 86_400_000;
const SERIES = 4; // ES, NQ, RTY, VIX noise
const SERIES_INDEX: Readonly<Record<FutureSymbol, number>> = { ES: 0, NQ: 1, RTY: 2 };
const FUTURES: readonly FutureSymbol[] = ['ES', 'NQ', 'RTY'];
const BETA: Readonly<Record<FutureSymbol, number>> = { ES: 1, NQ: 1.2, RTY: 1.3 };
const COMMON_LOADING: Readonly<Record<FutureSymbol, number>> = { ES: 0.98, NQ: 0.92, RTY: 0.82 };
/** Share of daily variance in RTH (390 min) vs the rest of the session (990 min). */
const RTH_VARIANCE_SHARE = 0.65;
const VIX_SENSITIVITY = 4.5;
const VIX_LAG_MINUTES = 5 * DAY_MINUTES;
const BASE_VOLUME: Readonly<Record<FutureSymbol, number>> = { ES: 3000, NQ: 1200, RTY: 250 };
const CHUNK_CACHE_DAYS = 96;

interface DayChunk {
  /** Cumulative W per series at the end of each minute: index minute * SERIES + series. */
  w: Float64Array;
  flags: Uint8Array;
}

interface ResolvedWindow {
  from: number;
  to: number;
}

type ResolvedEvent =
  | ({ type: 'selloff'; pct: number; symbols: FutureSymbol[] } & ResolvedWindow)
  | { type: 'gap'; at: number; pct: number; symbols: FutureSymbol[] }
  | ({
      type: 'limitDown';
      pct: number;
      limitPct: number;
      lockUntil: number;
      symbols: FutureSymbol[];
    } & ResolvedWindow)
  | ({ type: 'vixSpike'; level: number; decayMs: number } & ResolvedWindow);

export interface Bar {
  /** Bar start (UTC ms); for daily bars the trade date's session start. */
  startMs: number;
  /** Daily bars: the trade date. */
  tradeDate?: Ymd;
  open: number;
  high: number;
  low: number;
  close: number;
  /** -1 where IB sends -1 (MIDPOINT). */
  volume: number;
  wap: number;
  count: number;
}

export type WhatToShow = 'TRADES' | 'MIDPOINT' | 'BID' | 'ASK';

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

export interface MarketModelOptions {
  seed: number;
  /** Baseline VIX level: volatility of the futures paths. */
  vix?: number;
  events?: readonly MarketEvent[];
  /** Simulator start instant: events without a date happen at the first occurrence after it. */
  startMs: number;
}

/** Removes binary noise (6800.250000001) without string formatting. */
function clean(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

function roundTo(value: number, step: number): number {
  return clean(Math.round(value / step) * step);
}

function floorTo(value: number, step: number): number {
  return clean(Math.floor(value / step + 1e-9) * step);
}

function nextOccurrence(afterMs: number, hhmm: string, date: string | undefined, inclusive: boolean): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  const minuteOfDay = h * 60 + m;
  if (date) {
    const ymd = parseYmd(date);
    if (ymd) return etToUtc(ymd.year, ymd.month, ymd.day, minuteOfDay);
  }
  const p = simEtParts(afterMs);
  let ymd: Ymd = { year: p.year, month: p.month, day: p.day };
  for (let i = 0; i < 3; i++) {
    const at = etToUtc(ymd.year, ymd.month, ymd.day, minuteOfDay);
    if (inclusive ? at >= afterMs : at > afterMs) return at;
    ymd = addDays(ymd, 1);
  }
  return etToUtc(ymd.year, ymd.month, ymd.day, minuteOfDay);
}

export function resolveEvents(events: readonly MarketEvent[], startMs: number): ResolvedEvent[] {
  const startMinute = Math.floor(startMs / MINUTE_MS) * MINUTE_MS;
  return events.map((event): ResolvedEvent => {
    const symbols =
      'symbols' in event && event.symbols
        ? [...event.symbols]
        : ['ES' as const, 'NQ' as const, 'RTY' as const];
    if (event.type === 'gap') {
      return {
        type: 'gap',
        at: nextOccurrence(startMinute, event.at, event.date, true),
        pct: event.pct,
        symbols,
      };
    }
    const from = nextOccurrence(startMinute, event.from, event.date, true);
    const to = nextOccurrence(from, event.to, undefined, false);
    if (event.type === 'selloff') return { type: 'selloff', from, to, pct: event.pct, symbols };
    if (event.type === 'vixSpike') {
      return { type: 'vixSpike', from, to, level: event.level, decayMs: event.decayHours * 3_600_000 };
    }
    return {
      type: 'limitDown',
      from,
      to,
      pct: event.pct,
      limitPct: event.limitPct,
      lockUntil: nextOccurrence(from, '09:30', undefined, false),
      symbols,
    };
  });
}

/** A running aggregate of consecutive one-minute bars (what MarketModel.aggregate computes, extensible). */
class BarSum {
  private first: Bar | undefined;
  private last: Bar | undefined;
  private high = 0;
  private low = 0;
  private volume = 0;
  private count = 0;
  private notional = 0;

  add(b: Bar): void {
    if (!this.first) {
      this.first = b;
      this.high = b.high;
      this.low = b.low;
    }
    this.last = b;
    this.high = Math.max(this.high, b.high);
    this.low = Math.min(this.low, b.low);
    this.volume += Math.max(0, b.volume);
    this.count += Math.max(0, b.count);
    this.notional += b.wap * Math.max(0, b.volume);
  }

  bar(): Bar | undefined {
    const { first, last, volume, count } = this;
    if (!first || !last) return undefined;
    const midpoint = first.volume < 0;
    return {
      startMs: first.startMs,
      open: first.open,
      high: this.high,
      low: this.low,
      close: last.close,
      volume: midpoint ? -1 : volume,
      wap: midpoint ? -1 : volume > 0 ? clean(this.notional / volume) : last.close,
      count: midpoint ? -1 : count,
    };
  }
}

export class MarketModel {
  readonly seed: number;
  readonly baseVix: number;
  readonly events: readonly ResolvedEvent[];
  private readonly chunks = new Map<number, DayChunk>();
  /** Cumulative W at the end of each day (permanent; small). */
  private readonly dayEnd = new Map<number, Float64Array>();
  private readonly limitRefs = new Map<string, number>();
  private readonly dailyCache = new Map<string, Bar | null>();
  private readonly sessionSums = new Map<string, { sum: BarSum; through: number }>();

  constructor(options: MarketModelOptions) {
    this.seed = options.seed | 0;
    this.baseVix = options.vix ?? 16;
    this.events = resolveEvents(options.events ?? [], options.startMs);
    this.dayEnd.set(ANCHOR_DAY - 1, new Float64Array(SERIES));
  }

  /** The VIX regime (baseline plus spikes) that sets volatility at an instant. */
  regimeVix(ms: number): number {
    let vix = this.baseVix;
    for (const e of this.events) {
      if (e.type !== 'vixSpike' || ms < e.from) continue;
      const extra = e.level - this.baseVix;
      if (ms < e.to) vix += (extra * (ms - e.from)) / Math.max(1, e.to - e.from);
      else vix += extra * Math.exp(-(ms - e.to) / e.decayMs);
    }
    return vix;
  }

  /** Increments of one minute (zero while CME is closed). */
  private increments(minute: number, flags: number, out: Float64Array, at: number): void {
    for (let s = 0; s < SERIES; s++) out[at + s] = 0;
    if (!(flags & FLAG_CME)) return;
    const ms = minute * MINUTE_MS;
    const annual = this.regimeVix(ms) / 100;
    const share = flags & FLAG_RTH ? RTH_VARIANCE_SHARE / 390 : (1 - RTH_VARIANCE_SHARE) / 990;
    const sigma = annual * Math.sqrt(share / 252);
    gaussianPairs(this.seed, minute, this.normals);
    const z = this.normals;
    const common = z[0] ?? 0;
    for (const symbol of FUTURES) {
      const i = SERIES_INDEX[symbol];
      const load = COMMON_LOADING[symbol];
      out[at + i] = BETA[symbol] * sigma * (load * common + Math.sqrt(1 - load * load) * (z[i + 1] ?? 0));
    }
    out[at + 3] = 0.0005 * (z[4] ?? 0);
  }

  private readonly normals = new Float64Array(6);
  private lastChunkDay = Number.NaN;
  private lastChunk: DayChunk | undefined;

  private chunk(day: number): DayChunk {
    if (day === this.lastChunkDay && this.lastChunk) return this.lastChunk;
    const found = this.chunkSlow(day);
    this.lastChunkDay = day;
    this.lastChunk = found;
    return found;
  }

  /** Per-minute increments and session flags of a UTC day, and their sum. */
  private dayData(day: number): { inc: Float64Array; flags: Uint8Array; sum: Float64Array } {
    const inc = new Float64Array(DAY_MINUTES * SERIES);
    const flags = new Uint8Array(DAY_MINUTES);
    const sum = new Float64Array(SERIES);
    for (let i = 0; i < DAY_MINUTES; i++) {
      const minute = day * DAY_MINUTES + i;
      const f = minuteFlags(minute * MINUTE_MS);
      flags[i] = f;
      this.increments(minute, f, inc, i * SERIES);
      for (let s = 0; s < SERIES; s++) sum[s] = (sum[s] ?? 0) + (inc[i * SERIES + s] ?? 0);
    }
    return { inc, flags, sum };
  }

  private storeChunk(
    day: number,
    start: Float64Array,
    data: { inc: Float64Array; flags: Uint8Array },
  ): DayChunk {
    const w = data.inc;
    const acc = Float64Array.from(start);
    for (let i = 0; i < DAY_MINUTES; i++) {
      for (let s = 0; s < SERIES; s++) {
        acc[s] = (acc[s] ?? 0) + (w[i * SERIES + s] ?? 0);
        w[i * SERIES + s] = acc[s] ?? 0;
      }
    }
    if (!this.dayEnd.has(day)) this.dayEnd.set(day, acc);
    const chunk = { w, flags: data.flags };
    this.chunks.set(day, chunk);
    if (this.chunks.size > CHUNK_CACHE_DAYS) {
      const oldest = this.chunks.keys().next().value;
      if (oldest !== undefined) this.chunks.delete(oldest);
    }
    return chunk;
  }

  private chunkSlow(day: number): DayChunk {
    const cached = this.chunks.get(day);
    if (cached) {
      this.chunks.delete(day);
      this.chunks.set(day, cached);
      return cached;
    }
    const start = this.startOfDay(day);
    return this.chunks.get(day) ?? this.storeChunk(day, start, this.dayData(day));
  }

  /** W at the start of a day = end of the previous day; zero at the anchor day. */
  private startOfDay(day: number): Float64Array {
    const known = this.dayEnd.get(day - 1);
    if (known) return known;
    if (day > ANCHOR_DAY) {
      for (let d = ANCHOR_DAY; d < day; d++) if (!this.dayEnd.has(d)) this.chunk(d);
      return this.dayEnd.get(day - 1) ?? new Float64Array(SERIES);
    }
    // Walking backwards: end(d) = end(d + 1) - sum of increments of day d + 1 (whose chunk is kept on the way).
    let end: Float64Array = new Float64Array(SERIES);
    for (let d = ANCHOR_DAY - 1; d >= day - 1; d--) {
      const have = this.dayEnd.get(d);
      if (have) {
        end = have;
        continue;
      }
      const data = this.dayData(d + 1);
      const previous = Float64Array.from(end);
      for (let s = 0; s < SERIES; s++) previous[s] = (previous[s] ?? 0) - (data.sum[s] ?? 0);
      this.dayEnd.set(d, previous);
      if (!this.chunks.has(d + 1)) this.storeChunk(d + 1, previous, data);
      end = previous;
    }
    return this.dayEnd.get(day - 1) ?? new Float64Array(SERIES);
  }

  private w(minute: number, series: number): number {
    const day = Math.floor(minute / DAY_MINUTES);
    const chunk = this.chunk(day);
    return chunk.w[(minute - day * DAY_MINUTES) * SERIES + series] ?? 0;
  }

  minuteFlags(minute: number): number {
    const day = Math.floor(minute / DAY_MINUTES);
    return this.chunk(day).flags[minute - day * DAY_MINUTES] ?? 0;
  }

  isCmeOpenMinute(minute: number): boolean {
    return (this.minuteFlags(minute) & FLAG_CME) !== 0;
  }

  private eventShift(symbol: FutureSymbol, ms: number): number {
    let shift = 0;
    for (const e of this.events) {
      if (e.type === 'vixSpike' || !e.symbols.includes(symbol)) continue;
      const beta = BETA[symbol];
      if (e.type === 'gap') {
        if (ms >= e.at) shift += beta * Math.log1p(e.pct / 100);
        continue;
      }
      if (ms < e.from) continue;
      const frac = Math.min(1, (ms - e.from) / Math.max(1, e.to - e.from));
      shift += beta * Math.log1p(e.pct / 100) * frac;
    }
    return shift;
  }

  /** Unconstrained log level of a future's underlying at the end of a minute. */
  private logLevel(symbol: FutureSymbol, minute: number): number {
    const ms = minute * MINUTE_MS;
    return (
      Math.log(INSTRUMENTS[symbol].anchorLevel) +
      this.w(minute, SERIES_INDEX[symbol]) +
      this.eventShift(symbol, ms)
    );
  }

  /** The index level a future prices off, at the end of a minute, after limit locks. */
  indexLevel(symbol: FutureSymbol, minute: number): number {
    let level = Math.exp(this.logLevel(symbol, minute));
    const ms = minute * MINUTE_MS;
    for (let k = 0; k < this.events.length; k++) {
      const e = this.events[k];
      if (!e) continue;
      if (e.type !== 'limitDown' || !e.symbols.includes(symbol) || ms < e.from || ms >= e.lockUntil) continue;
      const floor = this.limitReference(symbol, k, e.from) * (1 - e.limitPct / 100);
      if (level < floor) level = floor;
    }
    return level;
  }

  private limitReference(symbol: FutureSymbol, eventIndex: number, fromMs: number): number {
    const key = `${symbol}:${eventIndex}`;
    let ref = this.limitRefs.get(key);
    if (ref === undefined) {
      const td = previousTradeDate(tradeDateOf(fromMs));
      const settle = etToUtc(td.year, td.month, td.day, 16 * 60) - MINUTE_MS;
      ref = Math.exp(this.logLevel(symbol, Math.floor(settle / MINUTE_MS)));
      this.limitRefs.set(key, ref);
    }
    return ref;
  }

  /** Fair value of a futures contract at the end of a minute (not rounded). */
  futureValue(contract: SimContract, minute: number): number {
    const symbol = contract.symbol as FutureSymbol;
    // Carry stops decaying while the market is closed, so a closed market's price is truly frozen.
    const priced = this.isCmeOpenMinute(minute) ? minute : this.lastOpenMinute(contract, minute);
    const level = this.indexLevel(symbol, priced);
    const tau = Math.max(0, ((contract.expiryMs ?? 0) - priced * MINUTE_MS) / YEAR_MS);
    return level * Math.exp(contract.spec.carry * tau);
  }

  /** The VIX value published at the end of a minute (frozen outside CBOE hours). */
  vixValue(minute: number): number {
    let m = minute;
    for (let i = 0; i < 5 * DAY_MINUTES && !(this.minuteFlags(m) & FLAG_VIX); i++) m--;
    const esNow = this.logLevel('ES', m);
    const esThen = this.logLevel('ES', m - VIX_LAG_MINUTES);
    const noise = this.w(m, 3) - this.w(m - VIX_LAG_MINUTES, 3);
    return this.regimeVix(m * MINUTE_MS) * Math.exp(-VIX_SENSITIVITY * (esNow - esThen) + noise);
  }

  private memo: { contract: SimContract | undefined; minute: number; value: number } = {
    contract: undefined,
    minute: Number.NaN,
    value: 0,
  };

  /** Value of a contract at the end of a minute: futures fair value or the VIX index. */
  value(contract: SimContract, minute: number): number {
    const memo = this.memo;
    if (memo.contract === contract && memo.minute === minute) return memo.value;
    const value = contract.secType === 'IND' ? this.vixValue(minute) : this.futureValue(contract, minute);
    this.memo = { contract, minute, value };
    return value;
  }

  private isOpenMinute(contract: SimContract, minute: number): boolean {
    const flags = this.minuteFlags(minute);
    return contract.secType === 'IND' ? (flags & FLAG_VIX) !== 0 : (flags & FLAG_CME) !== 0;
  }

  private isRthMinute(contract: SimContract, minute: number): boolean {
    const flags = this.minuteFlags(minute);
    return contract.secType === 'IND' ? (flags & FLAG_VIX_RTH) !== 0 : (flags & FLAG_RTH) !== 0;
  }

  /** The last open minute at or before `minute` (search bounded to ten days). */
  lastOpenMinute(contract: SimContract, minute: number): number {
    let m = minute;
    for (let i = 0; i < 10 * DAY_MINUTES; i++, m--) if (this.isOpenMinute(contract, m)) return m;
    return minute;
  }

  private minuteVolume(contract: SimContract, minute: number): number {
    if (contract.secType === 'IND' || !this.isOpenMinute(contract, minute)) return 0;
    const symbol = contract.symbol as FutureSymbol;
    const active = activeContract(symbol, minute * MINUTE_MS).conId === contract.conId;
    const base = BASE_VOLUME[symbol] * (this.isRthMinute(contract, minute) ? 1 : 0.12) * (active ? 1 : 0.02);
    const stress = this.regimeVix(minute * MINUTE_MS) / 16;
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
    const previous = this.isOpenMinute(contract, minute - 1) ? this.value(contract, minute - 1) : undefined;
    const close = this.value(contract, minute);
    const open = previous ?? close;
    const range = Math.abs(close - open) + tick * 2 * uniform(this.seed, 7, minute + contract.conId);
    const high = Math.max(open, close) + range * uniform(this.seed, 8, minute + contract.conId);
    const low = Math.min(open, close) - range * uniform(this.seed, 9, minute + contract.conId);
    const shiftBidAsk = what === 'BID' ? -tick / 2 : what === 'ASK' ? tick / 2 : 0;
    const o = roundTo(open + shiftBidAsk, step);
    const c = roundTo(close + shiftBidAsk, step);
    const h = Math.max(o, c, roundTo(high + shiftBidAsk, step));
    const l = Math.min(o, c, roundTo(low + shiftBidAsk, step));
    if (what !== 'TRADES')
      return {
        startMs: minute * MINUTE_MS,
        open: o,
        high: h,
        low: l,
        close: c,
        volume: -1,
        wap: -1,
        count: -1,
      };
    const volume = contract.secType === 'IND' ? 0 : this.minuteVolume(contract, minute);
    return {
      startMs: minute * MINUTE_MS,
      open: o,
      high: h,
      low: l,
      close: c,
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
      if (rthOnly ? this.isRthMinute(contract, m) : this.isOpenMinute(contract, m)) out.push(m);
    }
    return out;
  }

  /** Aggregates consecutive one-minute bars into one. */
  static aggregate(bars: readonly Bar[]): Bar | undefined {
    const sum = new BarSum();
    for (const bar of bars) sum.add(bar);
    return sum.bar();
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
    const bar = MarketModel.aggregate(minutes.map((m) => this.minuteBar(contract, m, what)));
    if (bar) bar.tradeDate = tradeDate;
    this.dailyCache.set(key, bar ?? null);
    if (this.dailyCache.size > 50_000) this.dailyCache.clear();
    return bar;
  }

  /** Top of book and session statistics at an instant. */
  quote(contract: SimContract, ms: number): Quote {
    const minute = Math.floor(ms / MINUTE_MS);
    const open = this.isOpenMinute(contract, minute);
    const lastMinute = this.lastOpenMinute(contract, minute);
    const tick = contract.tick;
    const value = this.value(contract, lastMinute);
    const rth = this.isRthMinute(contract, lastMinute);
    if (contract.secType === 'IND') {
      const day = simEtParts(lastMinute * MINUTE_MS);
      const today = { year: day.year, month: day.month, day: day.day };
      const todayBar = this.dailyBarUpTo(contract, today, lastMinute);
      const prevClose = this.value(
        contract,
        this.lastOpenMinute(contract, Math.floor(etToUtc(day.year, day.month, day.day) / MINUTE_MS) - 1),
      );
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
      close: roundTo(this.futureValue(contract, settleMinute), tick),
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
