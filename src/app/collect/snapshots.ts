/** The IB side of a round: one snapshot per instrument of the round's slots, through src/ibkr. */
import type { IbSession, IbSymbol, ResolvedContract } from '../../ibkr/index.js';
import { failureCodeOf, IbRequestError, IbTimeoutError, IbTransientRequestError } from '../../ibkr/index.js';
import type { Job } from '../../queue/index.js';
import type { TakenSnapshot } from './records.js';

/** The slots of one instrument whose contract or snapshot request failed. */
export interface SnapshotFailure {
  ids: number[];
  symbol: string;
  slots: Date[];
  error: IbRequestError | IbTimeoutError | IbTransientRequestError;
  /** The IB code recorded with the slots: IB's own, or the session's condition when it was silent. */
  code: number | null;
}

export interface TakenSnapshots {
  taken: Array<{ jobs: Job[]; snapshot: TakenSnapshot }>;
  /** Symbols whose contract or snapshot request failed (the others were taken). */
  failures: SnapshotFailure[];
}

/**
 * One snapshot per instrument of the round's slots, through src/ibkr. Throws when the gateway is down or
 * goes away (or on a bug); request errors and timeouts of single symbols are returned as failures.
 */
export async function takeSnapshots(
  openSession: () => Promise<IbSession>,
  at: Date,
  claimed: readonly Job[],
  slotIds: readonly number[],
): Promise<TakenSnapshots> {
  const inRound = new Set(slotIds);
  // Slots of symbols this collector does not collect (config changed) are taken with the rest.
  const bySymbol = new Map<IbSymbol, Job[]>();
  for (const job of claimed) {
    if (!inRound.has(job.id)) continue;
    const symbol = job.symbol as IbSymbol;
    bySymbol.set(symbol, [...(bySymbol.get(symbol) ?? []), job]);
  }
  const failures: SnapshotFailure[] = [];
  const session = await openSession();
  const symbols = [...bySymbol.keys()];
  const resolved = await Promise.allSettled(symbols.map((s) => session.resolveFrontMonth(s, at)));
  const contracts: ResolvedContract[] = [];
  resolved.forEach((outcome, i) => {
    const symbol = symbols[i] as IbSymbol;
    const jobs = bySymbol.get(symbol) ?? [];
    if (outcome.status === 'fulfilled') {
      contracts.push(outcome.value);
      return;
    }
    const error: unknown = outcome.reason;
    if (
      error instanceof IbRequestError ||
      error instanceof IbTimeoutError ||
      error instanceof IbTransientRequestError
    ) {
      failures.push({
        ids: jobs.map((j) => j.id),
        symbol,
        slots: jobs.map((j) => j.slotTs),
        error,
        code: failureCodeOf(error, session.condition()),
      });
      return;
    }
    throw error;
  });
  const outcomes = contracts.length === 0 ? [] : await session.takeSnapshots(contracts);
  const taken: TakenSnapshots['taken'] = [];
  for (const outcome of outcomes) {
    const jobs = bySymbol.get(outcome.contract.symbol) ?? [];
    if (outcome.ok) taken.push({ jobs, snapshot: outcome.snapshot });
    else {
      failures.push({
        ids: jobs.map((j) => j.id),
        symbol: outcome.contract.symbol,
        slots: jobs.map((j) => j.slotTs),
        error: outcome.error,
        code: failureCodeOf(outcome.error, session.condition()),
      });
    }
  }
  return { taken, failures };
}
