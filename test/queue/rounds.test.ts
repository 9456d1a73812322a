import { existsSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WAL_CHECKPOINT_BYTES } from '../../src/queue/db.js';
import {
  type NewJob,
  openQueue,
  type Queue,
  QueueUsageError,
  resolvePendingRounds,
  scheduleDueSlots,
} from '../../src/queue/index.js';
import { at, fakeMarket, plus, tempQueue } from './helpers.js';

const T0 = at('2025-01-06T14:30:00Z');
const APP_ID = 'futures-collect';

/** Just enough of a Delta table: rows plus the txn map, one version per commit. */
class FakeDelta {
  rows: Array<{ symbol: string; slotTs: string; version: number }> = [];
  txn = new Map<string, number>();
  version = -1;
  commit(rows: Array<{ symbol: string; slotTs: string }>, txn: { appId: string; version: number }): number {
    const seen = this.txn.get(txn.appId);
    if (seen !== undefined && seen >= txn.version) throw new Error(`txn ${txn.version} already committed`);
    this.version += 1;
    for (const row of rows) this.rows.push({ ...row, version: this.version });
    this.txn.set(txn.appId, txn.version);
    return this.version;
  }
  committedThrough(): number | null {
    return this.txn.get(APP_ID) ?? null;
  }
}

class Crash extends Error {}
type CrashPoint = 'afterClaim' | 'afterBegin' | 'afterCommit' | 'afterFinish' | null;

/** What the collector will do, with a simulated crash at a chosen point. */
async function collectorRun(queue: Queue, delta: FakeDelta, now: Date, crashAt: CrashPoint): Promise<void> {
  // Startup under the collect lock: resolve what a crashed predecessor left behind.
  await resolvePendingRounds(queue, { now, committedThrough: delta.committedThrough() });
  await queue.reclaimExpired(now);
  await scheduleDueSlots(queue, {
    now,
    symbols: ['ES', 'NQ'],
    intervalSeconds: 60,
    marketStatus: fakeMarket,
  });
  const claimed = await queue.claimDue({ owner: 'collector', now, leaseSeconds: 30, limit: 10 });
  if (crashAt === 'afterClaim') throw new Crash();
  const committed = delta.committedThrough();
  const round = await queue.beginRound({
    owner: 'collector',
    slotIds: claimed.map((j) => j.id),
    now,
    minSeq: committed === null ? 1 : committed + 1,
  });
  if (crashAt === 'afterBegin') throw new Crash();
  const byId = new Map(claimed.map((j) => [j.id, j]));
  const rows = round.slotIds.map((id) => ({
    symbol: byId.get(id)!.symbol,
    slotTs: byId.get(id)!.slotTs.toISOString(),
  }));
  const version = delta.commit(rows, { appId: APP_ID, version: round.roundSeq });
  if (crashAt === 'afterCommit') throw new Crash();
  await queue.finishRound(round.roundSeq, { now, deltaVersion: version });
  if (crashAt === 'afterFinish') throw new Crash();
}

function slots(times: Date[], symbols = ['ES', 'NQ']): NewJob[] {
  return times.flatMap((slotTs) =>
    symbols.map((symbol) => ({ kind: 'snapshot' as const, symbol, slotTs, status: 'pending' as const })),
  );
}

describe('round protocol', () => {
  it('beginRound records the slots before the Delta write; finishRound marks them done with the version', async () => {
    const { queue } = await tempQueue();
    await queue.insertJobs(slots([T0]), { now: T0 });
    const claimed = await queue.claimDue({ owner: 'c', now: T0, leaseSeconds: 30, limit: 10 });
    const round = await queue.beginRound({ owner: 'c', slotIds: claimed.map((j) => j.id), now: T0 });
    expect(round.roundSeq).toBe(1);
    expect(round.lost).toEqual([]);
    expect(await queue.pendingRounds()).toMatchObject([
      { roundSeq: 1, owner: 'c', status: 'begun', slotIds: round.slotIds },
    ]);
    const finish = await queue.finishRound(1, { now: T0, deltaVersion: 7 });
    expect(finish).toEqual({ slots: 2, alreadyFinished: false });
    expect(await queue.finishRound(1, { now: T0, deltaVersion: 7 })).toEqual({
      slots: 0,
      alreadyFinished: true,
    });
    expect(await queue.pendingRounds()).toEqual([]);
    const rows = await queue.listJobs();
    expect(rows.every((j) => j.status === 'done' && j.deltaVersion === 7 && j.roundSeq === 1)).toBe(true);
    expect(await queue.getRound(1)).toMatchObject({ status: 'finished', deltaVersion: 7 });
    await expect(queue.finishRound(99, { now: T0, deltaVersion: 1 })).rejects.toThrow(QueueUsageError);
  });

  it('round sequence is monotonic and never below minSeq (a recreated queue cannot fall behind Delta)', async () => {
    const { queue } = await tempQueue();
    const a = await queue.beginRound({ owner: 'c', slotIds: [], now: T0 });
    const b = await queue.beginRound({ owner: 'c', slotIds: [], now: T0, minSeq: 500 });
    const c = await queue.beginRound({ owner: 'c', slotIds: [], now: T0, minSeq: 3 });
    expect([a.roundSeq, b.roundSeq, c.roundSeq]).toEqual([1, 500, 501]);
  });

  it('beginRound keeps only slots still leased to the owner and reports the lost ones', async () => {
    const { queue } = await tempQueue();
    await queue.insertJobs(slots([T0]), { now: T0 });
    const claimed = await queue.claimDue({ owner: 'slow', now: T0, leaseSeconds: 30, limit: 10 });
    // The lease on one slot expired and someone else took it.
    const es = claimed.find((j) => j.symbol === 'ES')!;
    const nq = claimed.find((j) => j.symbol === 'NQ')!;
    await queue.batch(async (ops) => {
      await ops.releaseOwned('slow', { now: T0 });
      await ops.claimDue({ owner: 'other', now: T0, leaseSeconds: 30, limit: 1 });
      await ops.claimDue({ owner: 'slow', now: T0, leaseSeconds: 30, limit: 1 });
    });
    const round = await queue.beginRound({ owner: 'slow', slotIds: [es.id, nq.id], now: T0 });
    expect(round.slotIds).toEqual([nq.id]);
    expect(round.lost).toEqual([es.id]);
  });

  it('crash after beginRound, before the Delta commit: the round is abandoned and its slots return to pending', async () => {
    const { queue } = await tempQueue();
    const delta = new FakeDelta();
    await queue.insertJobs(slots([T0]), { now: T0 });
    const claimed = await queue.claimDue({ owner: 'c', now: T0, leaseSeconds: 30, limit: 10 });
    const round = await queue.beginRound({ owner: 'c', slotIds: claimed.map((j) => j.id), now: T0 });
    // The leases expire, but reclaimExpired must not touch slots of an unresolved round.
    expect(await queue.reclaimExpired(plus(T0, 600))).toEqual({ returned: [], failed: [] });
    expect(await queue.claimDue({ owner: 'x', now: plus(T0, 60), leaseSeconds: 30, limit: 10 })).toEqual([]);
    const resolved = await resolvePendingRounds(queue, {
      now: plus(T0, 60),
      committedThrough: delta.committedThrough(),
    });
    expect(resolved).toEqual({ finished: [], abandoned: [round.roundSeq] });
    const rows = await queue.listJobs();
    expect(rows.every((j) => j.status === 'pending' && j.attempts === 1)).toBe(true);
    expect(rows[0]?.reason).toMatch(/round 1 abandoned: collector stopped before the Delta commit/);
    expect(await queue.getRound(round.roundSeq)).toMatchObject({ status: 'abandoned' });
    await expect(queue.finishRound(round.roundSeq, { now: T0, deltaVersion: 1 })).rejects.toThrow(
      /abandoned/,
    );
  });

  it('crash after the Delta commit, before finishRound: the round is finished, not rewritten', async () => {
    const { queue } = await tempQueue();
    const delta = new FakeDelta();
    await queue.insertJobs(slots([T0]), { now: T0 });
    const claimed = await queue.claimDue({ owner: 'c', now: T0, leaseSeconds: 30, limit: 10 });
    const round = await queue.beginRound({
      owner: 'c',
      slotIds: claimed.map((j) => j.id),
      now: T0,
      minSeq: 1,
    });
    const version = delta.commit(
      claimed.map((j) => ({ symbol: j.symbol, slotTs: j.slotTs.toISOString() })),
      { appId: APP_ID, version: round.roundSeq },
    );
    const resolved = await resolvePendingRounds(queue, {
      now: plus(T0, 60),
      committedThrough: delta.committedThrough(),
      deltaVersionOf: (seq) => (seq === round.roundSeq ? version : null),
    });
    expect(resolved).toEqual({ finished: [round.roundSeq], abandoned: [] });
    const rows = await queue.listJobs();
    expect(rows.every((j) => j.status === 'done' && j.deltaVersion === version)).toBe(true);
  });

  it('a Delta commit that failed for sure is abandoned at once; abandoning is idempotent; finished rounds cannot be abandoned', async () => {
    const { queue } = await tempQueue({ maxAttempts: 2 });
    await queue.insertJobs(slots([T0], ['ES']), { now: T0 });
    let claimed = await queue.claimDue({ owner: 'c', now: T0, leaseSeconds: 30, limit: 10 });
    let round = await queue.beginRound({ owner: 'c', slotIds: claimed.map((j) => j.id), now: T0 });
    expect(await queue.abandonRound(round.roundSeq, { now: T0, reason: 'commit conflict' })).toMatchObject({
      returned: [claimed[0]!.id],
    });
    expect(await queue.abandonRound(round.roundSeq, { now: T0, reason: 'again' })).toEqual({
      returned: [],
      failed: [],
    });
    claimed = await queue.claimDue({ owner: 'c', now: T0, leaseSeconds: 30, limit: 10 });
    round = await queue.beginRound({ owner: 'c', slotIds: claimed.map((j) => j.id), now: T0 });
    // Second failed attempt reaches maxAttempts = 2.
    expect(await queue.abandonRound(round.roundSeq, { now: T0, reason: 'disk full' })).toMatchObject({
      failed: [claimed[0]!.id],
    });
    const done = await queue.beginRound({ owner: 'c', slotIds: [], now: T0 });
    await queue.finishRound(done.roundSeq, { now: T0, deltaVersion: 1 });
    await expect(queue.abandonRound(done.roundSeq, { now: T0, reason: 'x' })).rejects.toThrow(/finished/);
  });

  it('a failed IB request inside a begun round is left to the round protocol', async () => {
    const { queue } = await tempQueue();
    await queue.insertJobs(slots([T0], ['ES']), { now: T0 });
    const claimed = await queue.claimDue({ owner: 'c', now: T0, leaseSeconds: 30, limit: 10 });
    await queue.beginRound({ owner: 'c', slotIds: claimed.map((j) => j.id), now: T0 });
    const result = await queue.fail([claimed[0]!.id], { now: T0, error: 'too late' });
    expect(result.ignored).toEqual([claimed[0]!.id]);
    expect(await queue.releaseOwned('c', { now: T0 })).toEqual([]);
  });

  it('crashes at every point of a round, repeated: no slot lost, no slot written twice', async () => {
    const { queue } = await tempQueue({ maxAttempts: 20 });
    const delta = new FakeDelta();
    const points: CrashPoint[] = ['afterClaim', 'afterBegin', 'afterCommit', 'afterFinish', null];
    let now = at('2025-01-06T14:00:00Z');
    let crashes = 0;
    // 40 runs, each 45 s apart (past the 30 s lease), cycling through the crash points.
    for (let run = 0; run < 40; run++) {
      const crashAt = points[run % points.length]!;
      try {
        await collectorRun(queue, delta, now, crashAt);
      } catch (error) {
        if (!(error instanceof Crash)) throw error;
        crashes += 1;
      }
      now = plus(now, 45);
    }
    // Clean runs until everything due is settled.
    for (let run = 0; run < 3; run++) {
      await collectorRun(queue, delta, now, null);
      now = plus(now, 45);
    }
    expect(crashes).toBe(32);
    const written = delta.rows.map((r) => `${r.symbol}@${r.slotTs}`);
    expect(new Set(written).size).toBe(written.length);
    const jobs = await queue.listJobs({ kind: 'snapshot' });
    expect(await queue.pendingRounds()).toEqual([]);
    // Every done slot is in Delta exactly once, at the version the queue recorded; nothing else is.
    const done = jobs.filter((j) => j.status === 'done');
    expect(done.map((j) => `${j.symbol}@${j.slotTs.toISOString()}`).sort()).toEqual([...written].sort());
    for (const job of done) {
      const row = delta.rows.find((r) => r.symbol === job.symbol && r.slotTs === job.slotTs.toISOString());
      if (job.deltaVersion !== null) expect(job.deltaVersion).toBe(row?.version);
    }
    // Every slot on the grid is accounted for: done, or missed (too late after crashes), none left pending/running.
    const statuses = new Set(jobs.map((j) => j.status));
    expect([...statuses].every((s) => s === 'done' || s === 'missed' || s === 'pending')).toBe(true);
    const pending = jobs.filter((j) => j.status === 'pending');
    expect(pending.every((j) => j.slotTs.getTime() > now.getTime() - 300_000)).toBe(true);
    expect(done.length).toBeGreaterThan(40);
  });
});

/**
 * The collector's one-session round (src/app/collect/round.ts): the previous round's finish, scheduling, the
 * claim and beginRound share ONE session; a failed IB request leaves the round before the Delta write; the
 * round is finished by the NEXT run's session (or by start-up recovery after a crash).
 */
type OneSessionCrash = 'afterSession' | 'afterLeave' | 'afterCommit' | null;

async function oneSessionRun(
  queue: Queue,
  delta: FakeDelta,
  now: Date,
  state: { unfinished: { roundSeq: number; deltaVersion: number } | null; restart: boolean },
  crashAt: OneSessionCrash,
  failSymbol: string | null,
): Promise<void> {
  if (state.restart) {
    // A new process: what it knew in memory is gone; recovery reads Delta instead.
    state.unfinished = null;
    await resolvePendingRounds(queue, { now, committedThrough: delta.committedThrough() });
    await queue.releaseOwned('collector', { now });
    state.restart = false;
  }
  const committed = delta.committedThrough();
  const previous = state.unfinished;
  const { claimed, round } = await queue.batch(async (ops) => {
    if (previous) await ops.finishRound(previous.roundSeq, { now, deltaVersion: previous.deltaVersion });
    await scheduleDueSlots(ops, {
      now,
      symbols: ['ES', 'NQ'],
      intervalSeconds: 60,
      marketStatus: fakeMarket,
    });
    await ops.reclaimExpired(now);
    const { jobs, round: begun } = await ops.claimRound({
      owner: 'collector',
      now,
      leaseSeconds: 30,
      limit: 10,
      minSeq: committed === null ? 1 : committed + 1,
    });
    return { claimed: jobs, round: begun };
  });
  state.unfinished = null;
  if (crashAt === 'afterSession') throw new Crash();
  if (!round) return;
  const failed = claimed.filter((j) => j.symbol === failSymbol).map((j) => j.id);
  const kept = claimed.filter((j) => !failed.includes(j.id));
  if (failed.length > 0) {
    await queue.batch(async (ops) => {
      await ops.leaveRound(round.roundSeq, failed, { now });
      if (kept.length === 0) {
        await ops.abandonRound(round.roundSeq, { now, reason: 'no snapshot', countAttempt: false });
      }
      await ops.fail(failed, { now, error: 'timeout' });
    });
    if (crashAt === 'afterLeave') throw new Crash();
  }
  if (kept.length === 0) return;
  const version = delta.commit(
    kept.map((j) => ({ symbol: j.symbol, slotTs: j.slotTs.toISOString() })),
    { appId: APP_ID, version: round.roundSeq },
  );
  state.unfinished = { roundSeq: round.roundSeq, deltaVersion: version };
  if (crashAt === 'afterCommit') throw new Crash();
}

describe('one-session rounds (finish deferred to the next round)', () => {
  it('leaveRound takes failed slots out of an open round so fail() moves them and finishRound skips them', async () => {
    const { queue } = await tempQueue();
    await queue.insertJobs(slots([T0]), { now: T0 });
    const claimed = await queue.claimDue({ owner: 'c', now: T0, leaseSeconds: 30, limit: 10 });
    const round = await queue.beginRound({ owner: 'c', slotIds: claimed.map((j) => j.id), now: T0 });
    const [es, nq] = claimed;
    expect(await queue.leaveRound(round.roundSeq, [nq!.id], { now: T0 })).toEqual([nq!.id]);
    expect((await queue.getRound(round.roundSeq))?.slotIds).toEqual([es!.id]);
    expect((await queue.fail([nq!.id], { now: T0, error: 'timeout' })).retried).toEqual([nq!.id]);
    expect(await queue.finishRound(round.roundSeq, { now: T0, deltaVersion: 4 })).toEqual({
      slots: 1,
      alreadyFinished: false,
    });
    const jobs = await queue.listJobs();
    expect(jobs.find((j) => j.id === es!.id)).toMatchObject({ status: 'done', deltaVersion: 4 });
    expect(jobs.find((j) => j.id === nq!.id)).toMatchObject({
      status: 'pending',
      attempts: 1,
      roundSeq: null,
    });
    await expect(queue.leaveRound(round.roundSeq, [es!.id], { now: T0 })).rejects.toThrow(QueueUsageError);
  });

  it('abandonRound without counting an attempt (the gateway went away before the write)', async () => {
    const { queue } = await tempQueue();
    await queue.insertJobs(slots([T0]), { now: T0 });
    const claimed = await queue.claimDue({ owner: 'c', now: T0, leaseSeconds: 30, limit: 10 });
    const round = await queue.beginRound({ owner: 'c', slotIds: claimed.map((j) => j.id), now: T0 });
    const result = await queue.abandonRound(round.roundSeq, {
      now: T0,
      reason: 'gateway down',
      countAttempt: false,
    });
    expect(result.returned).toEqual(claimed.map((j) => j.id));
    const jobs = await queue.listJobs();
    expect(jobs.every((j) => j.status === 'pending' && j.attempts === 0 && j.leaseOwner === null)).toBe(true);
    expect(await queue.getRound(round.roundSeq)).toMatchObject({ status: 'abandoned', note: 'gateway down' });
  });

  it('crashes between and after its sessions, repeated, with failing requests: no slot lost, none written twice', async () => {
    const { queue } = await tempQueue({ maxAttempts: 50 });
    const delta = new FakeDelta();
    const points: OneSessionCrash[] = ['afterSession', null, 'afterLeave', 'afterCommit', null, null];
    const state: { unfinished: { roundSeq: number; deltaVersion: number } | null; restart: boolean } = {
      unfinished: null,
      restart: true,
    };
    let now = at('2025-01-06T14:00:00Z');
    let crashes = 0;
    for (let run = 0; run < 60; run++) {
      const crashAt = points[run % points.length]!;
      // Every third run NQ's request fails (a timeout: retried later).
      const failSymbol = run % 3 === 0 ? 'NQ' : null;
      try {
        await oneSessionRun(queue, delta, now, state, crashAt, failSymbol);
      } catch (error) {
        if (!(error instanceof Crash)) throw error;
        crashes += 1;
        state.restart = true;
      }
      now = plus(now, 45);
      // While a committed round waits for the next session, its rows are in Delta and its slots are running.
      if (state.unfinished) {
        const open = await queue.pendingRounds();
        expect(open.map((r) => r.roundSeq)).toEqual([state.unfinished.roundSeq]);
      }
    }
    for (let run = 0; run < 3; run++) {
      await oneSessionRun(queue, delta, now, state, null, null);
      now = plus(now, 45);
    }
    // The collector's stop: finish the last round.
    if (state.unfinished) {
      await queue.finishRound(state.unfinished.roundSeq, {
        now,
        deltaVersion: state.unfinished.deltaVersion,
      });
    }
    expect(crashes).toBeGreaterThanOrEqual(12);
    const written = delta.rows.map((r) => `${r.symbol}@${r.slotTs}`);
    expect(new Set(written).size).toBe(written.length);
    expect(await queue.pendingRounds()).toEqual([]);
    const jobs = await queue.listJobs({ kind: 'snapshot' });
    const done = jobs.filter((j) => j.status === 'done');
    expect(done.map((j) => `${j.symbol}@${j.slotTs.toISOString()}`).sort()).toEqual([...written].sort());
    for (const job of done) {
      const row = delta.rows.find((r) => r.symbol === job.symbol && r.slotTs === job.slotTs.toISOString());
      if (job.deltaVersion !== null) expect(job.deltaVersion).toBe(row?.version);
    }
    expect(jobs.filter((j) => j.status === 'running')).toEqual([]);
    const pending = jobs.filter((j) => j.status === 'pending');
    expect(pending.every((j) => j.slotTs.getTime() > now.getTime() - 300_000)).toBe(true);
    expect(done.length).toBeGreaterThan(60);
  });
});

describe("claimRound (the collector's claim + begin) and holding the file", () => {
  it('marks late slots missed, claims the due ones by priority under a lease, and begins one round with exactly them', async () => {
    const { queue } = await tempQueue();
    const late = plus(T0, -600);
    await queue.insertJobs(
      [
        { kind: 'snapshot', symbol: 'ES', slotTs: late, status: 'pending' },
        { kind: 'snapshot', symbol: 'ES', slotTs: T0, status: 'pending' },
        { kind: 'snapshot', symbol: 'NQ', slotTs: T0, status: 'pending', priority: 5 },
        { kind: 'snapshot', symbol: 'RTY', slotTs: plus(T0, 60), status: 'pending' },
      ],
      { now: T0 },
    );
    const { jobs, round } = await queue.claimRound({
      owner: 'c',
      now: T0,
      leaseSeconds: 30,
      limit: 10,
      minSeq: 7,
    });
    expect(jobs.map((j) => j.symbol)).toEqual(['NQ', 'ES']);
    expect(round?.roundSeq).toBe(7);
    expect(round?.slotIds).toEqual(jobs.map((j) => j.id).sort((a, b) => a - b));
    expect(jobs.every((j) => j.status === 'running' && j.leaseOwner === 'c' && j.roundSeq === 7)).toBe(true);
    expect(jobs[0]?.leaseExpires?.toISOString()).toBe(plus(T0, 30).toISOString());
    const all = await queue.listJobs();
    expect(all.find((j) => j.slotTs.getTime() === late.getTime())?.status).toBe('missed');
    expect(all.find((j) => j.symbol === 'RTY')?.status).toBe('pending');
    expect(await queue.getRound(7)).toMatchObject({ status: 'begun', owner: 'c', slotIds: round?.slotIds });

    // The next one continues the sequence; with nothing due it begins no round and uses no number.
    const next = await queue.claimRound({ owner: 'c', now: plus(T0, 60), leaseSeconds: 30, limit: 10 });
    expect(next.round?.roundSeq).toBe(8);
    expect(next.jobs.map((j) => j.symbol)).toEqual(['RTY']);
    expect(await queue.claimRound({ owner: 'c', now: plus(T0, 60), leaseSeconds: 30, limit: 10 })).toEqual({
      jobs: [],
      round: null,
    });
    const limited = await tempQueue();
    await limited.queue.insertJobs(slots([T0, plus(T0, 60)]), { now: T0 });
    const two = await limited.queue.claimRound({ owner: 'c', now: plus(T0, 60), leaseSeconds: 30, limit: 2 });
    expect(two.jobs.map((j) => j.slotTs.toISOString())).toEqual([T0.toISOString(), T0.toISOString()]);
    expect(await queue.finishRound(8, { now: plus(T0, 61), deltaVersion: 3 })).toEqual({
      slots: 1,
      alreadyFinished: false,
    });
    expect(await queue.claimRound({ owner: 'c', now: plus(T0, 120), leaseSeconds: 30, limit: 10 })).toEqual({
      jobs: [],
      round: null,
    });
    expect((await queue.getRound(8))?.status).toBe('finished');
  });

  it("a held file is let go when another object in the process needs it, and both see each other's commits", async () => {
    const { queue } = await tempQueue();
    const path = queue.path;
    queue.hold();
    await queue.insertJobs(slots([T0]), { now: T0 });
    const other = await openQueue({ path, policy: queue.policy });
    try {
      expect((await other.listJobs()).length).toBe(2);
      await other.insertJobs(slots([plus(T0, 60)]), { now: T0 });
      expect((await queue.listJobs()).length).toBe(4);
      const { round } = await queue.claimRound({
        owner: 'c',
        now: plus(T0, 60),
        leaseSeconds: 30,
        limit: 10,
      });
      expect((await other.getRound(round?.roundSeq ?? -1))?.slotIds.length).toBe(4);
    } finally {
      other.close();
    }
    await queue.release();
  });

  async function runRounds(queue: Queue, count: number): Promise<number> {
    let seq: number | null = null;
    let largest = 0;
    for (let i = 0; i < count; i++) {
      const now = plus(T0, i * 60);
      seq = await queue.batch(async (ops) => {
        if (seq !== null) await ops.finishRound(seq, { now, deltaVersion: i });
        await ops.insertJobs(slots([now]), { now });
        return (
          (await ops.claimRound({ owner: 'c', now, leaseSeconds: 30, limit: 10 })).round?.roundSeq ?? null
        );
      });
      largest = Math.max(largest, walSize(queue.path));
    }
    return largest;
  }
  const walSize = (path: string) => (existsSync(`${path}.wal`) ? statSync(`${path}.wal`).size : 0);

  it('commits stay in the WAL between checkpoints, which bound it; a reader replays them', async () => {
    const { queue } = await tempQueue();
    const largest = await runRounds(queue, 40);
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThan(WAL_CHECKPOINT_BYTES * 2);
    const reader = await openQueue({ path: queue.path, policy: queue.policy });
    try {
      const counts = await reader.counts();
      expect(counts.byStatus.done).toBe(78);
      expect(counts.byStatus.running).toBe(2);
    } finally {
      reader.close();
    }
  });

  it('a holder keeps holding when its instance is replaced (every 1,000 sessions)', async () => {
    const { queue } = await tempQueue();
    queue.hold();
    let largestAfterReplacement = 0;
    for (let i = 0; i < 1200; i++) {
      const now = plus(T0, i * 60);
      await queue.insertJobs([{ kind: 'snapshot', symbol: 'ES', slotTs: now, status: 'pending' }], { now });
      if (i > 1000) largestAfterReplacement = Math.max(largestAfterReplacement, walSize(queue.path));
    }
    // Released sessions would checkpoint the WAL at WAL_CHECKPOINT_BYTES on every DETACH.
    expect(largestAfterReplacement).toBeGreaterThan(WAL_CHECKPOINT_BYTES * 2);
    await queue.release();
    expect((await queue.counts()).total).toBe(1200);
  }, 60_000);

  it('a holder lets the WAL grow and checkpoints it when it lets go', async () => {
    const { queue } = await tempQueue();
    queue.hold();
    const largest = await runRounds(queue, 40);
    expect(largest).toBeGreaterThan(WAL_CHECKPOINT_BYTES * 2);
    await queue.release();
    expect(walSize(queue.path)).toBeLessThanOrEqual(WAL_CHECKPOINT_BYTES);
    const reader = await openQueue({ path: queue.path, policy: queue.policy });
    try {
      expect((await reader.counts()).byStatus.done).toBe(78);
    } finally {
      reader.close();
    }
  });
});

describe('finishing a round touches only its own running slots', () => {
  it('a claim outside a round clears the round of an abandoned attempt, so finishing that round cannot reach it', async () => {
    const { queue } = await tempQueue();
    await queue.insertJobs(slots([T0], ['ES']), { now: T0 });
    const { round } = await queue.claimRound({ owner: 'c', now: T0, leaseSeconds: 30, limit: 10 });
    expect(round).not.toBeNull();
    const seq = round?.roundSeq ?? -1;
    await queue.abandonRound(seq, { now: T0, reason: 'commit conflict', countAttempt: false });
    const [job] = await queue.claimDue({ owner: 'w', now: T0, leaseSeconds: 30, limit: 10 });
    // finishRound's slot update keys on (round_seq, running) alone; this slot must not match it.
    expect(job).toMatchObject({ status: 'running', leaseOwner: 'w', roundSeq: null });
    await expect(queue.finishRound(seq, { now: T0, deltaVersion: 3 })).rejects.toThrow(/abandoned/);
    expect(await queue.listJobs()).toMatchObject([
      { status: 'running', leaseOwner: 'w', deltaVersion: null },
    ]);
  });
});
