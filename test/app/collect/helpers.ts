import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { type CollectHooks, oneSlotBehind } from '../../../src/app/collect/hooks.js';
import { type ManualClock, manualClock } from '../../../src/core/clock.js';
import { parseDuration } from '../../../src/core/duration.js';
import type { IbFactory } from '../../../src/ibkr/index.js';
import { runFutures } from '../../../src/main.js';
import { openQueue, type Queue, queuePaths } from '../../../src/queue/index.js';
import { loadScenario, type Simulator, startSimulator } from '../../../src/sim/index.js';
import { type TestCtx, testCtx } from '../../helpers/ctx.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

/** A temp directory (config file + data dir) removed after the test. */
export function tempDir(prefix = 'fs-collect-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Generous IB timeouts (the machine is shared) and a fast reconnect back-off. */
export function testConfig(overrides: { ib?: object; collect?: object; lake?: object } = {}): object {
  return {
    ib: {
      host: 'unused.invalid',
      port: 1,
      clientIdRange: [101, 110],
      connectTimeoutMs: 15_000,
      requestTimeoutMs: 15_000,
      snapshotTimeoutMs: 15_000,
      heartbeatIntervalMs: 600_000,
      heartbeatTimeoutMs: 5_000,
      reconnectBaseMs: 20,
      reconnectMaxMs: 200,
      farmWaitMs: 2_000,
      ...overrides.ib,
    },
    collect: { waitSeconds: 0, ...overrides.collect },
    lake: { checkpointInterval: 10, ...overrides.lake },
  };
}

/**
 * The two paths of the collector's loop, run with the same manual clock. 'wall': the collector sleeps
 * until the next slot between rounds, exactly as on the wall clock (the manual clock's sleep only costs
 * no time). 'catching-up': the clock is kept one slot behind (oneSlotBehind), so the next slot is due
 * when a round ends and the next round starts at once, overlapping the Delta commit.
 */
export type CollectPath = 'wall' | 'catching-up';
export const COLLECT_PATHS: readonly CollectPath[] = ['wall', 'catching-up'];

export interface Harness {
  dir: string;
  dataDir: string;
  clock: ManualClock;
  sim: Simulator;
  factory: IbFactory;
  /** Runs `futures <args> --data-dir <dataDir>` in-process with the manual clock and the simulator. */
  run(
    args: readonly string[],
    options?: { hooks?: CollectHooks; signal?: AbortSignal; factory?: IbFactory; tty?: boolean },
  ): Promise<{ code: number; stdout: string; stderr: string; ctx: TestCtx }>;
  queue(): Promise<Queue>;
}

/** The slot interval of a `futures collect` command line (its --interval, else the config's). */
function intervalSecondsOf(args: readonly string[], config: Parameters<typeof testConfig>[0]): number {
  const flag = args.indexOf('--interval');
  const text = flag >= 0 ? args[flag + 1] : undefined;
  const ms = text === undefined ? undefined : parseDuration(text, { bare: 'seconds' });
  if (ms !== undefined) return ms / 1000;
  const configured: unknown = (config?.collect as { intervalSeconds?: unknown } | undefined)?.intervalSeconds;
  return typeof configured === 'number' ? configured : 60;
}

/** A simulator and a collector sharing one manual clock that starts at `start`. */
export async function harness(
  start: Date,
  options: {
    faults?: unknown[];
    config?: Parameters<typeof testConfig>[0];
    snapshotEndDelayMs?: number;
    /** The collector loop's path (default 'wall'). */
    path?: CollectPath;
  } = {},
): Promise<Harness> {
  const dir = tempDir();
  const dataDir = join(dir, 'data');
  writeFileSync(join(dir, 'futures.config.json'), JSON.stringify(testConfig(options.config)));
  const clock = manualClock(start);
  const sim = await startSimulator({
    port: 0,
    seed: 7,
    now: () => clock.now(),
    scenario: loadScenario({ faults: options.faults ?? [] }),
    snapshotEndDelayMs: options.snapshotEndDelayMs ?? 5,
    streamIntervalMs: 0,
  });
  cleanups.push(() => sim.close());
  const factory: IbFactory = { target: { host: sim.host, port: sim.port } };
  return {
    dir,
    dataDir,
    clock,
    sim,
    factory,
    async run(args, runOptions = {}) {
      const hooks =
        options.path === 'catching-up'
          ? oneSlotBehind(clock, intervalSecondsOf(args, options.config), runOptions.hooks)
          : (runOptions.hooks ?? {});
      const ctx = testCtx({
        clock,
        cwd: dir,
        ib: runOptions.factory ?? factory,
        ibSimulated: true,
        hooks,
        tty: runOptions.tty ?? false,
        ...(runOptions.signal ? { signal: runOptions.signal } : {}),
      });
      const code = await runFutures([...args, '--data-dir', dataDir], ctx);
      return { code, stdout: ctx.stdout.text(), stderr: ctx.stderr.text(), ctx };
    },
    async queue() {
      const queue = await openQueue({
        path: queuePaths(dataDir).queueDb,
        policy: { maxLatenessSeconds: 300, maxAttempts: 5, retryBaseSeconds: 5, retryMaxSeconds: 300 },
      });
      cleanups.push(() => queue.close());
      return queue;
    },
  };
}

/** Tuesday 1 Sep 2026 10:00 New York (RTH); the simulator's price paths are anchored on this day. */
export const TUESDAY_10_ET = new Date('2026-09-01T14:00:00Z');
