import { UpstreamUnavailableError, UserError, type UserErrorOptions } from '../core/errors.js';

/**
 * The IB error-code table (research/ibkr.md §3.1) and the typed errors the module throws.
 *
 * Exit codes: anything transient (gateway down, lost, timed out, pacing budget exhausted, client id
 * taken) is an UpstreamUnavailableError → 3, so cron retries next tick. A request IB refuses because
 * of what we asked (unknown contract, invalid parameters, no permission, expired contract) is an
 * IbRequestError → 2: retrying cannot help, the operator must fix the contract spec, the config or
 * the account's subscriptions. It is not a DataError (4), which the design keeps for corrupt tables.
 */

export type IbErrorClass = 'info' | 'request' | 'subscription' | 'pacing' | 'connectivity' | 'fatal';

export type IbErrorAction =
  /** Informational: log at debug level, nothing to do. */
  | 'log'
  /** Worth a warning in the log, but no change in behaviour. */
  | 'warn'
  /** Expected noise (e.g. 300 after cancelling a finished request). */
  | 'ignore'
  /** Reject the request with IbRequestError; do not retry. */
  | 'fail_request'
  /** 162 "HMDS query returned no data": a legitimately empty answer. */
  | 'empty_result'
  /** Retry once with a fresh request id (322). */
  | 'retry_once'
  /** Switch to delayed data (reqMarketDataType 3) and retry once (354, 10089, 10168, 10186). */
  | 'fallback_delayed'
  /** Keep going; the rows are delayed (10167). */
  | 'mark_delayed'
  /** Keep going; part of the data is missing (10090, 10091). */
  | 'mark_partial'
  /** Back off, then retry (162 pacing violation, 100, 101, 10197). */
  | 'backoff_retry'
  /** Connectivity IB↔gateway lost: pause requests, wait for 1101/1102 (1100, 2110). */
  | 'pause_all'
  /** 1102: restored, data maintained. */
  | 'resume'
  /** 1101: restored, data lost: re-send market data type and in-flight requests. */
  | 'resubmit'
  | 'pause_market_data'
  | 'resume_market_data'
  | 'pause_historical'
  | 'resume_historical'
  /** The socket is gone or unusable: reconnect (long-running) or fail with exit 3 (one-shot). */
  | 'reconnect'
  /** 326: the client id is taken; take the next one in the range or fail naming it. */
  | 'next_client_id'
  /** Cannot work with this gateway at all (version mismatch). */
  | 'abort';

export interface IbErrorKind {
  code: number;
  class: IbErrorClass;
  action: IbErrorAction;
  /** A retry later (next tick, after back-off or reconnect) may succeed. */
  transient: boolean;
  /** What the code means, in a few words. */
  meaning: string;
}

type Entry = Omit<IbErrorKind, 'code'>;

const e = (cls: IbErrorClass, action: IbErrorAction, transient: boolean, meaning: string): Entry => ({
  class: cls,
  action,
  transient,
  meaning,
});

/** Every code of research/ibkr.md §3.1 plus the client-side codes @stoqey/ib emits. */
export const IB_ERROR_TABLE: ReadonlyMap<number, Entry> = new Map<number, Entry>([
  [100, e('pacing', 'backoff_retry', true, 'max rate of messages per second exceeded')],
  [101, e('subscription', 'backoff_retry', true, 'max number of market data lines reached')],
  [162, e('request', 'fail_request', false, 'historical market data service error')],
  [165, e('info', 'log', false, 'historical market data service query message')],
  [166, e('request', 'fail_request', false, 'historical data for an expired contract is not available')],
  [200, e('request', 'fail_request', false, 'no security definition found (or ambiguous contract)')],
  [300, e('info', 'ignore', false, "can't find the request id (cancel of a finished request)")],
  [321, e('request', 'fail_request', false, 'request rejected by validation (bad parameter)')],
  [322, e('request', 'retry_once', true, 'server error processing the request (e.g. duplicate ticker id)')],
  [326, e('fatal', 'next_client_id', true, 'client id already in use')],
  [354, e('subscription', 'fallback_delayed', false, 'requested market data is not subscribed')],
  [414, e('request', 'fail_request', false, 'snapshot not applicable to generic ticks')],
  [502, e('connectivity', 'reconnect', true, "couldn't connect to TWS / IB Gateway")],
  [503, e('fatal', 'abort', false, 'TWS / IB Gateway is out of date')],
  [504, e('connectivity', 'reconnect', true, 'not connected')],
  // The frame was consumed whole, so the stream stays aligned; only that message is lost.
  [505, e('fatal', 'warn', true, 'decoding error: malformed message from the gateway (dropped)')],
  [506, e('fatal', 'abort', false, 'unsupported server version')],
  [507, e('connectivity', 'reconnect', true, 'bad message length / socket EOF')],
  [1100, e('connectivity', 'pause_all', true, 'connectivity between IB and the gateway lost')],
  [1101, e('connectivity', 'resubmit', true, 'connectivity restored, data lost')],
  [1102, e('connectivity', 'resume', true, 'connectivity restored, data maintained')],
  [1300, e('connectivity', 'reconnect', true, 'socket port reset; connection dropped')],
  [2103, e('connectivity', 'pause_market_data', true, 'market data farm disconnected')],
  [2104, e('info', 'resume_market_data', false, 'market data farm connection is OK')],
  [2105, e('connectivity', 'pause_historical', true, 'historical data farm disconnected')],
  [2106, e('info', 'resume_historical', false, 'historical data farm connection is OK')],
  [2107, e('info', 'log', false, 'historical data farm inactive, available on demand')],
  [2108, e('info', 'log', false, 'market data farm inactive, available on demand')],
  [2110, e('connectivity', 'pause_all', true, 'connectivity between the gateway and server broken')],
  [2119, e('info', 'log', false, 'market data farm is connecting')],
  [2157, e('connectivity', 'warn', true, 'sec-def data farm disconnected')],
  [2158, e('info', 'log', false, 'sec-def data farm connection is OK')],
  [2174, e('info', 'warn', false, 'date-time without explicit time zone (deprecated format)')],
  [10089, e('subscription', 'fallback_delayed', false, 'market data requires an additional subscription')],
  [10090, e('subscription', 'mark_partial', false, 'part of the requested market data is not subscribed')],
  [
    10091,
    e('subscription', 'mark_partial', false, 'part of the market data needs an additional subscription'),
  ],
  [10167, e('subscription', 'mark_delayed', false, 'not subscribed: displaying delayed market data')],
  [10168, e('subscription', 'fallback_delayed', false, 'not subscribed: delayed market data not enabled')],
  [10186, e('subscription', 'fallback_delayed', false, 'not subscribed: delayed market data not enabled')],
  [10197, e('subscription', 'backoff_retry', true, 'no market data during a competing live session')],
  [366, e('info', 'ignore', false, 'no historical query for that id (cancel of a finished request)')],
  [10182, e('connectivity', 'backoff_retry', true, 'failed to request live updates (disconnected)')],
  [10314, e('request', 'fail_request', false, 'invalid end date/time')],
  [10339, e('request', 'fail_request', false, 'end date/time not allowed for continuous futures')],
]);

/**
 * Classifies an IB code. `message` matters for 162, whose sub-messages mean different things
 * (pacing violation, no data, no permissions, cancelled).
 */
export function classifyIbError(code: number, message = ''): IbErrorKind {
  if (code === 162) return { code, ...classify162(message) };
  const entry = IB_ERROR_TABLE.get(code);
  if (entry) return { code, ...entry };
  if (code >= 2100 && code < 2200) return { code, ...e('info', 'log', false, 'informational warning') };
  if (code >= 2200 && code < 3000) return { code, ...e('info', 'warn', false, 'warning') };
  if (code >= 500 && code < 600)
    return { code, ...e('connectivity', 'reconnect', true, 'client-side error') };
  return { code, ...e('request', 'fail_request', false, 'request error') };
}

function classify162(message: string): Entry {
  const text = message.toLowerCase();
  if (text.includes('pacing violation')) {
    return e('pacing', 'backoff_retry', true, 'historical data request pacing violation');
  }
  if (text.includes('returned no data'))
    return e('request', 'empty_result', false, 'HMDS query returned no data');
  // After our own cancel the request is gone and this is logged; for a request in flight IB dropped it.
  if (text.includes('query cancelled')) {
    return e('connectivity', 'backoff_retry', true, 'historical query cancelled by IB');
  }
  if (text.includes('different ip address')) {
    return e('subscription', 'backoff_retry', true, 'competing session from a different IP address');
  }
  if (text.includes('no market data permissions')) {
    return e('subscription', 'fail_request', false, 'no market data permissions');
  }
  return e('request', 'fail_request', false, 'historical market data service error');
}

/** The gateway is down, refused the connection, or the connection was lost: retry next tick. */
export class IbUnavailableError extends UpstreamUnavailableError {}

/** The connection dropped while a request was in flight (retryable in a long-running session). */
export class IbConnectionLostError extends IbUnavailableError {}

/** Every id tried was in use (326). Exit 3: the id is valid config, a previous session still holds it. */
export class IbClientIdInUseError extends IbUnavailableError {
  constructor(
    message: string,
    readonly clientIds: readonly number[],
    options: UserErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** A request or the connect handshake did not complete in time. Never turned into an empty result. */
export class IbTimeoutError extends UpstreamUnavailableError {
  constructor(
    message: string,
    readonly operation: string,
    readonly timeoutMs: number,
    options: UserErrorOptions = {},
  ) {
    super(message, options);
  }
}

/**
 * IB refused a request for a reason that passes (competing session 10197, a farm or HMDS hiccup 10182,
 * a query IB cancelled, too many lines 101): exit 3, the slot or job is retried, never failed for good.
 */
export class IbTransientRequestError extends IbUnavailableError {
  readonly ibKind: IbErrorKind;
  constructor(
    message: string,
    readonly ibCode: number,
    readonly reqId: number | null,
    options: UserErrorOptions = {},
  ) {
    super(message, options);
    this.ibKind = classifyIbError(ibCode, message);
  }
}

/** Historical pacing violations (162) persisted after the configured back-off retries. */
export class IbPacingError extends UpstreamUnavailableError {}

/**
 * IB refused a request for what was asked (unknown or ambiguous contract, invalid parameter, no
 * permission, expired contract). Exit 2: the contract spec, config or subscriptions need fixing.
 * `code` is the taxonomy's machine-readable string ('ib-request'); IB's numeric code is `ibCode`.
 */
export class IbRequestError extends UserError {
  readonly kind = 'usage';
  readonly code = 'ib-request';
  /** How IB's code is classified (IB_ERROR_TABLE). */
  readonly ibKind: IbErrorKind;
  constructor(
    message: string,
    readonly ibCode: number,
    readonly reqId: number | null,
    options: UserErrorOptions = {},
  ) {
    super(message, options);
    this.ibKind = classifyIbError(ibCode, message);
  }
}

export function isTransientIbError(error: unknown): boolean {
  return error instanceof UpstreamUnavailableError;
}
