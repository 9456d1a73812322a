import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { openQueue, queuePaths } from '../../../src/queue/index.js';
import { loadScenario, startSimulator } from '../../../src/sim/index.js';
import {
  COLLECT_PATHS,
  type CollectPath,
  onCleanup,
  tempDir,
  testConfig,
} from '../../app/collect/helpers.js';
import { lcg } from '../../helpers/random.js';
import { allRows, checkConsistency } from './expect.js';

/**
 * SIGKILL at random points of a round, then a rerun. Children run the BUILT CLI (dist/, build it first:
 * `npx tsc -p tsconfig.build.json --noEmitOnError false`) with a manual clock, on each path of the
 * collector's loop (waiting for the next slot, or catching up with the commit overlapping the next round);
 * half of the trials kill at an injected step, half at a random delay after a random round started (of
 * RANDOM_ROUNDS, never one of the last two, so the kill lands however fast rounds run). Two chains run
 * side by side, each on its own data dir, against one simulator.
 */
const CHILD = fileURLToPath(new URL('./fixtures/collect-child.mjs', import.meta.url));
const STEPS = [
  'claimed',
  'snapshots',
  'round-begun',
  'round:end',
  'delta-committed',
  'round-finished',
] as const;
const T0 = Date.parse('2026-09-01T14:00:00Z');
const TRIALS_PER_CHAIN = 15;
const ROUNDS = 2;
const RANDOM_ROUNDS = 8;
const STEP_MS = RANDOM_ROUNDS * 60_000 + 60_000;

interface Trial {
  how: string;
  code: number | null;
  killed: boolean;
}

async function chain(
  host: string,
  port: number,
  seed: number,
  path: CollectPath,
): Promise<{ dataDir: string; trials: Trial[] }> {
  const env = { COLLECT_PATH: path };
  const dir = tempDir('fs-kill-');
  writeFileSync(
    join(dir, 'futures.config.json'),
    JSON.stringify(testConfig({ collect: { symbols: ['ES', 'NQ'], firstRunLookbackSeconds: 0 } })),
  );
  const dataDir = join(dir, 'data');
  const random = lcg(seed);
  const trials: Trial[] = [];
  for (let i = 0; i < TRIALS_PER_CHAIN; i += 1) {
    const start = new Date(T0 + i * STEP_MS).toISOString();
    const injected = i % 2 === 0;
    const step = STEPS[(i / 2) % STEPS.length] ?? 'claimed';
    const round = String(1 + (i % ROUNDS));
    const args = [CHILD, dataDir, dir, host, String(port), start, String(injected ? ROUNDS : RANDOM_ROUNDS)];
    if (injected) args.push(step, round);
    const child = execa(process.execPath, args, { reject: false, timeout: 60_000, env });
    let how = injected ? `step ${step} of round ${round}` : '';
    if (!injected) {
      const delay = Math.floor(random() * 40);
      const at = 1 + Math.floor(random() * (RANDOM_ROUNDS - 2));
      how = `${delay} ms after round ${at} started`;
      let armed = false;
      child.stderr?.on('data', (chunk: Buffer) => {
        if (!armed && chunk.toString().includes(`step round:start ${at}\n`)) {
          armed = true;
          setTimeout(() => child.kill('SIGKILL'), delay);
        }
      });
    }
    const result = await child;
    trials.push({ how, code: result.exitCode ?? null, killed: result.signal === 'SIGKILL' });
    if (!result.signal && result.exitCode !== 0) {
      throw new Error(`trial ${i} (${how}) exited ${result.exitCode}: ${String(result.stderr)}`);
    }
  }
  // The clean rerun: recovers whatever the last kill left.
  const final = await execa(
    process.execPath,
    [CHILD, dataDir, dir, host, String(port), new Date(T0 + TRIALS_PER_CHAIN * STEP_MS).toISOString(), '1'],
    { reject: false, timeout: 60_000, env },
  );
  if (final.exitCode !== 0) throw new Error(`final run exited ${final.exitCode}: ${String(final.stderr)}`);
  return { dataDir, trials };
}

describe.each(COLLECT_PATHS)('collect, %s path, survives SIGKILL anywhere in a round', (path) => {
  it(`${2 * TRIALS_PER_CHAIN} kills, then a rerun: no slot lost, no duplicate row, queue consistent with the lake`, async () => {
    const sim = await startSimulator({
      port: 0,
      seed: 7,
      now: () => new Date(T0),
      scenario: loadScenario({}),
      snapshotEndDelayMs: 5,
      streamIntervalMs: 0,
    });
    onCleanup(() => sim.close());
    const chains = await Promise.all([
      chain(sim.host, sim.port, 11, path),
      chain(sim.host, sim.port, 29, path),
    ]);
    for (const { dataDir, trials } of chains) {
      expect(trials.filter((t) => t.killed).length).toBeGreaterThanOrEqual(TRIALS_PER_CHAIN - 3);
      const queue = await openQueue({
        path: queuePaths(dataDir).queueDb,
        policy: { maxLatenessSeconds: 300, maxAttempts: 5, retryBaseSeconds: 5, retryMaxSeconds: 300 },
      });
      onCleanup(() => queue.close());
      const jobs = await queue.listJobs({ kind: 'snapshot' });
      const rows = await allRows(dataDir);
      expect(checkConsistency(jobs, rows)).toEqual([]);
      expect(await queue.pendingRounds()).toEqual([]);
      expect(jobs.filter((j) => j.status === 'running')).toEqual([]);
      // No slot lost: every grid minute from the first slot to the last run is queued for both symbols,
      // and each is done, or missed (too late after a kill), or still pending within the lateness window.
      const last = T0 + TRIALS_PER_CHAIN * STEP_MS;
      for (const symbol of ['ES', 'NQ']) {
        const mine = new Map(jobs.filter((j) => j.symbol === symbol).map((j) => [j.slotTs.getTime(), j]));
        for (let t = T0; t <= last; t += 60_000) {
          const job = mine.get(t);
          expect(job, `${symbol} ${new Date(t).toISOString()}`).toBeDefined();
          expect(['done', 'missed', 'pending', 'failed']).toContain(job?.status);
          if (job?.status === 'pending') expect(last - t).toBeLessThanOrEqual(300_000);
        }
      }
      const done = jobs.filter((j) => j.status === 'done').length;
      expect(rows.length).toBe(done);
      expect(done).toBeGreaterThanOrEqual(TRIALS_PER_CHAIN);
    }
  }, 240_000);

  it('SIGTERM during --loop finishes the round, releases the lock and exits 0', async () => {
    const sim = await startSimulator({
      port: 0,
      seed: 7,
      now: () => new Date(T0),
      scenario: loadScenario({}),
      snapshotEndDelayMs: 5,
      streamIntervalMs: 0,
    });
    onCleanup(() => sim.close());
    const dir = tempDir('fs-term-');
    writeFileSync(
      join(dir, 'futures.config.json'),
      JSON.stringify(testConfig({ collect: { symbols: ['ES'] } })),
    );
    const dataDir = join(dir, 'data');
    const child = execa(
      process.execPath,
      [CHILD, dataDir, dir, sim.host, String(sim.port), new Date(T0).toISOString(), 'loop'],
      { reject: false, timeout: 60_000, env: { PAUSE_AT: 'claimed:3', COLLECT_PATH: path } },
    );
    let sent = false;
    child.stderr?.on('data', (chunk: Buffer) => {
      // SIGTERM arrives inside round 3 (the child waits for it there): that round still completes.
      if (!sent && chunk.toString().includes('step claimed 3')) {
        sent = true;
        child.kill('SIGTERM');
      }
    });
    const result = await child;
    expect(result.exitCode).toBe(0);
    const summary = JSON.parse(String(result.stdout));
    expect(summary).toMatchObject({ stopReason: 'signal', rounds: 3 });
    expect(String(result.stderr)).toMatch(/step round-finished 3/);
    expect(existsSync(join(dataDir, 'state', 'collect.lock'))).toBe(false);
  }, 120_000);
});
