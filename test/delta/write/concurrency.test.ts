import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { createTable } from '../../../src/delta/write/create.js';
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
afterAll(removeTempDirs);

test('4 processes appending concurrently, 50 commits each: every row exactly once, versions contiguous', async () => {
  const table = path.join(makeTempDir(), 'concurrent');
  await createTable(table, { schema: childSchema, partitionColumns: ['day'] });
  const writers = ['w0', 'w1', 'w2', 'w3'];
  const commits = 50;
  const rowsPerBatch = 2;
  const runs = writers.map((w) => startAppendChild([table, w, 0, commits, rowsPerBatch]));
  const exits = await Promise.all(runs.map((r) => r.exited));
  for (const [i, exit] of exits.entries()) {
    expect(exit, `writer ${writers[i]} stderr: ${runs[i]?.stderr.join('')}`).toEqual({
      code: 0,
      signal: null,
    });
  }
  for (const run of runs) {
    expect(run.acks.map((a) => a.batch)).toEqual(Array.from({ length: commits }, (_, i) => i));
    expect(run.acks.every((a) => !a.skipped)).toBe(true);
  }
  const total = writers.length * commits;
  const log = readLog(table);
  expect([...log.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: total + 1 }, (_, i) => i));
  const ackedVersions = runs.flatMap((r) => r.acks.map((a) => a.version)).sort((a, b) => a - b);
  expect(ackedVersions).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  for (let v = 1; v <= total; v++) {
    expect((log.get(v) ?? []).filter((a) => 'txn' in a)).toHaveLength(1);
  }
  const snapshot = await loadSnapshot(table);
  expect(snapshot.version).toBe(total);
  expect(snapshot.checkpointVersion).toBe(total - (total % 10));
  for (const w of writers) expect(snapshot.txns.get(w)?.version).toBe(commits - 1);
  const rows = await readBySecondPath(table);
  expect(rows).toHaveLength(total * rowsPerBatch);
  const keys = new Set(rows.map((r) => `${r.writer}/${r.batch}/${r.i}`));
  expect(keys.size).toBe(total * rowsPerBatch);
  const retried = runs.flatMap((r) => r.acks).filter((a) => a.attempts > 1).length;
  const maxAttempts = Math.max(...runs.flatMap((r) => r.acks.map((a) => a.attempts)));
  console.log(
    `concurrency: ${total} commits by ${writers.length} processes, ${retried} retried, max attempts ${maxAttempts}`,
  );
}, 120_000);
