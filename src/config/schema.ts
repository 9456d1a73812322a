import { z } from 'zod';

/**
 * The configuration file, env and flags all resolve into this one schema.
 * Each section belongs to the layer that reads it; add keys to your section with a default.
 */
const symbol = z.enum(['ES', 'NQ', 'RTY', 'VIX']);

export const ibConfigSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
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
  })
  .strict();

export const lakeConfigSchema = z
  .object({
    checkpointInterval: z.number().int().min(1).default(10),
  })
  .strict();

export const compactConfigSchema = z
  .object({
    targetSizeBytes: z
      .number()
      .int()
      .positive()
      .default(128 * 1024 * 1024),
  })
  .strict();

export const calendarConfigSchema = z
  .object({
    /** Extra closures or early closes (e.g. a national day of mourning), merged over the built-in list. */
    overrides: z
      .array(
        z
          .object({
            date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD'),
            kind: z.enum(['closed', 'early_close', 'halt_1300']),
            note: z.string().default(''),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

export const signalsConfigSchema = z
  .object({
    overnightVarianceShare: z.number().gt(0).lt(1).default(0.35),
    maxInputAgeSeconds: z.number().int().positive().default(900),
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
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type IbConfig = Config['ib'];
export type CollectConfig = Config['collect'];
