/** The request of a scorecard (light: no DuckDB). */
import type { ContextOverrides } from '../../../signals/inputs/index.js';
import type { IndexSymbol, WarningLevel } from '../../../signals/types.js';

export interface ScorecardRequest {
  from: string;
  to: string;
  /** ET time of the pre-market call, HH:MM (before 09:30). */
  at: string;
  everyMs: number;
  /** ET time of each session's first early-warning check, HH:MM. */
  checksFrom: string;
  symbols: readonly IndexSymbol[];
  /** The index that grades the calls; undefined: the first of `symbols` with prices in the window. */
  reference: IndexSymbol | undefined;
  drawdownPct: number;
  alertLevel: WarningLevel;
  naiveMinMovePct: number;
  overrides: ContextOverrides;
}
