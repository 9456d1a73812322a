import type { IbConfig } from '../../config/schema.js';
import type { Logger } from '../../core/log.js';
import { IbConnectionLostError, IbUnavailableError } from '../errors.js';
import type { IbFactory } from '../factory.js';
import { Pacer } from '../pacing.js';
import { createStoqeyWire } from '../stoqey-wire.js';
import type { IbWire, IbWireEvent, MarketDataTypeCode } from '../wire.js';
import { connectWithIds, type HandshakeHost } from './handshake.js';
import { Liveness, type LivenessHost } from './liveness.js';
import { RequestRouter } from './router.js';
import { Timers } from './timers.js';
import type {
  ConnectionState,
  ConnectivityListener,
  IbConnectionOptions,
  IbConnectivityEvent,
  IbFarm,
  RequestSpec,
} from './types.js';

/**
 * One IB connection: its state machine and public API. Connecting (client ids, handshake) is in
 * handshake.ts, requests by reqId in router.ts, and liveness (codes with id −1, the heartbeat, the
 * keepAlive reconnect loop) in liveness.ts. Every connection attempt gets a fresh wire, so a late event
 * of a dead socket can never be mistaken for one of the live connection.
 */

const silentLogger: Logger = { debug() {}, info() {}, warn() {} };

export class IbConnection {
  readonly pacer: Pacer;
  private readonly factory: IbFactory;
  private readonly now: () => Date;
  private readonly log: Logger;
  private readonly keepAlive: boolean;
  private readonly host: string;
  private readonly port: number;
  private readonly wireMessagesPerSecond: number;
  private readonly timers = new Timers();
  private readonly router: RequestRouter;
  private readonly liveness: Liveness;

  private stateValue: ConnectionState = 'idle';
  private wire: IbWire | null = null;
  private generation = 0;
  private clientIdValue: number | null = null;
  private accounts = '';
  private marketDataTypeValue: MarketDataTypeCode = 1;
  /** The IB code of the last loss (1100/2110, or the code the socket went with), until it ends. */
  private lossCode: number | null = null;
  private dataEpochValue = 0;
  private readonly listeners = new Set<ConnectivityListener>();
  private readonly stateWaiters = new Set<() => void>();

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
    this.router = new RequestRouter(
      {
        address: this.address,
        whenUsable: (timeoutMs, what) => this.whenUsable(timeoutMs, what),
        wire: () => this.wire,
        secdefDown: () => !this.isFarmUp('secdef'),
      },
      this.pacer,
      this.timers,
      this.log,
    );
    this.liveness = new Liveness(this.livenessHost());
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
    return this.liveness.isFarmUp(farm);
  }

  /**
   * Counts the events after which market data already received may be from before an outage: 1101/1102
   * (connectivity restored), the market data farm back (2104 after 2103), a reconnect. A snapshot whose
   * request spans a change is taken again rather than trusted (IbSession.takeSnapshot).
   */
  get dataEpoch(): number {
    return this.dataEpochValue;
  }

  /**
   * The IB code that explains why requests cannot be answered now, or null when nothing is known to be
   * wrong: the interruption (1100/2110), a lost socket (its code, else 504 "not connected"), or a broken
   * farm (2103 market data, 2157 sec-def, 2105 historical).
   */
  condition(): number | null {
    const state = this.stateValue;
    if (state === 'interrupted') return this.lossCode ?? 1100;
    if (state === 'reconnecting' || state === 'down') return this.lossCode ?? 504;
    if (!this.isFarmUp('market')) return 2103;
    if (!this.isFarmUp('secdef')) return 2157;
    if (!this.isFarmUp('historical')) return 2105;
    return null;
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
      await this.connect();
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
    this.liveness.stopHeartbeat();
    this.liveness.clearRestoreTimer();
    this.timers.clearAll();
    this.dropWire();
    const error = new IbUnavailableError('The IB connection was closed while a request was in flight.');
    this.router.failPending(error);
    this.router.failTimeWaiters(error);
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
    if (this.isFarmUp(farm)) return true;
    await this.waitFor(() => this.isFarmUp(farm) || this.stateValue === 'closed', maxWaitMs);
    return this.isFarmUp(farm);
  }

  /** The gateway's clock (reqCurrentTime), epoch seconds. */
  currentTime(timeoutMs = this.config.heartbeatTimeoutMs): Promise<number> {
    return this.router.currentTime(timeoutMs);
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
  request<T>(spec: RequestSpec<T>): Promise<T> {
    return this.router.request(spec);
  }

  // ---- connecting --------------------------------------------------------------------------------

  private async connect(): Promise<void> {
    this.clientIdValue = await connectWithIds(this.handshakeHost(), this.clientIdValue);
  }

  private handshakeHost(): HandshakeHost {
    return {
      config: this.config,
      address: this.address,
      log: this.log,
      timers: this.timers,
      resetFarms: () => this.liveness.resetFarms(),
      connectWire: (clientId, onEvent) => this.connectWire(clientId, onEvent),
      dropWire: () => this.dropWire(),
      setManagedAccounts: (accounts) => {
        this.accounts = accounts;
      },
      onSystemCode: (code, message) => this.liveness.onSystemCode(code, message),
      onWireEvent: (event) => this.onWireEvent(event),
    };
  }

  private connectWire(clientId: number, onEvent: (event: IbWireEvent) => void): void {
    const generation = ++this.generation;
    const createWire = this.factory.createWire ?? createStoqeyWire;
    this.wire = createWire({
      host: this.host,
      port: this.port,
      maxMessagesPerSecond: this.wireMessagesPerSecond,
      onEvent: (event) => {
        if (generation === this.generation) onEvent(event);
      },
    });
    this.wire.connect(clientId);
  }

  private becameReady(): void {
    this.setState('ready');
    this.resendMarketDataType();
    this.liveness.startHeartbeat();
    this.liveness.applyInterruptionFromConnect();
  }

  private resendMarketDataType(): void {
    if (this.marketDataTypeValue === 1) return;
    const type = this.marketDataTypeValue;
    void this.pacer.message().then(() => this.wire?.reqMarketDataType(type));
  }

  // ---- incoming events once ready ----------------------------------------------------------------

  private onWireEvent(event: IbWireEvent): void {
    switch (event.type) {
      case 'disconnected':
        this.connectionLost('the gateway closed the connection', null);
        return;
      case 'info':
        this.liveness.onSystemCode(event.code, event.message);
        return;
      case 'error':
        if (event.reqId < 0) this.liveness.onSystemCode(event.code, event.message);
        else this.router.routeError(event.reqId, event.code, event.message);
        return;
      case 'currentTime':
        this.liveness.clearProbe();
        this.router.timeReceived(event.epochSeconds);
        return;
      case 'managedAccounts':
        this.accounts = event.accounts;
        return;
      case 'connected':
      case 'nextValidId':
        return;
      default:
        this.router.route(event);
        return;
    }
  }

  /** The socket is gone or unusable. One-shot: fail with exit 3. keepAlive: reconnect with back-off. */
  private connectionLost(reason: string, code: number | null): void {
    if (this.stateValue === 'closed' || this.stateValue === 'down' || this.stateValue === 'reconnecting')
      return;
    if (this.stateValue === 'connecting' || this.stateValue === 'idle') return;
    this.log.warn(`IB connection to ${this.address} lost: ${reason}`);
    this.liveness.stopHeartbeat();
    this.liveness.clearRestoreTimer();
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
      this.router.failPending(error);
      this.liveness.reconnect();
    } else {
      this.setState('down');
      this.router.failPending(error);
      this.router.failTimeWaiters(error);
    }
  }

  private livenessHost(): LivenessHost {
    return {
      config: this.config,
      address: this.address,
      log: this.log,
      pacer: this.pacer,
      timers: this.timers,
      now: () => this.now(),
      state: () => this.stateValue,
      setState: (state) => this.setState(state),
      notifyState: () => this.notifyState(),
      emit: (event) => this.emit(event),
      wire: () => this.wire,
      connectionLost: (reason, code) => this.connectionLost(reason, code),
      dataLost: () => {
        // 1101: market data requests were dropped by IB; the callers re-request with fresh ids.
        this.resendMarketDataType();
        this.router.failMarketData(
          (reqId) =>
            new IbConnectionLostError(
              `IB lost market data request ${reqId} (1101: connectivity restored, data lost).`,
            ),
        );
      },
      connect: () => this.connect(),
      becameReady: () => this.becameReady(),
      dropWire: () => this.dropWire(),
      clientId: () => this.clientIdValue,
      delay: (ms) => this.delay(ms),
    };
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
        this.timers.clear(timer);
        resolve(true);
      };
      const timer = this.timers.set(() => {
        this.stateWaiters.delete(check);
        resolve(condition());
      }, timeoutMs);
      this.stateWaiters.add(check);
    });
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.timers.set(() => resolve(), ms);
      const onClose = () => {
        if (this.stateValue !== 'closed') return;
        this.stateWaiters.delete(onClose);
        this.timers.clear(timer);
        resolve();
      };
      this.stateWaiters.add(onClose);
    });
  }

  private emit(event: IbConnectivityEvent): void {
    if (
      event.type === 'restored' ||
      event.type === 'reconnected' ||
      (event.type === 'farm' && event.farm === 'market' && event.up)
    )
      this.dataEpochValue += 1;
    if (event.type === 'lost') this.lossCode = event.code ?? (event.socket ? 504 : 1100);
    else if (event.type === 'restored' || event.type === 'reconnected' || event.type === 'connected')
      this.lossCode = null;
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
