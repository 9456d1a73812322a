import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { acquireLock, findGaps, type NewJob, queuePaths, readQueueStatus } from '../../src/queue/index.js';
import { at, plus, tempDataDir, tempQueue } from './helpers.js';

const NOW = at('2025-01-06T15:00:30Z');
const base = {
  now: NOW,
  symbols: ['ES', 'NQ'],
  intervalSeconds: 60,
  maxLatenessSeconds: 300,
  windowSeconds: 3600,
};

describe('readQueueStatus', () => {
  it('reports an absent queue without creating it', async () => {
    const dataDir = tempDataDir();
    const status = await readQueueStatus({ ...base, dataDir });
    expect(status).toMatchObject({
      exists: false,
      neverScheduled: ['ES', 'NQ'],
      gaps: [],
      collectorLock: null,
    });
    expect(status.counts.total).toBe(0);
    expect(existsSync(queuePaths(dataDir).queueDb)).toBe(false);
  });

  it('counts, last done slot per symbol, open rounds, the lock holder, and exactly the slots without data', async () => {
    const { queue, dataDir } = await tempQueue();
    // ES: 14:00–14:55 on the grid. 14:00–14:09 done, 14:10–14:19 skipped (halt: no gap),
    // 14:20–14:24 no rows, 14:25–14:29 missed, 14:30–14:34 still pending (overdue: nobody collects),
    // 14:35–14:55 done. NQ: only 14:50–14:55 (starts late: nothing before counts).
    const minute = (m: number) => plus(at('2025-01-06T14:00:00Z'), m * 60);
    // An unresolved round from a crashed collector (claimed first: a claim also marks late slots missed).
    await queue.insertJobs([{ kind: 'snapshot', symbol: 'NQ', slotTs: minute(58), status: 'pending' }], {
      now: NOW,
    });
    const claimed = await queue.claimDue({ owner: 'crashed', now: NOW, leaseSeconds: 30, limit: 1 });
    await queue.beginRound({ owner: 'crashed', slotIds: claimed.map((j) => j.id), now: NOW });
    const jobs: NewJob[] = [];
    const done: number[] = [];
    for (let m = 0; m <= 55; m++) {
      if (m >= 20 && m < 25) continue;
      const status = m >= 10 && m < 20 ? 'skipped' : m >= 25 && m < 30 ? 'missed' : 'pending';
      jobs.push({
        kind: 'snapshot',
        symbol: 'ES',
        slotTs: minute(m),
        status,
        reason: status === 'skipped' ? 'halt' : null,
      });
      if (status === 'pending' && !(m >= 30 && m < 35)) done.push(m);
    }
    for (let m = 50; m <= 55; m++)
      jobs.push({ kind: 'snapshot', symbol: 'NQ', slotTs: minute(m), status: 'pending' });
    await queue.insertJobs(jobs, { now: minute(0) });
    const all = await queue.listJobs();
    const doneIds = all
      .filter(
        (j) =>
          j.status === 'pending' &&
          (j.symbol === 'NQ' || done.includes((j.slotTs.getTime() - minute(0).getTime()) / 60_000)),
      )
      .map((j) => j.id);
    await queue.complete(doneIds, { now: NOW, deltaVersion: 12 });
    const lock = await acquireLock(queuePaths(dataDir).stateDir, 'collect', {
      now: NOW,
      command: 'futures collect --loop',
      releaseOnExit: false,
    });

    const status = await readQueueStatus({ ...base, dataDir });
    await lock.release();
    expect(status.exists).toBe(true);
    expect(status.window).toEqual({ from: at('2025-01-06T14:01:00Z'), to: at('2025-01-06T14:55:00Z') });
    expect(status.counts.byStatus).toEqual({
      pending: 5,
      running: 1,
      done: 37,
      skipped: 10,
      failed: 0,
      missed: 5,
    });
    expect(status.lastDone).toEqual([
      { symbol: 'ES', slotTs: minute(55), deltaVersion: 12 },
      { symbol: 'NQ', slotTs: minute(55), deltaVersion: 12 },
    ]);
    expect(status.openRounds).toHaveLength(1);
    expect(status.collectorLock).toMatchObject({
      pid: process.pid,
      state: 'alive',
      command: 'futures collect --loop',
    });
    expect(status.neverScheduled).toEqual([]);
    const gap = { symbol: 'ES', reason: null, code: null };
    expect(status.gaps).toEqual([
      { ...gap, kind: 'no_row', cause: 'no_row', from: minute(20), to: minute(24), slots: 5 },
      { ...gap, kind: 'missed', cause: 'missed', from: minute(25), to: minute(29), slots: 5 },
      { ...gap, kind: 'overdue', cause: 'overdue', from: minute(30), to: minute(34), slots: 5 },
    ]);
  });
});

describe('findGaps', () => {
  it('treats a running slot with an expired lease as overdue and a live one as in progress', () => {
    const t = at('2025-01-06T14:00:00Z');
    const gaps = findGaps({
      symbols: ['ES'],
      firstBySymbol: new Map([['ES', t]]),
      rows: [
        { symbol: 'ES', slotTs: t, status: 'running', leaseExpires: plus(t, 30) },
        { symbol: 'ES', slotTs: plus(t, 60), status: 'running', leaseExpires: plus(t, 3600) },
      ],
      from: t,
      to: plus(t, 60),
      intervalSeconds: 60,
      now: plus(t, 600),
    });
    expect(gaps).toEqual([
      { symbol: 'ES', kind: 'overdue', cause: 'overdue', from: t, to: t, slots: 1, reason: null, code: null },
    ]);
  });

  it('reports nothing before a symbol’s first slot', () => {
    const t = at('2025-01-06T14:00:00Z');
    const gaps = findGaps({
      symbols: ['ES'],
      firstBySymbol: new Map([['ES', plus(t, 120)]]),
      rows: [{ symbol: 'ES', slotTs: plus(t, 120), status: 'done', leaseExpires: null }],
      from: t,
      to: plus(t, 240),
      intervalSeconds: 60,
      now: plus(t, 600),
    });
    expect(gaps).toEqual([
      {
        symbol: 'ES',
        kind: 'no_row',
        cause: 'no_row',
        from: plus(t, 180),
        to: plus(t, 240),
        slots: 2,
        reason: null,
        code: null,
      },
    ]);
  });

  it('splits runs where the cause changes and keeps the first slot’s reason and IB code', () => {
    const t = at('2025-01-06T14:00:00Z');
    const missed = (m: number, code: number | null, reason: string) => ({
      symbol: 'ES',
      slotTs: plus(t, m * 60),
      status: 'missed' as const,
      leaseExpires: null,
      reason,
      ibErrorCode: code,
      ibErrorMessage: code === null ? null : reason,
    });
    const gaps = findGaps({
      symbols: ['ES'],
      firstBySymbol: new Map([['ES', t]]),
      rows: [
        missed(0, 1100, 'interrupted'),
        missed(1, 1100, 'interrupted again'),
        missed(2, 502, 'refused'),
        { symbol: 'ES', slotTs: plus(t, 180), status: 'failed', leaseExpires: null, reason: 'no definition' },
      ],
      from: t,
      to: plus(t, 180),
      intervalSeconds: 60,
      now: plus(t, 600),
      causeOf: ({ kind, row }) =>
        row?.ibErrorCode === 502 ? 'gateway' : kind === 'failed' ? 'refused' : 'ib',
    });
    expect(gaps.map((g) => [g.cause, g.kind, g.slots, g.code, g.reason])).toEqual([
      ['ib', 'missed', 2, 1100, 'interrupted'],
      ['gateway', 'missed', 1, 502, 'refused'],
      ['refused', 'failed', 1, null, 'no definition'],
    ]);
  });
});
