/**
 * Liveness judged by the data, per instrument, not by the socket: a futures line whose quote has not
 * moved since the previous snapshot and whose last trade (without trade times: whose unchanged quote) is
 * older than collect.staleQuoteSeconds while CME trades has stopped delivering, whatever the connection
 * says (a broken farm, a gateway serving a dead cache).
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

/**
 * How old the snapshot's data is (ms): 0 when the quote moved since the previous snapshot (a quiet
 * market without trades still delivers), else the age of the last trade, else how long the quote has
 * not changed; null when nothing tells.
 */
export function dataAgeMs(snapshot: QuoteAgeFacts, previous: PreviousQuote | null): number | null {
  if (previous && !sameQuote(snapshot, previous)) return 0;
  if (snapshot.lastTradeAt !== null) return snapshot.receivedAt.getTime() - snapshot.lastTradeAt.getTime();
  if (previous) return snapshot.receivedAt.getTime() - previous.unchangedSince.getTime();
  return null;
}

/** The data is older than the bound for a line that should be ticking. */
export function isDeadLine(age: number | null, maxAgeMs: number): age is number {
  return age !== null && age > maxAgeMs;
}
