/**
 * Liveness judged by the data, per instrument, not by the socket: a futures line whose last trade (or,
 * without trade times, whose unchanged quote) is older than collect.staleQuoteSeconds while CME trades
 * has stopped delivering, whatever the connection says (a broken farm, a gateway serving a dead cache).
 * The VIX index is left out: outside its 03:15–16:15 ET publication an old value is normal. Pure.
 */
import { type PreviousQuote, sameQuote } from './quality.js';

export interface QuoteAgeFacts {
  bid: number | null;
  ask: number | null;
  last: number | null;
  lastTradeAt: Date | null;
  receivedAt: Date;
}

/** How old the snapshot's data is (ms), or null when nothing tells (no trade time, a quote that moved). */
export function dataAgeMs(snapshot: QuoteAgeFacts, previous: PreviousQuote | null): number | null {
  if (snapshot.lastTradeAt !== null) return snapshot.receivedAt.getTime() - snapshot.lastTradeAt.getTime();
  if (previous && sameQuote(snapshot, previous))
    return snapshot.receivedAt.getTime() - previous.unchangedSince.getTime();
  return null;
}

/** The data is older than the bound for a line that should be ticking. */
export function isDeadLine(age: number | null, maxAgeMs: number): age is number {
  return age !== null && age > maxAgeMs;
}
