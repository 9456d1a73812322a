/**
 * The lake is the authority for what was collected (issue 21; red-team findings 2, 8, 12, 21, 23): a
 * reset queue writes no (symbol, slot_ts) twice, a lost newest commit is reported and its slots become
 * missed (backfillable), a damaged queue file is exit 4 with the rebuild hint, `futures queue rebuild`
 * recreates it from the lake, and "every IB request timed out" is exit 3.
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { queuePaths } from '../../../src/queue/index.js';
import { type Harness, harness, TUESDAY_10_ET } from '../../app/collect/helpers.js';
import { allRows, checkConsistency, snapshotJobs } from './expect.js';

function duplicates(rows: Awaited<ReturnType<typeof allRows>>): string[] {
  const seen = new Map<string, number>();
  for (const row of rows) {
    const key = `${row.symbol}@${row.slotTs?.toISOString()}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([key]) => key);
}

function logDir(h: Harness): string {
  return join(h.dataDir, 'lake', 'futures_snapshots', '_delta_log');
}

const commitFile = (version: number) => `${String(version).padStart(20, '0')}.json`;

function removeQueue(h: Harness): void {
  const { queueDb } = queuePaths(h.dataDir);
  rmSync(queueDb, { force: true, recursive: true });
  rmSync(`${queueDb}.wal`, { force: true });
}

/** Runs statements on a queue file directly (a hand edit, a bad restore of one table). */
async function editQueue(path: string, ...statements: string[]): Promise<void> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  for (const sql of statements) await connection.run(sql);
  await connection.run('CHECKPOINT');
  connection.closeSync();
  instance.closeSync();
}

describe('the lake is the authority for what was collected', () => {
  it('a reset queue (finding 8) and a restored old queue write no (symbol, slot_ts) twice', async () => {
    const h = await harness(TUESDAY_10_ET);
    expect((await h.run(['collect', '--rounds', '3', '--interval', '60'])).code).toBe(0);
    const first = await allRows(h.dataDir);
    expect(first.length).toBeGreaterThan(12);
    const { queueDb } = queuePaths(h.dataDir);
    const backup = readFileSync(queueDb);

    // The old hint's remedy: move the queue aside. The fresh queue schedules the lookback again.
    removeQueue(h);
    const reset = await h.run(['collect', '--rounds', '2', '--interval', '60', '--json']);
    expect(reset.code).toBe(0);
    const summary = JSON.parse(reset.stdout);
    expect(summary.slots.alreadyStored).toBeGreaterThan(0);
    expect(summary.rowsWritten).toBe(summary.slots.done - summary.slots.alreadyStored);
    const afterReset = await allRows(h.dataDir);
    expect(duplicates(afterReset)).toEqual([]);

    // A backup of the queue from before those rounds.
    removeQueue(h);
    writeFileSync(queueDb, backup);
    h.clock.advance(60_000);
    const restored = await h.run(['collect', '--rounds', '2', '--interval', '60', '--json']);
    expect(restored.code).toBe(0);
    expect(JSON.parse(restored.stdout).slots.alreadyStored).toBeGreaterThan(0);
    expect(duplicates(await allRows(h.dataDir))).toEqual([]);
  }, 180_000);

  it('a lost newest commit (finding 2): status exits 4, the collector makes its slots missed, backfill fills them', async () => {
    const h = await harness(TUESDAY_10_ET, { config: { lake: { checkpointInterval: 3 } } });
    expect((await h.run(['collect', '--rounds', '3', '--interval', '60'])).code).toBe(0);
    const before = await allRows(h.dataDir);
    // Version 3 is the third round's commit and carries a checkpoint: lose both; _last_checkpoint stays.
    const dir = logDir(h);
    expect(existsSync(join(dir, commitFile(3)))).toBe(true);
    rmSync(join(dir, commitFile(3)));
    for (const name of readdirSync(dir))
      if (name.startsWith('00000000000000000003.checkpoint')) rmSync(join(dir, name));
    const lostRows = before.length - (await allRows(h.dataDir)).length;
    expect(lostRows).toBeGreaterThan(0);

    const status = await h.run(['status', '--json']);
    expect(status.code).toBe(4);
    const report = JSON.parse(status.stdout);
    expect(report.lake).toMatchObject({ committedRound: 2, lostSlots: lostRows, lostRounds: [3] });
    expect(report.lake.checkpointAhead).toEqual({ hint: 3, latest: 2 });
    expect(report.lake.problem).toMatch(/lost acknowledged commits/);
    const human = await h.run(['status']);
    expect(human.code).toBe(4);
    expect(human.stdout).toMatch(/^status\tproblem\t.*round\(s\) 3 are done in the queue but have no row/m);
    expect(human.stderr).toMatch(/^futures status: PROBLEM: .*round\(s\) 3 are done in the queue/);

    // The next round commits version 3 again (with its checkpoint), so _last_checkpoint is true again.
    h.clock.advance(60_000);
    const collect = await h.run(['collect', '--once', '--json']);
    expect(collect.code).toBe(0);
    expect(collect.stderr).toMatch(/the lake lost acknowledged commits.*futures backfill --missed/);
    expect(JSON.parse(collect.stdout).recovery).toMatchObject({ lostSlots: lostRows, lostRounds: [3] });
    const jobs = await snapshotJobs(await h.queue());
    const lost = jobs.filter((j) => j.reason === 'lost-commit');
    expect(lost.length).toBe(lostRows);
    expect(lost.every((j) => j.status === 'missed' && j.roundSeq === 3)).toBe(true);
    expect(checkConsistency(jobs, await allRows(h.dataDir))).toEqual([]);
    const after = await h.run(['status', '--json']);
    expect(after.code, after.stdout).toBe(0);

    const backfill = await h.run(['backfill', '--missed', '--days', '1', '--bar', '1min', '--json']);
    expect(backfill.code).toBe(0);
    expect(JSON.parse(backfill.stdout).missed.filled).toBeGreaterThanOrEqual(lostRows);
    expect(duplicates(await allRows(h.dataDir))).toEqual([]);
  }, 180_000);

  it.each([
    ['garbage', (path: string) => writeFileSync(path, Buffer.alloc(600_000, 0x5a))],
    ['0 bytes', (path: string) => writeFileSync(path, '')],
    ['truncated', (path: string) => writeFileSync(path, readFileSync(path).subarray(0, 20_000))],
    ['a directory', (path: string) => mkdirSync(path)],
    // A sound DuckDB file whose queue layout is damaged: every command said "internal error" (exit 1).
    ['without its jobs table', (path: string) => editQueue(path, 'DROP VIEW all_jobs', 'DROP TABLE jobs')],
    ['without its rounds table', (path: string) => editQueue(path, 'DROP TABLE rounds')],
    ['without its job id sequence', (path: string) => editQueue(path, 'DROP SEQUENCE job_id_seq CASCADE')],
    [
      'with a round number that is not one',
      (path: string) => editQueue(path, "UPDATE meta SET value = 'abc' WHERE key = 'last_round_seq'"),
    ],
    // A link to nothing (a restore that lost the target): collect said "internal error", rebuild too.
    [
      'a link to nothing',
      (path: string) => {
        rmSync(path);
        symlinkSync(join(path, '..', 'gone', 'queue.duckdb'), path);
      },
    ],
  ])(
    'a queue file that is %s (finding 12): exit 4 naming futures queue rebuild; rebuild recreates it from the lake',
    async (_name, damage) => {
      const h = await harness(TUESDAY_10_ET);
      expect((await h.run(['collect', '--rounds', '2', '--interval', '60'])).code).toBe(0);
      const rows = await allRows(h.dataDir);
      const { queueDb } = queuePaths(h.dataDir);
      if (_name === 'a directory') removeQueue(h);
      rmSync(`${queueDb}.wal`, { force: true });
      await damage(queueDb);

      // status reads no queue through a link to nothing (the queue is absent); the writers must refuse.
      const commands = [['status'], ['collect', '--once'], ['backfill', '--missed', '--days', '1']].slice(
        _name === 'a link to nothing' ? 1 : 0,
      );
      for (const args of commands) {
        const run = await h.run(args);
        expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(4);
        expect(run.stderr).toMatch(/queue database .* is damaged/);
        expect(run.stderr).toMatch(/futures queue rebuild/);
        expect(run.stderr).not.toMatch(/internal error/);
      }

      const rebuild = await h.run(['queue', 'rebuild', '--json']);
      expect(rebuild.code, rebuild.stderr).toBe(0);
      const result = JSON.parse(rebuild.stdout);
      expect(result.restoredSlots).toBe(rows.length);
      expect(result.committedRound).toBe(2);
      expect(result.movedAside[0].to).toMatch(/queue\.duckdb\.damaged-\d{8}T\d{6}Z$/);
      expect(lstatSync(result.movedAside[0].to, { throwIfNoEntry: false })).toBeDefined();

      expect((await h.run(['status'])).code).toBe(0);
      // A sound queue is left alone unless forced.
      expect((await h.run(['queue', 'rebuild'])).code).toBe(2);
      h.clock.advance(60_000);
      const collect = await h.run(['collect', '--once', '--json']);
      expect(collect.code).toBe(0);
      expect(JSON.parse(collect.stdout).slots.alreadyStored).toBe(0);
      const jobs = await snapshotJobs(await h.queue());
      expect(duplicates(await allRows(h.dataDir))).toEqual([]);
      expect(
        checkConsistency(jobs, await allRows(h.dataDir)).filter((p) => !/without a Delta version/.test(p)),
      ).toEqual([]);
    },
    180_000,
  );

  it('collect where every snapshot timed out exits 3 with one error line (finding 21)', async () => {
    const h = await harness(TUESDAY_10_ET, {
      config: { ib: { snapshotTimeoutMs: 300 }, collect: { firstRunLookbackSeconds: 0 } },
      faults: [{ type: 'slow', delayMs: 3_000, requests: ['marketData'] }],
    });
    const run = await h.run(['collect', '--once', '--json']);
    expect(run.code).toBe(3);
    expect(run.stderr.split('\n').filter((l) => /^(error|futures collect):/.test(l))).toHaveLength(1);
    expect(run.stderr).toMatch(/futures collect: no snapshot was answered/);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ rowsWritten: 0, upstreamSilent: true });
  }, 60_000);

  it('backfill where every historical request timed out exits 3 (finding 21)', async () => {
    const h = await harness(TUESDAY_10_ET, {
      config: { ib: { requestTimeoutMs: 300 } },
      faults: [{ type: 'slow', delayMs: 3_000, requests: ['historical'] }],
    });
    const run = await h.run(['backfill', '--symbols', 'ES', '--days', '2', '--bar', '1day', '--json']);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/futures backfill: no historical request was answered/);
    expect(JSON.parse(run.stdout)).toMatchObject({ upstreamSilent: true, bars: { written: 0 } });
  }, 60_000);

  it('backfill that IB keeps refusing for pacing stops at the first job, exit 3 (finding 21: back-offs grew to 240 s a try with no end)', async () => {
    const h = await harness(TUESDAY_10_ET, {
      config: { ib: { maxPacingRetries: 1 } },
      faults: [{ type: 'pacingViolation', onHistoricalRequest: 1, every: 1 }],
    });
    const run = await h.run(['backfill', '--symbols', 'ES,NQ,RTY', '--days', '2', '--bar', '1day', '--json']);
    expect(run.code, run.stderr).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ schema: 'error/v1', error: { exitCode: 3 } });
    expect(run.stderr).toMatch(/for pacing \(162\) after 2 attempts/);
    // One job, tried twice; the other symbols' jobs were not started and stay queued for the next run.
    expect(h.sim.stats().historicalRequests).toBe(2);
  }, 60_000);

  it('--until in the past is a usage error (finding 23)', async () => {
    const h = await harness(TUESDAY_10_ET);
    const run = await h.run(['collect', '--until', '2020-01-01T00:00:00Z']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--until .* is not in the future/);
    expect(h.sim.stats().connectionsAccepted).toBe(0);
  });

  it('a garbage collect lock is replaced with a warning, not exit 5 forever (finding 23)', async () => {
    const h = await harness(TUESDAY_10_ET, { config: { collect: { firstRunLookbackSeconds: 0 } } });
    mkdirSync(join(h.dataDir, 'state'), { recursive: true });
    writeFileSync(join(h.dataDir, 'state', 'collect.lock'), '');
    const run = await h.run(['collect', '--once']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/warning: .*collect\.lock held 0 bytes that are not a lock; replaced it/);
  });
});
