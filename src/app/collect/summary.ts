/** What `futures collect` reports: the counts of a run's rounds and the timings of their phases. */
import type { RoundResult, SlotFailure } from './round.js';

export interface PhaseStats {
  totalMs: number;
  medianMs: number | null;
  p95Ms: number | null;
}

export type StopReason = 'once' | 'rounds' | 'until' | 'signal';

export interface CollectSummary {
  runId: string;
  mode: 'once' | 'rounds' | 'until' | 'loop';
  source: 'ibkr' | 'sim';
  symbols: string[];
  intervalSeconds: number;
  startedAt: Date;
  endedAt: Date;
  stopReason: StopReason;
  rounds: number;
  /** Rounds that wrote a Delta commit. */
  commits: number;
  rowsWritten: number;
  slots: {
    done: number;
    /** Newly recorded as skipped (market closed), with the reason. */
    skipped: number;
    failed: number;
    retried: number;
    /** Newly recorded as missed (too late to collect; eligible for backfill). */
    missed: number;
    lost: number;
    /** Done slots whose row the lake already held: not written again (a reset or restored queue). */
    alreadyStored: number;
  };
  deltaVersion: { first: number | null; last: number | null };
  recovery: {
    finishedRounds: number[];
    abandonedRounds: number[];
    releasedSlots: number;
    /** Done slots without a row in the lake (its newest commit lost), moved back to missed at start. */
    lostSlots: number;
    lostRounds: number[];
  };
  /** Failures of this run, newest last (at most 100). */
  failures: SlotFailure[];
  /** IB unavailable episodes survived in --loop/--until (at most the last 20 messages). */
  transientErrors: string[];
  sessionsOpened: number;
  timings: {
    wallMs: number;
    /** Over the rounds that stored rows (the last 1000). */
    round: PhaseStats;
    ib: PhaseStats;
    delta: PhaseStats;
    queue: PhaseStats;
  };
}

const KEEP_ROUND_TIMINGS = 1000;
const KEEP_FAILURES = 100;
const KEEP_ERRORS = 20;

function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? null;
}

function phase(samples: readonly number[], total: number): PhaseStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
  return {
    totalMs: Math.round(total),
    medianMs: round(quantile(sorted, 0.5)),
    p95Ms: round(quantile(sorted, 0.95)),
  };
}

type Phase = 'round' | 'ib' | 'delta' | 'queue';
const PHASES: readonly Phase[] = ['round', 'ib', 'delta', 'queue'];

/** A run's summary as rounds settle: counts, failures and the timing samples of the rounds that stored rows. */
export class SummaryBuilder {
  readonly summary: CollectSummary;
  private readonly samples: Record<Phase, number[]> = { round: [], ib: [], delta: [], queue: [] };
  private readonly totals: Record<Phase, number> = { round: 0, ib: 0, delta: 0, queue: 0 };

  constructor(
    start: Pick<CollectSummary, 'runId' | 'mode' | 'source' | 'symbols' | 'intervalSeconds' | 'startedAt'>,
  ) {
    const empty = phase([], 0);
    this.summary = {
      ...start,
      endedAt: start.startedAt,
      stopReason: 'once',
      rounds: 0,
      commits: 0,
      rowsWritten: 0,
      slots: { done: 0, skipped: 0, failed: 0, retried: 0, missed: 0, lost: 0, alreadyStored: 0 },
      deltaVersion: { first: null, last: null },
      recovery: { finishedRounds: [], abandonedRounds: [], releasedSlots: 0, lostSlots: 0, lostRounds: [] },
      failures: [],
      transientErrors: [],
      sessionsOpened: 0,
      timings: { wallMs: 0, round: empty, ib: empty, delta: empty, queue: empty },
    };
  }

  /** Adds a round whose result is complete (its Delta commit landed or failed). */
  accumulate(round: RoundResult): void {
    const { summary } = this;
    const s = summary.slots;
    s.done += round.done;
    s.skipped += round.scheduled.skipped;
    s.missed += round.scheduled.missed + round.scheduled.expired;
    s.failed += round.failed;
    s.retried += round.retried;
    s.lost += round.lost;
    s.alreadyStored += round.alreadyStored;
    summary.rowsWritten += round.rows;
    if (round.deltaVersion !== null) {
      summary.commits += 1;
      summary.deltaVersion.first ??= round.deltaVersion;
      summary.deltaVersion.last = round.deltaVersion;
    }
    for (const failure of round.failures) keepLast(summary.failures, failure, KEEP_FAILURES);
    if (round.rows === 0) return;
    const t = round.timings;
    const values: Record<Phase, number> = {
      round: t.totalMs,
      ib: t.ibMs,
      delta: t.deltaMs,
      queue: t.queueMs,
    };
    for (const key of PHASES) {
      keepLast(this.samples[key], values[key], KEEP_ROUND_TIMINGS);
      this.totals[key] += values[key];
    }
  }

  transientError(at: Date, message: string): void {
    keepLast(this.summary.transientErrors, `${at.toISOString()} ${message}`, KEEP_ERRORS);
  }

  /** The summary at the end of the run. */
  finish(endedAt: Date, wallMs: number): CollectSummary {
    const { summary, samples, totals } = this;
    summary.endedAt = endedAt;
    summary.timings = {
      wallMs: Math.round(wallMs),
      round: phase(samples.round, totals.round),
      ib: phase(samples.ib, totals.ib),
      delta: phase(samples.delta, totals.delta),
      queue: phase(samples.queue, totals.queue),
    };
    return summary;
  }
}

function keepLast<T>(list: T[], item: T, keep: number): void {
  list.push(item);
  if (list.length > keep) list.shift();
}

/**
 * Why a run that collected nothing should exit 3: every failure was IB not answering (a timeout, no
 * error code), so the gateway is there but useless. Null when anything was stored or a failure had an IB
 * error code (those decide their own exit).
 */
export function silentUpstream(summary: CollectSummary): string | null {
  const { failures } = summary;
  if (summary.rowsWritten > 0 || summary.slots.done > 0 || failures.length === 0) return null;
  if (failures.some((f) => f.ibCode !== null)) return null;
  const symbols = [...new Set(failures.map((f) => f.symbol))].join(', ');
  return `no snapshot was answered: ${summary.slots.retried + summary.slots.failed} slot(s) of ${symbols} timed out or got no answer (last: ${failures.at(-1)?.message ?? '-'}); check the gateway and its market data farms`;
}
