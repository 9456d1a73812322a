import { z } from 'zod';
import { BANDS, BIASES, MODES, STRENGTHS } from './decision.js';
import { INDEX_SYMBOLS, WARNING_LEVELS } from './types.js';

/** The --json contract of `signals evaluate` (schemas/signals.evaluate.v1.json). */
export const EVALUATE_SCHEMA_ID = 'signals.evaluate/v1';

const instant = z.iso.datetime().describe('ISO-8601 instant in UTC');
const calendarDate = z.iso.date();
const fraction = z.number().min(0).max(1);
const warningLevel = z.enum(WARNING_LEVELS);

const intervalSchema = z
  .object({ low: fraction, high: fraction })
  .nullable()
  .describe('95 % Wilson score interval; null without trials');

export const groupScoreSchema = z
  .object({
    group: z.record(z.string(), z.string()),
    count: z.number().int().min(0),
    /** Directional calls with an open→close outcome: the denominator of the hit rate. */
    graded: z.number().int().min(0),
    hits: z.number().int().min(0),
    hitRate: fraction.nullable(),
    hitInterval: intervalSchema,
    /** Mean return in the call's direction, as fractions. */
    meanReturnTo1000: z.number().nullable(),
    meanReturnToClose: z.number().nullable(),
    /** Mean worst move against the call between the open and the close (fraction ≤ 0). */
    meanMaxAdverse: z.number().max(0).nullable(),
  })
  .meta({ id: 'GroupScore' });

export const gradedCallSchema = z
  .object({
    session: calendarDate,
    asOf: instant,
    /** null when the call could not be made (see skipped). */
    bias: z.enum(BIASES).nullable(),
    mode: z.enum(MODES).nullable(),
    strength: z.enum(STRENGTHS).nullable(),
    band: z.enum(BANDS).nullable(),
    /** Composite z of the call. */
    z: z.number().nullable(),
    /** Overnight move of the reference index at the call (prior close → asOf), percent. */
    overnightPct: z.number().nullable(),
    direction: z.union([z.literal(-1), z.literal(0), z.literal(1)]),
    naiveDirection: z.union([z.literal(-1), z.literal(0), z.literal(1)]),
    /** The early-warning level of the replay's check at or just before the call. */
    earlyWarning: warningLevel.nullable(),
    /** Outcome on the reference index's signal contract, as fractions. */
    openTo1000: z.number().nullable(),
    openToClose: z.number().nullable(),
    maxAdverse: z.number().max(0).nullable(),
    skipped: z.string().nullable(),
  })
  .meta({ id: 'GradedCall' });

export const drawdownEventSchema = z
  .object({
    session: calendarDate,
    referenceAt: instant,
    breachAt: instant,
    /** The fall below the reference at the breach, percent (≤ −drawdownPct). */
    movePct: z.number(),
    firstAlertAt: instant.nullable(),
    /** breach − first alert, minutes; null when no alert came at or before the breach. */
    leadMinutes: z.number().nullable(),
    /** The breach came before the session's first check (e.g. overnight, before checksFrom). */
    beforeFirstCheck: z.boolean(),
  })
  .meta({ id: 'DrawdownEvent' });

export const evaluateDocumentSchema = z
  .object({
    schema: z.literal(EVALUATE_SCHEMA_ID),
    window: z.object({
      from: calendarDate,
      to: calendarDate,
      sessions: z.number().int().min(0),
      at: z.string().describe('ET time of the pre-market call, HH:MM'),
      everyMinutes: z.number().positive(),
      checksFrom: z.string().describe('ET time of the first early-warning check of a session, HH:MM'),
      symbols: z.array(z.enum(INDEX_SYMBOLS)),
      /** The index whose outcomes and drawdowns grade the calls. */
      reference: z.enum(INDEX_SYMBOLS),
      lake: z.array(z.object({ table: z.string(), version: z.number().int().min(0) })),
    }),
    premarket: z.object({
      calls: z.array(gradedCallSchema),
      /** Per bias × mode × band. */
      groups: z.array(groupScoreSchema),
      /** Our calls and the naive baseline, per band of our call (the same sessions) and overall. */
      byBand: z.array(z.object({ band: z.enum(BANDS), ours: groupScoreSchema, naive: groupScoreSchema })),
      overall: z.object({ ours: groupScoreSchema, naive: groupScoreSchema }),
      naiveRule: z.object({ minMovePct: z.number().min(0) }),
      /** The highest band with graded calls: is our hit rate at least the naive rule's there? */
      topBand: z
        .object({
          band: z.enum(BANDS),
          oursHitRate: fraction.nullable(),
          naiveHitRate: fraction.nullable(),
          atLeastAsGood: z.boolean().nullable(),
        })
        .nullable(),
    }),
    earlyWarning: z.object({
      alertLevel: warningLevel,
      drawdownPct: z.number().positive(),
      checks: z.number().int().min(0),
      skippedChecks: z.number().int().min(0),
      sessions: z.number().int().min(0),
      events: z.number().int().min(0),
      alertSessions: z.number().int().min(0),
      trueAlertSessions: z.number().int().min(0),
      detected: z.number().int().min(0),
      precision: fraction.nullable(),
      precisionInterval: intervalSchema,
      recall: fraction.nullable(),
      recallInterval: intervalSchema,
      medianLeadMinutes: z.number().nullable(),
      calmChecks: z.number().int().min(0),
      calmAlerts: z.number().int().min(0),
      alertsPer20CalmChecks: z.number().min(0).nullable(),
      /** Checks per level over the whole replay. */
      levels: z.object({
        normal: z.number().int().min(0),
        watch: z.number().int().min(0),
        warning: z.number().int().min(0),
        critical: z.number().int().min(0),
      }),
      drawdowns: z.array(drawdownEventSchema),
    }),
    momentum: z.object({
      definition: z.string(),
      n: z.number().int().min(0),
      slope: z.number().nullable(),
      intercept: z.number().nullable(),
      rSquared: z.number().min(0).max(1).nullable(),
    }),
    reasons: z.array(z.string()),
  })
  .meta({ title: 'signals evaluate --json', description: 'Scorecard of our own calls (issue 24)' });

export type EvaluateDocument = z.infer<typeof evaluateDocumentSchema>;
export type GradedCallRecord = z.infer<typeof gradedCallSchema>;
export type DrawdownEvent = z.infer<typeof drawdownEventSchema>;
