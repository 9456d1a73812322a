import type { IbSnapshot, IbSnapshotField } from '../../ibkr/index.js';
import type { SnapshotRecord } from '../../lake/index.js';
import {
  cmeStatusAt,
  etParts,
  type MarketCalendar,
  type Segment,
  segmentOfTime,
} from '../../market/index.js';
import { midOnTick, onTick } from '../../market/price.js';
import { flagQuality, type PreviousQuote, type QualityOptions } from './quality.js';

/** What the round knows about a delivered snapshot: src/ibkr's IbSnapshot, loosened so tests can build one. */
export type TakenSnapshot = Pick<IbSnapshot, IbSnapshotField | 'lastTradeAt' | 'receivedAt'> & {
  contract: Pick<IbSnapshot['contract'], 'symbol' | 'secType' | 'conId' | 'localSymbol'> & {
    contractMonth: string | null;
    etf: string | null;
  };
  marketDataType: number | null;
  flags: readonly string[];
};

export type SnapshotSource = SnapshotRecord['source'];

/** Trade date (YYYY-MM-DD) and segment of a slot; a slot is only collected while CME is open. */
export function sessionOfSlot(
  slotTs: Date,
  calendar: MarketCalendar,
): { tradeDate: string; segment: Segment } {
  const status = cmeStatusAt(slotTs, calendar);
  const segment = status.segment ?? segmentOfTime(etParts(slotTs).minuteOfDay) ?? 'post';
  return { tradeDate: status.tradeDate, segment };
}

export interface RowContext {
  slotTs: Date;
  calendar: MarketCalendar;
  source: SnapshotSource;
  runId: string;
  previous: PreviousQuote | null;
  quality: Omit<QualityOptions, 'slotTs'>;
}

/** One futures_snapshots row for one slot, with its quality flags. */
export function snapshotRecord(snapshot: TakenSnapshot, context: RowContext): SnapshotRecord {
  const { tradeDate, segment } = sessionOfSlot(context.slotTs, context.calendar);
  const ts = snapshot.receivedAt;
  const previous =
    context.previous && context.previous.conId === snapshot.contract.conId ? context.previous : null;
  const quality = flagQuality(
    {
      secType: snapshot.contract.secType,
      bid: snapshot.bid,
      ask: snapshot.ask,
      last: snapshot.last,
      ts,
      lastTradeAt: snapshot.lastTradeAt,
      marketDataType: snapshot.marketDataType,
      ibFlags: snapshot.flags,
    },
    previous,
    { ...context.quality, slotTs: context.slotTs },
  );
  const symbol = snapshot.contract.symbol;
  return {
    ts,
    tradeDate,
    segment,
    symbol,
    secType: snapshot.contract.secType,
    conId: snapshot.contract.conId,
    localSymbol: snapshot.contract.localSymbol,
    contractMonth: snapshot.contract.contractMonth,
    etf: snapshot.contract.etf,
    bid: onTick(symbol, snapshot.bid),
    ask: onTick(symbol, snapshot.ask),
    last: onTick(symbol, snapshot.last),
    mid: midOnTick(symbol, snapshot.bid, snapshot.ask),
    bidSize: snapshot.bidSize,
    askSize: snapshot.askSize,
    lastSize: snapshot.lastSize,
    volume: snapshot.volume,
    open: onTick(symbol, snapshot.open),
    high: onTick(symbol, snapshot.high),
    low: onTick(symbol, snapshot.low),
    close: onTick(symbol, snapshot.close),
    marketDataType: snapshot.marketDataType,
    quality,
    slotTs: context.slotTs,
    source: context.source,
    runId: context.runId,
  };
}

/** The quote to compare the next snapshot of the same contract against. */
export function nextPrevious(record: SnapshotRecord, previous: PreviousQuote | null): PreviousQuote {
  const unchanged =
    previous !== null &&
    previous.conId === record.conId &&
    previous.bid === record.bid &&
    previous.ask === record.ask &&
    previous.last === record.last;
  return {
    conId: record.conId,
    ts: record.ts,
    bid: record.bid,
    ask: record.ask,
    last: record.last,
    mid: record.mid,
    unchangedSince: unchanged && previous ? previous.unchangedSince : record.ts,
  };
}
