import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { latestVersion } from '../../../src/delta/log/log.js';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { checkpointOnDemand } from '../../../src/delta/ops/maintenance.js';
import { optimizeTable } from '../../../src/delta/ops/optimize.js';
import { verifyTable } from '../../../src/delta/ops/verify.js';
import { createTable } from '../../../src/delta/write/create.js';
import { startChild } from '../../helpers/processes.js';
import { useMemoryDuckDb } from '../shared-duckdb.js';
import {
  APPEND_CHILD,
  assertDistBuilt,
  fullScan,
  makeTempDir,
  removeTempDirs,
  TICK_SCHEMA,
} from './helpers.js';

beforeAll(assertDistBuilt);
const duck = useMemoryDuckDb();
afterAll(removeTempDirs);

const WRITERS = 2;
const COMMITS_PER_WRITER = 110;

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test(`OPTIMIZE running while ${WRITERS} processes append ${WRITERS * COMMITS_PER_WRITER} commits: no append fails, no row lost or duplicated`, async () => {
  const table = path.join(makeTempDir(), 'ticks');
  await createTable(table, { schema: TICK_SCHEMA, partitionColumns: ['trade_date'] });
  // Both writers append to the same partition, the one being compacted.
  const children = Array.from({ length: WRITERS }, (_, w) =>
    startChild(APPEND_CHILD, [table, `writer-${w}`, COMMITS_PER_WRITER, '2026-03-02']),
  );
  const running = children.map((c) => c.exited);
  let done = false;
  void Promise.all(running).then(() => {
    done = true;
  });

  let optimizeCommits = 0;
  let rebasedCommits = 0;
  let lastVersion = 0;
  while (!done) {
    // Run again only after the appenders added commits (a condition, not a sleep).
    await waitFor(async () => done || (await latestVersion(table)) >= lastVersion + 8, 'new appends');
    if (done) break;
    const metrics = await optimizeTable(table, { connection: duck.connection });
    if (metrics.version !== undefined) {
      optimizeCommits++;
      if (metrics.attempts > 1) rebasedCommits++;
      lastVersion = metrics.version;
    }
    await checkpointOnDemand(table, { connection: duck.connection });
  }
  const exits = await Promise.all(running);
  for (const [i, exit] of exits.entries()) {
    expect(exit, children[i]?.stderr.join('')).toEqual({ code: 0, signal: null });
    const acks = children[i]?.lines.filter((l) => l.startsWith('ack ')) ?? [];
    expect(acks).toHaveLength(COMMITS_PER_WRITER);
    expect(acks.every((l) => l.endsWith(' false'))).toBe(true); // none skipped: each landed exactly once
  }
  // At least one rewrite landed while the appenders were running.
  expect(optimizeCommits).toBeGreaterThanOrEqual(1);

  const check = async () => {
    const rows = await fullScan(table, undefined, duck);
    expect(rows).toHaveLength(WRITERS * COMMITS_PER_WRITER * 4);
    const keys = new Set(rows.map((r) => `${r.writer}/${r.seq}/${r.symbol}`));
    expect(keys.size).toBe(rows.length);
    for (let w = 0; w < WRITERS; w++) {
      for (let b = 0; b < COMMITS_PER_WRITER; b++) expect(keys.has(`writer-${w}/${b}/ES`)).toBe(true);
    }
    expect((await verifyTable(table, { connection: duck.connection })).problems).toEqual([]);
  };
  await check();
  await optimizeTable(table, { connection: duck.connection });
  expect((await loadSnapshot(table)).files.size).toBe(1);
  await check();
  console.info(
    `concurrency: ${WRITERS * COMMITS_PER_WRITER} appends, ${optimizeCommits} concurrent OPTIMIZE commits (${rebasedCommits} rebased past appends)`,
  );
}, 300_000);
