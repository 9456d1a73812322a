import { createServer, type Server, type Socket } from 'node:net';
import { createHandlers } from './handlers/index.js';
import { MarketModel } from './market/model.js';
import { Recorder } from './recording.js';
import type { Fault, Scenario } from './scenario.js';
import { Session, type SessionHost, SYSTEM_MESSAGE_TEXT } from './session.js';

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
}

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

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? (() => new Date());
  const wall = options.wall ?? (() => Date.now());
  const log = options.log ?? (() => {});
  const scenario = options.scenario;
  const seed = options.seed ?? scenario?.seed ?? 1;
  let faults: readonly Fault[] = scenario?.faults ?? [];
  const market = new MarketModel({
    seed,
    vix: scenario?.vix ?? 16,
    events: scenario?.events ?? [],
    startMs: now().getTime(),
  });
  const recorder = options.record ? new Recorder(options.record, wall, now) : undefined;
  const sessions = new Set<Session>();
  const clientIds = new Map<number, Session>();
  const faultUse = new Map<Fault, number>();
  const stats: SimulatorStats = { connectionsAccepted: 0, historicalRequests: 0, faultsFired: [] };
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  let connectionCounter = 0;

  const handlers = createHandlers({
    market,
    now,
    wall,
    snapshotEndDelayMs: options.snapshotEndDelayMs ?? 50,
    delayedMinutes: 15,
    maxMarketDataLines: options.maxMarketDataLines ?? 100,
    contractTimeZone: options.contractTimeZone ?? 'US/Central',
    enforcePacing: options.enforcePacing ?? false,
    nextHistoricalOrdinal: () => ++stats.historicalRequests,
    log,
  });

  const sessionHost: SessionHost = {
    handlers,
    accounts: options.accounts ?? ['DU1234567'],
    maxMessagesPerSecond: options.maxMessagesPerSecond ?? 50,
    now,
    wall,
    log,
    claimClientId(clientId, session) {
      const holder = clientIds.get(clientId);
      if (holder && holder !== session && holder.isOpen) return false;
      clientIds.set(clientId, session);
      return true;
    },
    releaseClientId(clientId, session) {
      if (clientIds.get(clientId) === session) clientIds.delete(clientId);
    },
    faultsForSession(clientId) {
      const applicable: Fault[] = [];
      for (const fault of faults) {
        if (fault.clientIds && !fault.clientIds.includes(clientId)) continue;
        const used = faultUse.get(fault) ?? 0;
        if (fault.sessions !== undefined && used >= fault.sessions) continue;
        faultUse.set(fault, used + 1);
        applicable.push(fault);
      }
      return applicable;
    },
    record(conn, dir, fields) {
      recorder?.frame(conn, dir, fields);
      notify();
    },
    recordHandshake(conn, text) {
      recorder?.handshake(conn, text);
    },
    recordRaw(conn, bytes) {
      recorder?.rawOut(conn, bytes);
    },
    onSessionClosed(session, reason) {
      sessions.delete(session);
      recorder?.event(session.id, 'close', reason);
      log(
        `conn ${session.id}${session.clientId !== undefined ? ` (client ${session.clientId})` : ''}: closed (${reason})`,
      );
      notify();
    },
    onFault(session, description) {
      const entry = `conn ${session.id}: ${description}`;
      stats.faultsFired.push(entry);
      log(`fault: ${entry}`);
      notify();
    },
  };

  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      notify();
    });
    const id = ++connectionCounter;
    stats.connectionsAccepted++;
    recorder?.event(id, 'connect', `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`);
    log(`conn ${id}: accepted from ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`);
    sessions.add(new Session(id, socket, sessionHost));
    notify();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new PortInUseError(host, options.port ?? 0));
      else reject(error);
    };
    server.once('error', onError);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (error) => log(`server error: ${error.message}`));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);

  const pump = () => {
    for (const s of sessions) if (s.phase === 'ready') handlers.marketData.pump(s);
  };
  const streamMs = options.streamIntervalMs ?? 250;
  const interval = streamMs > 0 ? setInterval(pump, streamMs) : undefined;
  interval?.unref();

  let closed = false;
  return {
    host,
    port,
    market,
    seed,
    now,
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
      faults = [...next];
    },
    waitFor(predicate, timeoutMs = 10_000) {
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
          waiters.delete(check);
        };
        waiters.add(check);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      if (interval) clearInterval(interval);
      for (const s of [...sessions]) s.close('simulator closed');
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await recorder?.close();
    },
  };
}
