/** The evaluate use case's request and result: light (no DuckDB), so commands import it at top level. */
import { UsageError, type UserError } from '../../core/errors.js';
import type { ContextOverrides } from '../../signals/inputs/index.js';
import type { IndexSymbol } from '../../signals/types.js';

/** Replays evaluate at most this many instants per run (every document is held until printed). */
export const MAX_REPLAY_EVALUATIONS = 30_000;

export interface ReplayRange {
  from: string;
  to: string;
}

export interface EvaluateRequest {
  symbols: readonly IndexSymbol[];
  /** A past instant to evaluate at; undefined evaluates now (a live run). */
  asOf: Date | undefined;
  /** Trade dates to replay; undefined for one evaluation. */
  range: ReplayRange | undefined;
  overrides: ContextOverrides;
  /** Record to signal_runs; undefined records live runs only (no asOf, no replay). */
  record: boolean | undefined;
}

export interface SignalDocumentBase {
  asOf: string;
  lake: readonly { table: string; version: number }[];
}

/** One line of a replay: a document, or the user error that skipped this instant. */
export type ReplayEntry<D> = { asOf: Date; document: D } | { asOf: Date; skipped: UserError };

export type Evaluation<D> =
  | { mode: 'single'; document: D; recorded: boolean; priorStateFrom: string | null }
  | { mode: 'replay'; entries: ReplayEntry<D>[]; recorded: number };

/** A replay longer than one run may evaluate. */
export class ReplayTooLongError extends UsageError {
  constructor(readonly evaluations: number) {
    super(`The replay would evaluate ${evaluations} instants (at most ${MAX_REPLAY_EVALUATIONS} per run).`);
  }
}
