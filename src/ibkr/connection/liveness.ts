import type { IbConfig } from '../../config/schema.js';
import type { Logger } from '../../core/log.js';
import { classifyIbError } from '../errors.js';
import type { Pacer } from '../pacing.js';
import type { IbWire } from '../wire.js';
import type { Timers } from './timers.js';
import type { ConnectionState, IbConnectivityEvent, IbFarm } from './types.js';

/**
 * Is the connection alive? Codes with id −1 (farms, 1100/2110 interruptions and their 1101/1102
 * restores, socket-level codes), a reqCurrentTime heartbeat that catches a half-open socket, and —
 * in keepAlive mode — the reconnect loop with exponential back-off.
 */

export interface LivenessHost {
  readonly config: IbConfig;
  readonly address: string;
  readonly log: Logger;
  readonly pacer: Pacer;
  readonly timers: Timers;
  now(): Date;
  state(): ConnectionState;
  setState(state: ConnectionState): void;
  /** Wakes whoever waits on a condition (a farm coming back counts). */
  notifyState(): void;
  emit(event: IbConnectivityEvent): void;
  /** The live wire, or null between connections. */
  wire(): IbWire | null;
  /** The socket is gone or unusable. */
  connectionLost(reason: string, code: number | null): void;
  /** 1101: IB dropped the market data requests; re-send the market data type and fail those in flight. */
  dataLost(): void;
  /** Runs the handshake again (client id selection included). */
  connect(): Promise<void>;
  becameReady(): void;
  dropWire(): void;
  clientId(): number | null;
  /** Waits `ms`, or less when the connection is closed meanwhile. */
  delay(ms: number): Promise<void>;
}

export class Liveness {
  private readonly farmUp: Record<IbFarm, boolean> = { market: true, historical: true, secdef: true };
  private heartbeat: NodeJS.Timeout | null = null;
  private heartbeatProbe: NodeJS.Timeout | null = null;
  private probing = false;
  private restoreTimer: NodeJS.Timeout | null = null;
  private reconnecting: Promise<void> | null = null;
  /** A 1100/2110 that arrived while connecting (right after nextValidId): applied once ready. */
  private interruptedWhileConnecting: { code: number; message: string } | null = null;

  constructor(private readonly host: LivenessHost) {}

  isFarmUp(farm: IbFarm): boolean {
    return this.farmUp[farm];
  }

  resetFarms(): void {
    this.interruptedWhileConnecting = null;
    this.farmUp.market = true;
    this.farmUp.historical = true;
    this.farmUp.secdef = true;
  }

  /** Codes with id −1: farms, connectivity, client-side errors (research/ibkr.md §2.3, §3.1). */
  onSystemCode(code: number, message: string): void {
    const { log } = this.host;
    const kind = classifyIbError(code, message);
    switch (kind.action) {
      case 'pause_market_data':
      case 'pause_historical':
      case 'resume_market_data':
      case 'resume_historical': {
        const farm: IbFarm = kind.action.endsWith('market_data') ? 'market' : 'historical';
        const up = kind.action.startsWith('resume');
        if (up) log.debug(`IB ${code}: ${message}`);
        else log.warn(`IB ${code}: ${message}`);
        this.setFarm(farm, up, code, message);
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
        this.host.connectionLost(`${message} (${code})`, code);
        return;
      default:
        break;
    }
    if (code === 2157 || code === 2158) this.setFarm('secdef', code === 2158, code, message, false);
    if (kind.class === 'fatal') {
      log.warn(`IB ${code}: ${message}`);
      this.host.emit({ type: 'protocol_error', code, message, at: this.host.now() });
      return;
    }
    if (kind.action === 'warn' || kind.class === 'pacing' || kind.class === 'connectivity') {
      log.warn(`IB ${code}: ${message}`);
    } else {
      log.debug(`IB ${code}: ${message}`);
    }
  }

  private setFarm(farm: IbFarm, up: boolean, code: number, message: string, notify = true): void {
    if (this.farmUp[farm] === up) return;
    this.farmUp[farm] = up;
    this.host.emit({ type: 'farm', farm, up, code, message, at: this.host.now() });
    if (notify) this.host.notifyState();
  }

  /** 1100/2110: IB↔gateway down, socket still open. Pause and wait for 1101/1102 (bounded). */
  private interrupted(code: number, message: string): void {
    const { host } = this;
    if (host.state() === 'connecting') {
      this.interruptedWhileConnecting = { code, message };
      return;
    }
    if (host.state() !== 'ready' && host.state() !== 'interrupted') return;
    host.log.warn(`IB ${code}: ${message}`);
    if (host.state() === 'ready') {
      this.clearProbe();
      host.setState('interrupted');
      host.emit({ type: 'lost', code, reason: message, socket: false, at: host.now() });
    }
    this.clearRestoreTimer();
    const waitMs = host.config.connectivityRestoreTimeoutMs;
    this.restoreTimer = host.timers.set(() => {
      this.restoreTimer = null;
      host.connectionLost(`no 1101/1102 within ${waitMs} ms after ${code}`, code);
    }, waitMs);
  }

  /**
   * The connection became ready: a gateway that lost IB sends 1100 right after nextValidId, before the
   * client calls itself ready; without this the session would think IB reachable and wait on requests.
   */
  applyInterruptionFromConnect(): void {
    const pending = this.interruptedWhileConnecting;
    this.interruptedWhileConnecting = null;
    if (pending) this.interrupted(pending.code, pending.message);
  }

  private restored(code: number, dataLost: boolean): void {
    const { host } = this;
    this.interruptedWhileConnecting = null;
    this.clearRestoreTimer();
    if (host.state() !== 'interrupted' && host.state() !== 'ready') return;
    host.log.info(`IB ${code}: connectivity restored${dataLost ? ', data lost' : ''}`);
    host.setState('ready');
    if (dataLost) host.dataLost();
    host.emit({ type: 'restored', code, dataLost, at: host.now() });
  }

  clearRestoreTimer(): void {
    this.host.timers.clear(this.restoreTimer);
    this.restoreTimer = null;
  }

  /** Starts the reconnect loop unless it runs already. */
  reconnect(): void {
    this.reconnecting ??= this.reconnectLoop().finally(() => {
      this.reconnecting = null;
    });
  }

  private async reconnectLoop(): Promise<void> {
    const { host } = this;
    const { config } = host;
    for (let attempt = 1; host.state() === 'reconnecting'; attempt += 1) {
      const delayMs = Math.min(config.reconnectMaxMs, config.reconnectBaseMs * 2 ** (attempt - 1));
      host.emit({ type: 'reconnecting', attempt, delayMs, at: host.now() });
      await host.delay(delayMs);
      if (host.state() !== 'reconnecting') return;
      try {
        await host.connect();
      } catch (error) {
        host.log.warn(
          `IB reconnect attempt ${attempt} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        continue;
      }
      if (host.state() !== 'reconnecting') {
        host.dropWire();
        return;
      }
      host.becameReady();
      host.log.info(
        `IB reconnected to ${host.address} as client ${host.clientId()} after ${attempt} attempt(s)`,
      );
      host.emit({ type: 'reconnected', clientId: host.clientId() ?? -1, attempts: attempt, at: host.now() });
      return;
    }
  }

  // ---- heartbeat ---------------------------------------------------------------------------------

  startHeartbeat(): void {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => this.probe(), this.host.config.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  private probe(): void {
    const { host } = this;
    // While interrupted (1100) the gateway may hold requests; the restore timer bounds that state instead.
    if (this.probing || host.state() !== 'ready') return;
    this.probing = true;
    const timeoutMs = host.config.heartbeatTimeoutMs;
    const wire = host.wire();
    const onTimeout = () => {
      this.heartbeatProbe = null;
      this.probing = false;
      if (host.wire() !== wire || host.state() !== 'ready') return;
      host.emit({ type: 'heartbeat_timeout', timeoutMs, at: host.now() });
      host.connectionLost(
        `no answer to the reqCurrentTime heartbeat within ${timeoutMs} ms (half-open socket?)`,
        null,
      );
    };
    // The clock starts when the probe is actually sent: a busy message budget is not silence.
    void host.pacer.message().then(() => {
      if (!this.probing || host.wire() !== wire || host.state() !== 'ready') {
        this.probing = false;
        return;
      }
      this.heartbeatProbe = host.timers.set(onTimeout, timeoutMs);
      wire?.reqCurrentTime();
    });
  }

  /** Any currentTime answer shows the socket is alive. */
  clearProbe(): void {
    this.host.timers.clear(this.heartbeatProbe);
    this.heartbeatProbe = null;
    this.probing = false;
  }

  stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.clearProbe();
  }
}
