/**
 * The embedded default: the whole system on the built-in IB Gateway simulator, in one process.
 * It runs the real command modules (collect, backfill, compact, signals) against a temporary lake,
 * with one manual clock shared by the simulator and the collector, so a night of 1-minute slots
 * runs as fast as the rounds execute.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import type { RunContext } from '../app/context.js';
import type { BackfillSummary } from '../collect/backfill.js';
import type { CollectSummary } from '../collect/index.js';
import { manualClock } from '../collect/index.js';
import { UsageError } from '../core/errors.js';
import { addDays, cmeSessions, etInstant, nyseSession, previousNyseClose } from '../market/index.js';

export const DEMO_SCENARIOS = ['calm', 'selloff', 'gap-up'] as const;
export type DemoScenario = (typeof DEMO_SCENARIOS)[number];

export interface DemoOptions {
  dir: string | undefined;
  scenario: DemoScenario;
  keep: boolean;
  /** NYSE session date the night leads into (default: the latest one on or before today, ET). */
  date: string | undefined;
  seed: number;
}

export interface DemoStep {
  name: string;
  command: string;
  ms: number;
  summary: string;
}

export interface DemoResult {
  dataDir: string;
  kept: boolean;
  temporary: boolean;
  scenario: DemoScenario;
  night: { sessionDate: string; from: string; to: string };
  simulator: { host: string; port: number; seed: number };
  steps: DemoStep[];
  collect: {
    rounds: number;
    rowsWritten: number;
    bySymbol: Record<string, number>;
    deltaVersion: number | null;
  };
  compact: { filesBefore: number; filesAfter: number };
  signals: { premarket: unknown; regime: unknown };
  nextCommands: string[];
  wallMs: number;
}

/** The latest NYSE session date on or before `today` whose preceding CME evening session exists. */
export function demoSessionDate(now: Date, explicit?: string): string {
  const today = now.toLocaleDateString('en-CA', { timeZone: 'America/New_York' });
  let date = explicit ?? today;
  for (let i = 0; i < 10; i++) {
    if (nyseSession(date)) return date;
    if (explicit)
      throw new UsageError(`--date ${explicit} is not an NYSE session day.`, {
        hint: 'Pick a weekday that is not an exchange holiday, e.g. the previous business day.',
      });
    date = addDays(date, -1);
  }
  throw new UsageError(`no NYSE session found in the 10 days before ${today}.`);
}

/** 18:00 ET the evening before (Sunday for a Monday) → 09:25 ET on the session date. */
export function demoNight(sessionDate: string): { from: Date; to: Date } {
  const session = cmeSessions(sessionDate, sessionDate)[0];
  const from = session?.session?.open ?? etInstant(addDays(sessionDate, -1), '18:00');
  return { from, to: etInstant(sessionDate, '09:25') };
}

/** Options for a command run in-process, validated by that command's own schema. */
function optionsFor<S extends z.ZodType>(schema: S, bag: Record<string, unknown>): z.infer<S> {
  return schema.parse({ json: true, quiet: true, verbose: false, ...bag });
}

async function step<T>(
  steps: DemoStep[],
  ctx: RunContext,
  name: string,
  command: string,
  fn: () => Promise<T>,
  describe: (result: T) => string,
): Promise<T> {
  // A spinner only on an interactive stderr (never under --json, in CI or when piped); else plain lines.
  const spinner = ctx.isInteractive
    ? (await import('ora')).default({ text: `${name} …`, stream: process.stderr }).start()
    : undefined;
  if (!spinner) ctx.log.info(`demo: ${name} …`);
  const started = performance.now();
  let result: T;
  try {
    result = await fn();
  } catch (error) {
    spinner?.fail(`${name}: failed`);
    throw error;
  }
  const ms = Math.round(performance.now() - started);
  const summary = describe(result);
  steps.push({ name, command, ms, summary });
  const line = `${name}: ${summary} (${(ms / 1000).toFixed(1)} s)`;
  if (spinner) spinner.succeed(line);
  else ctx.log.info(`demo: ${line}`);
  return result;
}

export async function runDemo(options: DemoOptions, ctx: RunContext): Promise<DemoResult> {
  const wallStarted = performance.now();
  const sessionDate = demoSessionDate(ctx.now(), options.date);
  const night = demoNight(sessionDate);
  const temporary = options.dir === undefined;
  const dataDir = options.dir
    ? resolve(ctx.cwd, options.dir)
    : await mkdtemp(join(tmpdir(), 'futures-demo-'));
  const kept = !temporary || options.keep;

  const { startSimulator, builtinScenario } = await import('../sim/index.js');
  const clock = manualClock(night.from);
  const simulator = await startSimulator({
    port: 0,
    seed: options.seed,
    now: clock.now,
    // Message rates are judged on the night's clock, like the collector's pacing (src/ibkr/pacing.ts).
    wall: () => clock.now().getTime(),
    scenario: builtinScenario(options.scenario),
    snapshotEndDelayMs: 0,
  });
  const config = structuredClone(ctx.config);
  config.dataDir = dataDir;
  // A fresh demo lake has no history to catch up: collect from the first slot of the night.
  config.collect.firstRunLookbackSeconds = 0;
  const demoCtx: RunContext & { clock: typeof clock } = {
    ...ctx,
    config,
    clock,
    ibFactory: { target: { host: simulator.host, port: simulator.port }, simulated: true },
  };
  const steps: DemoStep[] = [];
  try {
    const [{ futuresBackfillCommand }, { futuresCollectCommand }, { futuresCompactCommand }] =
      await Promise.all([
        import('../commands/futures/backfill.js'),
        import('../commands/futures/collect.js'),
        import('../commands/futures/compact.js'),
      ]);
    const [{ signalsPremarketCommand }, { signalsRegimeCommand }] = await Promise.all([
      import('../commands/signals/premarket.js'),
      import('../commands/signals/regime.js'),
    ]);
    const previousSession = previousNyseClose(night.to).date;

    // History first, as a trader would bootstrap: daily bars, and the previous session's 1-minute bars
    // (the pre-market reference is that session's 16:00 ET close).
    clock.set(night.from);
    await step(
      steps,
      demoCtx,
      'backfill daily history',
      'futures backfill --bar 1day --days 100',
      () =>
        futuresBackfillCommand.run(
          optionsFor(futuresBackfillCommand.schema, { bar: '1day', days: '100' }),
          demoCtx,
        ),
      (r: BackfillSummary) => `${r.bars.written} daily bars`,
    );
    await step(
      steps,
      demoCtx,
      'backfill the previous session',
      `futures backfill --bar 1min --from ${previousSession} --to ${previousSession}`,
      () =>
        futuresBackfillCommand.run(
          optionsFor(futuresBackfillCommand.schema, {
            bar: '1min',
            from: previousSession,
            to: previousSession,
          }),
          demoCtx,
        ),
      (r: BackfillSummary) => `${r.bars.written} one-minute bars`,
    );

    const collected = (await step(
      steps,
      demoCtx,
      'collect the night',
      `futures collect --until "${sessionDate} 09:25"`,
      () =>
        futuresCollectCommand.run(
          optionsFor(futuresCollectCommand.schema, { until: night.to.toISOString() }),
          demoCtx,
        ),
      (r: CollectSummary) => `${r.rounds} rounds, ${r.rowsWritten} rows, ${r.slots.skipped} slots skipped`,
    )) as CollectSummary;

    const { loadLakeSnapshot } = await import('../lake/index.js');
    const before = await loadLakeSnapshot(dataDir, 'futures_snapshots');
    await step(
      steps,
      demoCtx,
      'compact the lake',
      'futures compact',
      () => futuresCompactCommand.run(optionsFor(futuresCompactCommand.schema, {}), demoCtx),
      () => 'optimized, checkpointed',
    );
    const after = await loadLakeSnapshot(dataDir, 'futures_snapshots');

    const asOf = night.to.toISOString();
    const premarket = await step(
      steps,
      demoCtx,
      'pre-market signal',
      `signals premarket --as-of "${sessionDate} 09:25"`,
      () =>
        signalsPremarketCommand.run(
          optionsFor(signalsPremarketCommand.schema, { asOf, record: true }),
          demoCtx,
        ),
      (r) => describeSignal(r),
    );
    const regime = await step(
      steps,
      demoCtx,
      'regime early warning',
      `signals regime --as-of "${sessionDate} 09:25"`,
      () =>
        signalsRegimeCommand.run(optionsFor(signalsRegimeCommand.schema, { asOf, record: true }), demoCtx),
      (r) => describeSignal(r),
    );

    const bySymbol = await rowsBySymbol(dataDir);
    const dirArg = kept ? ` --data-dir ${dataDir}` : '';
    return {
      dataDir,
      kept,
      temporary,
      scenario: options.scenario,
      night: { sessionDate, from: night.from.toISOString(), to: night.to.toISOString() },
      simulator: { host: simulator.host, port: simulator.port, seed: options.seed },
      steps,
      collect: {
        rounds: collected.rounds,
        rowsWritten: collected.rowsWritten,
        bySymbol,
        deltaVersion: collected.deltaVersion.last,
      },
      compact: { filesBefore: before?.files.size ?? 0, filesAfter: after?.files.size ?? 0 },
      signals: { premarket: documentOf(premarket), regime: documentOf(regime) },
      nextCommands: kept
        ? [
            `futures status${dirArg}`,
            `futures table scan futures_snapshots${dirArg} --where "symbol = 'ES'" --columns ts,local_symbol,bid,ask,mid --limit 10`,
            `futures table history futures_snapshots${dirArg} --limit 5`,
            `signals premarket${dirArg} --as-of "${sessionDate} 09:25" --no-record`,
            `signals regime${dirArg} --as-of "${sessionDate} 09:25" --no-record --json`,
          ]
        : ['futures demo --keep          # keep the demo lake and try the commands it prints'],
      wallMs: Math.round(performance.now() - wallStarted),
    };
  } finally {
    await simulator.close();
    if (!kept) await rm(dataDir, { recursive: true, force: true });
  }
}

function documentOf(result: unknown): unknown {
  if (typeof result === 'object' && result !== null && 'document' in result) return result.document;
  return result;
}

function describeSignal(result: unknown): string {
  const doc = documentOf(result);
  if (typeof doc !== 'object' || doc === null) return 'done';
  const record = doc as Record<string, unknown>;
  if (typeof record.level === 'string') return `level ${record.level}`;
  const decision = record.decision as Record<string, unknown> | undefined;
  if (decision) return `bias ${String(decision.bias)}, mode ${String(decision.mode)}`;
  return 'done';
}

async function rowsBySymbol(dataDir: string): Promise<Record<string, number>> {
  const { openMemoryConnection } = await import('../delta/index.js');
  const { createLakeView } = await import('../lake/index.js');
  const db = await openMemoryConnection();
  try {
    await createLakeView(db.connection, dataDir, 'futures_snapshots', 'demo_rows');
    const reader = await db.connection.runAndReadAll(
      'SELECT symbol, count(*)::INTEGER AS n FROM demo_rows GROUP BY symbol ORDER BY symbol',
    );
    const out: Record<string, number> = {};
    for (const row of reader.getRowObjectsJS()) out[String(row.symbol)] = Number(row.n);
    return out;
  } finally {
    db.close();
  }
}
