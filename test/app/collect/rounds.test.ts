import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RoundStep } from '../../../src/app/collect/round.js';
import type { Queue } from '../../../src/queue/index.js';
import { allRows, checkConsistency, snapshotJobs } from '../../commands/futures-collect/expect.js';
import { COLLECT_PATHS, harness, TUESDAY_10_ET } from './helpers.js';

/**
 * The one-session round (src/app/collect/round.ts): each round's session claims and begins, then finishes
 * the previous round; the last round is finished before the collector exits. On both paths of the loop:
 * waiting for the next slot (the commit landed first), and catching up (the commit overlaps the next
 * round's session).
 */
describe.each(COLLECT_PATHS)('collect rounds, %s path: the finish rides on the next round', (path) => {
  /** `collect --rounds=3` whose hook throws at `step` of round 2. */
  async function failingRun(step: RoundStep) {
    const h = await harness(TUESDAY_10_ET, { path, config: { collect: { firstRunLookbackSeconds: 0 } } });
    let round = 0;
    const run = await h.run(['collect', '--rounds=3', '--json'], {
      hooks: {
        onStep(at) {
          if (at === 'round:start') round += 1;
          if (at === step && round === 2) throw new Error('injected failure');
        },
      },
    });
    expect(run.code).not.toBe(0);
    return h;
  }

  it('while round 2 takes its snapshots, round 1 is finished and round 2 is begun; after the run nothing is open', async () => {
    const h = await harness(TUESDAY_10_ET, { path, config: { collect: { firstRunLookbackSeconds: 0 } } });
    let queue: Queue | null = null;
    let round = 0;
    const seen: Array<{ round: number; open: number[]; done: number; running: number }> = [];
    const steps: string[] = [];
    const run = await h.run(['collect', '--rounds=3', '--json'], {
      hooks: {
        async onStep(step) {
          if (step === 'round:start') round += 1;
          steps.push(`${step} ${round}`);
          if (step !== 'snapshots') return;
          queue ??= await h.queue();
          const jobs = await snapshotJobs(queue);
          seen.push({
            round,
            open: (await queue.pendingRounds()).map((r) => r.roundSeq),
            done: jobs.filter((j) => j.status === 'done').length,
            running: jobs.filter((j) => j.status === 'running').length,
          });
        },
      },
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ rounds: 3, commits: 3, slots: { done: 12 } });
    // Round n's own slots are running in round n; the previous round's are done.
    expect(seen).toEqual([
      { round: 1, open: [1], done: 0, running: 4 },
      { round: 2, open: [2], done: 4, running: 4 },
      { round: 3, open: [3], done: 8, running: 4 },
    ]);
    expect(steps.filter((s) => s.startsWith('round-finished'))).toEqual([
      'round-finished 1',
      'round-finished 2',
      'round-finished 3',
    ]);
    // Round 1's finish is reported before round 2 starts.
    expect(steps.indexOf('round-finished 1')).toBe(steps.indexOf('round:start 2') - 1);
    const q = queue ?? (await h.queue());
    expect(await q.pendingRounds()).toEqual([]);
    const jobs = await snapshotJobs(q);
    expect(jobs.every((j) => j.status === 'done')).toBe(true);
    expect(checkConsistency(jobs, await allRows(h.dataDir))).toEqual([]);
  });

  it('a run that stops on an error after a Delta commit still finishes that round before it exits', async () => {
    const h = await failingRun('delta-committed');
    const queue = await h.queue();
    expect(await queue.pendingRounds()).toEqual([]);
    const jobs = await snapshotJobs(queue);
    expect(jobs.filter((j) => j.status === 'done')).toHaveLength(8);
    expect(checkConsistency(jobs, await allRows(h.dataDir))).toEqual([]);
  });

  it('a run that stops on an error before its Delta commit leaves the round to start-up recovery', async () => {
    const h = await failingRun('claimed');
    const queue = await h.queue();
    const jobs = await snapshotJobs(queue);
    // Round 1 is stored and done (finished inside round 2's session); round 2 is begun, not written.
    expect(jobs.filter((j) => j.status === 'done')).toHaveLength(4);
    expect((await queue.pendingRounds()).map((r) => r.roundSeq)).toEqual([2]);
    queue.close();
    h.clock.advance(60_000);
    const again = await h.run(['collect', '--once', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).recovery.abandonedRounds).toEqual([2]);
    const final = await snapshotJobs(await h.queue());
    expect(checkConsistency(final, await allRows(h.dataDir))).toEqual([]);
    expect(final.filter((j) => j.status === 'running')).toEqual([]);
  });

  it('a Delta commit that fails while the next round claims: that session rolls back, the round is abandoned, nothing is lost', async () => {
    const h = await harness(TUESDAY_10_ET, { path, config: { collect: { firstRunLookbackSeconds: 0 } } });
    const log = join(h.dataDir, 'lake', 'futures_snapshots', '_delta_log');
    let round = 0;
    const steps: string[] = [];
    const run = await h.run(['collect', '--rounds=4', '--json'], {
      hooks: {
        onStep(step) {
          if (step === 'round:start') round += 1;
          steps.push(`${step} ${round}`);
          // Round 2's commit cannot land: its log directory is a file now.
          if (step === 'snapshots' && round === 2) {
            renameSync(log, `${log}.moved`);
            writeFileSync(log, '');
          }
        },
      },
    });
    expect(run.code).not.toBe(0);
    // Round 3 never began (catching up, its session waited for round 2's commit and rolled back its claims).
    expect(steps).not.toContain('round:start 3');
    expect(steps).not.toContain('delta-committed 2');
    rmSync(log);
    renameSync(`${log}.moved`, log);

    const queue = await h.queue();
    expect(await queue.pendingRounds()).toEqual([]);
    expect(await queue.getRound(2)).toMatchObject({
      status: 'abandoned',
      note: expect.stringMatching(/Delta commit failed/),
    });
    expect(await queue.getRound(3)).toBeNull();
    const jobs = await snapshotJobs(queue);
    expect(jobs.filter((j) => j.status === 'done')).toHaveLength(4);
    // Round 2's slots are pending again with the attempt counted; round 3's slots were never queued.
    const pending = jobs.filter((j) => j.status === 'pending');
    expect(pending).toHaveLength(4);
    expect(pending.every((j) => j.attempts === 1)).toBe(true);
    queue.close();

    // The rerun starts at 10:02 on both paths (waiting for its commit, the wall path stopped at 10:01).
    h.clock.set(new Date(TUESDAY_10_ET.getTime() + 2 * 60_000));
    const again = await h.run(['collect', '--rounds=2', '--json']);
    expect(again.code).toBe(0);
    const final = await snapshotJobs(await h.queue());
    // 10:00 (first run), then 10:01's retried slots with 10:02's, then 10:03: every slot stored once.
    expect(final.filter((j) => j.status === 'done')).toHaveLength(16);
    expect(final.filter((j) => j.status !== 'done')).toEqual([]);
    expect(checkConsistency(final, await allRows(h.dataDir))).toEqual([]);
  });
});
