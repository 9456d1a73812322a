/** The IB side of a round: one snapshot per instrument of the round's slots, through src/ibkr. */
import type { Logger } from '../../core/log.js';
import type { IbSession, IbSnapshot, IbSymbol, ResolvedContract } from '../../ibkr/index.js';
import { failureCodeOf, IbRequestError, IbTimeoutError, IbTransientRequestError } from '../../ibkr/index.js';
import type { Job } from '../../queue/index.js';
import { dataAgeMs, isDeadLine } from './data-age.js';
import type { PreviousQuote } from './quality.js';
import type { TakenSnapshot } from './records.js';

/** Data-age liveness (data-age.ts): which lines should tick now, and how old their data may be. */
export interface LineLiveness {
  maxAgeMs: number;
  /** CME trades now (futures lines are expected to tick). */
  expectsTicks(at: Date): boolean;
  previous: ReadonlyMap<string, PreviousQuote>;
  /** Symbols warned about as dead (one warning per outage of a line, not one per round). */
  dead: Set<string>;
  log: Logger;
}

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
  liveness?: LineLiveness,
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
  // Dead lines are requested again together (within the snapshot cap), not one after another.
  const checked = await Promise.all(
    outcomes.map(async (outcome) =>
      outcome.ok && liveness
        ? { ...outcome, snapshot: await reverifyDeadLine(session, outcome.snapshot, at, liveness) }
        : outcome,
    ),
  );
  const taken: TakenSnapshots['taken'] = [];
  for (const outcome of checked) {
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

/**
 * A futures line whose data is older than the bound while CME trades has stopped delivering, whatever
 * the connection says: request it again (a fresh line) and keep the fresher of the two. Still old: the
 * row is stored flagged stale (quality.ts) and the warning names the instrument, its data age and what
 * the connection knows (e.g. 2103 market data farm broken).
 */
async function reverifyDeadLine(
  session: IbSession,
  snapshot: IbSnapshot,
  at: Date,
  liveness: LineLiveness,
): Promise<IbSnapshot> {
  const { contract } = snapshot;
  if (contract.secType !== 'FUT' || !liveness.expectsTicks(at)) return snapshot;
  const previous = liveness.previous.get(contract.symbol) ?? null;
  const age = dataAgeMs(snapshot, previous);
  const { symbol } = contract;
  if (!isDeadLine(age, liveness.maxAgeMs)) {
    if (liveness.dead.delete(symbol)) liveness.log.info(`${symbol}: data arrives again`);
    return snapshot;
  }
  const again = await session.takeSnapshot(contract).catch(() => null);
  const ageAgain = again ? dataAgeMs(again, previous) : null;
  const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
  if (again && !isDeadLine(ageAgain, liveness.maxAgeMs)) {
    liveness.dead.delete(symbol);
    liveness.log.info(
      `${symbol}: data was ${seconds(age)} old while the connection was up; requested again: fresh`,
    );
    return again;
  }
  const condition = session.condition();
  const message = `${symbol}: no new data for ${seconds(ageAgain ?? age)} while CME trades (connection ${condition === null ? 'up, farms OK' : `reports IB ${condition}`}); requested again, still old: stored flagged stale`;
  if (liveness.dead.has(symbol)) liveness.log.debug(message);
  else liveness.log.warn(message);
  liveness.dead.add(symbol);
  return again ?? snapshot;
}
