import { z } from 'zod';
import { readSmallTextFile } from '../core/small-file.js';

/**
 * Scenario files: market events applied on top of the seeded price path, and faults injected into
 * sessions. Times of day are US/Eastern wall-clock "HH:MM"; an event without `date` happens at the first
 * occurrence of its start time at or after the simulator's start instant (so a demo started at any hour
 * sees its selloff in the coming night). See README.md in this folder.
 */

const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24-hour, US/Eastern)');
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD (US/Eastern calendar date)');
const futSymbol = z.enum(['ES', 'NQ', 'RTY']);
const anySymbol = z.enum(['ES', 'NQ', 'RTY', 'VIX']);

const window = {
  /** ET calendar date of `from`; absent = first occurrence at or after the simulator start. */
  date: isoDate.optional(),
  from: timeOfDay,
  /** End of the move (the next occurrence of this time after `from`). */
  to: timeOfDay,
};

const selloffEvent = z
  .object({
    type: z.literal('selloff'),
    ...window,
    /** Total move of ES over the window in percent, negative for a selloff (e.g. -2.5). */
    pct: z.number().min(-50).max(50),
    /** Defaults to all three futures; NQ and RTY move with their betas (1.2 and 1.3). */
    symbols: z.array(futSymbol).min(1).optional(),
  })
  .strict();

const gapEvent = z
  .object({
    type: z.literal('gap'),
    date: isoDate.optional(),
    /** The instant of the jump (typically the 18:00 reopen). */
    at: timeOfDay,
    pct: z.number().min(-50).max(50),
    symbols: z.array(futSymbol).min(1).optional(),
  })
  .strict();

const limitDownEvent = z
  .object({
    type: z.literal('limitDown'),
    ...window,
    /** How far the unconstrained price falls (percent, negative); the price locks at the limit. */
    pct: z.number().min(-50).max(0).default(-10),
    /** CME overnight equity limit in percent below the prior settlement (16:00 ET). */
    limitPct: z.number().positive().max(20).default(7),
    symbols: z.array(futSymbol).min(1).optional(),
  })
  .strict();

const vixSpikeEvent = z
  .object({
    type: z.literal('vixSpike'),
    ...window,
    /** VIX level reached at the end of the window (the spike then decays over `decayHours`). */
    level: z.number().positive().max(150),
    decayHours: z.number().positive().default(24),
  })
  .strict();

export const marketEventSchema = z.discriminatedUnion('type', [
  selloffEvent,
  gapEvent,
  limitDownEvent,
  vixSpikeEvent,
]);
export type MarketEvent = z.infer<typeof marketEventSchema>;

/** Which sessions a fault applies to. */
const scope = {
  /** Only sessions with these client ids (default: all). */
  clientIds: z.array(z.number().int()).min(1).optional(),
  /** Apply to the first N matching sessions only (default: every matching session). */
  sessions: z.number().int().positive().optional(),
};

/** When a one-off fault fires: after N requests from the client (counted after startApi), or after ms. */
const trigger = {
  afterMessages: z.number().int().min(0).optional(),
  afterMs: z.number().int().min(0).optional(),
};

const disconnectFault = z.object({ type: z.literal('disconnect'), ...scope, ...trigger }).strict();

const systemMessagesFault = z
  .object({
    type: z.literal('systemMessages'),
    ...scope,
    ...trigger,
    /** Sent in order with id -1, e.g. [1100, 1102] or [2103, 2104]. */
    codes: z.array(z.number().int()).min(1),
    /** Gap between consecutive messages. */
    intervalMs: z.number().int().min(0).default(200),
    /** While between 1100 and its 1101/1102, requests are not answered (like a gateway without IB). */
    holdRequests: z.boolean().default(true),
  })
  .strict();

const clientIdInUseFault = z.object({ type: z.literal('clientIdInUse'), ...scope }).strict();

const pacingFault = z
  .object({
    type: z.literal('pacingViolation'),
    ...scope,
    /** The Nth historical-data request (1-based, counted per simulator) gets 162. */
    onHistoricalRequest: z.number().int().positive(),
    /** Also every `every` requests after that. */
    every: z.number().int().positive().optional(),
  })
  .strict();

const historicalSilenceFault = z
  .object({
    type: z.literal('historicalSilence'),
    ...scope,
    symbols: z.array(anySymbol).min(1).optional(),
    /** The Nth historical request (1-based, per simulator) is never answered; absent = every one. */
    onHistoricalRequest: z.number().int().positive().optional(),
    every: z.number().int().positive().optional(),
  })
  .strict();

const historicalErrorFault = z
  .object({
    type: z.literal('historicalError'),
    ...scope,
    /** cancelled / competingSession / noPermissions → 162 sub-messages; expired → 166; liveUpdatesDisconnected → 10182. */
    error: z.enum(['cancelled', 'competingSession', 'noPermissions', 'expired', 'liveUpdatesDisconnected']),
    symbols: z.array(anySymbol).min(1).optional(),
    onHistoricalRequest: z.number().int().positive().optional(),
    every: z.number().int().positive().optional(),
  })
  .strict();

const marketDataErrorFault = z
  .object({
    type: z.literal('marketDataError'),
    ...scope,
    /**
     * 10089 / 10168 / 10186 / 10197 refuse the line (no ticks, no tickSnapshotEnd); 10090 / 10091 are
     * notices after MARKET_DATA_TYPE and the ticks still flow (real gateways keep sending, rust-ibapi #768).
     */
    code: z.union([
      z.literal(10089),
      z.literal(10090),
      z.literal(10091),
      z.literal(10168),
      z.literal(10186),
      z.literal(10197),
    ]),
    symbols: z.array(anySymbol).min(1).optional(),
    /** Only while the client asks for these market data types (default: any). */
    marketDataTypes: z.array(z.number().int().min(1).max(4)).min(1).optional(),
  })
  .strict();

const noSecurityFault = z
  .object({ type: z.literal('noSecurityDefinition'), ...scope, symbols: z.array(anySymbol).min(1) })
  .strict();

const delayedOnlyFault = z
  .object({ type: z.literal('delayedOnly'), ...scope, symbols: z.array(anySymbol).min(1).optional() })
  .strict();

const snapshotNeverEndsFault = z
  .object({ type: z.literal('snapshotNeverEnds'), ...scope, symbols: z.array(anySymbol).min(1).optional() })
  .strict();

/**
 * Quotes that stopped updating while the connection and the farms report OK (peers' "silent data death",
 * NautilusTrader #3001 / PR #3968): the gateway serves the line from a cache that stopped `ageMs` before
 * the fault first applied to the symbol in the session, and stays stopped (quote and last trade time
 * frozen there). `requests`: only the first N market data requests per symbol (a fresh request then
 * gets live data); absent = every one.
 */
const frozenQuotesFault = z
  .object({
    type: z.literal('frozenQuotes'),
    ...scope,
    symbols: z.array(anySymbol).min(1).optional(),
    ageMs: z.number().int().positive().default(600_000),
    requests: z.number().int().positive().optional(),
  })
  .strict();

const halfOpenFault = z.object({ type: z.literal('halfOpen'), ...scope, ...trigger }).strict();

const slowFault = z
  .object({
    type: z.literal('slow'),
    ...scope,
    delayMs: z.number().int().min(0).max(600_000),
    /** Which requests are slowed (default: all). */
    requests: z
      .array(z.enum(['contractDetails', 'marketData', 'historical', 'headTimestamp', 'currentTime']))
      .optional(),
  })
  .strict();

const malformedFrameFault = z
  .object({
    type: z.literal('malformedFrame'),
    ...scope,
    ...trigger,
    /** unknownMessageId / extraField / missingField → the client's decoder reports 505. */
    variant: z.enum(['unknownMessageId', 'extraField', 'missingField']).default('extraField'),
  })
  .strict();

export const faultSchema = z.discriminatedUnion('type', [
  disconnectFault,
  systemMessagesFault,
  clientIdInUseFault,
  pacingFault,
  noSecurityFault,
  delayedOnlyFault,
  snapshotNeverEndsFault,
  frozenQuotesFault,
  halfOpenFault,
  slowFault,
  malformedFrameFault,
  historicalSilenceFault,
  historicalErrorFault,
  marketDataErrorFault,
]);
export type Fault = z.infer<typeof faultSchema>;
export type FaultType = Fault['type'];

export const scenarioSchema = z
  .object({
    name: z.string().min(1).default('custom'),
    description: z.string().default(''),
    /** Overrides the simulator seed when the caller gives none. */
    seed: z.number().int().optional(),
    /** Baseline VIX level; sets the volatility of the futures paths. */
    vix: z.number().positive().max(150).default(16),
    events: z.array(marketEventSchema).default([]),
    faults: z.array(faultSchema).default([]),
  })
  .strict();
export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length ? issue.path.map(String).join('.') : '(root)';
      return `  ${where}: ${issue.message}`;
    })
    .join('\n');
}

/** Parses a scenario object (already-parsed JSON) with clear, path-named errors. */
export function parseScenario(value: unknown, source = 'scenario'): Scenario {
  const parsed = scenarioSchema.safeParse(value);
  if (!parsed.success) throw new ScenarioError(`invalid ${source}:\n${formatIssues(parsed.error)}`);
  return parsed.data;
}

/**
 * A scenario from a file path, a JSON string, or an object. A string that starts with "{" is JSON;
 * anything else is a path.
 */
export function loadScenario(pathOrJson: string | object): Scenario {
  if (typeof pathOrJson !== 'string') return parseScenario(pathOrJson);
  const text = pathOrJson.trimStart();
  if (text.startsWith('{')) return parseScenario(parseJson(text, 'scenario JSON'), 'scenario JSON');
  let content: string;
  try {
    content = readSmallTextFile(pathOrJson);
  } catch (error) {
    throw new ScenarioError(`cannot read scenario file ${pathOrJson}: ${messageOf(error)}`);
  }
  return parseScenario(parseJson(content, pathOrJson), `scenario ${pathOrJson}`);
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(`${source} is not valid JSON: ${messageOf(error)}`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
