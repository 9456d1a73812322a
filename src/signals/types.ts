/**
 * Input structures of the pure signal functions. A loader (src/lake) fills them from Delta tables —
 * from snapshots or from 1-minute bars (bar close as the price, stamped at the bar END) — and the
 * functions never read anything else. Every price series belongs to ONE contract (conId): the
 * functions reject a reference or path from a different conId instead of measuring across a roll.
 *
 * Instants are `Date` (UTC); calendar dates are `YYYY-MM-DD` strings in America/New_York terms.
 */

export const INDEX_SYMBOLS = ['ES', 'NQ', 'RTY'] as const;
export type IndexSymbol = (typeof INDEX_SYMBOLS)[number];

export const ETF_BY_INDEX = { ES: 'SPY', NQ: 'QQQ', RTY: 'IWM' } as const satisfies Record<
  IndexSymbol,
  string
>;
export type EtfSymbol = (typeof ETF_BY_INDEX)[IndexSymbol];

/** The decision engine's regime vocabulary (`--regime`). */
export const ENGINE_REGIMES = ['bullish', 'neutral', 'bearish'] as const;
export type EngineRegime = (typeof ENGINE_REGIMES)[number];

/** Whether a context value was computed from the lake or passed in by the caller (`--vix`, `--regime`). */
export type InputSource = 'derived' | 'override';

export const WARNING_LEVELS = ['normal', 'watch', 'warning', 'critical'] as const;
export type WarningLevel = (typeof WARNING_LEVELS)[number];

/** A Delta table and the version the loader read (reported in the output document). */
export interface LakeRead {
  table: string;
  version: number;
}

export interface PricePoint {
  ts: Date;
  price: number;
}

/** One daily close of a ratio back-adjusted series (research §2.5 rule 2), ascending by date. */
export interface DailyClose {
  date: string;
  close: number;
}

/** The latest price of one contract. */
export interface PriceQuote {
  price: number;
  /** When the price was observed; for a 1-minute bar, the bar's END (start + 60 s). */
  ts: Date;
  conId: number;
  /** mid when the spread is sane, else last; bar_close when the series comes from futures_bars. */
  kind: 'mid' | 'last' | 'bar_close';
  /** Ask − bid at `ts`, when known. */
  spread?: number | null;
}

/** The reference price P_ref: the 16:00 ET (13:00 on half-days) fixing of the SAME contract. */
export interface ReferencePrice {
  price: number;
  ts: Date;
  conId: number;
  /**
   * settlement: CME fixing; bar_close: close of the 15:59 bar; snapshot: snapshot at T_ref;
   * spliced: P_ref_old × P_new(t0)/P_old(t0) on the new contract (research §2.5 rule 1), conId = new contract.
   */
  kind: 'settlement' | 'bar_close' | 'snapshot' | 'spliced';
}

export interface VixInput {
  level: number;
  ts: Date;
  /** Prior daily close (M6 VIX jump); null when unknown. */
  priorClose: number | null;
  source: InputSource;
  /** True for an intraday print (Cboe 03:15–09:15 ET extended hours or RTH); false when `level` is a daily close. */
  live: boolean;
}

export interface Vix3mInput {
  level: number;
  ts: Date;
}

/** VX front-month future: the M6 proxy when no live VIX exists (18:00–03:15 ET). */
export interface VxProxyInput {
  price: number;
  priorClose: number;
  ts: Date;
}

/** Where a series of daily closes came from: 1-day bars, intraday prices at the NYSE close, or both. */
export const CLOSE_SOURCES = ['daily_bars', 'intraday', 'mixed'] as const;
export type CloseSource = (typeof CLOSE_SOURCES)[number];

/**
 * The daily closes the derived regime and the realised daily σ read: ES when it has enough, else the
 * first index (NQ, RTY) that does; σ-based thresholds are scaled by that index's vol ratio to ES.
 */
export interface ReferenceCloses {
  symbol: IndexSymbol;
  closes: DailyClose[];
  source: CloseSource;
}

/** Realised overnight log return ln(P(09:30 on d) / P_ref(16:00 on d−1)) of one past session, within one conId. */
export interface OvernightReturn {
  sessionDate: string;
  returns: Partial<Record<IndexSymbol, number>>;
}

export interface PremarketIndexInput {
  /** The signal contract: reference, current and path must all carry this conId. */
  conId: number;
  localSymbol: string;
  reference: ReferencePrice;
  current: PriceQuote;
  /** Prices since T_ref up to asOf (ascending), same conId; feeds ONH/ONL, `late` and the sparkline. */
  path: PricePoint[];
  daysToExpiry?: number | null;
  /** Exchange limit prices when known; otherwise ±7 % of P_ref is assumed (research §1.1). */
  limitDownPrice?: number | null;
  limitUpPrice?: number | null;
  /** Ratio back-adjusted daily closes through D_prev (RV20 ratios; ES also feeds the derived regime). */
  dailyCloses: DailyClose[];
}

export interface PremarketInputs {
  asOf: Date;
  /** NYSE session D the signal is for. */
  sessionDate: string;
  /** D_prev (previous NYSE session) and whether it closed at 13:00 ET. T_ref is derived from these. */
  reference: { sessionDate: string; earlyClose: boolean };
  /** An absent index is dropped with reason "no data". */
  perIndex: Partial<Record<IndexSymbol, PremarketIndexInput>>;
  vix?: VixInput | undefined;
  vix3m?: Vix3mInput | undefined;
  /** `--regime`; when absent the derived regime (ES daily closes) is used. */
  regimeOverride?: EngineRegime | undefined;
  /** VIX daily closes aligned with the ES daily closes (the "VIX ≥ 25" clause of the derived regime). */
  vixCloses?: DailyClose[] | undefined;
  /** Past sessions, ascending; ES returns (else the reference index's) feed the EWMA once ≥ minRealizedSessions exist. */
  overnightHistory: OvernightReturn[];
  /** The closes behind the derived regime and realised σ; absent: ES's `dailyCloses`. */
  referenceCloses?: ReferenceCloses | undefined;
  calendar: { rollWeek: boolean; expiryDay: boolean; macro0830?: boolean | undefined };
  lake?: LakeRead[] | undefined;
}

/**
 * Persisted between spot checks (inside the recorded `signal_runs` payload as `state`).
 * JSON-safe: instants are ISO strings.
 */
export interface EarlyWarningState {
  level: WarningLevel;
  /** When the current level was entered. */
  since: string;
  lastCheckAt: string;
  /** A pending escalation: consecutive checks whose candidate was above `level`. */
  up: { target: WarningLevel; count: number; firstAt: string } | null;
  /** A pending de-escalation: consecutive checks inside the exit thresholds. */
  down: { count: number; firstAt: string } | null;
  /** Intraday overlay: after a critical, report regime risk until the next 18:00 ET reopen. */
  bearRiskUntil: string | null;
}

export interface RegimeIndexInput {
  conId: number;
  localSymbol: string;
  /** The last 16:00 ET fixing before the current CME session (same contract). */
  reference: ReferencePrice;
  current: PriceQuote;
  /** 1-minute closes or snapshots, ascending, same conId, covering at least [asOf − 240 min, asOf]. */
  path: PricePoint[];
  limitDownPrice?: number | null;
  dailyCloses: DailyClose[];
}

export interface RegimeInputs {
  asOf: Date;
  perIndex: Partial<Record<IndexSymbol, RegimeIndexInput>>;
  vix?: VixInput | undefined;
  vix3m?: Vix3mInput | undefined;
  vxProxy?: VxProxyInput | undefined;
  regimeOverride?: EngineRegime | undefined;
  vixCloses?: DailyClose[] | undefined;
  /** As in PremarketInputs. */
  referenceCloses?: ReferenceCloses | undefined;
  /** Today's NYSE session closes at 13:00 ET (RTH variance profile, limit schedule). */
  earlyClose?: boolean | undefined;
  /** `state` of the last recorded run; absent on the first run. */
  previousState?: EarlyWarningState | undefined;
  lake?: LakeRead[] | undefined;
}
