import type { IbConfig } from '../../config/schema.js';
import type { Logger } from '../../core/log.js';
import { classifyIbError, IbClientIdInUseError, IbTimeoutError, IbUnavailableError } from '../errors.js';
import type { IbWireEvent } from '../wire.js';
import type { Timers } from './timers.js';

/**
 * Connecting: which client ids to try, and one attempt per id (socket, version handshake, nextValidId)
 * bounded by ib.connectTimeoutMs. Codes with id −1 that arrive meanwhile are read through
 * IB_ERROR_TABLE: 326 (next_client_id) tries the next id, 503/506 (abort) give up on this gateway,
 * the socket-level codes (reconnect) become the reason if the socket then closes.
 */

export interface HandshakeHost {
  readonly config: IbConfig;
  readonly address: string;
  readonly log: Logger;
  readonly timers: Timers;
  /** A new session starts with every farm assumed up (2103/2105 during the handshake still count). */
  resetFarms(): void;
  /** Creates and connects a fresh wire; only its events reach `onEvent`, until it is dropped. */
  connectWire(clientId: number, onEvent: (event: IbWireEvent) => void): void;
  dropWire(): void;
  setManagedAccounts(accounts: string): void;
  /** A code with id −1 the handshake does not act on itself (farms, warnings). */
  onSystemCode(code: number, message: string): void;
  /** Events after the handshake completed: the connection's own handling. */
  onWireEvent(event: IbWireEvent): void;
}

/** The client ids to try, in order: the configured one, or the range with the previous id first. */
export function candidateIds(config: IbConfig, previous: number | null): number[] {
  const configured = config.clientId;
  if (configured !== 'auto') return [configured];
  const [lo, hi] = config.clientIdRange;
  const ids: number[] = [];
  for (let id = lo; id <= hi; id += 1) ids.push(id);
  // After a reconnect try our previous id first: the gateway may already have released it.
  if (previous !== null && ids.includes(previous)) return [previous, ...ids.filter((id) => id !== previous)];
  return ids;
}

/** Connects with the first client id that is free; returns it. Throws IbClientIdInUseError when none is. */
export async function connectWithIds(host: HandshakeHost, previous: number | null): Promise<number> {
  const { config } = host;
  const ids = candidateIds(config, previous);
  const inUse: number[] = [];
  for (const id of ids) {
    const outcome = await attempt(host, id);
    if (outcome === 'ready') return id;
    inUse.push(id);
    host.log.debug(
      `IB client id ${id} is in use (326); ${ids.length > inUse.length ? 'trying the next one' : 'no more ids'}`,
    );
  }
  if (config.clientId === 'auto') {
    const [lo, hi] = config.clientIdRange;
    throw new IbClientIdInUseError(
      `Every IB client id in ib.clientIdRange [${lo}, ${hi}] is in use at ${host.address} (326).`,
      inUse,
      { hint: 'Widen ib.clientIdRange, or wait for other API sessions to end (the next run retries).' },
    );
  }
  throw new IbClientIdInUseError(
    `IB client id ${ids[0]} (ib.clientId) is already in use at ${host.address} (326).`,
    inUse,
    {
      hint: `Another API session holds client id ${ids[0]}: stop it, give this command another ib.clientId, or set ib.clientId to "auto". A crashed session's id is released when the gateway notices; the next run retries.`,
    },
  );
}

/** One connection attempt with one client id, bounded by ib.connectTimeoutMs. */
function attempt(host: HandshakeHost, clientId: number): Promise<'ready' | 'in_use'> {
  const { address, timers } = host;
  const timeoutMs = host.config.connectTimeoutMs;
  return new Promise((resolve, reject) => {
    let settled = false;
    let lastError = '';
    let handshake = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      timers.clear(timer);
      fn();
    };
    const fail = (error: Error) =>
      settle(() => {
        host.dropWire();
        reject(error);
      });
    const timer = timers.set(() => {
      const stage = handshake ? 'no nextValidId' : 'no handshake';
      fail(
        new IbUnavailableError(
          `IB Gateway at ${address} did not get ready within ${timeoutMs} ms (${stage}).`,
          {
            cause: new IbTimeoutError(`connect timed out after ${timeoutMs} ms`, 'connect', timeoutMs),
            hint: 'Is the gateway logged in, the API enabled and this host trusted? The next run retries.',
          },
        ),
      );
    }, timeoutMs);
    /** A code with id −1 before nextValidId. */
    const onCode = (code: number, message: string) => {
      switch (classifyIbError(code, message).action) {
        case 'next_client_id':
          settle(() => {
            host.dropWire();
            resolve('in_use');
          });
          return;
        case 'abort':
          fail(
            new IbUnavailableError(`IB Gateway at ${address} is not compatible: ${message} (${code}).`, {
              hint: 'This client speaks TWS API server versions 100–193.',
            }),
          );
          return;
        case 'reconnect':
          lastError = message;
          return;
        default:
          host.onSystemCode(code, message);
      }
    };
    const onEvent = (event: IbWireEvent) => {
      if (settled) {
        host.onWireEvent(event);
        return;
      }
      switch (event.type) {
        case 'connected':
          handshake = true;
          return;
        case 'managedAccounts':
          host.setManagedAccounts(event.accounts);
          return;
        case 'nextValidId':
          settle(() => resolve('ready'));
          return;
        case 'info':
        case 'error':
          if (event.type === 'error' && event.reqId >= 0) return;
          onCode(event.code, event.message);
          return;
        case 'disconnected':
          fail(
            new IbUnavailableError(
              `Cannot connect to IB Gateway at ${address}${lastError ? `: ${lastError}` : ' (connection closed during the handshake)'}.`,
              {
                hint: 'Start IB Gateway/TWS, enable the API and check ib.host/ib.port; the next run retries.',
              },
            ),
          );
          return;
        default:
          return;
      }
    };
    host.resetFarms();
    try {
      host.connectWire(clientId, onEvent);
    } catch (error) {
      fail(new IbUnavailableError(`Cannot connect to IB Gateway at ${address}.`, { cause: error }));
    }
  });
}
