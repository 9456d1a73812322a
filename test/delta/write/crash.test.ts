import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { createTable } from '../../../src/delta/write/create.js';
import { seededRandom } from '../../helpers/random.js';
import { useMemoryDuckDb } from '../shared-duckdb.js';
import {
  assertDistBuilt,
  childSchema,
  makeTempDir,
  readBySecondPath,
  readLog,
  removeTempDirs,
  startAppendChild,
} from './helpers.js';

beforeAll(assertDistBuilt);
const duck = useMemoryDuckDb();
afterAll(removeTempDirs);
const random = seededRandom('writer crash trials');

const TRIALS = 50;
const ROWS_PER_BATCH = 3;

/** Everything a reader can see must be whole: commits parse, checkpoints open, the hint points at one. */
async function assertNothingHalfVisible(
  table: string,
  connection: DuckDBConnection,
  verified: Set<number>,
): Promise<void> {
  const log = readLog(table); // JSON.parse of every line of every commit: throws on a partial commit
  for (const [version, actions] of log) {
    expect(Object.keys(actions[0] ?? {}), `commit ${version}, ${random.replay}`).toEqual(['commitInfo']);
  }
  const logDir = path.join(table, '_delta_log');
  const checkpoints = readdirSync(logDir)
    .map((n) => /^(\d{20})\.checkpoint\.parquet$/.exec(n)?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number);
  for (const version of checkpoints) {
    if (verified.has(version)) continue;
    const snapshot = await loadSnapshot(table, { version, connection });
    expect(snapshot.checkpointVersion, `checkpoint ${version} must be readable, ${random.replay}`).toBe(
      version,
    );
    verified.add(version);
  }
  const hint = readdirSync(logDir).includes('_last_checkpoint')
    ? JSON.parse(readFileSync(path.join(logDir, '_last_checkpoint'), 'utf8'))
    : undefined;
  if (hint) expect(checkpoints, random.replay).toContain(hint.version);
}

interface LaneResult {
  trials: number;
  /** Kills that left a temp file behind, i.e. landed mid-write, mid-commit or mid-checkpoint. */
  leftovers: number;
  killedAfterLink: number;
  acked: number;
  version: number;
}

/** Runs kill trials one after another against one table, checking it after every kill. */
async function runLane(lane: number, trials: number): Promise<LaneResult> {
  const table = path.join(makeTempDir(), `crash-${lane}`);
  await createTable(table, {
    schema: childSchema,
    partitionColumns: ['day'],
    configuration: { 'delta.checkpointInterval': '3' },
  });
  const started = performance.now();
  const acked = new Set<number>();
  const verifiedCheckpoints = new Set<number>();
  let nextBatch = 0;
  let killedAfterLink = 0;
  let leftovers = 0;
  const seenTemps = new Set<string>();
  for (let trial = 0; trial < trials; trial++) {
    // Every third trial the child kills itself right after one of its first commits is linked (before
    // its ack); the others are killed from outside after a random delay.
    const selfKill = trial % 3 === 2;
    const run = startAppendChild([table, 'crash-writer', nextBatch, 10_000, ROWS_PER_BATCH], {
      KILL_AFTER_LINK: selfKill ? String(random.int(1, 5)) : '0',
    });
    if (!selfKill) {
      // Half the kills land anywhere after start-up, half inside the steady append loop (one append,
      // commit and every third checkpoint take tens of milliseconds).
      await Promise.race([trial % 2 === 0 ? run.ready : run.firstAck, run.exited]);
      await new Promise((resolve) => setTimeout(resolve, random.next() * (trial % 2 === 0 ? 400 : 120)));
      run.child.kill('SIGKILL');
    }
    const exit = await run.exited;
    if (process.env.CRASH_DEBUG)
      console.log(
        `lane ${lane} trial ${trial} selfKill=${selfKill} acks=${run.acks.length} ${Math.round(performance.now() - started)} ms`,
      );
    const context = `lane ${lane} trial ${trial}, ${random.replay}`;
    expect(exit.signal, `${context}\n${run.stderr.join('')}`).toBe('SIGKILL');
    if (selfKill) killedAfterLink++;
    for (const ack of run.acks) acked.add(ack.batch);
    // Restart from the first unacknowledged batch: it may have committed (killed after the link)
    // and must then be skipped through its txn, never written twice.
    if (run.acks.length > 0) nextBatch = Math.max(...run.acks.map((a) => a.batch)) + 1;

    const temps = [
      ...readdirSync(path.join(table, '_delta_log')).filter((n) => n.endsWith('.tmp')),
      ...(existsSync(path.join(table, '_staging')) ? readdirSync(path.join(table, '_staging')) : []),
    ];
    if (temps.some((n) => !seenTemps.has(n))) leftovers++;
    for (const n of temps) seenTemps.add(n);
    await assertNothingHalfVisible(table, duck.connection, verifiedCheckpoints);
    const snapshot = await loadSnapshot(table, { connection: duck.connection });
    const rows = await readBySecondPath(table, duck.connection);
    const perBatch = new Map<number, number>();
    for (const row of rows) perBatch.set(Number(row.batch), (perBatch.get(Number(row.batch)) ?? 0) + 1);
    for (const batch of acked)
      expect(perBatch.get(batch), `acknowledged batch ${batch}, ${context}`).toBe(ROWS_PER_BATCH);
    for (const [batch, count] of perBatch)
      expect(count, `batch ${batch} exactly once, ${context}`).toBe(ROWS_PER_BATCH);
    const committed = [...perBatch.keys()].sort((a, b) => a - b);
    expect(committed, context).toEqual(committed.map((_, i) => i)); // no gaps: batches run in order
    expect(snapshot.txns.get('crash-writer')?.version ?? -1, context).toBe(committed.length - 1);
  }
  const version = (await loadSnapshot(table, { connection: duck.connection })).version;
  console.log(
    `crash lane ${lane}: ${trials} trials in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return { trials, leftovers, killedAfterLink, acked: acked.size, version };
}

test(`a writer killed with SIGKILL at random points (${TRIALS} trials) never loses an acknowledged commit or shows half of one`, async () => {
  // Two tables killed in parallel: child start-up (loading DuckDB) dominates each trial.
  const lanes = await Promise.all([runLane(0, TRIALS / 2), runLane(1, TRIALS / 2)]);
  const sum = (k: keyof LaneResult) => lanes.reduce((n, l) => n + l[k], 0);
  expect(sum('trials')).toBe(TRIALS);
  console.log(
    `crash: ${sum('trials')} trials (${sum('killedAfterLink')} killed right after a link, ${sum('leftovers')} left temp files), ${sum('acked')} acknowledged batches, final versions ${lanes.map((l) => l.version).join(', ')}`,
  );
}, 300_000);
