import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BarRecord, SnapshotRecord } from '../../../src/lake/index.js';
import { cmeStatusAt, tradeDateOf } from '../../../src/market/index.js';

/** Synthetic lake rows for the loader and command tests (prices are made up). */

export interface SeriesSpec {
  symbol: 'ES' | 'NQ' | 'RTY';
  conId: number;
  localSymbol: string;
  from: string | Date;
  to: string | Date;
  stepMs: number;
  price: (t: Date) => number;
  /** Half the bid/ask spread (default one tick). */
  halfSpread?: number;
  /** Row source (default 'ibkr'); 'sim' rows count only in a demo lake. */
  source?: 'ibkr' | 'sim' | 'import';
}

const at = (v: string | Date) => (typeof v === 'string' ? new Date(v) : v);

/** Snapshots while CME equity trades (closed instants skipped), mid = price. */
export function snapshots(spec: SeriesSpec): SnapshotRecord[] {
  const out: SnapshotRecord[] = [];
  const half = spec.halfSpread ?? (spec.symbol === 'RTY' ? 0.05 : 0.125);
  for (let t = at(spec.from).getTime(); t <= at(spec.to).getTime(); t += spec.stepMs) {
    const ts = new Date(t);
    const status = cmeStatusAt(ts);
    if (!status.open) continue;
    const p = spec.price(ts);
    out.push({
      ts,
      tradeDate: status.tradeDate,
      segment: status.segment ?? 'overnight',
      symbol: spec.symbol,
      secType: 'FUT',
      conId: spec.conId,
      localSymbol: spec.localSymbol,
      contractMonth: null,
      etf: null,
      bid: p - half,
      ask: p + half,
      last: p,
      mid: p,
      bidSize: 5,
      askSize: 5,
      lastSize: 1,
      volume: 100,
      open: null,
      high: null,
      low: null,
      close: null,
      marketDataType: 1,
      quality: [],
      slotTs: ts,
      source: spec.source ?? 'ibkr',
      runId: 'fixture',
    });
  }
  return out;
}

/** A VIX print (index snapshot) with its prior close. */
export function vixSnapshot(
  ts: string | Date,
  level: number,
  priorClose: number,
  symbol = 'VIX',
): SnapshotRecord {
  const t = at(ts);
  return {
    ts: t,
    tradeDate: tradeDateOf(t),
    segment: 'overnight',
    symbol,
    secType: 'IND',
    conId: symbol === 'VIX' ? 13455763 : 13455764,
    localSymbol: symbol,
    contractMonth: null,
    etf: null,
    bid: null,
    ask: null,
    last: level,
    mid: null,
    bidSize: null,
    askSize: null,
    lastSize: null,
    volume: null,
    open: null,
    high: null,
    low: null,
    close: priorClose,
    marketDataType: 1,
    quality: [],
    slotTs: t,
    source: 'ibkr',
    runId: 'fixture',
  };
}

/** 1-minute bars (ts = bar start) while CME trades. */
export function minuteBars(spec: Omit<SeriesSpec, 'stepMs' | 'halfSpread'>): BarRecord[] {
  const out: BarRecord[] = [];
  for (let t = at(spec.from).getTime(); t <= at(spec.to).getTime(); t += 60_000) {
    const ts = new Date(t);
    const status = cmeStatusAt(ts);
    if (!status.open) continue;
    const p = spec.price(new Date(t + 60_000));
    out.push({
      ts,
      tradeDate: status.tradeDate,
      symbol: spec.symbol,
      conId: spec.conId,
      localSymbol: spec.localSymbol,
      barSize: '1 min',
      whatToShow: 'TRADES',
      open: p,
      high: p,
      low: p,
      close: p,
      volume: 10,
      wap: p,
      count: 1,
      source: 'import',
    });
  }
  return out;
}

export function dailyBar(
  symbol: string,
  date: string,
  close: number,
  conId: number | null = null,
): BarRecord {
  return {
    ts: new Date(`${date}T00:00:00Z`),
    tradeDate: date,
    symbol,
    conId,
    localSymbol: null,
    barSize: '1 day',
    whatToShow: 'TRADES',
    open: close,
    high: close,
    low: close,
    close,
    volume: null,
    wap: null,
    count: null,
    source: 'import',
  };
}

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export { join };

/** Runs `fn` with a fresh temp directory, removed afterwards. */
export async function inTempDir(prefix: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const { dir, cleanup } = await tempDir(prefix);
  try {
    await fn(dir);
  } finally {
    await cleanup();
  }
}

/** A price that rises 0.25 per minute from `base` at t0, so the instant a price came from is recoverable. */
export const priceRamp = (t0: string, base: number) => (t: Date) =>
  base + ((t.getTime() - Date.parse(t0)) / 60_000) * 0.25;
