import {
  DAY_MINUTES,
  etToUtc,
  FLAG_CME,
  FLAG_RTH,
  FLAG_VIX,
  FLAG_VIX_RTH,
  MINUTE_MS,
  minuteFlags,
  previousTradeDate,
  tradeDateOf,
} from '../calendar.js';
import { type FutureSymbol, INSTRUMENTS, type SimContract } from '../contracts.js';
import { gaussianPairs } from '../random.js';
import type { MarketEvent } from '../scenario.js';
import { type ResolvedEvent, resolveEvents } from './events.js';

/**
 * The price process: per-minute log-price increments are hashed from (seed, stream, minute), so the
 * level at any instant is a pure function of (seed, scenario, minute) however requests are ordered. The
 * cumulative sums are cached in UTC-day chunks walking outward from the anchor day (2026-09-01), where
 * the index levels are pinned (ES 6800, NQ 25000, RTY 2500). Prices are frozen while the market is closed.
 */

const ANCHOR_MS = Date.UTC(2026, 8, 1);
const ANCHOR_DAY = Math.floor(ANCHOR_MS / MINUTE_MS / DAY_MINUTES);
const YEAR_MS = 365.25 * 86_400_000;
const SERIES = 4; // ES, NQ, RTY, VIX noise
const SERIES_INDEX: Readonly<Record<FutureSymbol, number>> = { ES: 0, NQ: 1, RTY: 2 };
const FUTURES: readonly FutureSymbol[] = ['ES', 'NQ', 'RTY'];
/** Each future's sensitivity to the common factor and to scenario events. */
const BETA: Readonly<Record<FutureSymbol, number>> = { ES: 1, NQ: 1.2, RTY: 1.3 };
const COMMON_LOADING: Readonly<Record<FutureSymbol, number>> = { ES: 0.98, NQ: 0.92, RTY: 0.82 };
/** Share of daily variance in RTH (390 min) vs the rest of the session (990 min). */
const RTH_VARIANCE_SHARE = 0.65;
const VIX_SENSITIVITY = 4.5;
const VIX_LAG_MINUTES = 5 * DAY_MINUTES;
const CHUNK_CACHE_DAYS = 96;

interface DayChunk {
  /** Cumulative W per series at the end of each minute: index minute * SERIES + series. */
  w: Float64Array;
  flags: Uint8Array;
}

export interface PriceProcessOptions {
  seed: number;
  /** Baseline VIX level: volatility of the futures paths. */
  vix?: number;
  events?: readonly MarketEvent[];
  /** Simulator start instant: events without a date happen at the first occurrence after it. */
  startMs: number;
}

export class PriceProcess {
  readonly seed: number;
  readonly baseVix: number;
  readonly events: readonly ResolvedEvent[];
  private readonly chunks = new Map<number, DayChunk>();
  /** Cumulative W at the end of each day (permanent; small). */
  private readonly dayEnd = new Map<number, Float64Array>();
  private readonly limitRefs = new Map<string, number>();
  private readonly normals = new Float64Array(6);
  private lastChunkDay = Number.NaN;
  private lastChunk: DayChunk | undefined;
  private memo: { contract: SimContract | undefined; minute: number; value: number } = {
    contract: undefined,
    minute: Number.NaN,
    value: 0,
  };

  constructor(options: PriceProcessOptions) {
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

  /** Value of a contract at the end of a minute: futures fair value or the VIX index. */
  value(contract: SimContract, minute: number): number {
    const memo = this.memo;
    if (memo.contract === contract && memo.minute === minute) return memo.value;
    const value = contract.secType === 'IND' ? this.vixValue(minute) : this.futureValue(contract, minute);
    this.memo = { contract, minute, value };
    return value;
  }

  isOpenMinute(contract: SimContract, minute: number): boolean {
    const flags = this.minuteFlags(minute);
    return contract.secType === 'IND' ? (flags & FLAG_VIX) !== 0 : (flags & FLAG_CME) !== 0;
  }

  isRthMinute(contract: SimContract, minute: number): boolean {
    const flags = this.minuteFlags(minute);
    return contract.secType === 'IND' ? (flags & FLAG_VIX_RTH) !== 0 : (flags & FLAG_RTH) !== 0;
  }

  /** The last open minute at or before `minute` (search bounded to ten days). */
  lastOpenMinute(contract: SimContract, minute: number): number {
    let m = minute;
    for (let i = 0; i < 10 * DAY_MINUTES; i++, m--) if (this.isOpenMinute(contract, m)) return m;
    return minute;
  }
}
