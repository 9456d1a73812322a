import type { IbConnection } from './connection/connection.js';
import type { RequestControl } from './connection/types.js';
import { contractSpec, type ResolvedContract } from './contracts.js';
import { classifyIbError, IbRequestError, IbTimeoutError, IbTransientRequestError } from './errors.js';
import type { IbWireEvent, MarketDataTypeCode } from './wire.js';

/**
 * Market data snapshots (reqMktData with snapshot=1). IB answers what it has and sends
 * tickSnapshotEnd up to ~11 s later; a snapshot that never ends returns what arrived plus
 * `timed_out_partial`, or throws IbTimeoutError when nothing arrived at all. Without a live
 * subscription (354/10089/10168/10186) it can switch the session to delayed data (type 3) and retry
 * once; the delivered type is recorded per snapshot.
 */

export type SnapshotFlag =
  /** The snapshot did not end in time; these are the ticks that arrived. */
  | 'timed_out_partial'
  | 'missing_bid'
  | 'missing_ask'
  | 'missing_last'
  /** Delayed data (type 3/4, or delayed tick ids) was delivered. */
  | 'delayed'
  /** Frozen data (type 2/4) was delivered. */
  | 'frozen'
  /** The live request was refused for lack of a subscription and retried as delayed. */
  | 'delayed_fallback'
  /** IB said part of the data is not subscribed (10090/10091). */
  | 'partial_data'
  /** Taken while the market data farm was reported disconnected (2103 without 2104). */
  | 'farm_degraded';

export interface IbSnapshot {
  contract: ResolvedContract;
  bid: number | null;
  ask: number | null;
  last: number | null;
  bidSize: number | null;
  askSize: number | null;
  lastSize: number | null;
  volume: number | null;
  open: number | null;
  high: number | null;
  low: number | null;
  /** The prior session's close. */
  close: number | null;
  /** Time of the last trade as IB reports it (tick 45/88), if sent. */
  lastTradeAt: Date | null;
  /** The market data type IB actually delivered (marketDataType callback, else inferred from tick ids). */
  marketDataType: MarketDataTypeCode | null;
  requestedMarketDataType: MarketDataTypeCode;
  requestedAt: Date;
  receivedAt: Date;
  flags: SnapshotFlag[];
}

export interface SnapshotOptions {
  timeoutMs: number;
  delayedFallback: boolean;
  farmWaitMs: number;
  now: () => Date;
}

/** The price and size fields of an IbSnapshot that ticks fill. */
export type IbSnapshotField =
  | 'bid'
  | 'ask'
  | 'last'
  | 'bidSize'
  | 'askSize'
  | 'lastSize'
  | 'volume'
  | 'open'
  | 'high'
  | 'low'
  | 'close';

/** IB tick ids: live and delayed (66–76). */
const PRICE_TICKS: ReadonlyMap<number, { field: IbSnapshotField; delayed: boolean }> = new Map([
  [1, { field: 'bid', delayed: false }],
  [2, { field: 'ask', delayed: false }],
  [4, { field: 'last', delayed: false }],
  [6, { field: 'high', delayed: false }],
  [7, { field: 'low', delayed: false }],
  [9, { field: 'close', delayed: false }],
  [14, { field: 'open', delayed: false }],
  [66, { field: 'bid', delayed: true }],
  [67, { field: 'ask', delayed: true }],
  [68, { field: 'last', delayed: true }],
  [72, { field: 'high', delayed: true }],
  [73, { field: 'low', delayed: true }],
  [75, { field: 'close', delayed: true }],
  [76, { field: 'open', delayed: true }],
]);

const SIZE_TICKS: ReadonlyMap<number, { field: IbSnapshotField; delayed: boolean }> = new Map([
  [0, { field: 'bidSize', delayed: false }],
  [3, { field: 'askSize', delayed: false }],
  [5, { field: 'lastSize', delayed: false }],
  [8, { field: 'volume', delayed: false }],
  [69, { field: 'bidSize', delayed: true }],
  [70, { field: 'askSize', delayed: true }],
  [71, { field: 'lastSize', delayed: true }],
  [74, { field: 'volume', delayed: true }],
]);

const LAST_TIMESTAMP_TICKS = new Set([45, 88]);

/** Collects the ticks of one snapshot request. */
export class SnapshotAccumulator {
  private readonly live = new Map<IbSnapshotField, number>();
  private readonly delayed = new Map<IbSnapshotField, number>();
  private deliveredType: number | null = null;
  private lastTradeAt: Date | null = null;
  readonly flags = new Set<SnapshotFlag>();
  ticks = 0;

  /** Returns true when the event ends the snapshot (tickSnapshotEnd). */
  add(event: IbWireEvent): boolean {
    switch (event.type) {
      case 'tickPrice': {
        const tick = PRICE_TICKS.get(event.field);
        if (!tick) return false;
        this.ticks += 1;
        const value = event.value;
        // IB sends −1 (or 0) for "no price"; none of our instruments trades at or below zero.
        if (value === undefined || !Number.isFinite(value) || value <= 0) return false;
        (tick.delayed ? this.delayed : this.live).set(tick.field, value);
        return false;
      }
      case 'tickSize': {
        const tick = SIZE_TICKS.get(event.field);
        if (!tick) return false;
        this.ticks += 1;
        const value = event.value;
        if (value === undefined || !Number.isFinite(value) || value < 0) return false;
        (tick.delayed ? this.delayed : this.live).set(tick.field, value);
        return false;
      }
      case 'tickString': {
        if (!LAST_TIMESTAMP_TICKS.has(event.field)) return false;
        this.ticks += 1;
        const seconds = Number(event.value);
        if (Number.isFinite(seconds) && seconds > 0) this.lastTradeAt = new Date(seconds * 1000);
        return false;
      }
      case 'tickGeneric':
        this.ticks += 1;
        return false;
      case 'marketDataType':
        this.deliveredType = event.marketDataType;
        return false;
      case 'tickSnapshotEnd':
        return true;
      default:
        return false;
    }
  }

  get hasData(): boolean {
    return this.live.size > 0 || this.delayed.size > 0 || this.lastTradeAt !== null;
  }

  build(
    contract: ResolvedContract,
    requestedMarketDataType: MarketDataTypeCode,
    requestedAt: Date,
    receivedAt: Date,
  ): IbSnapshot {
    const value = (field: IbSnapshotField) => this.live.get(field) ?? this.delayed.get(field) ?? null;
    const delivered = this.marketDataType();
    const flags = new Set(this.flags);
    if (delivered === 3 || delivered === 4) flags.add('delayed');
    if (delivered === 2 || delivered === 4) flags.add('frozen');
    const snapshot: IbSnapshot = {
      contract,
      bid: value('bid'),
      ask: value('ask'),
      last: value('last'),
      bidSize: value('bidSize'),
      askSize: value('askSize'),
      lastSize: value('lastSize'),
      volume: value('volume'),
      open: value('open'),
      high: value('high'),
      low: value('low'),
      close: value('close'),
      lastTradeAt: this.lastTradeAt,
      marketDataType: delivered,
      requestedMarketDataType,
      requestedAt,
      receivedAt,
      flags: [],
    };
    // An index (VIX) has no bid/ask by nature; flagging it on every row would carry no information.
    if (contract.secType === 'FUT') {
      if (snapshot.bid === null) flags.add('missing_bid');
      if (snapshot.ask === null) flags.add('missing_ask');
    }
    if (snapshot.last === null) flags.add('missing_last');
    snapshot.flags = [...flags].sort();
    return snapshot;
  }

  private marketDataType(): MarketDataTypeCode | null {
    const t = this.deliveredType;
    if (t === 1 || t === 2 || t === 3 || t === 4) return t;
    if (this.delayed.size > 0 && this.live.size === 0) return 3;
    if (this.live.size > 0) return 1;
    return null;
  }
}

class FallbackToDelayed extends Error {
  constructor(
    readonly ibCode: number,
    readonly ibMessage: string,
  ) {
    super(`no live market data subscription (${ibCode})`);
  }
}

/** One snapshot; retried once as delayed data when allowed. Takes a slot of the snapshot cap. */
export async function takeSnapshot(
  connection: IbConnection,
  contract: ResolvedContract,
  options: SnapshotOptions,
): Promise<IbSnapshot> {
  const release = await connection.pacer.snapshotSlot();
  try {
    const farmOk = await connection.waitForFarm('market', options.farmWaitMs);
    try {
      return await requestSnapshot(connection, contract, options, farmOk, false);
    } catch (error) {
      if (!(error instanceof FallbackToDelayed)) throw error;
      if (connection.marketDataType === 1) await connection.setMarketDataType(3);
      try {
        return await requestSnapshot(connection, contract, options, farmOk, true);
      } catch (retryError) {
        if (retryError instanceof FallbackToDelayed) {
          throw new IbRequestError(
            `No market data for ${contract.localSymbol}, live or delayed: ${retryError.ibMessage} (code ${retryError.ibCode}).`,
            retryError.ibCode,
            null,
            {
              hint: 'The account needs a market data subscription (or delayed data enabled) for this instrument.',
            },
          );
        }
        throw retryError;
      }
    }
  } finally {
    release();
  }
}

function requestSnapshot(
  connection: IbConnection,
  contract: ResolvedContract,
  options: SnapshotOptions,
  farmOk: boolean,
  isFallback: boolean,
): Promise<IbSnapshot> {
  const accumulator = new SnapshotAccumulator();
  if (!farmOk) accumulator.flags.add('farm_degraded');
  if (isFallback) accumulator.flags.add('delayed_fallback');
  const requestedType = connection.marketDataType;
  const requestedAt = options.now();
  const label = `snapshot of ${contract.localSymbol}`;
  const finish = (control: RequestControl<IbSnapshot>) =>
    control.resolve(accumulator.build(contract, requestedType, requestedAt, options.now()));
  return connection.request<IbSnapshot>({
    kind: 'market_data',
    label,
    timeoutMs: options.timeoutMs,
    send: (wire, reqId) => wire.reqMktData(reqId, contractSpec(contract), true),
    cancel: (wire, reqId) => wire.cancelMktData(reqId),
    onEvent: (event, control) => {
      if (accumulator.add(event)) finish(control);
    },
    onError: (code, message, control) => {
      const kind = classifyIbError(code, message);
      switch (kind.action) {
        case 'fallback_delayed':
          if (!options.delayedFallback) return false;
          control.reject(new FallbackToDelayed(code, message));
          return true;
        case 'mark_delayed':
          accumulator.flags.add('delayed');
          return true;
        case 'mark_partial':
          accumulator.flags.add('partial_data');
          return true;
        default:
          return false;
      }
    },
    onTimeout: (control) => {
      if (!accumulator.hasData) return false;
      accumulator.flags.add('timed_out_partial');
      finish(control);
      return true;
    },
  });
}

export type SnapshotOutcome =
  | { ok: true; contract: ResolvedContract; snapshot: IbSnapshot }
  | {
      ok: false;
      contract: ResolvedContract;
      error: IbRequestError | IbTimeoutError | IbTransientRequestError;
    };

/**
 * Several snapshots, concurrently within ib.maxConcurrentSnapshots, in input order. A request IB
 * refuses or one that times out becomes that contract's `{ ok: false, error }`; losing the connection
 * rejects the whole call (IbUnavailableError, exit 3).
 */
export async function takeSnapshots(
  take: (contract: ResolvedContract) => Promise<IbSnapshot>,
  contracts: readonly ResolvedContract[],
): Promise<SnapshotOutcome[]> {
  // Every snapshot settles before we throw, so no request is left running behind the caller's back.
  const settled = await Promise.all(
    contracts.map(async (contract): Promise<SnapshotOutcome | { ok: null; error: unknown }> => {
      try {
        return { ok: true, contract, snapshot: await take(contract) };
      } catch (error) {
        if (
          error instanceof IbRequestError ||
          error instanceof IbTimeoutError ||
          error instanceof IbTransientRequestError
        )
          return { ok: false, contract, error };
        return { ok: null, error };
      }
    }),
  );
  const outcomes: SnapshotOutcome[] = [];
  for (const item of settled) {
    if (item.ok === null) throw item.error;
    outcomes.push(item);
  }
  return outcomes;
}
