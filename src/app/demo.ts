/**
 * The embedded default: the whole system on the built-in IB Gateway simulator, in one process. It runs
 * the use cases (backfill, collect, compact, signals) against a temporary lake, with one manual clock
 * shared by the simulator and the collector. The collector is kept one slot behind that clock
 * (oneSlotBehind), so a night of 1-minute slots runs back to back, as fast as the rounds execute.
 */
import { rm } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import type { Config } from '../config/schema.js';
import { type ManualClock, manualClock } from '../core/clock.js';
import { openMemoryConnection } from '../delta/index.js';
import { createLakeView, FUTURES_SNAPSHOTS, loadLakeSnapshot } from '../lake/index.js';
import { addDays, etParts, previousNyseClose, tradeDateOf } from '../market/index.js';
import { builtinScenario, type Simulator, startSimulator } from '../sim/index.js';
import { type BackfillBarSize, type BackfillSummary, runBackfill } from './backfill.js';
import { runCollect } from './collect/collector.js';
import { oneSlotBehind } from './collect/hooks.js';
import type { CollectSummary } from './collect/summary.js';
import type { RunContext } from './context.js';
import { prepareDemoDir } from './demo/dir.js';
import { demoNight, demoSessionDate } from './demo/night.js';
import { type DemoStep, step } from './demo/progress.js';
import { compactDemoLake, evaluateDemoSignal } from './demo/signals.js';

export const DEMO_SCENARIOS = ['calm', 'selloff', 'gap-up'] as const;
export type DemoScenario = (typeof DEMO_SCENARIOS)[number];

export interface DemoOptions {
  /** The demo's data directory (default ./demo-data); refused when it holds a lake the demo did not build. */
  dir: string | undefined;
  /** A temporary directory instead, removed afterwards unless `keep`. */
  temporary: boolean;
  scenario: DemoScenario;
  keep: boolean;
  /** How the user runs the binaries here (`futures`, `npx futures`, `node …/bin/futures.js`), for the hints. */
  invocation: { futures: string; signals: string };
  /** NYSE session date the night leads into (default: the latest one on or before today, ET). */
  date: string | undefined;
  seed: number;
}

export interface DemoResult {
  dataDir: string;
  kept: boolean;
  temporary: boolean;
  /** An earlier demo's lake in the same directory was cleared first. */
  rebuilt: boolean;
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

/** The demo's world: its lake, the simulator, the night's clock and the run context they share. */
interface DemoWorld {
  dataDir: string;
  night: { from: Date; to: Date };
  clock: ManualClock;
  simulator: Simulator;
  ctx: RunContext;
}

export async function runDemo(options: DemoOptions, ctx: RunContext): Promise<DemoResult> {
  const wallStarted = performance.now();
  const sessionDate = demoSessionDate(ctx.clock.now(), options.date);
  const night = demoNight(sessionDate);
  const { dataDir, temporary, rebuilt } = await prepareDemoDir(
    { dir: options.dir, temporary: options.temporary },
    ctx.cwd,
  );
  const kept = !temporary || options.keep;
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
  const world: DemoWorld = {
    dataDir,
    night,
    clock,
    simulator,
    ctx: {
      ...ctx,
      config: demoConfig(ctx.config, dataDir),
      clock,
      ib: { target: { host: simulator.host, port: simulator.port } },
      ibSimulated: true,
    },
  };
  const steps: DemoStep[] = [];
  try {
    await backfillHistory(world, steps);
    const collected = await collectNight(world, steps, sessionDate);
    const compacted = await compactStep(world, steps);
    const asOf = night.to;
    const premarket = await step(
      steps,
      world.ctx,
      { name: 'pre-market signal', command: `signals premarket --as-of "${sessionDate} 09:25"` },
      () => evaluateDemoSignal(world.ctx, 'premarket', asOf),
      describeSignal,
    );
    const regime = await step(
      steps,
      world.ctx,
      { name: 'regime early warning', command: `signals regime --as-of "${sessionDate} 09:25"` },
      () => evaluateDemoSignal(world.ctx, 'regime', asOf),
      describeSignal,
    );
    return {
      dataDir,
      kept,
      temporary,
      rebuilt,
      scenario: options.scenario,
      night: { sessionDate, from: night.from.toISOString(), to: night.to.toISOString() },
      simulator: { host: simulator.host, port: simulator.port, seed: options.seed },
      steps,
      collect: {
        rounds: collected.rounds,
        rowsWritten: collected.rowsWritten,
        bySymbol: await rowsBySymbol(dataDir),
        deltaVersion: collected.deltaVersion.last,
      },
      compact: compacted,
      signals: { premarket, regime },
      nextCommands: nextCommands(kept ? dataDir : null, sessionDate, options.invocation, ctx.cwd),
      wallMs: Math.round(performance.now() - wallStarted),
    };
  } finally {
    await simulator.close();
    if (!kept) await rm(dataDir, { recursive: true, force: true });
  }
}

function demoConfig(base: Config, dataDir: string): Config {
  const config = structuredClone(base);
  config.dataDir = dataDir;
  // A fresh demo lake has no history to catch up: collect from the first slot of the night.
  config.collect.firstRunLookbackSeconds = 0;
  // Rounds follow each other at once: the collector is kept one slot behind the night's clock.
  config.collect.waitSeconds = 0;
  return config;
}

/**
 * History first, as a trader would bootstrap: daily bars, and the previous session's 1-minute bars (the
 * pre-market reference is that session's 16:00 ET close).
 */
async function backfillHistory(world: DemoWorld, steps: DemoStep[]): Promise<void> {
  const { ctx, clock, night } = world;
  clock.set(night.from);
  const today = tradeDateOf(clock.now(), ctx.calendar);
  const previousSession = previousNyseClose(night.to).date;
  const backfill = (from: string, to: string, barSize: BackfillBarSize) =>
    runBackfill({
      dataDir: ctx.config.dataDir,
      config: ctx.config,
      calendar: ctx.calendar,
      symbols: ctx.config.collect.symbols,
      from,
      to,
      barSizes: [barSize],
      whatToShow: 'TRADES',
      missed: false,
      clock,
      log: ctx.log,
      signal: ctx.signal,
      ib: { factory: ctx.ib, simulated: true },
      source: 'sim',
      command: 'futures backfill',
    });
  await step(
    steps,
    ctx,
    { name: 'backfill daily history', command: 'futures backfill --bar 1day --days 100' },
    () => backfill(addDays(today, -99), today, '1 day'),
    (r: BackfillSummary) => `${r.bars.written} daily bars`,
  );
  await step(
    steps,
    ctx,
    {
      name: 'backfill the previous session',
      command: `futures backfill --bar 1min --from ${previousSession} --to ${previousSession}`,
    },
    () => backfill(previousSession, previousSession, '1 min'),
    (r: BackfillSummary) => `${r.bars.written} one-minute bars`,
  );
}

async function collectNight(
  world: DemoWorld,
  steps: DemoStep[],
  sessionDate: string,
): Promise<CollectSummary> {
  const { ctx, clock } = world;
  const { config } = ctx;
  const total =
    Math.floor(
      (world.night.to.getTime() - world.night.from.getTime()) / 1000 / config.collect.intervalSeconds,
    ) + 1;
  let rounds = 0;
  return step(
    steps,
    ctx,
    { name: 'collect the night', command: `futures collect --until "${sessionDate} 09:25"` },
    (progress) =>
      runCollect({
        dataDir: config.dataDir,
        config,
        calendar: world.ctx.calendar,
        mode: { kind: 'until', until: world.night.to },
        symbols: config.collect.symbols,
        intervalSeconds: config.collect.intervalSeconds,
        clock,
        log: ctx.log,
        signal: ctx.signal,
        ib: { factory: ctx.ib, simulated: true },
        source: 'sim',
        command: 'futures collect',
        hooks: oneSlotBehind(clock, config.collect.intervalSeconds, {
          onRound: () => {
            rounds += 1;
            progress(`${etParts(clock.now()).time} ET · ${rounds}/${total} rounds`);
          },
        }),
      }),
    (r) => `${r.rounds} rounds, ${r.rowsWritten} rows, ${r.slots.skipped} slots skipped`,
  );
}

async function compactStep(world: DemoWorld, steps: DemoStep[]): Promise<DemoResult['compact']> {
  const before = await loadLakeSnapshot(world.dataDir, FUTURES_SNAPSHOTS);
  await step(
    steps,
    world.ctx,
    { name: 'compact the lake', command: 'futures compact' },
    () => compactDemoLake(world.ctx),
    () => 'optimized, checkpointed',
  );
  const after = await loadLakeSnapshot(world.dataDir, FUTURES_SNAPSHOTS);
  return { filesBefore: before?.files.size ?? 0, filesAfter: after?.files.size ?? 0 };
}

function nextCommands(
  keptDir: string | null,
  sessionDate: string,
  run: DemoOptions['invocation'],
  cwd: string,
): string[] {
  if (keptDir === null)
    return [
      `${run.futures} demo          # keeps the demo lake in ./demo-data and prints commands to explore it`,
    ];
  const shown = relative(cwd, keptDir);
  const where = shown === '' ? '.' : shown.startsWith('..') || isAbsolute(shown) ? keptDir : `./${shown}`;
  const dirArg = ` --data-dir ${/[\s'"$]/.test(where) ? `'${where.replaceAll("'", "'\\''")}'` : where}`;
  return [
    `${run.futures} status${dirArg}`,
    `${run.futures} table scan futures_snapshots${dirArg} --where "symbol = 'ES'" --columns ts,local_symbol,bid,ask,mid --tail 10`,
    `${run.futures} table history futures_snapshots${dirArg} --limit 5`,
    `${run.signals} premarket${dirArg} --as-of "${sessionDate} 09:25"`,
    `${run.signals} regime${dirArg} --as-of "${sessionDate} 09:25" --json`,
    `${run.futures} dashboard${dirArg}   # the night, the call and the collection in a browser`,
    `${run.futures} demo --scenario selloff   # a night that crosses the thresholds`,
  ];
}

function describeSignal(doc: unknown): string {
  if (typeof doc !== 'object' || doc === null) return 'done';
  const record = doc as Record<string, unknown>;
  if (typeof record.level === 'string') return `level ${record.level}`;
  const decision = record.decision as Record<string, unknown> | undefined;
  if (decision) return `bias ${String(decision.bias)}, mode ${String(decision.mode)}`;
  return 'done';
}

async function rowsBySymbol(dataDir: string): Promise<Record<string, number>> {
  const db = await openMemoryConnection();
  try {
    await createLakeView(db.connection, dataDir, FUTURES_SNAPSHOTS, 'demo_rows');
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
