import type { Field } from './codec.js';
import type { SimContract } from './contracts.js';
import type { MarketModel } from './market/model.js';
import type { SimRequest } from './protocol.js';
import type { Fault } from './scenario.js';

/** The types request handlers and sessions share, so handlers never import the session. */

/** One parsed request of a kind, e.g. `Req<'historicalData'>`. */
export type Req<K extends SimRequest['kind']> = Extract<SimRequest, { kind: K }>;

export interface MarketLine {
  reqId: number;
  contract: SimContract;
  /** The market data type being served (1–4). */
  served: number;
  snapshot: boolean;
  /** Frozen lines: the simulated instant their quote is taken at (null: live, follows the clock). */
  frozenAt: number | null;
  /** Last values sent per tick type (streaming updates send changes only). */
  sent: Map<number, number | string>;
}

/** A historical request the session still knows: unanswered (silent or delayed) or streaming keepUpToDate bars. */
export interface HistoricalLine {
  reqId: number;
  state: 'pending' | 'streaming';
  /** Streaming: sends a HISTORICAL_DATA_UPDATE if the current bar changed. */
  update?: () => void;
}

/** What a request handler may do to the session that received the request (Session implements it). */
export interface SessionPort {
  /** The scenario faults that apply to this session. */
  readonly faults: readonly Fault[];
  /** The version negotiated at the handshake; message layouts follow it. */
  readonly serverVersion: number;
  /** The market data type the client asked for (1–4). */
  readonly marketDataType: number;
  /** Open market-data lines by reqId. */
  readonly lines: Map<number, MarketLine>;
  /** Historical requests not finished (pending) or streaming updates, by reqId. */
  readonly historical: Map<number, HistoricalLine>;
  send(fields: readonly Field[]): void;
  error(id: number, code: number, message: string): void;
  /**
   * How old (simulated ms) the quote served to a new market data line of `symbol` is: 0 live; a
   * frozenQuotes fault's age; while the market data farm is broken (2103), frozen at the break (policy).
   * Counts one request of the symbol.
   */
  quoteLagMs(symbol: string): number;
  /** Runs `fn` after `ms` of real time, unless the session closed meanwhile. */
  setTimer(ms: number, fn: () => void): void;
  /** Records that a scenario fault fired on this session. */
  faultFired(description: string): void;
}

export interface HandlerConfig {
  market: MarketModel;
  now(): Date;
  wall(): number;
  snapshotEndDelayMs: number;
  delayedMinutes: number;
  maxMarketDataLines: number;
  contractTimeZone: 'US/Eastern' | 'US/Central';
  enforcePacing: boolean;
  /** 1-based ordinal of the next historical request across the simulator. */
  nextHistoricalOrdinal(): number;
  log(line: string): void;
}

/** A session as tests and the gateway command see it. */
export interface SessionInfo {
  id: number;
  clientId: number | undefined;
  marketDataType: number;
  lines: number;
  /** Requests received after startApi. */
  requests: number;
  /** Frames written to the client. */
  sent: number;
  /** A halfOpen fault fired: the socket stays open but nothing is answered. */
  halfOpen: boolean;
}
