/**
 * The narrow, typed boundary between this module and an IB client library. `stoqey-wire.ts` adapts
 * @stoqey/ib's event-level `IBApi` to it; unit tests implement it with fakes. Everything above this
 * file works with plain data and never sees @stoqey/ib types.
 */

export type IbSecType = 'FUT' | 'IND' | 'CONTFUT';
export type MarketDataTypeCode = 1 | 2 | 3 | 4;
export type BarSize = '1 min' | '1 day';
export type WhatToShow = 'TRADES' | 'MIDPOINT';

/** What we send as a contract (a query for reqContractDetails, or a resolved contract). */
export interface IbContractSpec {
  conId?: number;
  symbol?: string;
  secType: IbSecType;
  lastTradeDateOrContractMonth?: string;
  exchange: string;
  currency: string;
  localSymbol?: string;
  tradingClass?: string;
  multiplier?: number;
  includeExpired?: boolean;
}

/** A contract-details answer, normalised (strings are '' when IB sent nothing). */
export interface IbContractDetails {
  conId: number;
  symbol: string;
  secType: string;
  localSymbol: string;
  tradingClass: string;
  exchange: string;
  currency: string;
  multiplier: number | null;
  /** As sent; may carry a time and zone after the date. */
  lastTradeDateOrContractMonth: string;
  /** Server version ≥ 182; '' otherwise. */
  lastTradeDate: string;
  contractMonth: string;
  realExpirationDate: string;
  timeZoneId: string;
  tradingHours: string;
  liquidHours: string;
  minTick: number | null;
  longName: string;
}

export interface IbRawBar {
  time: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number | null;
  wap: number | null;
  count: number | null;
}

export interface IbHistoricalQuery {
  endDateTime: string;
  durationStr: string;
  barSize: BarSize;
  whatToShow: WhatToShow;
  useRTH: boolean;
  formatDate: 1 | 2;
}

export type IbWireEvent =
  /** The server-version frame arrived (TCP + handshake done; not yet ready). */
  | { type: 'connected'; serverVersion: number }
  | { type: 'disconnected' }
  /** Readiness: the client sends queued requests from here on. */
  | { type: 'nextValidId'; orderId: number }
  | { type: 'managedAccounts'; accounts: string }
  /** ERR_MSG with id −1 (326, 1100, 2104, …) and client-side notices. */
  | { type: 'info'; code: number; message: string }
  /** ERR_MSG with a request id, or client-side errors (reqId −1: 502, 504, 505, 506). */
  | { type: 'error'; code: number; reqId: number; message: string }
  | { type: 'currentTime'; epochSeconds: number }
  | { type: 'contractDetails'; reqId: number; details: IbContractDetails }
  | { type: 'contractDetailsEnd'; reqId: number }
  | { type: 'tickPrice'; reqId: number; field: number; value: number | undefined }
  | { type: 'tickSize'; reqId: number; field: number; value: number | undefined }
  | { type: 'tickString'; reqId: number; field: number; value: string }
  | { type: 'tickGeneric'; reqId: number; field: number; value: number }
  | { type: 'tickSnapshotEnd'; reqId: number }
  | { type: 'marketDataType'; reqId: number; marketDataType: number }
  | { type: 'historicalBar'; reqId: number; bar: IbRawBar }
  | { type: 'historicalEnd'; reqId: number };

/** One TCP connection attempt. A fresh wire is made per attempt, so late events of a dead socket cannot leak. */
export interface IbWire {
  connect(clientId: number): void;
  disconnect(): void;
  reqCurrentTime(): void;
  reqMarketDataType(type: MarketDataTypeCode): void;
  reqContractDetails(reqId: number, contract: IbContractSpec): void;
  reqMktData(reqId: number, contract: IbContractSpec, snapshot: boolean): void;
  cancelMktData(reqId: number): void;
  reqHistoricalData(reqId: number, contract: IbContractSpec, query: IbHistoricalQuery): void;
  cancelHistoricalData(reqId: number): void;
}

export interface IbWireOptions {
  host: string;
  port: number;
  /** Passed to the client library's own limiter as a second line of defence. */
  maxMessagesPerSecond: number;
  onEvent(event: IbWireEvent): void;
}

export type CreateIbWire = (options: IbWireOptions) => IbWire;
