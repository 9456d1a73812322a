/**
 * The dashboard's views beyond the CLI's single documents: the regime timeline (the lines of
 * `signals regime --from --to --no-record`), collection coverage per hour, and the scorecard (the
 * document of `signals evaluate --json`). Each comes from the command or use case that owns the
 * calculation, and is kept per lake version while its inputs cannot change.
 */
import type { RunContext } from '../../app/context.js';
import { COVERAGE_SCHEMA_ID, readCoverage } from '../../app/dashboard/coverage.js';
import { DocumentCache, lakeVersions } from '../../app/dashboard/document-cache.js';
import type { Endpoint } from '../../app/dashboard/server.js';
import { type ReplayedRegimeLine, regimeTimeline, TIMELINE_SCHEMA_ID } from '../../app/dashboard/timeline.js';
import { jsonDocument } from '../../cli/output.js';
import { addDays, parseInstant, previousNyseClose, tradeDateOf } from '../../market/index.js';
import { signalsEvaluateCommand } from '../signals/evaluate.js';
import { parseEvery, signalsRegimeCommand } from '../signals/regime.js';
import {
  answer,
  asOfOfDate,
  commandDocument,
  type DashboardDocument,
  dashboardDocument,
  seriesDocument,
} from './dashboard-data.js';

/** Calendar days the timeline strip covers (a week: five sessions and the weekend between). */
export const TIMELINE_DAYS = 7;
/** Calendar days of sessions the scorecard grades (about a quarter). */
export const SCORECARD_DAYS = 91;
/** Hours of the coverage strip. */
export const COVERAGE_HOURS = 24;
const TIMELINE_EVERY = '5m';

const asDocument = (schemaId: string, body: object) => JSON.parse(jsonDocument(schemaId, body)) as object;

/** The early warning replayed over the week up to the date's trade date (none: the current one). */
export async function timelineDocument(
  date: string | undefined,
  ctx: RunContext,
  cache: DocumentCache,
): Promise<object> {
  const now = ctx.clock.now();
  asOfOfDate(date, now); // the same checks of the date as every other view
  const to = date ?? tradeDateOf(now, ctx.calendar);
  const from = addDays(to, -(TIMELINE_DAYS - 1));
  const everyMs = parseEvery(TIMELINE_EVERY);
  // The replay stops at now: the current trade date's steps change as each check instant passes.
  const live = to >= tradeDateOf(now, ctx.calendar);
  const key = `timeline ${from} ${to}${live ? ` ${Math.floor(now.getTime() / everyMs)}` : ''}`;
  return cache.get(key, async () => {
    const def = signalsRegimeCommand;
    const opts = def.schema.parse({ quiet: true, from, to, every: TIMELINE_EVERY, record: false });
    const result = await def.run(opts, ctx);
    const lines = result.mode === 'replay' ? (result.lines as ReplayedRegimeLine[]) : [];
    return asDocument(TIMELINE_SCHEMA_ID, regimeTimeline(lines, { from, to }, everyMs));
  });
}

/** Snapshots per symbol and hour over the day before the date's call (none: now). */
export async function coverageDocument(
  date: string | undefined,
  ctx: RunContext,
  cache: DocumentCache,
): Promise<object> {
  const asOf = asOfOfDate(date, ctx.clock.now());
  const to = asOf === undefined ? ctx.clock.now() : parseInstant(asOf);
  const make = async () =>
    asDocument(
      COVERAGE_SCHEMA_ID,
      await readCoverage({
        dataDir: ctx.config.dataDir,
        calendar: ctx.calendar,
        to,
        hours: COVERAGE_HOURS,
        intervalSeconds: ctx.config.collect.intervalSeconds,
        symbols: ctx.config.collect.symbols,
      }),
    );
  return asOf === undefined ? make() : cache.get(`coverage ${asOf}`, make);
}

/** `signals evaluate --json` over the quarter up to the date (none: today); only closed sessions count. */
export async function scorecardDocument(
  date: string | undefined,
  ctx: RunContext,
  cache: DocumentCache,
): Promise<object> {
  const now = ctx.clock.now();
  asOfOfDate(date, now);
  const to = date ?? tradeDateOf(now, ctx.calendar);
  const from = addDays(to, -(SCORECARD_DAYS - 1));
  // Which sessions are graded moves only when another one closes.
  const closed = previousNyseClose(now, ctx.calendar).date;
  return cache.get(`scorecard ${from} ${to} ${closed}`, () =>
    commandDocument(signalsEvaluateCommand, { from, to }, ctx),
  );
}

/** Every endpoint of the dashboard, sharing one document cache. */
export function dashboardEndpoints(ctx: RunContext): Record<string, Endpoint> {
  const cache = new DocumentCache(() => lakeVersions(ctx.config.dataDir));
  const dateOf = (query: URLSearchParams) => query.get('date') ?? undefined;
  const byDate = (name: DashboardDocument): Endpoint => {
    return (query) => answer(() => dashboardDocument(name, dateOf(query), ctx, cache));
  };
  return {
    status: byDate('status'),
    premarket: byDate('premarket'),
    regime: byDate('regime'),
    series: (query) => answer(() => seriesDocument(query, ctx, cache)),
    timeline: (query) => answer(() => timelineDocument(dateOf(query), ctx, cache)),
    coverage: (query) => answer(() => coverageDocument(dateOf(query), ctx, cache)),
    scorecard: (query) => answer(() => scorecardDocument(dateOf(query), ctx, cache)),
  };
}
