import type { Logger } from '../../core/log.js';
import type { IbFactory } from '../factory.js';
import type { Pacer } from '../pacing.js';
import type { IbWire, IbWireEvent } from '../wire.js';

export type IbFarm = 'market' | 'historical' | 'secdef';

export type IbConnectivityEvent =
  | { type: 'connected'; clientId: number; at: Date }
  /** 1100/2110 (socket still open), or the socket itself was lost (`socket: true`). */
  | { type: 'lost'; code: number | null; reason: string; socket: boolean; at: Date }
  /** 1101 (dataLost) or 1102. */
  | { type: 'restored'; code: number; dataLost: boolean; at: Date }
  | { type: 'farm'; farm: IbFarm; up: boolean; code: number; message: string; at: Date }
  | { type: 'heartbeat_timeout'; timeoutMs: number; at: Date }
  | { type: 'protocol_error'; code: number; message: string; at: Date }
  | { type: 'reconnecting'; attempt: number; delayMs: number; at: Date }
  | { type: 'reconnected'; clientId: number; attempts: number; at: Date }
  | { type: 'closed'; at: Date };

export type ConnectivityListener = (event: IbConnectivityEvent) => void;

export type ConnectionState =
  | 'idle'
  | 'connecting'
  | 'ready'
  | 'interrupted'
  | 'reconnecting'
  | 'down'
  | 'closed';

export interface IbConnectionOptions {
  factory?: IbFactory | undefined;
  now?: () => Date;
  log?: Logger;
  /** Long-running use: reconnect with back-off instead of failing with IbUnavailableError. */
  keepAlive?: boolean;
  pacer?: Pacer;
  /**
   * The client library's own wall-clock throttle (messages per second). Default: config.maxMessagesPerSecond.
   * IbSession lifts it when the pacer runs on an injected clock: that pacer already keeps the budget in the
   * clock's (accelerated) time, and a second, wall-clock throttle would slow a simulated night to real pace.
   */
  wireMessagesPerSecond?: number;
}

export type RequestKind = 'contract' | 'market_data' | 'historical';

export interface RequestControl<T> {
  resolve(value: T): void;
  reject(error: Error): void;
  readonly reqId: number;
}

export interface RequestSpec<T> {
  kind: RequestKind;
  /** For messages: "contract details for ES". */
  label: string;
  timeoutMs: number;
  send(wire: IbWire, reqId: number): void;
  /** Sent when the request times out (cancelMktData / cancelHistoricalData). */
  cancel?(wire: IbWire, reqId: number): void;
  onEvent(event: IbWireEvent, control: RequestControl<T>): void;
  /** Return true when handled; otherwise the default applies (log informational codes, reject the rest). */
  onError?(code: number, message: string, control: RequestControl<T>): boolean;
  /** Return true when handled (e.g. resolved with partial data); otherwise IbTimeoutError. */
  onTimeout?(control: RequestControl<T>): boolean;
}
