import { openMemoryConnection } from '../../../src/delta/index.js';
import { readSnapshots, type SnapshotRecord } from '../../../src/lake/index.js';
import { cmeStatusAt, defaultCalendar } from '../../../src/market/index.js';
import type { Job, Queue } from '../../../src/queue/index.js';

/** What the calendar says about every grid point in [from, to]: 'open' or the closed reason. */
export function expectedSlots(from: Date, to: Date, intervalSeconds: number): Map<number, string> {
  const out = new Map<number, string>();
  const step = intervalSeconds * 1000;
  for (let t = Math.ceil(from.getTime() / step) * step; t <= to.getTime(); t += step) {
    const status = cmeStatusAt(new Date(t), defaultCalendar());
    out.set(t, status.open ? 'open' : status.reason);
  }
  return out;
}

export async function allRows(dataDir: string): Promise<SnapshotRecord[]> {
  const duck = await openMemoryConnection();
  try {
    return (await readSnapshots(duck.connection, dataDir, {})).records;
  } finally {
    duck.close();
  }
}

export async function snapshotJobs(queue: Queue): Promise<Job[]> {
  return queue.listJobs({ kind: 'snapshot' });
}

/** Invariants after any sequence of runs: one row per done slot, no row for any other slot, no duplicates. */
export function checkConsistency(jobs: readonly Job[], rows: readonly SnapshotRecord[]): string[] {
  const problems: string[] = [];
  const rowsBySlot = new Map<string, number>();
  for (const row of rows) {
    const key = `${row.symbol}@${row.slotTs?.toISOString()}`;
    rowsBySlot.set(key, (rowsBySlot.get(key) ?? 0) + 1);
  }
  for (const [key, n] of rowsBySlot) if (n > 1) problems.push(`duplicate rows for ${key}: ${n}`);
  const jobByKey = new Map(jobs.map((j) => [`${j.symbol}@${j.slotTs.toISOString()}`, j]));
  for (const key of rowsBySlot.keys()) {
    const job = jobByKey.get(key);
    if (!job) problems.push(`row without a queued slot: ${key}`);
    else if (job.status !== 'done') problems.push(`row for a ${job.status} slot: ${key}`);
  }
  for (const job of jobs) {
    const key = `${job.symbol}@${job.slotTs.toISOString()}`;
    if (job.status === 'done' && !rowsBySlot.has(key)) problems.push(`done slot without a row: ${key}`);
    if (job.status === 'done' && job.deltaVersion === null)
      problems.push(`done slot without a Delta version: ${key}`);
  }
  return problems;
}
