import type { Logger } from '../../core/log.js';
import {
  classifyIbError,
  IbRequestError,
  IbTimeoutError,
  IbTransientRequestError,
  IbUnavailableError,
} from '../errors.js';
import type { Pacer } from '../pacing.js';
import type { IbWire, IbWireEvent } from '../wire.js';
import type { Timers } from './timers.js';
import type { RequestControl, RequestKind, RequestSpec } from './types.js';

/**
 * Requests in flight, by reqId: sending (after the pacer), routing events and errors to the request
 * they belong to, timeouts, the default treatment of an error code, and failing everything in flight
 * when the connection goes. reqCurrentTime has no reqId, so its waiters are kept apart.
 */

export interface RouterHost {
  readonly address: string;
  /** Resolves when requests can be sent; throws when they cannot (connection down or closed). */
  whenUsable(timeoutMs: number, what: string): Promise<void>;
  /** The live wire, or null between connections. */
  wire(): IbWire | null;
  /** The sec-def farm is reported broken (2157): a 200 meanwhile is spurious (ib_insync #330). */
  secdefDown?(): boolean;
}

interface Pending {
  kind: RequestKind;
  event(event: IbWireEvent): void;
  error(code: number, message: string): void;
  lost(error: Error): void;
}

interface TimeWaiter {
  resolve(epochSeconds: number): void;
  reject(error: Error): void;
}

export class RequestRouter {
  private nextReqId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly timeWaiters = new Set<TimeWaiter>();

  constructor(
    private readonly host: RouterHost,
    private readonly pacer: Pacer,
    private readonly timers: Timers,
    private readonly log: Logger,
  ) {}

  /** Sends one request and settles it by reqId: events, errors, timeout, connection loss. */
  async request<T>(spec: RequestSpec<T>): Promise<T> {
    await this.host.whenUsable(spec.timeoutMs, spec.label);
    await this.pacer.message();
    await this.host.whenUsable(spec.timeoutMs, spec.label);
    const wire = this.host.wire();
    if (!wire) throw new IbUnavailableError(`Cannot send ${spec.label}: not connected.`);
    const reqId = this.nextReqId++;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = () => {
        settled = true;
        this.pending.delete(reqId);
        this.timers.clear(timer);
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
      const timer = this.timers.set(() => {
        if (!settled) this.timedOut(spec, wire, control);
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

  /** Cancels the request at the gateway (when it can be) and rejects it, unless the spec settles it itself. */
  private timedOut<T>(spec: RequestSpec<T>, wire: IbWire, control: RequestControl<T>): void {
    const { reqId } = control;
    if (spec.cancel) {
      const cancel = spec.cancel;
      void this.pacer.message().then(() => {
        if (this.host.wire() === wire) cancel(wire, reqId);
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
  }

  /** Informational codes are logged; anything else rejects with IbRequestError (callers may retry on its kind). */
  private defaultRequestError(
    label: string,
    reqId: number,
    code: number,
    message: string,
    control: RequestControl<unknown>,
  ): void {
    const spurious = code === 200 && this.host.secdefDown?.() === true;
    const kind = spurious
      ? { ...classifyIbError(code, message), transient: true, action: 'backoff_retry' as const }
      : classifyIbError(code, message);
    if (
      kind.class === 'info' ||
      ['log', 'warn', 'ignore', 'mark_delayed', 'mark_partial'].includes(kind.action)
    ) {
      this.log.debug(`IB ${code} for ${label} (reqId ${reqId}): ${message}`);
      return;
    }
    // Pacing and retry_once stay IbRequestError: the history loop backs off or retries on them itself.
    if (kind.transient && kind.class !== 'pacing' && kind.action !== 'retry_once') {
      control.reject(
        new IbTransientRequestError(`IB refused ${label} for now: ${message} (code ${code}).`, code, reqId, {
          hint: 'IB reports a passing condition (competing session, farm reset); the slot is retried.',
        }),
      );
      return;
    }
    control.reject(
      new IbRequestError(`IB refused ${label}: ${message} (code ${code}).`, code, reqId, {
        hint: requestHint(code),
      }),
    );
  }

  /** The gateway's clock (reqCurrentTime), epoch seconds. */
  async currentTime(timeoutMs: number): Promise<number> {
    await this.host.whenUsable(timeoutMs, 'reqCurrentTime');
    await this.pacer.message();
    return new Promise<number>((resolve, reject) => {
      const waiter: TimeWaiter = {
        resolve: (epochSeconds) => {
          this.timers.clear(timer);
          this.timeWaiters.delete(waiter);
          resolve(epochSeconds);
        },
        reject: (error) => {
          this.timers.clear(timer);
          this.timeWaiters.delete(waiter);
          reject(error);
        },
      };
      const timer = this.timers.set(() => {
        waiter.reject(
          new IbTimeoutError(
            `IB Gateway at ${this.host.address} did not answer reqCurrentTime within ${timeoutMs} ms.`,
            'currentTime',
            timeoutMs,
            { hint: 'The connection may be half-open; the next run reconnects.' },
          ),
        );
      }, timeoutMs);
      this.timeWaiters.add(waiter);
      this.host.wire()?.reqCurrentTime();
    });
  }

  /** An event that carries a reqId: to the request in flight, if any. */
  route(event: IbWireEvent & { reqId: number }): void {
    this.pending.get(event.reqId)?.event(event);
  }

  /** An error with a reqId: to the request in flight, else logged (it finished already). */
  routeError(reqId: number, code: number, message: string): void {
    const pending = this.pending.get(reqId);
    if (pending) {
      pending.error(code, message);
      return;
    }
    const kind = classifyIbError(code, message);
    this.log.debug(`IB ${code} for finished request ${reqId} (${kind.meaning}): ${message}`);
  }

  /** A currentTime answer settles every reqCurrentTime waiting. */
  timeReceived(epochSeconds: number): void {
    for (const waiter of [...this.timeWaiters]) waiter.resolve(epochSeconds);
  }

  /** Fails every request in flight. */
  failPending(error: Error): void {
    for (const pending of [...this.pending.values()]) pending.lost(error);
    this.pending.clear();
  }

  /** Fails every reqCurrentTime waiting. */
  failTimeWaiters(error: Error): void {
    for (const waiter of [...this.timeWaiters]) waiter.reject(error);
  }

  /** Fails the market-data requests in flight (1101: IB dropped them), leaving the others. */
  failMarketData(errorFor: (reqId: number) => Error): void {
    for (const [reqId, pending] of [...this.pending]) {
      if (pending.kind === 'market_data') pending.lost(errorFor(reqId));
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
