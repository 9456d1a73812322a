import type { Ymd } from '../calendar.js';

/** Bars and the rounding of model prices onto the tick grid. */

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

/** Removes binary noise (6800.250000001) without string formatting. */
export function clean(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

export function roundTo(value: number, step: number): number {
  return clean(Math.round(value / step) * step);
}

export function floorTo(value: number, step: number): number {
  return clean(Math.floor(value / step + 1e-9) * step);
}

/** A running aggregate of consecutive one-minute bars (what aggregateBars computes, extensible). */
export class BarSum {
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

/** Aggregates consecutive one-minute bars into one. */
export function aggregateBars(bars: readonly Bar[]): Bar | undefined {
  const sum = new BarSum();
  for (const bar of bars) sum.add(bar);
  return sum.bar();
}
