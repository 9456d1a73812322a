import { z } from 'zod';
import type { RunContext } from '../../app/context.js';
import { defineCommand } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit.js';
import { isUserError, UsageError } from '../../core/errors.js';
import { addDays, etParts, type MarketCalendar } from '../../market/index.js';
import { renderRegimeHuman } from '../../signals/render.js';
import type { RegimeDocument, ReplaySkip } from '../../signals/schemas.js';
import type { EarlyWarningState, WarningLevel } from '../../signals/types.js';
import {
  dataDirOf,
  emptyLakeError,
  loaderOptions,
  MAX_REPLAY_EVALUATIONS,
  parseAsOf,
  parseSymbols,
  type RecordRow,
  recordRuns,
  replayRange,
  replaySkip,
  SIGNAL_FLAGS,
  shouldRecord,
  signalOptionsShape,
  tableVersionOf,
  tooManyEvaluations,
} from './signal-common.js';

const FAIL_ON = ['watch', 'warning', 'critical'] as const;
const LEVEL_RANK: Record<WarningLevel, number> = { normal: 0, watch: 1, warning: 2, critical: 3 };

/** '5m', '90s', '1h' → milliseconds (at least one minute, at most one day). */
export function parseEvery(value: string): number {
  const m = /^(\d+)\s*(s|m|h)$/.exec(value.trim());
  if (!m) throw new UsageError(`--every: '${value}' is not a duration; use e.g. 5m, 90s or 1h.`);
  const ms = Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 3_600_000);
  if (ms < 60_000 || ms > 86_400_000) throw new UsageError('--every must be between 1m and 24h.');
  return ms;
}

const regimeSchema = z.object({
  ...signalOptionsShape,
  every: z.string().default('5m'),
  failOn: z.enum(FAIL_ON).optional(),
});
type RegimeOptions = z.infer<typeof regimeSchema>;

export type RegimeResult =
  | { mode: 'single'; document: RegimeDocument; recorded: boolean; priorStateFrom: string | null }
  | {
      mode: 'replay';
      lines: Array<RegimeDocument | ReplaySkip>;
      recorded: number;
      /** The highest level any evaluation reached (for --fail-on). */
      maxLevel: WarningLevel;
    };

function recordOf(doc: RegimeDocument): RecordRow {
  const asOf = new Date(doc.asOf);
  return {
    date: etParts(asOf).date,
    kind: 'regime',
    asOf,
    level: doc.level,
    bias: null,
    tableVersion: tableVersionOf(doc.lake),
    payload: JSON.stringify(doc),
  };
}

/** Instants `every` apart (aligned to the clock) while CME equity trades on the trade dates in range. */
export function replayInstants(
  from: string,
  to: string,
  everyMs: number,
  now: Date,
  calendar: MarketCalendar,
): Date[][] {
  const days: Date[][] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) {
    const session = calendar.cmeSession(d);
    if (!session) continue;
    const out: Date[] = [];
    const start = Math.ceil(session.open.getTime() / everyMs) * everyMs;
    for (let t = start; t <= session.close.getTime() && t <= now.getTime(); t += everyMs) {
      if (t === session.open.getTime()) continue;
      if (session.halts.some((h) => t > h.start.getTime() && t <= h.end.getTime())) continue;
      out.push(new Date(t));
    }
    if (out.length > 0) days.push(out);
  }
  return days;
}

async function previousStateOf(
  ctx: RunContext,
  connection: import('@duckdb/node-api').DuckDBConnection,
  dataDir: string,
  asOf: Date,
): Promise<{ state: EarlyWarningState; from: string } | undefined> {
  const { latestSignalRun } = await import('../../lake/index.js');
  const { parseEarlyWarningState } = await import('../../signals/index.js');
  const run = await latestSignalRun(connection, dataDir, 'regime', asOf);
  if (!run) return undefined;
  try {
    const payload = JSON.parse(run.payload) as { state?: unknown };
    return { state: parseEarlyWarningState(payload.state), from: run.asOf.toISOString() };
  } catch (error) {
    ctx.log.warn(
      `ignoring the recorded regime run of ${run.asOf.toISOString()}: its state is unreadable (${error instanceof Error ? error.message : String(error)}); starting from normal`,
    );
    return undefined;
  }
}

export const signalsRegimeCommand = defineCommand({
  path: ['regime'],
  summary: 'regime early warning: normal/watch/warning/critical from futures collapsing, with hysteresis',
  description:
    'Computes the early-warning measures M1–M9 per index (σ-normalised day move and drawdowns, speed, breadth, ' +
    'RV/IV, VIX jump, term structure, limit proximity) and steps the level with hysteresis from the last ' +
    'recorded run, so spot checks every few minutes do not flap. Reads the lake only. Recorded to signal_runs ' +
    'unless --no-record (--as-of and replays are not recorded unless --record).',
  examples: [
    'signals regime',
    'signals regime --json --fail-on warning',
    "signals regime --as-of '2026-03-10 03:00' --vix 24",
    'signals regime --from 2026-03-02 --to 2026-03-06 --every 5m > regime.jsonl',
  ],
  flags: [
    ...SIGNAL_FLAGS,
    { flags: '--every <duration>', description: 'replay step (e.g. 5m, 15m, 1h)', defaultDescription: '5m' },
    {
      flags: '--fail-on <level>',
      description: 'exit 10 when the level (in a replay: any level) is at or above this',
      choices: FAIL_ON,
    },
  ],
  schema: regimeSchema,
  jsonSchemaId: 'signals.regime/v1',
  exitCodes: [ExitCode.data, ExitCode.stale, ExitCode.threshold],
  async run(opts: RegimeOptions, ctx): Promise<RegimeResult> {
    const now = ctx.now();
    const symbols = parseSymbols(opts.symbols);
    const asOfFlag = parseAsOf(opts.asOf, now);
    const everyMs = parseEvery(opts.every);
    const range = replayRange(opts, now, opts.json);
    const options = loaderOptions(ctx, symbols);
    const dataDir = dataDirOf(ctx);
    const overrides = { vix: opts.vix, regime: opts.regime };
    const { openMemoryConnection } = await import('../../delta/index.js');
    const inputsModule = await import('../../lake/inputs/index.js');
    const { computeRegime } = await import('../../signals/index.js');
    const owned = await openMemoryConnection();
    try {
      const tables = await inputsModule.loadTableSnapshots(dataDir);
      if (!tables.snapshots && !tables.bars) throw emptyLakeError(dataDir);
      if (range === undefined) {
        const asOf = asOfFlag ?? now;
        const inputs = await inputsModule.loadRegimeInputs(
          owned.connection,
          dataDir,
          asOf,
          options,
          overrides,
          tables,
        );
        if (inputs === undefined) throw emptyLakeError(dataDir);
        const prior = await previousStateOf(ctx, owned.connection, dataDir, asOf);
        const document = computeRegime({ ...inputs, previousState: prior?.state }, ctx.config.signals);
        const record = shouldRecord(opts, asOfFlag === undefined);
        if (record) await recordRuns(dataDir, [recordOf(document)], ctx.now);
        return { mode: 'single', document, recorded: record, priorStateFrom: prior?.from ?? null };
      }
      const days = replayInstants(range.from, range.to, everyMs, now, options.calendar);
      const count = days.reduce((n, d) => n + d.length, 0);
      if (count > MAX_REPLAY_EVALUATIONS) throw tooManyEvaluations(count);
      const lines: Array<RegimeDocument | ReplaySkip> = [];
      let state: EarlyWarningState | undefined;
      let maxLevel: WarningLevel = 'normal';
      for (const instants of days) {
        const slice = await inputsModule.loadRegimeSlice(
          owned.connection,
          dataDir,
          instants,
          options,
          tables,
        );
        for (const asOf of instants) {
          try {
            if (slice === undefined) throw emptyLakeError(dataDir);
            const inputs = inputsModule.buildRegimeInputs(slice, asOf, options, overrides);
            const doc = computeRegime({ ...inputs, previousState: state }, ctx.config.signals);
            state = doc.state;
            if (LEVEL_RANK[doc.level] > LEVEL_RANK[maxLevel]) maxLevel = doc.level;
            lines.push(doc);
          } catch (error) {
            if (!isUserError(error)) throw error;
            lines.push(replaySkip('regime', asOf, error));
          }
        }
      }
      const docs = lines.filter((l): l is RegimeDocument => l.schema === 'signals.regime/v1');
      const record = shouldRecord(opts, false);
      if (record) await recordRuns(dataDir, docs.map(recordOf), ctx.now);
      return { mode: 'replay', lines, recorded: record ? docs.length : 0, maxLevel };
    } finally {
      owned.close();
    }
  },
  render: {
    json: (result) => (result.mode === 'single' ? result.document : { lines: result.lines }),
    human: (result, _opts, style) =>
      result.mode === 'single'
        ? renderRegimeHuman(result.document, { mode: style.mode })
        : result.lines.map((line) => `${JSON.stringify(line)}\n`),
  },
  exitCode(result, opts) {
    if (opts.failOn === undefined) return ExitCode.ok;
    const level = result.mode === 'single' ? result.document.level : result.maxLevel;
    return LEVEL_RANK[level] >= LEVEL_RANK[opts.failOn] ? ExitCode.threshold : ExitCode.ok;
  },
});
