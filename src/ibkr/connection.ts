import type { IbConfig } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import {
  classifyIbError,
  IbClientIdInUseError,
  IbConnectionLostError,
  IbRequestError,
  IbTimeoutError,
  IbUnavailableError,
} from './errors.js';
import type { IbFactory } from './factory.js';
import { Pacer } from './pacing.js';
import { createStoqeyWire } from './stoqey-wire.js';
import type { IbWire, IbWireEvent, MarketDataTypeCode } from './wire.js';

/**
 * One IB connection: client-id selection, readiness (nextValidId), connect timeout, per-request
 * timeouts and routing by reqId, system codes with id −1 (which arrive as `info` events of the
 * event-level client), a reqCurrentTime heartbeat, and — in keepAlive mode — reconnects with
 * exponential back-off. Every connection attempt gets a fresh wire, so a late event of a dead
 * socket can never be mistaken for one of the live connection.
 */

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

interface Pending {
  kind: RequestKind;
  event(event: IbWireEvent): void;
  error(code: number, message: string): void;
  lost(error: Error): void;
}

const silentLogger: Logger = { debug() {}, info() {}, warn() {} };

export class IbConnection {
  readonly pacer: Pacer;
  private readonly factory: IbFactory;
  private readonly now: () => Date;
  private readonly log: Logger;
  private readonly keepAlive: boolean;
  private readonly host: string;
  private readonly port: number;

  private stateValue: ConnectionState = 'idle';
  private wire: IbWire | null = null;
  private generation = 0;
  private clientIdValue: number | null = null;
  private accounts = '';
  private nextReqId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<ConnectivityListener>();
  private readonly stateWaiters = new Set<() => void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private heartbeat: NodeJS.Timeout | null = null;
  private heartbeatProbe: NodeJS.Timeout | null = null;
  private probing = false;
  private restoreTimer: NodeJS.Timeout | null = null;
  private readonly timeWaiters = new Set<{
    resolve(epochSeconds: number): void;
    reject(error: Error): void;
  }>();
  private marketDataTypeValue: MarketDataTypeCode = 1;
  private readonly farmUp: Record<IbFarm, boolean> = { market: true, historical: true, secdef: true };
  private reconnecting: Promise<void> | null = null;
  private readonly wireMessagesPerSecond: number;

  constructor(
    readonly config: IbConfig,
    options: IbConnectionOptions = {},
  ) {
    this.wireMessagesPerSecond = options.wireMessagesPerSecond ?? config.maxMessagesPerSecond;
    this.factory = options.factory ?? {};
    this.now = options.now ?? (() => new Date());
    this.log = options.log ?? silentLogger;
    this.keepAlive = options.keepAlive ?? false;
    this.host = this.factory.target?.host ?? config.host;
    this.port = this.factory.target?.port ?? config.port;
    this.pacer =
      options.pacer ??
      new Pacer({
        maxMessagesPerSecond: config.maxMessagesPerSecond,
        maxConcurrentSnapshots: config.maxConcurrentSnapshots,
      });
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  get clientId(): number | null {
    return this.clientIdValue;
  }

  get managedAccounts(): string {
    return this.accounts;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** The market data type requested for this session (re-sent after every reconnect). */
  get marketDataType(): MarketDataTypeCode {
    return this.marketDataTypeValue;
  }

  isFarmUp(farm: IbFarm): boolean {
    return this.farmUp[farm];
  }

  onConnectivity(listener: ConnectivityListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Connects and waits for nextValidId. Throws IbUnavailableError / IbClientIdInUseError (exit 3). */
  async open(): Promise<void> {
    if (this.stateValue !== 'idle') throw new Error(`IbConnection.open() in state ${this.stateValue}`);
    this.setState('connecting');
    try {
      await this.connectWithIds();
    } catch (error) {
      this.setState('down');
      throw error;
    }
    this.becameReady();
    this.emit({ type: 'connected', clientId: this.clientIdValue ?? -1, at: this.now() });
  }

  /** Disconnects, stops timers and fails whatever is still pending. Idempotent. */
  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.setState('closed');
    this.stopHeartbeat();
    this.clearRestoreTimer();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.dropWire();
    const error = new IbUnavailableError('The IB connection was closed while a request was in flight.');
    this.failPending(error);
    for (const waiter of [...this.timeWaiters]) waiter.reject(error);
    this.emit({ type: 'closed', at: this.now() });
  }

  /** Asks for market data type 1–4 now and after every reconnect. */
  async setMarketDataType(type: MarketDataTypeCode): Promise<void> {
    this.marketDataTypeValue = type;
    await this.whenUsable(this.config.requestTimeoutMs, 'setting the market data type');
    await this.pacer.message();
    this.wire?.reqMarketDataType(type);
  }

  /**
   * Waits until the farm is reported up (2104/2106 after 2103/2105), at most `maxWaitMs`.
   * Returns false if it is still down (the caller proceeds and flags its data).
   */
  async waitForFarm(farm: IbFarm, maxWaitMs: number): Promise<boolean> {
    if (this.farmUp[farm]) return true;
    await this.waitFor(() => this.farmUp[farm] || this.stateValue === 'closed', maxWaitMs);
    return this.farmUp[farm];
  }

  /** The gateway's clock (reqCurrentTime), epoch seconds. */
  async currentTime(timeoutMs = this.config.heartbeatTimeoutMs): Promise<number> {
    await this.whenUsable(timeoutMs, 'reqCurrentTime');
    await this.pacer.message();
    return new Promise<number>((resolve, reject) => {
      const waiter = {
        resolve: (epochSeconds: number) => {
          this.clearTimer(timer);
          this.timeWaiters.delete(waiter);
          resolve(epochSeconds);
        },
        reject: (error: Error) => {
          this.clearTimer(timer);
          this.timeWaiters.delete(waiter);
          reject(error);
        },
      };
      const timer = this.setTimer(() => {
        waiter.reject(
          new IbTimeoutError(
            `IB Gateway at ${this.address} did not answer reqCurrentTime within ${timeoutMs} ms.`,
            'currentTime',
            timeoutMs,
            { hint: 'The connection may be half-open; the next run reconnects.' },
          ),
        );
      }, timeoutMs);
      this.timeWaiters.add(waiter);
      this.wire?.reqCurrentTime();
    });
  }

  /**
   * Resolves when requests can be sent. During a 1100 interruption or a reconnect it waits (at most
   * `timeoutMs`); after the connection is lost in one-shot mode it throws IbUnavailableError.
   */
  async whenUsable(timeoutMs: number, what: string): Promise<void> {
    const check = () => {
      if (this.stateValue === 'ready') return true;
      if (this.stateValue === 'closed')
        throw new IbUnavailableError(`Cannot send ${what}: the IB connection is closed.`);
      if (this.stateValue === 'down' || this.stateValue === 'idle') {
        throw new IbUnavailableError(`Cannot send ${what}: not connected to IB Gateway at ${this.address}.`, {
          hint: 'Check that IB Gateway/TWS is running and the API is enabled; the next run retries.',
        });
      }
      return false;
    };
    if (check()) return;
    let failure: unknown;
    const ok = await this.waitFor(() => {
      try {
        return check();
      } catch (error) {
        failure = error;
        return true;
      }
    }, timeoutMs);
    if (failure) throw failure;
    if (!ok) {
      throw new IbUnavailableError(
        `IB Gateway at ${this.address} did not become usable within ${timeoutMs} ms (${this.stateValue}) for ${what}.`,
        { hint: 'Connectivity between IB and the gateway is interrupted; the next run retries.' },
      );
    }
  }

  /** Sends one request and settles it by reqId: events, errors, timeout, connection loss. */
  async request<T>(spec: RequestSpec<T>): Promise<T> {
    await this.whenUsable(spec.timeoutMs, spec.label);
    await this.pacer.message();
    await this.whenUsable(spec.timeoutMs, spec.label);
    const wire = this.wire;
    if (!wire) throw new IbUnavailableError(`Cannot send ${spec.label}: not connected.`);
    const reqId = this.nextReqId++;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = () => {
        settled = true;
        this.pending.delete(reqId);
        this.clearTimer(timer);
      };
      const control: RequestControl<T> = {
        reqId,
        resolve: (value) => {
          if (settled) return;
          finish();
          resolve(value);
        },
        reject: (error) => {
          if (settled) return;
          finish();
          reject(error);
        },
      };
      const timer = this.setTimer(() => {
        if (settled) return;
        if (spec.cancel) {
          const cancel = spec.cancel;
          void this.pacer.message().then(() => {
            if (this.wire === wire) cancel(wire, reqId);
          });
        }
        if (spec.onTimeout?.(control)) return;
        control.reject(
          new IbTimeoutError(
            `IB did not complete ${spec.label} within ${spec.timeoutMs} ms (reqId ${reqId}).`,
            spec.label,
            spec.timeoutMs,
            {
              hint: 'The gateway may be slow or the connection half-open; the next run retries. Raise ib.requestTimeoutMs if this persists.',
            },
          ),
        );
      }, spec.timeoutMs);
      this.pending.set(reqId, {
        kind: spec.kind,
        event: (event) => spec.onEvent(event, control),
        error: (code, message) => {
          if (spec.onError?.(code, message, control)) return;
          this.defaultRequestError(spec.label, reqId, code, message, control);
        },
        lost: (error) => control.reject(error),
      });
      try {
        spec.send(wire, reqId);
      } catch (error) {
        control.reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** Informational codes are logged; anything else rejects with IbRequestError (callers may retry on its kind). */
  private defaultRequestError(
    label: string,
    reqId: number,
    code: number,
    message: string,
    control: RequestControl<unknown>,
  ): void {
    const kind = classifyIbError(code, message);
    if (
      kind.class === 'info' ||
      ['log', 'warn', 'ignore', 'mark_delayed', 'mark_partial'].includes(kind.action)
    ) {
      this.log.debug(`IB ${code} for ${label} (reqId ${reqId}): ${message}`);
      return;
    }
    control.reject(
      new IbRequestError(`IB refused ${label}: ${message} (code ${code}).`, code, reqId, {
        hint: requestHint(code),
      }),
    );
  }

  // ---- connecting ---------------------------------------------------------------------------

  private candidateIds(): number[] {
    const configured = this.config.clientId;
    if (configured !== 'auto') return [configured];
    const [lo, hi] = this.config.clientIdRange;
    const ids: number[] = [];
    for (let id = lo; id <= hi; id += 1) ids.push(id);
    // After a reconnect try our previous id first: the gateway may already have released it.
    const previous = this.clientIdValue;
    if (previous !== null && ids.includes(previous))
      return [previous, ...ids.filter((id) => id !== previous)];
    return ids;
  }

  private async connectWithIds(): Promise<void> {
    const ids = this.candidateIds();
    const inUse: number[] = [];
    for (const id of ids) {
      const outcome = await this.attempt(id);
      if (outcome === 'ready') {
        this.clientIdValue = id;
        return;
      }
      inUse.push(id);
      this.log.debug(
        `IB client id ${id} is in use (326); ${ids.length > inUse.length ? 'trying the next one' : 'no more ids'}`,
      );
    }
    if (this.config.clientId === 'auto') {
      const [lo, hi] = this.config.clientIdRange;
      throw new IbClientIdInUseError(
        `Every IB client id in ib.clientIdRange [${lo}, ${hi}] is in use at ${this.address} (326).`,
        inUse,
        { hint: 'Widen ib.clientIdRange, or wait for other API sessions to end (the next run retries).' },
      );
    }
    throw new IbClientIdInUseError(
      `IB client id ${ids[0]} (ib.clientId) is already in use at ${this.address} (326).`,
      inUse,
      {
        hint: `Another API session holds client id ${ids[0]}: stop it, give this command another ib.clientId, or set ib.clientId to "auto". A crashed session's id is released when the gateway notices; the next run retries.`,
      },
    );
  }

  /** One connection attempt with one client id, bounded by ib.connectTimeoutMs. */
  private attempt(clientId: number): Promise<'ready' | 'in_use'> {
    const timeoutMs = this.config.connectTimeoutMs;
    const generation = ++this.generation;
    // A new session starts with every farm assumed up; 2103/2105 during the handshake still count.
    this.farmUp.market = true;
    this.farmUp.historical = true;
    this.farmUp.secdef = true;
    return new Promise((resolve, reject) => {
      let settled = false;
      let lastError = '';
      let handshake = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        this.clearTimer(timer);
        fn();
      };
      const fail = (error: Error) =>
        settle(() => {
          this.dropWire();
          reject(error);
        });
      const timer = this.setTimer(() => {
        const stage = handshake ? 'no nextValidId' : 'no handshake';
        fail(
          new IbUnavailableError(
            `IB Gateway at ${this.address} did not get ready within ${timeoutMs} ms (${stage}).`,
            {
              cause: new IbTimeoutError(`connect timed out after ${timeoutMs} ms`, 'connect', timeoutMs),
              hint: 'Is the gateway logged in, the API enabled and this host trusted? The next run retries.',
            },
          ),
        );
      }, timeoutMs);
      const onEvent = (event: IbWireEvent) => {
        if (generation !== this.generation) return;
        if (settled) {
          this.onWireEvent(event);
          return;
        }
        switch (event.type) {
          case 'connected':
            handshake = true;
            return;
          case 'managedAccounts':
            this.accounts = event.accounts;
            return;
          case 'nextValidId':
            settle(() => resolve('ready'));
            return;
          case 'info':
          case 'error':
            if (event.type === 'error' && event.reqId >= 0) return;
            if (event.code === 326) {
              settle(() => {
                this.dropWire();
                resolve('in_use');
              });
              return;
            }
            if (event.code === 506 || event.code === 503) {
              fail(
                new IbUnavailableError(
                  `IB Gateway at ${this.address} is not compatible: ${event.message} (${event.code}).`,
                  {
                    hint: 'This client speaks TWS API server versions 100–193.',
                  },
                ),
              );
              return;
            }
            if (event.code === 502 || event.code === 504 || event.code === 507) lastError = event.message;
            else this.onSystemCode(event.code, event.message);
            return;
          case 'disconnected':
            fail(
              new IbUnavailableError(
                `Cannot connect to IB Gateway at ${this.address}${lastError ? `: ${lastError}` : ' (connection closed during the handshake)'}.`,
                {
                  hint: 'Start IB Gateway/TWS, enable the API and check ib.host/ib.port; the next run retries.',
                },
              ),
            );
            return;
          default:
            return;
        }
      };
      const createWire = this.factory.createWire ?? createStoqeyWire;
      try {
        this.wire = createWire({
          host: this.host,
          port: this.port,
          maxMessagesPerSecond: this.wireMessagesPerSecond,
          onEvent,
        });
        this.wire.connect(clientId);
      } catch (error) {
        fail(
          new IbUnavailableError(`Cannot connect to IB Gateway at ${this.address}.`, {
            cause: error,
          }),
        );
      }
    });
  }

  private becameReady(): void {
    this.setState('ready');
    if (this.marketDataTypeValue !== 1) {
      const type = this.marketDataTypeValue;
      void this.pacer.message().then(() => this.wire?.reqMarketDataType(type));
    }
    this.startHeartbeat();
  }

  // ---- incoming events once ready --------------------------------------------------------------

  private onWireEvent(event: IbWireEvent): void {
    switch (event.type) {
      case 'disconnected':
        this.connectionLost('the gateway closed the connection', null);
        return;
      case 'info':
        this.onSystemCode(event.code, event.message);
        return;
      case 'error':
        if (event.reqId < 0) this.onSystemCode(event.code, event.message);
        else this.routeError(event.reqId, event.code, event.message);
        return;
      case 'currentTime':
        this.clearProbe();
        for (const waiter of [...this.timeWaiters]) waiter.resolve(event.epochSeconds);
        return;
      case 'managedAccounts':
        this.accounts = event.accounts;
        return;
      case 'connected':
      case 'nextValidId':
        return;
      default: {
        const pending = this.pending.get(event.reqId);
        if (pending) pending.event(event);
        return;
      }
    }
  }

  private routeError(reqId: number, code: number, message: string): void {
    const pending = this.pending.get(reqId);
    if (pending) {
      pending.error(code, message);
      return;
    }
    const kind = classifyIbError(code, message);
    this.log.debug(`IB ${code} for finished request ${reqId} (${kind.meaning}): ${message}`);
  }

  /** Codes with id −1: farms, connectivity, client-side errors (research/ibkr.md §2.3, §3.1). */
  private onSystemCode(code: number, message: string): void {
    const kind = classifyIbError(code, message);
    const at = this.now();
    switch (kind.action) {
      case 'pause_market_data':
      case 'pause_historical':
      case 'resume_market_data':
      case 'resume_historical': {
        const farm: IbFarm = kind.action.endsWith('market_data') ? 'market' : 'historical';
        const up = kind.action.startsWith('resume');
        if (up) this.log.debug(`IB ${code}: ${message}`);
        else this.log.warn(`IB ${code}: ${message}`);
        if (this.farmUp[farm] !== up) {
          this.farmUp[farm] = up;
          this.emit({ type: 'farm', farm, up, code, message, at });
          this.notifyState();
        }
        return;
      }
      case 'pause_all':
        this.interrupted(code, message);
        return;
      case 'resume':
      case 'resubmit':
        this.restored(code, kind.action === 'resubmit');
        return;
      case 'reconnect':
      case 'next_client_id':
      case 'abort':
        this.connectionLost(`${message} (${code})`, code);
        return;
      default:
        break;
    }
    if (code === 2157 || code === 2158) {
      const up = code === 2158;
      if (this.farmUp.secdef !== up) {
        this.farmUp.secdef = up;
        this.emit({ type: 'farm', farm: 'secdef', up, code, message, at });
      }
    }
    if (kind.class === 'fatal') {
      this.log.warn(`IB ${code}: ${message}`);
      this.emit({ type: 'protocol_error', code, message, at });
      return;
    }
    if (kind.action === 'warn' || kind.class === 'pacing' || kind.class === 'connectivity') {
      this.log.warn(`IB ${code}: ${message}`);
    } else {
      this.log.debug(`IB ${code}: ${message}`);
    }
  }

  /** 1100/2110: IB↔gateway down, socket still open. Pause and wait for 1101/1102 (bounded). */
  private interrupted(code: number, message: string): void {
    if (this.stateValue !== 'ready' && this.stateValue !== 'interrupted') return;
    this.log.warn(`IB ${code}: ${message}`);
    if (this.stateValue === 'ready') {
      this.clearProbe();
      this.setState('interrupted');
      this.emit({ type: 'lost', code, reason: message, socket: false, at: this.now() });
    }
    this.clearRestoreTimer();
    const waitMs = this.config.connectivityRestoreTimeoutMs;
    this.restoreTimer = this.setTimer(() => {
      this.restoreTimer = null;
      this.connectionLost(`no 1101/1102 within ${waitMs} ms after ${code}`, code);
    }, waitMs);
  }

  private restored(code: number, dataLost: boolean): void {
    this.clearRestoreTimer();
    if (this.stateValue !== 'interrupted' && this.stateValue !== 'ready') return;
    this.log.info(`IB ${code}: connectivity restored${dataLost ? ', data lost' : ''}`);
    this.setState('ready');
    if (dataLost) {
      // 1101: market data requests were dropped by IB; the callers re-request with fresh ids.
      if (this.marketDataTypeValue !== 1) {
        const type = this.marketDataTypeValue;
        void this.pacer.message().then(() => this.wire?.reqMarketDataType(type));
      }
      for (const [reqId, pending] of [...this.pending]) {
        if (pending.kind === 'market_data') {
          pending.lost(
            new IbConnectionLostError(
              `IB lost market data request ${reqId} (1101: connectivity restored, data lost).`,
            ),
          );
        }
      }
    }
    this.emit({ type: 'restored', code, dataLost, at: this.now() });
  }

  /** The socket is gone or unusable. One-shot: fail with exit 3. keepAlive: reconnect with back-off. */
  private connectionLost(reason: string, code: number | null): void {
    if (this.stateValue === 'closed' || this.stateValue === 'down' || this.stateValue === 'reconnecting')
      return;
    if (this.stateValue === 'connecting' || this.stateValue === 'idle') return;
    this.log.warn(`IB connection to ${this.address} lost: ${reason}`);
    this.stopHeartbeat();
    this.clearRestoreTimer();
    this.dropWire();
    this.emit({ type: 'lost', code, reason, socket: true, at: this.now() });
    const error = new IbConnectionLostError(
      `Lost the connection to IB Gateway at ${this.address}: ${reason}.`,
      {
        hint: 'The gateway restarted, dropped the session or stopped answering; the next run retries.',
      },
    );
    if (this.keepAlive) {
      this.setState('reconnecting');
      this.failPending(error);
      this.reconnecting ??= this.reconnectLoop().finally(() => {
        this.reconnecting = null;
      });
    } else {
      this.setState('down');
      this.failPending(error);
      for (const waiter of [...this.timeWaiters]) waiter.reject(error);
    }
  }

  private async reconnectLoop(): Promise<void> {
    for (let attempt = 1; this.stateValue === 'reconnecting'; attempt += 1) {
      const delayMs = Math.min(this.config.reconnectMaxMs, this.config.reconnectBaseMs * 2 ** (attempt - 1));
      this.emit({ type: 'reconnecting', attempt, delayMs, at: this.now() });
      await this.delay(delayMs);
      if (this.stateValue !== 'reconnecting') return;
      try {
        await this.connectWithIds();
      } catch (error) {
        this.log.warn(
          `IB reconnect attempt ${attempt} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        continue;
      }
      if (this.stateValue !== 'reconnecting') {
        this.dropWire();
        return;
      }
      this.becameReady();
      this.log.info(
        `IB reconnected to ${this.address} as client ${this.clientIdValue} after ${attempt} attempt(s)`,
      );
      this.emit({
        type: 'reconnected',
        clientId: this.clientIdValue ?? -1,
        attempts: attempt,
        at: this.now(),
      });
      return;
    }
  }

  // ---- heartbeat ---------------------------------------------------------------------------------

  private startHeartbeat(): void {
    this.stopHeartbeat();
    const interval = this.config.heartbeatIntervalMs;
    this.heartbeat = setInterval(() => this.probe(), interval);
    this.heartbeat.unref();
  }

  private probe(): void {
    // While interrupted (1100) the gateway may hold requests; the restore timer bounds that state instead.
    if (this.probing || this.stateValue !== 'ready') return;
    this.probing = true;
    const timeoutMs = this.config.heartbeatTimeoutMs;
    const wire = this.wire;
    const onTimeout = () => {
      this.heartbeatProbe = null;
      this.probing = false;
      if (this.wire !== wire || this.stateValue !== 'ready') return;
      this.emit({ type: 'heartbeat_timeout', timeoutMs, at: this.now() });
      this.connectionLost(
        `no answer to the reqCurrentTime heartbeat within ${timeoutMs} ms (half-open socket?)`,
        null,
      );
    };
    // The clock starts when the probe is actually sent: a busy message budget is not silence.
    void this.pacer.message().then(() => {
      if (!this.probing || this.wire !== wire || this.stateValue !== 'ready') {
        this.probing = false;
        return;
      }
      this.heartbeatProbe = this.setTimer(onTimeout, timeoutMs);
      wire?.reqCurrentTime();
    });
  }

  private clearProbe(): void {
    if (this.heartbeatProbe) this.clearTimer(this.heartbeatProbe);
    this.heartbeatProbe = null;
    this.probing = false;
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.clearProbe();
  }

  // ---- plumbing ----------------------------------------------------------------------------------

  private dropWire(): void {
    const wire = this.wire;
    this.wire = null;
    this.generation += 1;
    if (wire) {
      try {
        wire.disconnect();
      } catch (error) {
        this.log.debug(`IB disconnect failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  private failPending(error: Error): void {
    for (const pending of [...this.pending.values()]) pending.lost(error);
    this.pending.clear();
  }

  private clearRestoreTimer(): void {
    if (this.restoreTimer) this.clearTimer(this.restoreTimer);
    this.restoreTimer = null;
  }

  private setState(state: ConnectionState): void {
    this.stateValue = state;
    this.notifyState();
  }

  private notifyState(): void {
    for (const waiter of [...this.stateWaiters]) waiter();
  }

  /** Resolves true as soon as `condition` holds (checked on every state change), false after `timeoutMs`. */
  private waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    if (condition()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!condition()) return;
        this.stateWaiters.delete(check);
        this.clearTimer(timer);
        resolve(true);
      };
      const timer = this.setTimer(() => {
        this.stateWaiters.delete(check);
        resolve(condition());
      }, timeoutMs);
      this.stateWaiters.add(check);
    });
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.setTimer(() => resolve(), ms);
      const onClose = () => {
        if (this.stateValue !== 'closed') return;
        this.stateWaiters.delete(onClose);
        this.clearTimer(timer);
        resolve();
      };
      this.stateWaiters.add(onClose);
    });
  }

  private setTimer(fn: () => void, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  private clearTimer(timer: NodeJS.Timeout | undefined): void {
    if (!timer) return;
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  private emit(event: IbConnectivityEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.log.warn(
          `connectivity listener failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }
}

function requestHint(code: number): string {
  switch (code) {
    case 200:
      return 'Check the contract (symbol, secType, exchange CME/CBOE, currency); an expired future needs re-resolving.';
    case 354:
    case 10089:
    case 10168:
    case 10186:
      return 'The account lacks a market data subscription; enable ib.delayedFallback or subscribe.';
    case 162:
      return 'See the IB message; pacing violations are retried automatically, permissions need a subscription.';
    case 321:
    case 10314:
    case 10339:
      return 'The request parameters were invalid: this is a bug in the request, please report it.';
    default:
      return 'See the IB message for the reason.';
  }
}
