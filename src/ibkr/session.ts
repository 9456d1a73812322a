import type { IbConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { IbConnection } from './connection/connection.js';
import type { ConnectionState, ConnectivityListener } from './connection/types.js';
import {
  contractQuery,
  type IbSymbol,
  INSTRUMENTS,
  isFutureSymbol,
  type ResolvedContract,
  selectFrontMonth,
  toResolved,
} from './contracts.js';
import { cmeTradeDate } from './dates.js';
import { IbConnectionLostError, IbRequestError } from './errors.js';
import type { IbFactory } from './factory.js';
import { type BarsRequest, fetchBars, type IbBar } from './history.js';
import { Pacer, type PacerStats } from './pacing.js';
import { type IbSnapshot, type SnapshotOutcome, takeSnapshot, takeSnapshots } from './snapshot.js';
import type { IbContractDetails } from './wire.js';

export interface IbSessionOptions {
  factory?: IbFactory | undefined;
  now?: () => Date;
  log?: Logger;
  /** Long-running use (collector loop): reconnect with back-off and re-request instead of exit 3. */
  keepAlive?: boolean;
  /** Clock for the pacer (tests pass a manual one so IB's 15 s / 10 min rules cost no real time). */
  pacerClock?: Clock;
}

export interface TakeSnapshotOptions {
  /** Default ib.snapshotTimeoutMs. */
  timeoutMs?: number;
}

const silentLogger: Logger = { debug() {}, info() {}, warn() {} };
/** Attempts of one operation when its connection drops under it (1101, or a reconnect in keepAlive). */
const MAX_ATTEMPTS_ON_LOSS = 3;
/** The client library's wall-clock throttle when pacing follows an injected clock (IbConnectionOptions.wireMessagesPerSecond). */
const UNTHROTTLED_WIRE_MESSAGES_PER_SECOND = 10_000;

/**
 * The collector's and backfill's view of IB: contracts, snapshots, bars. Pacing state, the resolved
 * contract cache and the market data type belong to the session and survive reconnects.
 */
export class IbSession {
  readonly connection: IbConnection;
  private readonly now: () => Date;
  private readonly log: Logger;
  private readonly contractCache = new Map<string, ResolvedContract>();

  private constructor(
    readonly config: IbConfig,
    options: IbSessionOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.log = options.log ?? silentLogger;
    const pacer = new Pacer({
      maxMessagesPerSecond: config.maxMessagesPerSecond,
      maxConcurrentSnapshots: config.maxConcurrentSnapshots,
      ...(options.pacerClock ? { clock: options.pacerClock } : {}),
    });
    this.connection = new IbConnection(config, {
      factory: options.factory,
      now: this.now,
      log: this.log,
      keepAlive: options.keepAlive ?? false,
      pacer,
      ...(options.pacerClock ? { wireMessagesPerSecond: UNTHROTTLED_WIRE_MESSAGES_PER_SECOND } : {}),
    });
  }

  /** Connects (waiting for nextValidId). Throws IbUnavailableError / IbClientIdInUseError (exit 3). */
  static async open(config: IbConfig, options: IbSessionOptions = {}): Promise<IbSession> {
    const session = new IbSession(config, options);
    try {
      await session.connection.open();
    } catch (error) {
      await session.connection.close();
      throw error;
    }
    return session;
  }

  get clientId(): number | null {
    return this.connection.clientId;
  }

  get state(): ConnectionState {
    return this.connection.state;
  }

  /** The IB code explaining why requests cannot be answered now (IbConnection.condition), or null. */
  condition(): number | null {
    return this.connection.condition();
  }

  get pacing(): PacerStats {
    return this.connection.pacer.stats;
  }

  onConnectivity(listener: ConnectivityListener): () => void {
    return this.connection.onConnectivity(listener);
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  /** The gateway's clock, epoch seconds (also a cheap liveness probe). */
  currentTime(): Promise<number> {
    return this.connection.currentTime();
  }

  /**
   * The contract to collect for `symbol` on the CME trade date of `at`: the front quarterly future
   * (rolled ib.rollDaysBeforeExpiry calendar days before IB's last trade date), or the VIX index.
   * Cached per trade date.
   */
  async resolveFrontMonth(symbol: IbSymbol, at: Date = this.now()): Promise<ResolvedContract> {
    const tradeDate = cmeTradeDate(at);
    const key = `${symbol}|${tradeDate}`;
    const cached = this.contractCache.get(key);
    if (cached) return cached;
    const { details, reqId } = await this.contractDetails(symbol);
    const resolved = pickContract(symbol, details, tradeDate, this.config.rollDaysBeforeExpiry, reqId);
    this.contractCache.set(key, resolved);
    this.log.debug(
      `IB ${symbol} on ${tradeDate}: ${resolved.localSymbol} (conId ${resolved.conId}, last trade ${resolved.lastTradeDate ?? '-'})`,
    );
    return resolved;
  }

  async resolveContracts(symbols: readonly IbSymbol[], at: Date = this.now()): Promise<ResolvedContract[]> {
    return Promise.all(symbols.map((symbol) => this.resolveFrontMonth(symbol, at)));
  }

  /**
   * One snapshot. A snapshot whose request spanned a restore (1101/1102), the market data farm coming
   * back (2103→2104) or a reconnect, or that was taken while the farm was down, is taken once more
   * instead of trusted: its data may be from before the outage (peers' collectors die silently here,
   * research/ibkr-fidelity.md §4).
   */
  async takeSnapshot(contract: ResolvedContract, options: TakeSnapshotOptions = {}): Promise<IbSnapshot> {
    const take = () =>
      this.withRecovery(() =>
        takeSnapshot(this.connection, contract, {
          timeoutMs: options.timeoutMs ?? this.config.snapshotTimeoutMs,
          delayedFallback: this.config.delayedFallback,
          farmWaitMs: this.config.farmWaitMs,
          now: this.now,
        }),
      );
    const epoch = this.connection.dataEpoch;
    const snapshot = await take();
    const spanned = this.connection.dataEpoch !== epoch;
    const degraded = snapshot.flags.includes('farm_degraded') && this.connection.isFarmUp('market');
    if (!spanned && !degraded) return snapshot;
    this.log.info(
      `IB ${contract.localSymbol}: snapshot taken ${spanned ? 'across a connectivity restore or farm recovery' : 'while the market data farm was down'}; requested again`,
    );
    return take();
  }

  /** Snapshots within ib.maxConcurrentSnapshots; per-contract refusals/timeouts are outcomes, not throws. */
  async takeSnapshots(
    contracts: readonly ResolvedContract[],
    options: TakeSnapshotOptions = {},
  ): Promise<SnapshotOutcome[]> {
    return takeSnapshots((contract) => this.takeSnapshot(contract, options), contracts);
  }

  async fetchBars(request: BarsRequest): Promise<IbBar[]> {
    return this.withRecovery(() =>
      fetchBars(this.connection, request, {
        now: this.now,
        timeoutMs: this.config.requestTimeoutMs,
        farmWaitMs: this.config.farmWaitMs,
        maxPacingRetries: this.config.maxPacingRetries,
        log: this.log,
      }),
    );
  }

  private async contractDetails(symbol: IbSymbol): Promise<{ details: IbContractDetails[]; reqId: number }> {
    return this.withRecovery(() => {
      const details: IbContractDetails[] = [];
      let reqId = -1;
      return this.connection.request<{ details: IbContractDetails[]; reqId: number }>({
        kind: 'contract',
        label: `contract details for ${symbol}`,
        timeoutMs: this.config.requestTimeoutMs,
        send: (wire, id) => {
          reqId = id;
          wire.reqContractDetails(id, contractQuery(symbol));
        },
        onEvent: (event, control) => {
          if (event.type === 'contractDetails') details.push(event.details);
          else if (event.type === 'contractDetailsEnd') control.resolve({ details, reqId });
        },
      });
    });
  }

  /**
   * Re-runs an operation whose connection dropped under it: after 1101 (data lost) the connection is
   * still up; in keepAlive mode the connection reconnects and the request goes out with a fresh id.
   * In one-shot mode a dropped socket stays down and the original IbConnectionLostError (exit 3) is thrown.
   */
  private async withRecovery<T>(operation: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await operation();
      } catch (error) {
        const retry =
          error instanceof IbConnectionLostError &&
          attempt < MAX_ATTEMPTS_ON_LOSS &&
          this.connection.state !== 'down' &&
          this.connection.state !== 'closed';
        if (!retry) throw error;
        this.log.info(`retrying after: ${error.message}`);
      }
    }
  }
}

function pickContract(
  symbol: IbSymbol,
  details: readonly IbContractDetails[],
  tradeDate: string,
  rollDays: number,
  reqId: number,
): ResolvedContract {
  if (!isFutureSymbol(symbol)) {
    const index = details.find((d) => d.secType === 'IND' && d.symbol === symbol) ?? details[0];
    if (!index) {
      throw new IbRequestError(`IB returned no contract for the ${symbol} index.`, 200, reqId, {
        hint: `Check that ${symbol} IND on ${INSTRUMENTS[symbol].exchange} is available to this account.`,
      });
    }
    return toResolved(symbol, index);
  }
  const choice = selectFrontMonth(symbol, details, tradeDate, rollDays);
  if (!choice) {
    const listed = details.map((d) => d.localSymbol || d.lastTradeDateOrContractMonth).join(', ') || 'none';
    throw new IbRequestError(
      `IB lists no quarterly ${symbol} future expiring more than ${rollDays} days after ${tradeDate} (listed: ${listed}).`,
      200,
      reqId,
      { hint: 'Check ib.rollDaysBeforeExpiry and the contract spec (FUT, CME, USD).' },
    );
  }
  return choice.chosen;
}

export interface WithIbOptions extends IbSessionOptions {}

/**
 * Connects, runs `fn`, and always disconnects in `finally`. One-shot by default: a lost connection
 * fails with IbUnavailableError (exit 3); pass keepAlive for long-running use.
 */
export async function withIb<T>(
  config: IbConfig,
  fn: (ib: IbSession) => Promise<T>,
  options: WithIbOptions = {},
): Promise<T> {
  const session = await IbSession.open(config, options);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}
