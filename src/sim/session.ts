import type { Socket } from 'node:net';
import { CodecError, encodeFrame, type Field, FrameDecoder, type Handshake } from './codec.js';
import type { SimHandlers } from './handlers/index.js';
import { formatIbEt } from './ib-time.js';
import { currentTime, errorMessage, managedAccounts, nextValidId } from './messages.js';
import {
  MIN_CLIENT_VERSION,
  parseRequest,
  RequestParseError,
  requestIdOf,
  SERVER_VERSION,
  type SimRequest,
} from './protocol.js';
import type { Fault } from './scenario.js';
import type { SchedulePhase } from './schedule.js';
import type { HistoricalLine, MarketLine, SessionInfo, SessionPort } from './types.js';

/** One client connection: handshake, startApi, request dispatch, fault triggers, market-data lines. */

export interface SessionHost {
  readonly handlers: SimHandlers;
  readonly accounts: readonly string[];
  readonly maxMessagesPerSecond: number;
  /** Close the socket this long after an error 100 (real TWS "will likely disconnect"); undefined = never. */
  readonly rateLimitDisconnectMs: number | undefined;
  /** Farm notices after startApi: all OK, or as a real gateway often starts (HMDS inactive, secdefil). */
  readonly startupFarms: 'ok' | 'inactive';
  now(): Date;
  wall(): number;
  log(line: string): void;
  /** Claims a client id; false when in use (→ 326). */
  claimClientId(clientId: number, session: Session): boolean;
  releaseClientId(clientId: number, session: Session): void;
  /** The faults that apply to a session with this client id (counts `sessions` limits). */
  faultsForSession(clientId: number): Fault[];
  record(conn: number, dir: 'in' | 'out', fields: readonly (string | number)[]): void;
  recordHandshake(conn: number, text: string): void;
  recordRaw(conn: number, bytes: Buffer): void;
  onSessionClosed(session: Session, reason: string): void;
  onFault(session: Session, description: string): void;
  /** Brings the realistic schedule up to the simulator clock (may restart the gateway). */
  evaluateSchedule(): void;
  /** The schedule phase now, when a schedule runs. */
  schedulePhase(): SchedulePhase | undefined;
  /** Real ms added to answers while the schedule says the gateway is slow. */
  readonly slowDelayMs: number;
}

type SessionPhase = 'handshake' | 'awaitStartApi' | 'ready' | 'closed';

export class Session implements SessionPort {
  readonly decoder = new FrameDecoder({ expectHandshake: true });
  phase: SessionPhase = 'handshake';
  clientId: number | undefined;
  serverVersion = SERVER_VERSION;
  marketDataType = 1;
  readonly lines = new Map<number, MarketLine>();
  readonly historical = new Map<number, HistoricalLine>();
  /** Requests received after startApi. */
  requestCount = 0;
  /** Frames written to the client. */
  sentCount = 0;
  faults: Fault[] = [];
  private nextOrderId = 1;
  private halfOpen = false;
  private held: string[][] | undefined;
  /** Simulated ms the market data farm broke (2103 sent, 2104 not yet), if it is broken. */
  private marketFarmDownAt: number | undefined;
  /** Market data requests per symbol (frozenQuotes `requests`). */
  private readonly quoteRequests = new Map<string, number>();
  /** Per symbol, the simulated instant a frozenQuotes cache stopped at (fixed once the fault applies). */
  private readonly frozenAt = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly preStart: string[][] = [];
  private readonly rateWindow: number[] = [];
  private readonly firedTriggers = new Set<number>();
  /** What this client has been told of the schedule (farms, connectivity). */
  private told: { farms: SchedulePhase['farms']; connected: boolean; restoreCode: number } | undefined;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    private readonly host: SessionHost,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.close(`socket error: ${error.message}`));
    socket.on('close', () => this.close('peer closed'));
  }

  get isOpen(): boolean {
    return this.phase !== 'closed';
  }

  /** Sends one frame (unless the session went half-open or closed). */
  send(fields: readonly Field[]): void {
    if (this.phase === 'closed' || this.halfOpen || this.socket.destroyed) return;
    const text = fields.map((f) =>
      f === null || f === undefined ? '' : f === true ? '1' : f === false ? '0' : String(f),
    );
    this.host.record(this.id, 'out', text);
    this.sentCount++;
    this.socket.write(encodeFrame(text));
  }

  /** Sends raw bytes (malformed frames). */
  sendRaw(bytes: Buffer): void {
    if (this.phase === 'closed' || this.halfOpen || this.socket.destroyed) return;
    this.host.recordRaw(this.id, bytes);
    this.sentCount++;
    this.socket.write(bytes);
  }

  error(id: number, code: number, message: string): void {
    this.send(errorMessage(this.serverVersion, id, code, message));
  }

  faultFired(description: string): void {
    this.host.onFault(this, description);
  }

  quoteLagMs(symbol: string): number {
    const n = (this.quoteRequests.get(symbol) ?? 0) + 1;
    this.quoteRequests.set(symbol, n);
    for (const f of this.faults) {
      if (f.type !== 'frozenQuotes') continue;
      if (f.symbols && !f.symbols.some((s) => s === symbol)) continue;
      if (f.requests !== undefined && n > f.requests) continue;
      this.faultFired(`frozenQuotes ${symbol} request ${n}`);
      const now = this.host.now().getTime();
      const since = this.frozenAt.get(symbol) ?? now - f.ageMs;
      this.frozenAt.set(symbol, since);
      return now - since;
    }
    if (this.marketFarmDownAt === undefined) return 0;
    return Math.max(0, this.host.now().getTime() - this.marketFarmDownAt);
  }

  setTimer(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.isOpen) fn();
    }, ms);
    this.timers.add(timer);
  }

  close(reason: string): void {
    if (this.phase === 'closed') return;
    const hadClientId = this.phase === 'ready';
    this.phase = 'closed';
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.lines.clear();
    this.historical.clear();
    if (hadClientId && this.clientId !== undefined) this.host.releaseClientId(this.clientId, this);
    if (!this.socket.destroyed) this.socket.destroy();
    this.host.onSessionClosed(this, reason);
  }

  /** Ends the connection the way a gateway does: flush what was written, then close. */
  endGracefully(reason: string): void {
    if (this.phase === 'closed') return;
    this.socket.end(() => this.close(reason));
    this.setTimer(1000, () => this.close(reason));
  }

  private onData(chunk: Buffer): void {
    if (this.phase === 'closed') return;
    let items: ReturnType<FrameDecoder['push']>;
    try {
      items = this.decoder.push(chunk);
    } catch (error) {
      const message = error instanceof CodecError ? error.message : String(error);
      this.host.log(`conn ${this.id}: dropping client: ${message}`);
      this.close(`protocol error: ${message}`);
      return;
    }
    for (const item of items) {
      if (!this.isOpen) return;
      if (item.kind === 'handshake') this.onHandshake(item.handshake);
      else this.onFrame(item.fields);
    }
  }

  private onHandshake(handshake: Handshake): void {
    this.host.recordHandshake(this.id, handshake.raw);
    const negotiated = Math.min(handshake.maxVersion, SERVER_VERSION);
    if (negotiated < handshake.minVersion || negotiated < MIN_CLIENT_VERSION) {
      // A gateway closes the socket when it cannot serve the client's version range.
      this.host.log(
        `conn ${this.id}: refusing client range v${handshake.minVersion}..${handshake.maxVersion}: the simulator speaks server versions ${MIN_CLIENT_VERSION}..${SERVER_VERSION} (text protocol; ≥194 and protobuf are not modelled)`,
      );
      this.close(`unsupported client version range ${handshake.raw}`);
      return;
    }
    this.serverVersion = negotiated;
    this.phase = 'awaitStartApi';
    this.send([negotiated, formatIbEt(this.host.now().getTime())]);
  }

  private onFrame(fields: string[]): void {
    this.host.record(this.id, 'in', fields);
    if (this.phase === 'awaitStartApi') {
      if (fields[0] === '71') this.onStartApi(fields);
      else this.preStart.push(fields);
      return;
    }
    if (this.phase !== 'ready') return;
    this.host.evaluateSchedule();
    if (!this.isOpen) return;
    this.requestCount++;
    if (this.halfOpen) return;
    if (this.overRate()) {
      this.error(
        -1,
        100,
        `Max rate of messages per second has been exceeded:max=${this.host.maxMessagesPerSecond} rec=${this.rateWindow.length} (1)`,
      );
      const after = this.host.rateLimitDisconnectMs;
      if (after !== undefined) this.setTimer(after, () => this.close('rate limit exceeded (error 100)'));
    }
    if (this.told?.connected === false && fields[0] === '9') {
      // While IB is unreachable a gateway answers contract requests with a spurious 200 (ib_insync #330).
      this.error(Number(fields[2] ?? -1), 200, 'No security definition has been found for the request');
    } else if (this.held) this.held.push(fields);
    else this.dispatch(fields);
    this.checkMessageTriggers();
  }

  private overRate(): boolean {
    const now = this.host.wall();
    this.rateWindow.push(now);
    while (this.rateWindow.length > 0 && (this.rateWindow[0] ?? now) <= now - 1000) this.rateWindow.shift();
    return this.rateWindow.length > this.host.maxMessagesPerSecond;
  }

  private onStartApi(fields: string[]): void {
    let request: SimRequest;
    try {
      request = parseRequest(fields);
    } catch {
      this.close('bad startApi');
      return;
    }
    if (request.kind !== 'startApi') return;
    const faults = this.host.faultsForSession(request.clientId);
    if (faults.some((f) => f.type === 'clientIdInUse') || !this.host.claimClientId(request.clientId, this)) {
      if (faults.some((f) => f.type === 'clientIdInUse')) this.faultFired('clientIdInUse');
      this.error(
        -1,
        326,
        'Unable to connect as the client id is already in use. Retry with a unique client id.',
      );
      this.endGracefully(`client id ${request.clientId} in use`);
      return;
    }
    this.clientId = request.clientId;
    this.faults = faults;
    this.phase = 'ready';
    this.nextOrderId = 1;
    this.send(managedAccounts(this.host.accounts));
    this.send(nextValidId(this.nextOrderId));
    const codes = this.host.startupFarms === 'inactive' ? [2104, 2107, 2158] : [2104, 2106, 2158];
    for (const code of codes) this.error(-1, code, SYSTEM_MESSAGE_TEXT[code] ?? `System message ${code}`);
    this.told = { farms: { market: true, hmds: true, secdef: true }, connected: true, restoreCode: 1102 };
    const phase = this.host.schedulePhase();
    if (phase) this.applyPhase(phase);
    this.armTimeTriggers();
    this.checkMessageTriggers();
    for (const queued of this.preStart.splice(0)) this.onFrame(queued);
  }

  private dispatch(fields: string[]): void {
    let request: SimRequest;
    try {
      request = parseRequest(fields, this.serverVersion);
    } catch (error) {
      const detail = error instanceof RequestParseError ? error.message : String(error);
      this.error(-1, 320, `Server error when reading an API client request. ${detail}`);
      return;
    }
    const delay = this.slowDelay(request);
    if (delay <= 0) {
      this.handle(request);
      return;
    }
    // A delayed historical request is pending: a cancel meanwhile drops it (162 "query cancelled").
    const pending = request.kind === 'historicalData' ? request.reqId : undefined;
    if (pending !== undefined) this.historical.set(pending, { reqId: pending, state: 'pending' });
    this.setTimer(delay, () => {
      if (pending !== undefined) {
        if (this.historical.get(pending)?.state !== 'pending') return;
        this.historical.delete(pending);
      }
      this.handle(request);
    });
  }

  private slowDelay(request: SimRequest): number {
    let delay = 0;
    const category =
      request.kind === 'contractDetails'
        ? 'contractDetails'
        : request.kind === 'mktData'
          ? 'marketData'
          : request.kind === 'historicalData'
            ? 'historical'
            : request.kind === 'headTimestamp'
              ? 'headTimestamp'
              : request.kind === 'currentTime'
                ? 'currentTime'
                : undefined;
    if (this.host.schedulePhase()?.slow) delay = this.host.slowDelayMs;
    for (const f of this.faults) {
      if (f.type !== 'slow') continue;
      if (f.requests && (category === undefined || !f.requests.includes(category))) continue;
      if (!f.requests && category === undefined) continue;
      delay = Math.max(delay, f.delayMs);
    }
    return delay;
  }

  private handle(request: SimRequest): void {
    if (!this.isOpen || this.halfOpen) return;
    const h = this.host.handlers;
    switch (request.kind) {
      case 'startApi':
        this.error(-1, 320, 'Server error when reading an API client request. startApi was already received');
        return;
      case 'currentTime':
        this.send(currentTime(Math.floor(this.host.now().getTime() / 1000)));
        return;
      case 'reqIds':
        this.send(nextValidId(this.nextOrderId));
        return;
      case 'managedAccounts':
        this.send(managedAccounts(this.host.accounts));
        return;
      case 'serverLogLevel':
      case 'cancelHeadTimestamp':
        return;
      case 'marketDataType':
        if (request.type < 1 || request.type > 4) {
          this.error(
            -1,
            321,
            `Error validating request.-'b9' : cause - Invalid market data type ${request.type}`,
          );
          return;
        }
        this.marketDataType = request.type;
        return;
      case 'contractDetails':
        h.contracts.contractDetails(this, request);
        return;
      case 'mktData':
        h.marketData.marketData(this, request);
        return;
      case 'cancelMktData':
        if (!this.lines.delete(request.reqId)) {
          this.error(request.reqId, 300, `Can't find EId with tickerId:${request.reqId}`);
        }
        return;
      case 'historicalData':
        h.historical.historicalData(this, request);
        return;
      case 'cancelHistoricalData':
        h.historical.cancel(this, request.reqId);
        return;
      case 'headTimestamp':
        h.historical.headTimestamp(this, request);
        return;
      case 'order':
        this.error(
          requestIdOf(request),
          321,
          "Error validating request.-'bA' : cause - The API interface is currently in Read-Only mode.",
        );
        return;
      case 'unsupported':
        this.error(
          request.reqId,
          321,
          `Error validating request.-'bZ' : cause - ${request.name} (message ${request.msgId}) is not supported by the IB Gateway simulator`,
        );
        return;
      case 'unknown':
        this.error(
          -1,
          320,
          `Server error when reading an API client request. Unknown message id ${request.raw}`,
        );
        return;
    }
  }

  // ---- fault triggers ----

  private triggerDue(fault: Fault): boolean {
    return (
      'afterMessages' in fault &&
      fault.afterMessages !== undefined &&
      this.requestCount >= fault.afterMessages
    );
  }

  private checkMessageTriggers(): void {
    this.faults.forEach((fault, index) => {
      if (this.firedTriggers.has(index) || !this.triggerDue(fault)) return;
      this.fire(fault, index);
    });
  }

  private armTimeTriggers(): void {
    this.faults.forEach((fault, index) => {
      if (!('afterMs' in fault) || fault.afterMs === undefined) return;
      if ('afterMessages' in fault && fault.afterMessages !== undefined) return;
      this.setTimer(fault.afterMs, () => this.fire(fault, index));
    });
  }

  private fire(fault: Fault, index: number): void {
    if (this.firedTriggers.has(index) || !this.isOpen) return;
    this.firedTriggers.add(index);
    switch (fault.type) {
      case 'disconnect':
        this.faultFired('disconnect');
        this.close('fault: disconnect');
        return;
      case 'halfOpen':
        this.faultFired('halfOpen');
        this.halfOpen = true;
        return;
      case 'malformedFrame':
        this.faultFired(`malformedFrame ${fault.variant}`);
        this.sendMalformed(fault.variant);
        return;
      case 'systemMessages':
        this.faultFired(`systemMessages ${fault.codes.join('→')}`);
        this.playSystemMessages(fault.codes, fault.intervalMs, fault.holdRequests);
        return;
      default:
        return;
    }
  }

  private sendMalformed(variant: 'unknownMessageId' | 'extraField' | 'missingField'): void {
    if (variant === 'unknownMessageId') this.send([999, 1, 'simulated garbage']);
    else if (variant === 'extraField')
      this.send([49, 1, Math.floor(this.host.now().getTime() / 1000), 'extra']);
    else this.send([49]);
  }

  /** Tells the client what changed in the schedule: farms broken first, then 1100; 1101/1102, then farms OK. */
  applyPhase(phase: SchedulePhase): void {
    const told = this.told;
    if (!told || this.phase !== 'ready') return;
    const codes: number[] = [];
    const farm = (was: boolean, now: boolean, down: number, up: number) => {
      if (was !== now) codes.push(now ? up : down);
    };
    const farmCodes = () => {
      farm(told.farms.market, phase.farms.market, 2103, 2104);
      farm(told.farms.hmds, phase.farms.hmds, 2105, 2106);
      farm(told.farms.secdef, phase.farms.secdef, 2157, 2158);
    };
    if (!phase.connected) farmCodes();
    // The loss ends the way it was planned when it began (the phase after it no longer knows).
    if (told.connected !== phase.connected) codes.push(phase.connected ? told.restoreCode : 1100);
    if (phase.connected) farmCodes();
    const restoreCode = phase.connected ? told.restoreCode : phase.restoreCode;
    this.told = { farms: { ...phase.farms }, connected: phase.connected, restoreCode };
    if (codes.length > 0) this.faultFired(`schedule ${phase.label}: ${codes.join('→')}`);
    this.playSystemMessages(codes, 0, true);
  }

  private playSystemMessages(codes: readonly number[], intervalMs: number, hold: boolean): void {
    codes.forEach((code, i) => {
      const run = () => {
        this.error(-1, code, SYSTEM_MESSAGE_TEXT[code] ?? `System message ${code}`);
        if (code === 2103) this.marketFarmDownAt ??= this.host.now().getTime();
        if (code === 2104) this.marketFarmDownAt = undefined;
        if (!hold) return;
        if (code === 1100) this.held ??= [];
        if ((code === 1101 || code === 1102) && this.held) {
          const queued = this.held;
          this.held = undefined;
          if (code === 1101) {
            this.lines.clear();
            for (const [id, line] of this.historical)
              if (line.state === 'streaming') this.historical.delete(id);
          }
          for (const fields of queued) this.dispatch(fields);
        }
      };
      if (i === 0 || intervalMs === 0) run();
      else this.setTimer(intervalMs * i, run);
    });
  }

  /** A snapshot of state for tests and the gateway command. */
  describe(): SessionInfo {
    return {
      id: this.id,
      clientId: this.clientId,
      marketDataType: this.marketDataType,
      lines: this.lines.size,
      requests: this.requestCount,
      sent: this.sentCount,
      halfOpen: this.halfOpen,
    };
  }
}

export const SYSTEM_MESSAGE_TEXT: Readonly<Record<number, string>> = {
  1100: 'Connectivity between IB and Trader Workstation has been lost.',
  1101: 'Connectivity between IB and Trader Workstation has been restored - data lost.',
  1102: 'Connectivity between IB and Trader Workstation has been restored - data maintained.',
  1300: 'TWS socket port has been reset and this connection is being dropped. Please reconnect on the new port',
  2103: 'Market data farm connection is broken:usfarm',
  2104: 'Market data farm connection is OK:usfarm',
  2105: 'HMDS data farm connection is broken:ushmds',
  2106: 'HMDS data farm connection is OK:ushmds',
  2107: 'HMDS data farm connection is inactive but should be available upon demand.ushmds',
  2108: 'Market data farm connection is inactive but should be available upon demand.usfarm',
  2110: 'Connectivity between Trader Workstation and server is broken. It will be restored automatically.',
  2119: 'Market data farm is connecting:usfarm',
  2157: 'Sec-def data farm connection is broken:secdefil',
  2158: 'Sec-def data farm connection is OK:secdefil',
};
