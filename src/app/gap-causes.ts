/**
 * Why a collection slot has no data, from what the queue recorded with it: the IB code (the collector
 * records IB's code, or the session's condition when IB was silent: src/ibkr/outage.ts), the reason
 * text, and the slot time (IB's reset windows). Closed-market slots are no gaps (status filters them).
 */
// outage.js, not the ibkr index: status and the JSON schemas load this without the IB client library.
import { OUTAGE_CAUSES, outageCauseOf } from '../ibkr/outage.js';
import type { GapCauseFn, GapKind, SlotRow } from '../queue/index.js';

/** The reason of slots moved back to missed because the lake lost their commit (collect/reconcile.ts). */
export const LOST_COMMIT_REASON = 'lost-commit';

export const GAP_CAUSES = [
  ...OUTAGE_CAUSES,
  /** IB said nothing (a request timed out with the connection and farms up). */
  'no_answer',
  /** No collector ran: never queued, queued too late, still pending, or its lease expired (a crash). */
  'collector_down',
  /** The slot's rows were in a lake commit that was lost (`futures status` PROBLEM). */
  'lost_commit',
] as const;
export type GapCause = (typeof GAP_CAUSES)[number];

/** The cause in words, for people. */
export const GAP_CAUSE_TEXT: Readonly<Record<GapCause, string>> = {
  ib_reset: 'IB daily reset',
  ib_outage: 'IB outage or data farm down',
  gateway_down: 'gateway not running or connection refused',
  competing_session: 'competing IB session',
  pacing: 'IB pacing',
  request_refused: 'refused by IB',
  no_answer: 'no answer from IB',
  collector_down: 'collector not running',
  lost_commit: 'lake commit lost',
};

const LEASE_EXPIRED = /lease of .* expired/;

export function gapCauseOf(slot: { kind: GapKind; row: SlotRow | null }): GapCause {
  const { row } = slot;
  if (slot.kind === 'no_row' || row === null) return 'collector_down';
  if (row.ibErrorCode !== null) {
    return outageCauseOf(row.ibErrorCode, row.ibErrorMessage ?? row.reason, row.slotTs) ?? 'no_answer';
  }
  const reason = row.reason ?? '';
  if (reason.includes(LOST_COMMIT_REASON)) return 'lost_commit';
  if (reason === '' || LEASE_EXPIRED.test(reason) || reason.includes('collector not running'))
    return 'collector_down';
  // "not collected within Ns" alone: pending and never claimed in time, i.e. nobody collected.
  if (row.status === 'missed' && !reason.includes('last error')) return 'collector_down';
  return 'no_answer';
}

export const gapCause: GapCauseFn = gapCauseOf;
