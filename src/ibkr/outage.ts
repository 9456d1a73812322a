import { etParts } from '../market/index.js';
import {
  classifyIbError,
  IbClientIdInUseError,
  IbConnectionLostError,
  IbPacingError,
  IbRequestError,
  IbTimeoutError,
  IbTransientRequestError,
  IbUnavailableError,
} from './errors.js';

/**
 * Why IB did not deliver: the IB code to record with a slot or job that could not be collected, and the
 * cause that code names. Codes are IB's own vocabulary (research/ibkr.md §3.1); where the client saw no
 * code it records the one IB's clients report for the same condition (502 "couldn't connect", 504 "not
 * connected"), so a stored row is explained by its code alone.
 */

export const OUTAGE_CAUSES = [
  /** IB's scheduled maintenance: the nightly reset (23:45–00:45 ET Sat–Thu) or the weekend window. */
  'ib_reset',
  /** IB-side trouble outside those windows: 1100/2110, a broken farm (2103/2105/2157), 10182. */
  'ib_outage',
  /** The gateway was not running, refused the connection, dropped it, or still held the client id (326). */
  'gateway_down',
  /** Another live session of the same user took the market data (10197, 162 "different IP"). */
  'competing_session',
  /** IB's pacing: 100 (messages per second), 101 (market data lines), 162 pacing violation. */
  'pacing',
  /** IB refused the request for what was asked (200, 354, 10168 …): needs the operator. */
  'request_refused',
] as const;
export type OutageCause = (typeof OUTAGE_CAUSES)[number];

/**
 * IB's maintenance windows as IBKR publishes them for North America (and QuantConnect's IBAutomater
 * guards): the nightly reset Saturday–Thursday 23:45–00:45 ET, and Friday 23:00 ET → Sunday 02:00 ET.
 */
export function inIbResetWindow(at: Date): boolean {
  const p = etParts(at);
  const minute = p.minuteOfDay;
  if (p.weekday === 6) return true;
  if (p.weekday === 5) return minute >= 23 * 60 || minute < 45;
  if (p.weekday === 0) return minute < 2 * 60 || minute >= 23 * 60 + 45;
  return minute >= 23 * 60 + 45 || minute < 45;
}

const GATEWAY_CODES = new Set([326, 502, 504, 507, 1300]);
const IB_SIDE_CODES = new Set([1100, 1101, 1102, 2110, 2103, 2105, 2157, 10182]);

/** The cause an IB code names for a slot at `at`; null for no code (nothing was heard: no answer). */
export function outageCauseOf(code: number | null, message: string | null, at: Date): OutageCause | null {
  if (code === null) return null;
  if (GATEWAY_CODES.has(code)) return 'gateway_down';
  if (code === 10197) return 'competing_session';
  const kind = classifyIbError(code, message ?? '');
  if (code === 162 && kind.meaning.startsWith('competing')) return 'competing_session';
  if (kind.class === 'pacing' || code === 101 || (code === 162 && /pacing/i.test(message ?? '')))
    return 'pacing';
  const reset = inIbResetWindow(at);
  if (IB_SIDE_CODES.has(code) || (code === 162 && kind.action === 'backoff_retry'))
    return reset ? 'ib_reset' : 'ib_outage';
  // The spurious 200 of the nightly reset (ib_insync #330).
  if (code === 200 && reset) return 'ib_reset';
  return 'request_refused';
}

/**
 * The IB code to record for a failed request or an unusable connection. `condition` is the session's
 * (IbConnection.condition()) at the time of the failure: a request that timed out while IB was
 * interrupted or a farm was broken is explained by that, not by the timeout.
 */
export function failureCodeOf(error: unknown, condition: number | null): number | null {
  if (error instanceof IbRequestError || error instanceof IbTransientRequestError) return error.ibCode;
  if (error instanceof IbClientIdInUseError) return 326;
  if (error instanceof IbPacingError) return 162;
  if (condition !== null) return condition;
  if (error instanceof IbConnectionLostError) return 504;
  if (error instanceof IbUnavailableError) return 502;
  if (error instanceof IbTimeoutError) return null;
  return null;
}
