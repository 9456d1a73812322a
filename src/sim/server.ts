import { createServer, type Server, type Socket } from 'node:net';
import { createHandlers, type SimHandlers } from './handlers/index.js';
import { MarketModel } from './market/model.js';
import { Recorder } from './recording.js';
import type { Fault, Scenario } from './scenario.js';
import { DEFAULT_SCHEDULE, type ScheduleOptions, type SchedulePhase, schedulePhase } from './schedule.js';
import { Session, type SessionHost, SYSTEM_MESSAGE_TEXT } from './session.js';
import type { SessionInfo } from './types.js';

export interface SimulatorOptions {
  /** Bind address; default 127.0.0.1 (anything else only when asked). */
  host?: string;
  /** 0 = a free port. */
  port?: number;
  /** Seed of the deterministic market (default: the scenario's seed, else 1). */
  seed?: number;
  /** The simulator's clock (inject to run a night in seconds); default real time. */
  now?: () => Date;
  scenario?: Scenario;
  /** Write every frame in and out, timestamped, as JSONL to this path. */
  record?: string;
  log?: (line: string) => void;
  /** Problems the operator should see (a recording that stopped); default: log. */
  warn?: (line: string) => void;
  /** Real-time delay before tickSnapshotEnd (a real gateway takes ~11 s). Default 50 ms. */
  snapshotEndDelayMs?: number;
  /** Real-time interval of streaming updates; 0 = only on pump(). Default 250 ms. */
  streamIntervalMs?: number;
  /** Managed accounts sent after startApi. Default ['DU1234567']. */
  accounts?: readonly string[];
  /** timeZoneId of futures contract details; a real gateway reports US/Central for CME (ibkr.md §4.1). */
  contractTimeZone?: 'US/Eastern' | 'US/Central';
  /** Apply IB's historical pacing rules (identical within 15 s, 6 per contract in 2 s, 60 per 10 min). Default false. */
  enforcePacing?: boolean;
  /** Client message rate above which error 100 is sent. Default 50/s. */
  maxMessagesPerSecond?: number;
  /** Market-data lines per session before error 101. Default 100. */
  maxMarketDataLines?: number;
  /** Wall clock for pacing/rate limits and recording stamps. Default Date.now. */
  wall?: () => number;
  /** Close a session this many ms after its error 100 (real TWS "will likely disconnect"). Default: never. */
  rateLimitDisconnectMs?: number;
  /** Farm notices after startApi: 'ok' (2104/2106/2158) or 'inactive' (2104/2107/2158, as real logs show). */
  startupFarms?: 'ok' | 'inactive';
  /**
   * 'realistic': IB's nightly reset, weekend outage, daily gateway restart with held client ids and weekend
   * slowness at their real ET times on the simulator clock (schedule.ts). Default 'none'.
   */
  schedule?: 'realistic' | 'none';
  scheduleOptions?: Partial<Omit<ScheduleOptions, 'seed'>>;
}

export interface SimulatorStats {
  connectionsAccepted: number;
  historicalRequests: number;
  /** One entry per fault that fired, e.g. "conn 2: disconnect". */
  faultsFired: string[];
}

export interface Simulator {
  host: string;
  port: number;
  /** Stops listening, drops every client, flushes the recording. */
  close(): Promise<void>;
  /** Open TCP connections. */
  connections(): number;
  sessions(): SessionInfo[];
  stats(): SimulatorStats;
  /** The simulator's clock. */
  now(): Date;
  /** The market model (tests compute expected prices with it). */
  readonly market: MarketModel;
  readonly seed: number;
  /** Sends streaming updates now (instead of waiting for the interval). */
  pump(): void;
  /** Sends an id −1 system message (e.g. 1100, 2103) to every ready session. */
  broadcastSystemMessage(code: number, message?: string): void;
  /** Drops every client connection (a gateway restart); the server keeps listening. */
  disconnectAll(): void;
  /** Replaces the scenario faults for sessions and requests from now on. */
  setFaults(faults: readonly Fault[]): void;
  /** Resolves when `predicate` holds (checked on every session event), or rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
}

export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(`port ${port} on ${host} is already in use`);
  }
}

interface SimulatorStateOptions {
  handlers: SimHandlers;
  accounts: readonly string[];
  maxMessagesPerSecond: number;
  rateLimitDisconnectMs: number | undefined;
  startupFarms: 'ok' | 'inactive';
  schedule: ScheduleOptions | undefined;
  now: () => Date;
  wall: () => number;
  log: (line: string) => void;
  recorder: Recorder | undefined;
  faults: readonly Fault[];
}

/** What every session shares: client ids, fault budgets, stats, the recording and the waiters of waitFor. */
class SimulatorState implements SessionHost {
  readonly handlers: SimHandlers;
  readonly accounts: readonly string[];
  readonly maxMessagesPerSecond: number;
  readonly rateLimitDisconnectMs: number | undefined;
  readonly startupFarms: 'ok' | 'inactive';
  readonly slowDelayMs: number;
  readonly now: () => Date;
  readonly wall: () => number;
  readonly log: (line: string) => void;
  readonly sessions = new Set<Session>();
  readonly sockets = new Set<Socket>();
  readonly stats: SimulatorStats = { connectionsAccepted: 0, historicalRequests: 0, faultsFired: [] };
  faults: readonly Fault[];
  private readonly recorder: Recorder | undefined;
  private readonly clientIds = new Map<number, Session>();
  private readonly faultUse = new Map<Fault, number>();
  private readonly waiters = new Set<() => void>();
  private connectionCounter = 0;
  private readonly schedule: ScheduleOptions | undefined;
  private restartKey: number | undefined;
  /** Client ids a restarted gateway still holds, until this simulated instant. */
  private readonly heldIds = new Map<number, number>();

  constructor(options: SimulatorStateOptions) {
    this.handlers = options.handlers;
    this.accounts = options.accounts;
    this.maxMessagesPerSecond = options.maxMessagesPerSecond;
    this.rateLimitDisconnectMs = options.rateLimitDisconnectMs;
    this.startupFarms = options.startupFarms;
    this.schedule = options.schedule;
    this.slowDelayMs = options.schedule?.weekendDelayMs ?? 0;
    this.now = options.now;
    this.wall = options.wall;
    this.log = options.log;
    this.recorder = options.recorder;
    this.faults = options.faults;
    this.restartKey = this.schedulePhase()?.restartKey;
  }

  schedulePhase(): SchedulePhase | undefined {
    return this.schedule ? schedulePhase(this.now().getTime(), this.schedule) : undefined;
  }

  /** Brings every session up to the schedule; a restart instant passed closes every socket. */
  evaluateSchedule(): void {
    const phase = this.schedulePhase();
    if (!phase || !this.schedule) return;
    if (phase.restartKey !== this.restartKey) {
      this.restartKey = phase.restartKey;
      const until = this.now().getTime() + this.schedule.clientIdHoldMs;
      const open = [...this.sessions];
      for (const s of open) if (s.clientId !== undefined) this.heldIds.set(s.clientId, until);
      this.log(`schedule: gateway restart, ${open.length} connection(s) closed, client ids held`);
      this.stats.faultsFired.push(`gateway restart (${open.length} connection(s))`);
      for (const s of open) s.close('gateway restart');
    }
    for (const s of [...this.sessions]) s.applyPhase(phase);
  }

  /** A new client connection becomes a session. */
  accept(socket: Socket): void {
    if (this.schedulePhase()?.gatewayDown) {
      this.log('schedule: gateway restarting, connection refused');
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.notify();
    });
    const id = ++this.connectionCounter;
    this.stats.connectionsAccepted++;
    const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.recorder?.event(id, 'connect', peer);
    this.log(`conn ${id}: accepted from ${peer}`);
    this.sessions.add(new Session(id, socket, this));
    this.notify();
  }

  claimClientId(clientId: number, session: Session): boolean {
    if ((this.heldIds.get(clientId) ?? 0) > this.now().getTime()) return false;
    const holder = this.clientIds.get(clientId);
    if (holder && holder !== session && holder.isOpen) return false;
    this.clientIds.set(clientId, session);
    return true;
  }

  releaseClientId(clientId: number, session: Session): void {
    if (this.clientIds.get(clientId) === session) this.clientIds.delete(clientId);
  }

  faultsForSession(clientId: number): Fault[] {
    const applicable: Fault[] = [];
    for (const fault of this.faults) {
      if (fault.clientIds && !fault.clientIds.includes(clientId)) continue;
      const used = this.faultUse.get(fault) ?? 0;
      if (fault.sessions !== undefined && used >= fault.sessions) continue;
      this.faultUse.set(fault, used + 1);
      applicable.push(fault);
    }
    return applicable;
  }

  record(conn: number, dir: 'in' | 'out', fields: readonly (string | number)[]): void {
    this.recorder?.frame(conn, dir, fields);
    this.notify();
  }

  recordHandshake(conn: number, text: string): void {
    this.recorder?.handshake(conn, text);
  }

  recordRaw(conn: number, bytes: Buffer): void {
    this.recorder?.rawOut(conn, bytes);
  }

  onSessionClosed(session: Session, reason: string): void {
    this.sessions.delete(session);
    this.recorder?.event(session.id, 'close', reason);
    this.log(
      `conn ${session.id}${session.clientId !== undefined ? ` (client ${session.clientId})` : ''}: closed (${reason})`,
    );
    this.notify();
  }

  onFault(session: Session, description: string): void {
    const entry = `conn ${session.id}: ${description}`;
    this.stats.faultsFired.push(entry);
    this.log(`fault: ${entry}`);
    this.notify();
  }

  /** Resolves when `predicate` holds (checked on every session event), or rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`simulator.waitFor: condition not met within ${timeoutMs} ms`));
      }, timeoutMs);
      // Events trigger a check before a request is handled; the poll catches state changed after it.
      const poll = setInterval(check, 20);
      const cleanup = () => {
        clearTimeout(timer);
        clearInterval(poll);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  async closeRecording(): Promise<void> {
    await this.recorder?.close();
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** Errors of an address this machine cannot bind: not its own, not a name that resolves, not allowed. */
const CANNOT_BIND = new Set(['EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EACCES', 'EINVAL']);

export class CannotListenError extends Error {
  override readonly name = 'CannotListenError';
  constructor(
    readonly host: string,
    readonly port: number,
    cause: NodeJS.ErrnoException,
  ) {
    super(`cannot listen on ${host}:${port} (${cause.code}): ${cause.message}`, { cause });
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new PortInUseError(host, port));
      else if (CANNOT_BIND.has(error.code ?? '')) reject(new CannotListenError(host, port, error));
      else reject(error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? (() => new Date());
  const wall = options.wall ?? (() => Date.now());
  const log = options.log ?? (() => {});
  const scenario = options.scenario;
  const seed = options.seed ?? scenario?.seed ?? 1;
  const market = new MarketModel({
    seed,
    vix: scenario?.vix ?? 16,
    events: scenario?.events ?? [],
    startMs: now().getTime(),
  });
  const state: SimulatorState = new SimulatorState({
    handlers: createHandlers({
      market,
      now,
      wall,
      snapshotEndDelayMs: options.snapshotEndDelayMs ?? 50,
      delayedMinutes: 15,
      maxMarketDataLines: options.maxMarketDataLines ?? 100,
      contractTimeZone: options.contractTimeZone ?? 'US/Central',
      enforcePacing: options.enforcePacing ?? false,
      nextHistoricalOrdinal: () => ++state.stats.historicalRequests,
      log,
    }),
    accounts: options.accounts ?? ['DU1234567'],
    maxMessagesPerSecond: options.maxMessagesPerSecond ?? 50,
    rateLimitDisconnectMs: options.rateLimitDisconnectMs,
    startupFarms: options.startupFarms ?? 'ok',
    schedule:
      options.schedule === 'realistic'
        ? { ...DEFAULT_SCHEDULE, ...options.scheduleOptions, seed: options.seed ?? scenario?.seed ?? 1 }
        : undefined,
    now,
    wall,
    log,
    recorder: options.record
      ? new Recorder(options.record, wall, now, (error) =>
          (options.warn ?? log)(`recording to ${options.record} stopped: ${error.message}`),
        )
      : undefined,
    faults: scenario?.faults ?? [],
  });
  const server: Server = createServer((socket) => state.accept(socket));
  await listen(server, host, options.port ?? 0);
  server.on('error', (error) => log(`server error: ${error.message}`));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  return simulatorHandle({
    state,
    server,
    host,
    port,
    market,
    seed,
    streamIntervalMs: options.streamIntervalMs,
  });
}

interface HandleParts {
  state: SimulatorState;
  server: Server;
  host: string;
  port: number;
  market: MarketModel;
  seed: number;
  streamIntervalMs: number | undefined;
}

/** The running simulator: streams updates on an interval and exposes the controls tests use. */
function simulatorHandle(parts: HandleParts): Simulator {
  const { state, server } = parts;
  const { sessions, sockets, stats } = state;
  const pump = () => {
    state.evaluateSchedule();
    for (const s of sessions) {
      if (s.phase !== 'ready') continue;
      state.handlers.marketData.pump(s);
      state.handlers.historical.pump(s);
    }
  };
  const streamMs = parts.streamIntervalMs ?? 250;
  const interval = streamMs > 0 ? setInterval(pump, streamMs) : undefined;
  interval?.unref();
  // The schedule follows the clock even while no client sends anything (a client paused by 1100 waits).
  const scheduleTicker = state.schedulePhase() ? setInterval(() => state.evaluateSchedule(), 50) : undefined;
  scheduleTicker?.unref();
  let closed = false;
  return {
    host: parts.host,
    port: parts.port,
    market: parts.market,
    seed: parts.seed,
    now: state.now,
    pump,
    connections: () => sockets.size,
    sessions: () => [...sessions].map((s) => s.describe()),
    stats: () => ({ ...stats, faultsFired: [...stats.faultsFired] }),
    broadcastSystemMessage(code, message) {
      for (const s of sessions) {
        if (s.phase === 'ready')
          s.error(-1, code, message ?? SYSTEM_MESSAGE_TEXT[code] ?? `System message ${code}`);
      }
    },
    disconnectAll() {
      for (const s of [...sessions]) s.close('simulator: disconnectAll');
    },
    setFaults(next) {
      state.faults = [...next];
    },
    waitFor: (predicate, timeoutMs = 10_000) => state.waitFor(predicate, timeoutMs),
    async close() {
      if (closed) return;
      closed = true;
      if (interval) clearInterval(interval);
      if (scheduleTicker) clearInterval(scheduleTicker);
      for (const s of [...sessions]) s.close('simulator closed');
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await state.closeRecording();
    },
  };
}
