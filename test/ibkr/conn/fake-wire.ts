import type { IbFactory } from '../../../src/ibkr/index.js';
import type {
  IbContractDetails,
  IbContractSpec,
  IbHistoricalQuery,
  IbWire,
  IbWireEvent,
  IbWireOptions,
} from '../../../src/ibkr/wire.js';

export type WireCall =
  | { method: 'connect'; clientId: number }
  | { method: 'disconnect' }
  | { method: 'reqCurrentTime' }
  | { method: 'reqMarketDataType'; type: number }
  | { method: 'reqContractDetails'; reqId: number; contract: IbContractSpec }
  | { method: 'reqMktData'; reqId: number; contract: IbContractSpec; snapshot: boolean }
  | { method: 'cancelMktData'; reqId: number }
  | { method: 'reqHistoricalData'; reqId: number; contract: IbContractSpec; query: IbHistoricalQuery }
  | { method: 'cancelHistoricalData'; reqId: number };

export class FakeWire implements IbWire {
  readonly calls: WireCall[] = [];
  disconnected = false;
  constructor(
    readonly options: IbWireOptions,
    private readonly onCall: (wire: FakeWire, call: WireCall) => void,
  ) {}

  emit(event: IbWireEvent): void {
    if (!this.disconnected) this.options.onEvent(event);
  }

  /** Emits asynchronously, like a socket would. */
  later(...events: IbWireEvent[]): void {
    setImmediate(() => {
      for (const event of events) this.emit(event);
    });
  }

  private record(call: WireCall): void {
    this.calls.push(call);
    this.onCall(this, call);
  }

  connect(clientId: number): void {
    this.record({ method: 'connect', clientId });
  }
  disconnect(): void {
    this.record({ method: 'disconnect' });
    this.disconnected = true;
  }
  reqCurrentTime(): void {
    this.record({ method: 'reqCurrentTime' });
  }
  reqMarketDataType(type: 1 | 2 | 3 | 4): void {
    this.record({ method: 'reqMarketDataType', type });
  }
  reqContractDetails(reqId: number, contract: IbContractSpec): void {
    this.record({ method: 'reqContractDetails', reqId, contract });
  }
  reqMktData(reqId: number, contract: IbContractSpec, snapshot: boolean): void {
    this.record({ method: 'reqMktData', reqId, contract, snapshot });
  }
  cancelMktData(reqId: number): void {
    this.record({ method: 'cancelMktData', reqId });
  }
  reqHistoricalData(reqId: number, contract: IbContractSpec, query: IbHistoricalQuery): void {
    this.record({ method: 'reqHistoricalData', reqId, contract, query });
  }
  cancelHistoricalData(reqId: number): void {
    this.record({ method: 'cancelHistoricalData', reqId });
  }
}

/**
 * A scripted gateway behind the IbWire boundary. By default it accepts any client id (handshake,
 * managedAccounts, nextValidId) and answers reqCurrentTime; `respond` adds behaviour per call.
 */
export class FakeGateway {
  readonly wires: FakeWire[] = [];
  /** Client ids that get 326 and a closed socket. */
  readonly idsInUse = new Set<number>();
  refuse = false;
  silent = false;
  answerHeartbeat = true;
  respond: (wire: FakeWire, call: WireCall) => void = () => {};

  readonly factory: IbFactory = {
    target: { host: 'fake', port: 1 },
    createWire: (options) => {
      const wire = new FakeWire(options, (w, call) => this.handle(w, call));
      this.wires.push(wire);
      return wire;
    },
  };

  get last(): FakeWire {
    const wire = this.wires[this.wires.length - 1];
    if (!wire) throw new Error('no wire yet');
    return wire;
  }

  calls(method: WireCall['method']): WireCall[] {
    return this.wires.flatMap((w) => w.calls.filter((c) => c.method === method));
  }

  private handle(wire: FakeWire, call: WireCall): void {
    if (call.method === 'connect') {
      if (this.refuse) {
        wire.later(
          { type: 'error', code: 502, reqId: -1, message: 'connect ECONNREFUSED' },
          { type: 'disconnected' },
        );
        return;
      }
      if (this.silent) return;
      if (this.idsInUse.has(call.clientId)) {
        wire.later(
          { type: 'connected', serverVersion: 193 },
          { type: 'info', code: 326, message: 'Unable to connect as the client id is already in use.' },
          { type: 'disconnected' },
        );
        return;
      }
      wire.later(
        { type: 'connected', serverVersion: 193 },
        { type: 'managedAccounts', accounts: 'DU123456' },
        { type: 'nextValidId', orderId: 1 },
        { type: 'info', code: 2104, message: 'Market data farm connection is OK:usfarm' },
      );
      return;
    }
    if (call.method === 'reqCurrentTime' && this.answerHeartbeat) {
      wire.later({ type: 'currentTime', epochSeconds: 1_760_000_000 });
    }
    this.respond(wire, call);
  }
}

export function futureDetails(
  symbol: string,
  conId: number,
  contractMonth: string,
  lastTradeDate: string,
  extra: Partial<IbContractDetails> = {},
): IbContractDetails {
  const codes: Record<string, string> = { '03': 'H', '06': 'M', '09': 'U', '12': 'Z' };
  const code = codes[contractMonth.slice(4, 6)] ?? 'F';
  return {
    conId,
    symbol,
    secType: 'FUT',
    localSymbol: `${symbol}${code}${contractMonth.slice(3, 4)}`,
    tradingClass: symbol,
    exchange: 'CME',
    currency: 'USD',
    multiplier: symbol === 'NQ' ? 20 : 50,
    lastTradeDateOrContractMonth: lastTradeDate,
    lastTradeDate,
    contractMonth,
    realExpirationDate: lastTradeDate,
    timeZoneId: 'US/Central',
    tradingHours: '',
    liquidHours: '',
    minTick: 0.25,
    longName: symbol,
    ...extra,
  };
}

/** Polls a condition on the event loop (no fixed sleeps); fails after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
