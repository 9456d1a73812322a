/**
 * The documents the dashboard shows, made by the very commands that print them with --json (same
 * options parsing, same use case, same rendering), so a page and a script never disagree. Signals are
 * evaluated with --no-record: the dashboard never writes.
 */

import type { RunContext } from '../../app/context.js';
import type { DocumentCache } from '../../app/dashboard/document-cache.js';
import { readSeries, SERIES_SCHEMA_ID, sessionWindow } from '../../app/dashboard/series.js';
import type { EndpointResponse } from '../../app/dashboard/server.js';
import type { AnyCommand } from '../../cli/command.js';
import { ExitCode, exitCodeOf } from '../../cli/exit.js';
import { jsonDocument } from '../../cli/output.js';
import { classifySystemError } from '../../cli/system-errors.js';
import { isUserError, UsageError } from '../../core/errors.js';
import { etParts, INPUT_DATE_MESSAGE, isInputDate, parseInstant } from '../../market/index.js';
import { signalsPremarketCommand } from '../signals/premarket.js';
import { signalsRegimeCommand } from '../signals/regime.js';
import { futuresStatusCommand } from './status.js';

/** The instant a past session's pre-market call is evaluated at: five minutes before the cash open. */
export const SESSION_CALL_TIME = '09:25';

export const DASHBOARD_DOCUMENTS = ['status', 'premarket', 'regime'] as const;
export type DashboardDocument = (typeof DASHBOARD_DOCUMENTS)[number];

/** --as-of of a session date: undefined for today before its call time (a live evaluation). */
export function asOfOfDate(date: string | undefined, now: Date): string | undefined {
  if (date === undefined) return undefined;
  if (!isInputDate(date)) throw new UsageError(`date: ${INPUT_DATE_MESSAGE}.`);
  const today = etParts(now).date;
  if (date > today) throw new UsageError(`date ${date} is in the future (today is ${today} ET).`);
  const at = `${date} ${SESSION_CALL_TIME}`;
  return parseInstant(at).getTime() > now.getTime() ? undefined : at;
}

/** One command's --json document (as parsed JSON) for the given flags. */
export async function commandDocument(def: AnyCommand, flags: object, ctx: RunContext): Promise<object> {
  const opts = def.schema.parse({ json: true, quiet: true, ...flags });
  const result = await def.run(opts, ctx);
  return JSON.parse(jsonDocument(def.jsonSchemaId, def.render.json(result, opts))) as object;
}

/** The CLI's error/v1 document of a failure (as `--json` prints it), with an HTTP status of its kind. */
function errorResponse(thrown: unknown): EndpointResponse {
  const error = isUserError(thrown) ? thrown : (classifySystemError(thrown) ?? thrown);
  if (!isUserError(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      status: 500,
      body: { schema: 'error/v1', error: { code: 'internal', message, exitCode: ExitCode.internal } },
    };
  }
  const exitCode = exitCodeOf(error);
  return {
    status: exitCode === ExitCode.usage ? 400 : 422,
    body: {
      schema: 'error/v1',
      error: { code: error.code, message: error.message, hint: error.hint ?? null, exitCode },
    },
  };
}

export async function answer(make: () => Promise<object>): Promise<EndpointResponse> {
  try {
    return { status: 200, body: await make() };
  } catch (error) {
    return errorResponse(error);
  }
}

/**
 * One dashboard document for a session date (undefined: now). A document at a fixed instant (a past
 * session's call) comes from the cache while the lake has no new commit; a live one (evaluated at the
 * clock's now, with ages) and status (the queue and locks too) are computed per ask.
 */
export async function dashboardDocument(
  name: DashboardDocument,
  date: string | undefined,
  ctx: RunContext,
  cache?: DocumentCache,
): Promise<object> {
  if (name === 'status') return commandDocument(futuresStatusCommand, {}, ctx);
  const asOf = asOfOfDate(date, ctx.clock.now());
  const def = name === 'premarket' ? signalsPremarketCommand : signalsRegimeCommand;
  const make = () => commandDocument(def, { asOf, record: false }, ctx);
  return asOf === undefined || cache === undefined ? make() : cache.get(`${name} ${asOf}`, make);
}

const SERIES_SYMBOLS = ['ES', 'NQ', 'RTY', 'VIX'];

function instantParam(query: URLSearchParams, name: string): Date {
  const value = query.get(name);
  if (value === null) throw new UsageError(`${name}: give an ISO-8601 instant.`);
  try {
    return parseInstant(value);
  } catch (error) {
    throw new UsageError(`${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * The series document of a query: from/to instants, or a session (?date=, none: now) whose window runs
 * from the pre-market call's 16:00 ET reference to its instant, so the page asks for it alongside the
 * call instead of after it. Optional symbols.
 */
export async function seriesDocument(
  query: URLSearchParams,
  ctx: RunContext,
  cache?: DocumentCache,
): Promise<object> {
  const symbols = query.get('symbols')?.split(',').filter(Boolean) ?? SERIES_SYMBOLS;
  const byInstants = query.has('from') || query.has('to');
  const asOf = byInstants ? undefined : asOfOfDate(query.get('date') ?? undefined, ctx.clock.now());
  const window = byInstants
    ? { from: instantParam(query, 'from'), to: instantParam(query, 'to') }
    : sessionWindow(asOf === undefined ? ctx.clock.now() : parseInstant(asOf), ctx.calendar);
  const make = async () => {
    const doc = await readSeries({ dataDir: ctx.config.dataDir, calendar: ctx.calendar, ...window, symbols });
    return JSON.parse(jsonDocument(SERIES_SCHEMA_ID, doc)) as object;
  };
  const fixed = byInstants || asOf !== undefined;
  if (!fixed || cache === undefined) return make();
  const key = `series ${window.from.toISOString()} ${window.to.toISOString()} ${symbols.join(',')}`;
  return cache.get(key, make);
}
