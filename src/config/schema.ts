import { z } from 'zod';

/**
 * The configuration file, env and flags all resolve into this one schema.
 * Each section belongs to the layer that reads it; add keys to your section with a default.
 */
const symbol = z.enum(['ES', 'NQ', 'RTY', 'VIX']);

export const ibConfigSchema = z
  .object({
    // A blank or spaced host ("$IB_HOST " in a crontab) never resolves: a config error, not exit 3 forever.
    host: z.string().regex(/^\S+$/, 'a host name or address, without spaces').default('127.0.0.1'),
    port: z.number().int().min(1).max(65535).default(4002),
    /** A fixed client id, or "auto" to take the first free id in clientIdRange. */
    clientId: z.union([z.number().int().min(0).max(2_147_483_647), z.literal('auto')]).default('auto'),
    clientIdRange: z
      .tuple([z.number().int().min(0), z.number().int().min(0)])
      .refine(([lo, hi]) => lo <= hi, 'the first id must not exceed the second')
      .default([101, 120]),
    connectTimeoutMs: z.number().int().positive().default(10_000),
    requestTimeoutMs: z.number().int().positive().default(30_000),
    snapshotTimeoutMs: z.number().int().positive().default(12_000),
    maxMessagesPerSecond: z.number().int().min(1).max(50).default(40),
    maxConcurrentSnapshots: z.number().int().min(1).max(100).default(8),
    heartbeatIntervalMs: z.number().int().positive().default(30_000),
    heartbeatTimeoutMs: z.number().int().positive().default(10_000),
    /** On 354/10167/10168 (no live subscription) retry with delayed data (market data type 3). */
    delayedFallback: z.boolean().default(true),
    rollDaysBeforeExpiry: z.number().int().min(0).max(60).default(8),
    /** Long-running sessions: first reconnect delay, doubled per failed attempt up to reconnectMaxMs. */
    reconnectBaseMs: z.number().int().positive().default(1_000),
    reconnectMaxMs: z.number().int().positive().default(60_000),
    /** After 1100/2110, how long to wait for 1101/1102 before dropping and reconnecting the socket. */
    connectivityRestoreTimeoutMs: z.number().int().positive().default(120_000),
    /** After 2103/2105 (farm down), how long a new request waits for 2104/2106 before going ahead flagged. */
    farmWaitMs: z.number().int().min(0).default(15_000),
    /** Retries of a historical request after 162 pacing violations (with back-off) before exit 3. */
    maxPacingRetries: z.number().int().min(0).max(10).default(3),
  })
  .strict();

export const collectConfigSchema = z
  .object({
    symbols: z.array(symbol).min(1).default(['ES', 'NQ', 'RTY', 'VIX']),
    intervalSeconds: z.number().int().min(1).max(3600).default(60),
    /** Wait after each round before the next one (loop mode). */
    waitSeconds: z.number().min(0).max(3600).default(5),
    maxLatenessSeconds: z.number().int().min(1).default(300),
    leaseSeconds: z.number().int().min(5).default(120),
    maxAttempts: z.number().int().min(1).max(20).default(5),
    staleQuoteSeconds: z.number().int().min(1).default(120),
    outlierSigma: z.number().positive().default(8),
    /** Transient failure n of a queue job waits retryBaseSeconds * 2^(n-1), capped at retryMaxSeconds. */
    retryBaseSeconds: z.number().min(0).default(5),
    retryMaxSeconds: z.number().min(0).default(300),
    /** The first run for a symbol queues slots from now minus this (not history). */
    firstRunLookbackSeconds: z.number().int().min(0).default(300),
    /** After an outage, gap slots are recorded (missed/skipped) at most this far back. */
    catchUpSeconds: z.number().int().min(0).default(86_400),
    /** How long a queue operation waits for another process holding the queue file. */
    queueBusyTimeoutMs: z.number().int().min(0).default(5000),
    /** Finished queue rows move to the queue's archive table this long after their last update. */
    archiveAfterSeconds: z.number().int().min(0).default(129_600),
    /**
     * The `source` of collected rows: 'sim' when ib.host/ib.port point at the built-in simulator
     * (`futures gateway`). An in-process simulator (demo, tests) marks its IB factory instead.
     */
    source: z.enum(['ibkr', 'sim']).default('ibkr'),
  })
  .strict();

/** How an S3-compatible object store holding the lake is reached (docs/object-storage.md). */
export const lakeS3ConfigSchema = z
  .object({
    /** e.g. http://127.0.0.1:7480 (MinIO, Ceph), https://<account>.r2.cloudflarestorage.com, https://storage.googleapis.com; absent: AWS. */
    endpoint: z.string().url().optional(),
    region: z.string().min(1).optional(),
    /** Path-style addressing; default: on when an endpoint is given (self-hosted stores need it). */
    forcePathStyle: z.boolean().optional(),
    /**
     * Skip the conditional-PUT self-test (and commit by HEAD + PUT on stores without conditional PUTs).
     * Safe only when exactly one process ever writes each table.
     */
    singleWriter: z.boolean().default(false),
    /** Local cache of data files read from the store; default <dataDir>/cache/objects. */
    cacheDir: z.string().min(1).optional(),
    cacheBytes: z
      .number()
      .int()
      .positive()
      .default(2 * 1024 ** 3),
  })
  .strict();

export const lakeConfigSchema = z
  .object({
    checkpointInterval: z.number().int().min(1).default(10),
    /** Where the lake lives: s3://bucket/prefix on an object store; absent: <dataDir>/lake. */
    uri: z
      .string()
      .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 'give s3://bucket/prefix')
      .optional(),
    s3: lakeS3ConfigSchema.default(lakeS3ConfigSchema.parse({})),
  })
  .strict();

export const compactConfigSchema = z
  .object({
    targetSizeBytes: z
      .number()
      .int()
      .positive()
      .default(128 * 1024 * 1024),
    /** Delete log files older than each table's delta.logRetentionDuration behind a newer checkpoint. */
    logCleanup: z.boolean().default(true),
  })
  .strict();

export const calendarConfigSchema = z
  .object({
    /**
     * Extra calendar days (e.g. a national day of mourning) that replace the built-in entry or rule
     * for their date. kind: closed (NYSE closed, no CME session), holiday (NYSE closed, CME until
     * cmeClose, default 13:00), early_close (NYSE nyseClose default 13:00, CME cmeClose default 13:15),
     * open (a regular day, cancelling a rule).
     */
    overrides: z
      .array(
        z
          .object({
            date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD'),
            kind: z.enum(['closed', 'holiday', 'early_close', 'open']),
            cmeClose: z
              .string()
              .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM (ET)')
              .optional(),
            nyseClose: z
              .string()
              .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM (ET)')
              .optional(),
            note: z.string().default(''),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

const weight = z.number().min(0).max(1);

/** Hysteresis of `signals regime` (research §4.3). */
export const earlyWarningConfigSchema = z
  .object({
    /** Inputs older than this keep the current level (no step-down) and set `stale`. */
    staleSeconds: z.number().int().positive().default(300),
    /** Escalate after this many consecutive checks above the level … */
    escalateChecks: z.number().int().min(1).max(20).default(2),
    /** … spanning at least this long (first to last check). */
    escalateMinSeconds: z.number().int().min(0).default(120),
    /** De-escalate one level after this many consecutive checks inside the exit thresholds … */
    deescalateChecks: z.number().int().min(1).max(50).default(3),
    /** … spanning at least this long in RTH … */
    deescalateMinutesRth: z.number().min(0).default(30),
    /** … and this long overnight (18:00–09:30 ET). */
    deescalateMinutesOvernight: z.number().min(0).default(60),
    /** Exit thresholds are this fraction of the entry thresholds (σ and percent measures). */
    exitFactor: z.number().gt(0).lte(1).default(0.7),
    minDwellMinutes: z
      .object({
        watch: z.number().min(0).default(0),
        warning: z.number().min(0).default(30),
        critical: z.number().min(0).default(60),
      })
      .strict()
      .default({ watch: 0, warning: 30, critical: 60 }),
    /** A longer pause between checks restarts the pending streaks (the level itself carries). */
    maxCheckGapMinutes: z.number().positive().default(30),
    /**
     * 'available': breadth (M4) thresholds scale with the number of usable indices (single-index studies).
     * With one usable index M4 gates but never counts as one of the §4.2 measures.
     */
    breadthBasis: z.enum(['absolute', 'available']).default('absolute'),
    /**
     * A one-shot check trusts a recorded state at most this old; older or missing, it derives the state
     * by replaying the lake (the steps a cron at checkEveryMinutes would have taken).
     */
    stateValidityMinutes: z.number().positive().default(15),
    /** How far back a derived state replays. */
    deriveWindowMinutes: z.number().positive().max(2880).default(360),
    /** The cadence of the checks a derived state replays (the cron's). */
    checkEveryMinutes: z.number().min(1).max(60).default(5),
  })
  .strict();

export const signalsConfigSchema = z
  .object({
    /** f_ON: overnight share of daily variance (research §3.3). */
    overnightVarianceShare: z.number().gt(0).lt(1).default(0.35),
    /** An instrument whose latest price is older than this is dropped (flagged, weights renormalised). */
    maxInputAgeSeconds: z.number().int().positive().default(900),
    /** A quote older than this lowers pre-market confidence (Q = 0.7). */
    staleQuoteSeconds: z.number().int().positive().default(60),
    /** EWMA decay of realised overnight / daily returns (RiskMetrics). */
    ewmaLambda: z.number().gt(0).lt(1).default(0.94),
    /** Sessions of realised history needed before the EWMA enters the blend. */
    minRealizedSessions: z.number().int().min(2).default(20),
    /** w in σ² = w·σ_VIX² + (1−w)·σ_RV². */
    vixBlendWeight: weight.default(0.5),
    /** κ in σ_gap = σ_ON·√(1 + κ·n_extra) for weekend/holiday gaps. */
    gapKappa: z.number().min(0).max(2).default(0.25),
    compositeWeights: z
      .object({ ES: weight.default(0.5), NQ: weight.default(0.3), RTY: weight.default(0.2) })
      .strict()
      .default({ ES: 0.5, NQ: 0.3, RTY: 0.2 })
      .refine((w) => w.ES + w.NQ + w.RTY > 0, {
        message: 'all three weights are zero; give at least one index a positive weight',
      }),
    /** σ ratio to ES used when fewer than 21 daily closes exist for the 20-day ratio [heuristic]. */
    defaultVolRatio: z
      .object({ NQ: z.number().positive().default(1.25), RTY: z.number().positive().default(1.35) })
      .strict()
      .default({ NQ: 1.25, RTY: 1.35 }),
    /** |overnight move| at or beyond this percent sets `limitNear` (M8 warning level). */
    limitNearPct: z.number().positive().default(3.5),
    earlyWarning: earlyWarningConfigSchema.default(earlyWarningConfigSchema.parse({})),
  })
  .strict();

const priceBand = z
  .tuple([z.number().positive(), z.number().positive()])
  .refine(([lo, hi]) => lo < hi, 'the low bound must be below the high bound');

/** `futures import`: what a plausible row is (a row outside is bad: refused, or skipped with --skip-bad). */
export const importConfigSchema = z
  .object({
    /** [low, high] of any price of each symbol; wide enough for all of its history. */
    priceBands: z
      .object({
        ES: priceBand.default([100, 100_000]),
        NQ: priceBand.default([100, 500_000]),
        RTY: priceBand.default([50, 50_000]),
        VIX: priceBand.default([1, 500]),
        VIX3M: priceBand.default([1, 500]),
      })
      .strict()
      .default({ ES: [100, 100_000], NQ: [100, 500_000], RTY: [50, 50_000], VIX: [1, 500], VIX3M: [1, 500] }),
    /** A price more than this factor above or below the median of its symbol in the file is bad. */
    maxMedianFactor: z.number().min(1.5).max(1000).default(8),
  })
  .strict();

export const configSchema = z
  .object({
    dataDir: z.string().min(1).default('./data'),
    ib: ibConfigSchema.default(ibConfigSchema.parse({})),
    collect: collectConfigSchema.default(collectConfigSchema.parse({})),
    lake: lakeConfigSchema.default(lakeConfigSchema.parse({})),
    compact: compactConfigSchema.default(compactConfigSchema.parse({})),
    calendar: calendarConfigSchema.default(calendarConfigSchema.parse({})),
    signals: signalsConfigSchema.default(signalsConfigSchema.parse({})),
    import: importConfigSchema.default(importConfigSchema.parse({})),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type IbConfig = Config['ib'];
export type ImportConfig = Config['import'];
export type CollectConfig = Config['collect'];
