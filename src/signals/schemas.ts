import { z } from 'zod';
import { BANDS, BIASES, MODES, OVERRIDE_CODES, STRENGTHS, VIX_BUCKETS } from './decision.js';
import { evaluateDocumentSchema } from './scorecard-schema.js';
import { CLOSE_SOURCES, ENGINE_REGIMES, INDEX_SYMBOLS, WARNING_LEVELS } from './types.js';

/**
 * The --json contracts of `signals premarket` and `signals regime` (and the replay JSON Lines).
 * schemas/*.json are generated from these with z.toJSONSchema; test/signals/schemas.test.ts fails when stale.
 */

export const PREMARKET_SCHEMA_ID = 'signals.premarket/v3';
export const REGIME_SCHEMA_ID = 'signals.regime/v3';
export const REPLAY_SKIP_SCHEMA_ID = 'signals.replay-skip/v1';
export const ERROR_SCHEMA_ID = 'error/v1';

const instant = z.iso.datetime().describe('ISO-8601 instant in UTC');
const calendarDate = z.iso.date();
const indexSymbol = z.enum(INDEX_SYMBOLS);
const etfSymbol = z.enum(['SPY', 'QQQ', 'IWM']);
const engineRegime = z.enum(ENGINE_REGIMES);
const warningLevel = z.enum(WARNING_LEVELS);
const fraction = z.number().min(0).max(1);

function perIndex<T extends z.ZodType>(item: T) {
  return z.object({ ES: item.nullable(), NQ: item.nullable(), RTY: item.nullable() });
}

export const lakeReadSchema = z
  .object({ table: z.string(), version: z.number().int().min(0) })
  .meta({ id: 'LakeRead' });

export const droppedIndexSchema = z
  .object({
    symbol: indexSymbol,
    code: z.enum(['no_data', 'stale', 'contract_mismatch', 'reference_missing']),
    reason: z.string(),
  })
  .meta({ id: 'DroppedIndex' });

export const vixContextSchema = z
  .object({
    level: z.number().positive().nullable(),
    priorClose: z.number().positive().nullable(),
    source: z.enum(['derived', 'override']).nullable(),
    live: z.boolean().nullable(),
    ts: instant.nullable(),
    vix3m: z.number().positive().nullable(),
    /** VIX/VIX3M. */
    term: z.number().positive().nullable(),
  })
  .meta({ id: 'VixContext' });

export const regimeFeaturesSchema = z.object({
  date: calendarDate,
  close: z.number(),
  sma20: z.number(),
  sma50: z.number(),
  sma200: z.number().nullable(),
  slope50: z.number(),
  rv20: z.number(),
  drawdown: z.number(),
  trend: z.number().int(),
  vix: z.number().nullable(),
  classification: engineRegime,
});

export const derivedRegimeSchema = z
  .object({
    value: engineRegime.nullable(),
    since: calendarDate.nullable(),
    pending: z.object({ value: engineRegime, count: z.number().int(), needed: z.number().int() }).nullable(),
    features: regimeFeaturesSchema.nullable(),
    sessions: z.number().int().min(0),
    reason: z.string().nullable(),
  })
  .meta({ id: 'DerivedRegime' });

export const regimeContextSchema = z
  .object({
    /** The regime the decision used. */
    value: engineRegime,
    /** override: --regime; derived: §4.5 rules; default: neither available, neutral assumed. */
    source: z.enum(['derived', 'override', 'default']),
    derived: derivedRegimeSchema,
    /** The override differs from the derived regime. */
    disagreement: z.boolean(),
    /**
     * The daily closes the derived regime and the realised daily σ read: ES, else the first index with
     * enough; source daily_bars, intraday (the price at the NYSE close from 1-min bars or snapshots) or
     * mixed; volScale: that index's vol ratio to ES (vol and drawdown thresholds are compared in ES terms).
     */
    closes: z.object({
      symbol: indexSymbol.nullable(),
      source: z.enum(CLOSE_SOURCES).nullable(),
      sessions: z.number().int().min(0),
      volScale: z.number().positive(),
    }),
  })
  .meta({ id: 'RegimeContext' });

export const referencePriceEchoSchema = z.object({
  price: z.number().positive(),
  ts: instant,
  kind: z.enum(['settlement', 'bar_close', 'snapshot', 'spliced']),
});

export const quoteEchoSchema = z.object({
  price: z.number().positive(),
  ts: instant,
  kind: z.enum(['mid', 'last', 'bar_close']),
  ageSeconds: z.number().min(0),
  spread: z.number().nullable(),
});

export const indexInputEchoSchema = z
  .object({
    conId: z.number().int(),
    localSymbol: z.string(),
    reference: referencePriceEchoSchema,
    current: quoteEchoSchema,
    pathPoints: z.number().int().min(0),
    dailyCloses: z.number().int().min(0),
    daysToExpiry: z.number().nullable(),
  })
  .meta({ id: 'IndexInputEcho' });

const dataQualityShape = {
  usable: z.array(indexSymbol),
  dropped: z.array(droppedIndexSchema),
  quoteAgeSeconds: perIndex(z.number().min(0)),
  flags: z.array(z.string()),
};

export const pathFeaturesSchema = z.object({
  points: z.number().int().min(0),
  high: z.number().positive(),
  low: z.number().positive(),
  /** (P − ONL)/(ONH − ONL); null when the range is zero. */
  posInRange: fraction.nullable(),
  /** Share of the move given back from the extreme in its direction; null when the move is zero. */
  giveBack: z.number().nullable(),
  /** ln(ONH/ONL)/σ_gap. */
  rangeZ: z.number().min(0),
  /** ln(P(t)/P(08:25 ET)) in percent; null before 08:25 or without a price at 08:25. */
  latePct: z.number().nullable(),
  /** Closing prices resampled for the sparkline (oldest first, reference first). */
  sparkline: z.array(z.number()),
});

export const premarketIndexMeasuresSchema = z
  .object({
    /** Simple return vs P_ref, percent. */
    pct: z.number(),
    logReturn: z.number(),
    /** σ_gap of this index, percent. */
    sigmaGapPct: z.number().positive(),
    volRatio: z.number().positive(),
    volRatioSource: z.enum(['rv20', 'default', 'es']),
    z: z.number(),
    zElapsed: z.number(),
    path: pathFeaturesSchema,
    limit: z.object({
      downPrice: z.number().positive(),
      upPrice: z.number().positive(),
      distanceDownPct: z.number(),
      distanceUpPct: z.number(),
      near: z.boolean(),
    }),
  })
  .meta({ id: 'PremarketIndexMeasures' });

export const PREMARKET_TAGS = [
  'techLed',
  'smallCapWeak',
  'narrow',
  'holidayGap',
  'weekendGap',
  'rollWeek',
  'expiryDay',
  'termInverted',
  'limitNear',
  'macro0830',
  'lateMove',
  'regimeDisagreement',
] as const;

export const etfGuidanceSchema = z
  .object({
    index: indexSymbol,
    etf: etfSymbol,
    direction: z.enum(['bullish', 'bearish', 'neutral']),
    /** 0..1: the decision's confidence, halved when this index does not confirm the composite. */
    conviction: fraction,
    entry: z.enum(['at_open', 'after_confirmation', 'none']),
    /** reduced: VIX ≥ 30, term inversion or a narrow move — smaller size, wider strikes. */
    riskPosture: z.enum(['normal', 'reduced']),
    /** The index's overnight move, percent (apply to the ETF's prior close for an equivalent). */
    gapPct: z.number().nullable(),
    z: z.number().nullable(),
    /** Expected 1σ move of the coming cash session, percent (blended daily σ × vol ratio). */
    expectedDayMovePct: z.number().positive().nullable(),
    /** Same-day gap-fill rate by |gap| bucket from a practitioner SPX study (research §3.1); not a model output. */
    fillProbabilityHint: fraction.nullable(),
    notes: z.array(z.string()),
  })
  .meta({ id: 'EtfGuidance' });

const pendingSchema = z.object({
  direction: z.enum(['up', 'down']),
  target: warningLevel,
  checks: z.number().int(),
  checksNeeded: z.number().int(),
  firstAt: instant,
});

/** The regime early warning at the pre-market instant, as `signals regime --as-of` says it. */
export const premarketEarlyWarningSchema = z
  .object({
    level: warningLevel,
    candidate: warningLevel,
    pending: pendingSchema.nullable(),
    stateSource: z.enum(['recorded', 'derived', 'carried', 'none']),
    /** The first line of `signals regime`. */
    headline: z.string(),
  })
  .meta({ id: 'PremarketEarlyWarning' });

export const premarketDocumentSchema = z
  .object({
    schema: z.literal(PREMARKET_SCHEMA_ID),
    asOf: instant,
    /** NYSE session D. */
    sessionDate: calendarDate,
    reference: z.object({
      /** T_ref: 16:00 ET (13:00 on a half-day) of the previous NYSE session. */
      time: instant,
      sessionDate: calendarDate,
      earlyClose: z.boolean(),
      /** Calendar days between T_ref's date and D beyond one (weekends, holidays). */
      extraDays: z.number().int().min(0),
    }),
    lake: z.array(lakeReadSchema),
    inputs: z.object({
      vix: vixContextSchema,
      regime: regimeContextSchema,
      perIndex: perIndex(indexInputEchoSchema),
      calendar: z.object({ rollWeek: z.boolean(), expiryDay: z.boolean(), macro0830: z.boolean() }),
    }),
    measures: z.object({
      perIndex: perIndex(premarketIndexMeasuresSchema),
      composite: z.object({
        z: z.number(),
        /** Renormalised over the usable indices. */
        weights: perIndex(fraction),
        agree: z.number().int().min(0).max(3),
        dispersion: z.number().min(0),
      }),
      /** ES overnight σ in percent: VIX-implied, realised (EWMA), and the blend used (before gap scaling). */
      expectedMovePct: z.object({
        onVix: z.number().positive().nullable(),
        onRealized: z.number().positive().nullable(),
        used: z.number().positive(),
        gapFactor: z.number().min(1),
        sessionsForRV: z.number().int().min(0),
      }),
      /** Blended daily σ of ES in percent (the cash-session expected move). */
      sigmaDayPct: z.number().positive(),
    }),
    decision: z.object({
      bias: z.enum(BIASES),
      /** limit_move: at or near a price limit; the bias keeps the move's direction and strength. */
      mode: z.enum(MODES),
      strength: z.enum(STRENGTHS),
      confidence: fraction,
      factors: z.object({
        s: z.number(),
        A: z.number(),
        R: z.number(),
        V: z.number(),
        Tm: z.number(),
        Q: z.number(),
        cap: z.number(),
      }),
      vixBucket: z.enum(VIX_BUCKETS),
      /** vix: from VIX; realized: VIX missing, bucket of the VIX-equivalent of the realised σ. */
      vixBucketSource: z.enum(['vix', 'realized']),
      thresholds: z.object({ t1: z.number(), t2: z.number(), t3: z.number() }),
      band: z.enum(BANDS),
      cell: z
        .object({
          regime: engineRegime,
          direction: z.enum(['up', 'down']),
          band: z.enum(['t1_t2', 't2_t3', 'ge_t3']),
          bias: z.enum(BIASES),
          mode: z.enum(MODES),
          note: z.string(),
        })
        .nullable(),
      overrides: z.array(z.enum(OVERRIDE_CODES)),
      alignment: z.enum(['aligned', 'neutral_regime', 'counter']),
      /** watch when a very large drop in a bull regime should lift the early warning. */
      earlyWarningFloor: z.enum(['watch']).nullable(),
    }),
    guidance: z.object({ SPY: etfGuidanceSchema, QQQ: etfGuidanceSchema, IWM: etfGuidanceSchema }),
    /** null when not evaluated (the pure function alone) or when the regime check had no usable data. */
    earlyWarning: premarketEarlyWarningSchema.nullable(),
    tags: z.array(z.enum(PREMARKET_TAGS)),
    dataQuality: z.object({ ...dataQualityShape, sessionsForRV: z.number().int().min(0) }),
    reasons: z.array(z.string()),
  })
  .meta({ title: 'signals premarket --json', description: 'Pre-market surge signal (research §3)' });

export type PremarketDocument = z.infer<typeof premarketDocumentSchema>;
export type EtfGuidance = z.infer<typeof etfGuidanceSchema>;
export type PremarketTag = (typeof PREMARKET_TAGS)[number];
export type DroppedIndex = z.infer<typeof droppedIndexSchema>;

export const earlyWarningStateSchema = z
  .object({
    level: warningLevel,
    since: instant,
    lastCheckAt: instant,
    up: z.object({ target: warningLevel, count: z.number().int().min(1), firstAt: instant }).nullable(),
    down: z.object({ count: z.number().int().min(1), firstAt: instant }).nullable(),
    bearRiskUntil: instant.nullable(),
  })
  .meta({ id: 'EarlyWarningState' });

/** Where the hysteresis of a regime check started from. */
export const priorStateInfoSchema = z
  .object({
    /**
     * recorded: the last run in signal_runs, at most stateValidityMinutes old; derived: replayed from the
     * lake over the window before this check; carried: the previous check of a replay (or the caller's
     * previousState); none: no state (no check could be replayed), the level starts at normal.
     */
    source: z.enum(['recorded', 'derived', 'carried', 'none']),
    /** lastCheckAt of the recorded state used. */
    recordedAt: instant.nullable(),
    /** A recorded state set aside as older than the validity. */
    staleRecordedAt: instant.nullable(),
    /** The replay that derived the state (derived or none after an attempt). */
    derivation: z
      .object({
        from: instant,
        everyMinutes: z.number().positive(),
        checks: z.number().int().min(0),
        skipped: z.number().int().min(0),
        firstCheckAt: instant.nullable(),
      })
      .nullable(),
  })
  .meta({ id: 'PriorStateInfo' });

export type PriorStateInfo = z.infer<typeof priorStateInfoSchema>;

const levelledValue = z.object({ value: z.number().nullable(), level: warningLevel });

export const regimeIndexMeasuresSchema = z
  .object({
    /** Blended daily σ of this index, percent. */
    sigmaDayPct: z.number().positive(),
    volRatio: z.number().positive(),
    /** Prices since the reference (reference first), resampled for the sparkline. */
    sparkline: z.array(z.number()),
    /** M1: ln(P/P_ref)/σ_day. */
    m1: levelledValue.extend({ pct: z.number() }),
    /** M2: worst σ-normalised drawdown over 15/30/60/240 min. */
    m2: levelledValue.extend({
      pct: z.number(),
      windowMin: z.union([z.literal(15), z.literal(30), z.literal(60), z.literal(240)]),
      windows: z.array(z.object({ minutes: z.number().int(), z: z.number(), pct: z.number() })),
    }),
    /** M3: 15-minute return in σ_15; null without a price 15 minutes ago. */
    m3: levelledValue.extend({ pct: z.number().nullable() }),
    /** M5: RV60/VIX (VIX scaled by the vol ratio for NQ and RTY). */
    m5: levelledValue.extend({ rv60: z.number().nullable() }),
    /** M8: decline vs the reference and 60-minute decline, percent; distance to the next limit. */
    m8: levelledValue.extend({
      declinePct: z.number(),
      decline60Pct: z.number(),
      limitPrice: z.number().positive(),
      distancePct: z.number(),
      nextLimit: z.string(),
    }),
  })
  .meta({ id: 'RegimeIndexMeasures' });

export const REGIME_FLAGS = [
  'hardCritical',
  'stale',
  'atLimit',
  'smallCapStress',
  'techStress',
  'termInverted',
  'reducedBreadth',
  'regimeDisagreement',
  'noPriorState',
  'priorStateIgnored',
  'streakReset',
] as const;

export const regimeDocumentSchema = z
  .object({
    schema: z.literal(REGIME_SCHEMA_ID),
    asOf: instant,
    session: z.enum(['overnight', 'rth', 'post', 'halt']),
    lake: z.array(lakeReadSchema),
    level: warningLevel,
    /** The level the measures call for at this check (entry thresholds), before hysteresis. */
    candidate: warningLevel,
    /** The level under the exit thresholds: a step down needs it below `level`. */
    exitCandidate: warningLevel,
    transition: z.enum(['escalated', 'deescalated', 'held']),
    since: instant,
    pending: pendingSchema.nullable(),
    inputs: z.object({
      vix: vixContextSchema,
      vxProxy: z.object({ price: z.number(), priorClose: z.number(), ts: instant }).nullable(),
      regime: regimeContextSchema,
      perIndex: perIndex(indexInputEchoSchema),
      hadPriorState: z.boolean(),
    }),
    priorState: priorStateInfoSchema,
    measures: z.object({
      perIndex: perIndex(regimeIndexMeasuresSchema),
      m4: z.object({
        breadth: z.number().int().min(0).max(3),
        level: warningLevel,
        counted: z.array(indexSymbol),
        thresholds: z.tuple([z.number(), z.number(), z.number()]),
      }),
      m6: levelledValue.extend({ source: z.enum(['vix', 'vx_proxy']).nullable() }),
      m7: levelledValue,
      m9: z.object({ smallCapStress: z.boolean(), techStress: z.boolean() }),
      /** Count of measure ids (M1..M8) at or above each level. */
      counts: z.object({ watch: z.number().int(), warning: z.number().int(), critical: z.number().int() }),
      /** σ thresholds after the regime adjustment (±0.5σ). */
      sigmaShift: z.number(),
    }),
    breadth: z.number().int().min(0).max(3),
    worstWindowMin: z.union([z.literal(15), z.literal(30), z.literal(60), z.literal(240)]).nullable(),
    derivedRegime: derivedRegimeSchema,
    /** Intraday overlay: a critical this CME session puts regime risk on until the 18:00 ET reopen. */
    overlay: z.enum(['bear_risk']).nullable(),
    /** Persist this; pass it back as previousState on the next check. */
    state: earlyWarningStateSchema,
    flags: z.array(z.enum(REGIME_FLAGS)),
    dataQuality: z.object({ ...dataQualityShape, stale: z.boolean() }),
    reasons: z.array(z.string()),
  })
  .meta({ title: 'signals regime --json', description: 'Regime early warning (research §4)' });

export type RegimeDocument = z.infer<typeof regimeDocumentSchema>;
export type RegimeIndexMeasures = z.infer<typeof regimeIndexMeasuresSchema>;
export type RegimeFlag = (typeof REGIME_FLAGS)[number];

export const errorBodySchema = z
  .object({
    code: z.string(),
    message: z.string(),
    hint: z.string().nullable().optional(),
    exitCode: z.number().int().min(1),
  })
  .meta({ id: 'ErrorBody' });

export const errorDocumentSchema = z
  .object({ schema: z.literal(ERROR_SCHEMA_ID), error: errorBodySchema })
  .meta({ title: 'error document', description: 'Printed on stdout under --json when a command fails' });

/** A replayed instant that produced no document (no data, stale data): the replay goes on. */
export const replaySkipSchema = z.object({
  schema: z.literal(REPLAY_SKIP_SCHEMA_ID),
  kind: z.enum(['premarket', 'regime']),
  asOf: instant,
  error: errorBodySchema,
});

/** One line of `--from/--to` JSON Lines: a full document or a skip record. */
export const replayLineSchema = z
  .discriminatedUnion('schema', [premarketDocumentSchema, regimeDocumentSchema, replaySkipSchema])
  .meta({
    title: 'signals replay line',
    description: 'One JSON Lines record of signals premarket|regime --from/--to',
  });

export type ReplaySkip = z.infer<typeof replaySkipSchema>;
export type ReplayLine = z.infer<typeof replayLineSchema>;

/** Files under schemas/ and the zod schema each is generated from. */
export const JSON_SCHEMA_FILES: ReadonlyArray<{ file: string; schema: z.ZodType }> = [
  { file: 'signals.premarket.v3.json', schema: premarketDocumentSchema },
  { file: 'signals.regime.v3.json', schema: regimeDocumentSchema },
  { file: 'signals.replay-line.v1.json', schema: replayLineSchema },
  { file: 'error.v1.json', schema: errorDocumentSchema },
  { file: 'signals.evaluate.v1.json', schema: evaluateDocumentSchema },
];

/** The committed text of one schema file (stable key order, trailing newline). */
export function jsonSchemaText(schema: z.ZodType): string {
  return `${JSON.stringify(z.toJSONSchema(schema, { target: 'draft-2020-12' }), null, 2)}\n`;
}
