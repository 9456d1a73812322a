import { existsSync, mkdirSync } from 'node:fs';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it, vi } from 'vitest';
import { BLOCK_SIZE } from '../../src/queue/db.js';
import {
  type NewJob,
  openQueue,
  QUEUE_SCHEMA_VERSION,
  QueueSchemaError,
  QueueUsageError,
  queuePaths,
  readBarsParams,
  retryDelaySeconds,
  scheduleDueSlots,
} from '../../src/queue/index.js';
import { at, fakeMarket, POLICY, plus, tempDataDir, tempQueue } from './helpers.js';

const T0 = at('2025-01-06T14:30:00Z');

function snapshotSlots(symbols: string[], times: Date[]): NewJob[] {
  return times.flatMap((slotTs) =>
    symbols.map((symbol) => ({ kind: 'snapshot' as const, symbol, slotTs, status: 'pending' as const })),
  );
}

describe('queue file and schema', () => {
  it('creates <dataDir>/state/queue.duckdb with the current schema version', async () => {
    const { dataDir, queue } = await tempQueue();
    expect(queue.path).toBe(queuePaths(dataDir).queueDb);
    expect(existsSync(queuePaths(dataDir).queueDb)).toBe(true);
    expect(QUEUE_SCHEMA_VERSION).toBe(2);
    queue.close();
    // Reopening an existing file keeps its rows.
    const again = await openQueue({ path: queuePaths(dataDir).queueDb, policy: POLICY });
    await again.insertJobs(snapshotSlots(['ES'], [T0]), { now: T0 });
    again.close();
    const third = await openQueue({ path: queuePaths(dataDir).queueDb, policy: POLICY });
    expect((await third.counts()).total).toBe(1);
    third.close();
  });

  async function blockSize(path: string): Promise<number> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const rows = await connection.runAndReadAll(
      `ATTACH '${path}' AS q (READ_ONLY); SELECT block_size::INTEGER AS b FROM pragma_database_size() WHERE database_name = 'q'`,
    );
    connection.closeSync();
    instance.closeSync();
    return Number(rows.getRowObjectsJS()[0]?.b);
  }

  it('creates the file with 16 KiB blocks, and keeps using a file made with DuckDB’s default blocks', async () => {
    const { dataDir, queue } = await tempQueue();
    await queue.insertJobs(snapshotSlots(['ES'], [T0]), { now: T0 });
    queue.close();
    expect(await blockSize(queuePaths(dataDir).queueDb)).toBe(BLOCK_SIZE);
    expect(BLOCK_SIZE).toBe(16_384);

    // A file an earlier build created (DuckDB's 256 KiB default) is attached without the option.
    const older = queuePaths(tempDataDir());
    mkdirSync(older.stateDir, { recursive: true });
    const instance = await DuckDBInstance.create(older.queueDb);
    instance.closeSync();
    const reopened = await openQueue({ path: older.queueDb, policy: POLICY });
    await reopened.insertJobs(snapshotSlots(['ES', 'NQ'], [T0]), { now: T0 });
    expect((await reopened.counts()).total).toBe(2);
    reopened.close();
    expect(await blockSize(older.queueDb)).toBe(262_144);
  });

  async function stamp(path: string, sql: string): Promise<void> {
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    await connection.run(sql);
    connection.closeSync();
    instance.closeSync();
  }

  it('refuses a file written by a newer schema version, naming both versions', async () => {
    const { dataDir, queue } = await tempQueue();
    queue.close();
    const path = queuePaths(dataDir).queueDb;
    await stamp(path, `UPDATE meta SET value = '99' WHERE key = 'schema_version'`);
    const error = await openQueue({ path, policy: POLICY }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueSchemaError);
    expect((error as QueueSchemaError).kind).toBe('data');
    expect((error as Error).message).toMatch(/version 99, newer than this build supports \(2\)/);
  });

  it('migrates a version 1 file (indexed tables) to version 2, keeping rows, rounds and uniqueness', async () => {
    const dataDir = tempDataDir();
    const path = queuePaths(dataDir).queueDb;
    const { mkdirSync } = await import('node:fs');
    mkdirSync(queuePaths(dataDir).stateDir, { recursive: true });
    const cols = `id BIGINT NOT NULL, kind VARCHAR NOT NULL, symbol VARCHAR NOT NULL, slot_ts TIMESTAMPTZ NOT NULL,
      params VARCHAR NOT NULL, priority INTEGER NOT NULL, status VARCHAR NOT NULL, reason VARCHAR,
      attempts INTEGER NOT NULL, not_before TIMESTAMPTZ NOT NULL, lease_owner VARCHAR, lease_expires TIMESTAMPTZ,
      ib_error_code INTEGER, ib_error_message VARCHAR, delta_version BIGINT, round_seq BIGINT,
      created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL`;
    await stamp(
      path,
      `CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
       CREATE SEQUENCE job_id_seq START 1;
       CREATE TABLE jobs (${cols}, UNIQUE (kind, symbol, slot_ts, params));
       CREATE TABLE jobs_archive (${cols});
       CREATE VIEW all_jobs AS SELECT * FROM jobs UNION ALL SELECT * FROM jobs_archive;
       CREATE TABLE rounds (round_seq BIGINT PRIMARY KEY, owner VARCHAR NOT NULL, status VARCHAR NOT NULL,
         slot_ids BIGINT[] NOT NULL, began_at TIMESTAMPTZ NOT NULL, ended_at TIMESTAMPTZ, delta_version BIGINT,
         note VARCHAR);
       INSERT INTO meta VALUES ('schema_version', '1'), ('last_round_seq', '7'), ('last_archive_at', '');
       INSERT INTO jobs SELECT nextval('job_id_seq'), 'snapshot', 'ES', TIMESTAMPTZ '2025-01-06 14:30:00+00',
         '{}', 0, 'done', NULL, 0, TIMESTAMPTZ '2025-01-06 14:30:00+00', NULL, NULL, NULL, NULL, 3, 7,
         TIMESTAMPTZ '2025-01-06 14:30:00+00', TIMESTAMPTZ '2025-01-06 14:30:00+00';
       INSERT INTO rounds VALUES (7, 'o', 'finished', [1], TIMESTAMPTZ '2025-01-06 14:30:00+00',
         TIMESTAMPTZ '2025-01-06 14:30:00+00', 3, NULL);`,
    );
    const queue = await openQueue({ path, policy: POLICY });
    try {
      const jobs = await queue.listJobs();
      expect(jobs).toHaveLength(1);
      expect(jobs[0]).toMatchObject({ symbol: 'ES', status: 'done', deltaVersion: 3, roundSeq: 7 });
      expect(await queue.getRound(7)).toMatchObject({ status: 'finished', slotIds: [1] });
      // The same slot is still refused; the sequences continue.
      const again = await queue.insertJobs(snapshotSlots(['ES', 'NQ'], [T0]), { now: T0 });
      expect(again).toMatchObject({ existing: 1, insertedByStatus: { pending: 1 } });
      expect(again.inserted).toEqual([2]);
      const claimed = await queue.claimDue({ owner: 'o', now: T0, leaseSeconds: 60, limit: 5 });
      expect(
        (await queue.beginRound({ owner: 'o', slotIds: claimed.map((j) => j.id), now: T0 })).roundSeq,
      ).toBe(8);
    } finally {
      queue.close();
    }
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    const indexes = await connection.runAndReadAll(
      `SELECT count(*)::INTEGER AS n FROM duckdb_constraints() WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE')`,
    );
    const version = await connection.runAndReadAll(`SELECT value FROM meta WHERE key = 'schema_version'`);
    connection.closeSync();
    instance.closeSync();
    expect(indexes.getRowObjectsJS()[0]?.n).toBe(0);
    expect(version.getRowObjectsJS()[0]?.value).toBe('2');
  });

  it('refuses a DuckDB file that is not a queue', async () => {
    const dataDir = tempDataDir();
    const path = queuePaths(dataDir).queueDb;
    const { mkdirSync } = await import('node:fs');
    mkdirSync(queuePaths(dataDir).stateDir, { recursive: true });
    await stamp(path, 'CREATE TABLE something (x INTEGER)');
    await expect(openQueue({ path, policy: POLICY })).rejects.toThrow(/not a futures-signals queue database/);
  });

  it('rejects a nonsensical policy', async () => {
    const dataDir = tempDataDir();
    await expect(
      openQueue({ path: queuePaths(dataDir).queueDb, policy: { ...POLICY, maxAttempts: 0 } }),
    ).rejects.toThrow(QueueUsageError);
  });
});

describe('claims and leases', () => {
  it('claims due pending jobs atomically, highest priority first, then oldest slot', async () => {
    const { queue } = await tempQueue();
    await queue.insertJobs(
      [
        ...snapshotSlots(['ES', 'NQ'], [at('2025-01-06T14:29:00Z'), T0]),
        { kind: 'snapshot', symbol: 'RTY', slotTs: T0, status: 'pending', priority: 5 },
        // Not due yet: the slot is in the future.
        { kind: 'snapshot', symbol: 'ES', slotTs: plus(T0, 60), status: 'pending' },
      ],
      { now: T0 },
    );
    const first = await queue.claimDue({ owner: 'w1', now: T0, leaseSeconds: 30, limit: 3 });
    expect(first.map((j) => `${j.symbol}@${j.slotTs.toISOString().slice(11, 16)}`)).toEqual([
      'RTY@14:30',
      'ES@14:29',
      'NQ@14:29',
    ]);
    expect(first.every((j) => j.status === 'running' && j.leaseOwner === 'w1')).toBe(true);
    expect(first[0]?.leaseExpires?.toISOString()).toBe('2025-01-06T14:30:30.000Z');
    const second = await queue.claimDue({ owner: 'w2', now: T0, leaseSeconds: 30, limit: 10 });
    expect(second.map((j) => j.symbol)).toEqual(['ES', 'NQ']);
    expect(await queue.claimDue({ owner: 'w3', now: T0, leaseSeconds: 30, limit: 10 })).toEqual([]);
    const future = await queue.claimDue({ owner: 'w3', now: plus(T0, 60), leaseSeconds: 30, limit: 10 });
    expect(future.map((j) => j.slotTs.toISOString())).toEqual(['2025-01-06T14:31:00.000Z']);
  });

  it('claims only the requested kind', async () => {
    const { queue } = await tempQueue();
    await queue.insertJobs(snapshotSlots(['ES'], [T0]), { now: T0 });
    await queue.enqueueBars(
      [
        {
          symbol: 'ES',
          barSize: '1 day',
          whatToShow: 'TRADES',
          start: at('2024-12-01T00:00:00Z'),
          end: at('2025-01-01T00:00:00Z'),
        },
      ],
      { now: T0 },
    );
    const bars = await queue.claimDue({ owner: 'b', now: T0, leaseSeconds: 30, limit: 10, kind: 'bars' });
    expect(bars.map((j) => j.kind)).toEqual(['bars']);
    const snaps = await queue.claimDue({
      owner: 's',
      now: T0,
      leaseSeconds: 30,
      limit: 10,
      kind: 'snapshot',
    });
    expect(snaps.map((j) => j.kind)).toEqual(['snapshot']);
  });

  it('reclaims expired leases of a crashed worker (attempts+1), not live ones', async () => {
    const { queue } = await tempQueue();
    await queue.insertJobs(snapshotSlots(['ES', 'NQ'], [T0]), { now: T0 });
    await queue.claimDue({ owner: 'crashed', now: T0, leaseSeconds: 30, limit: 1 });
    await queue.claimDue({ owner: 'alive', now: plus(T0, 20), leaseSeconds: 30, limit: 1 });
    expect(await queue.reclaimExpired(plus(T0, 29))).toEqual({ returned: [], failed: [] });
    const reclaimed = await queue.reclaimExpired(plus(T0, 30));
    expect(reclaimed.returned).toHaveLength(1);
    const [job] = await queue.listJobs({ ids: reclaimed.returned });
    expect(job).toMatchObject({
      symbol: 'ES',
      status: 'pending',
      attempts: 1,
      leaseOwner: null,
      reason: 'lease of crashed expired',
    });
    const again = await queue.claimDue({ owner: 'next', now: plus(T0, 31), leaseSeconds: 30, limit: 5 });
    expect(again.map((j) => j.symbol)).toEqual(['ES']);
  });

  it('retries transient failures with exponential backoff and fails after maxAttempts', async () => {
    const { queue } = await tempQueue({ maxAttempts: 3, retryBaseSeconds: 5, retryMaxSeconds: 60 });
    await queue.insertJobs(snapshotSlots(['ES'], [T0]), { now: T0 });
    let now = T0;
    const [job] = await queue.claimDue({ owner: 'w', now, leaseSeconds: 30, limit: 1 });
    const id = job!.id;
    const r1 = await queue.fail([id], { now, error: 'timeout after 12000 ms' });
    expect(r1).toEqual({ retried: [id], failed: [], ignored: [] });
    let [row] = await queue.listJobs({ ids: [id] });
    expect(row).toMatchObject({ status: 'pending', attempts: 1, reason: 'timeout after 12000 ms' });
    expect(row!.notBefore.getTime() - now.getTime()).toBe(5000);
    // Not due before its backoff ends.
    expect(await queue.claimDue({ owner: 'w', now: plus(now, 4), leaseSeconds: 30, limit: 1 })).toEqual([]);
    now = plus(now, 5);
    await queue.claimDue({ owner: 'w', now, leaseSeconds: 30, limit: 1 });
    await queue.fail([id], { now, error: 'gateway disconnected', code: 1100 });
    [row] = await queue.listJobs({ ids: [id] });
    expect(row).toMatchObject({
      status: 'pending',
      attempts: 2,
      ibErrorCode: 1100,
      ibErrorMessage: 'gateway disconnected',
    });
    expect(row!.notBefore.getTime() - now.getTime()).toBe(10_000);
    now = plus(now, 10);
    await queue.claimDue({ owner: 'w', now, leaseSeconds: 30, limit: 1 });
    const r3 = await queue.fail([id], { now, error: 'timeout' });
    expect(r3.failed).toEqual([id]);
    [row] = await queue.listJobs({ ids: [id] });
    expect(row).toMatchObject({ status: 'failed', attempts: 3, reason: 'gave up after 3 attempts: timeout' });
    expect(retryDelaySeconds({ ...POLICY, retryBaseSeconds: 5, retryMaxSeconds: 60 }, 10)).toBe(60);
  });

  it('fails permanent errors at once with the IB code and reason', async () => {
    const { queue } = await tempQueue();
    await queue.insertJobs(snapshotSlots(['ES', 'NQ'], [T0]), { now: T0 });
    const jobs = await queue.claimDue({ owner: 'w', now: T0, leaseSeconds: 30, limit: 2 });
    const es = jobs.find((j) => j.symbol === 'ES')!;
    const result = await queue.fail([es.id], {
      now: T0,
      error: 'No security definition has been found for the request',
      code: 200,
      permanent: true,
    });
    expect(result.failed).toEqual([es.id]);
    const [row] = await queue.listJobs({ ids: [es.id] });
    expect(row).toMatchObject({
      status: 'failed',
      attempts: 1,
      ibErrorCode: 200,
      reason: 'No security definition has been found for the request',
    });
    // fail() ignores jobs that are not running.
    expect((await queue.fail([es.id], { now: T0, error: 'x' })).ignored).toEqual([es.id]);
  });

  it('releaseOwned returns only that owner’s running jobs, without counting an attempt', async () => {
    const { queue } = await tempQueue();
    await queue.insertJobs(snapshotSlots(['ES', 'NQ', 'RTY'], [T0]), { now: T0 });
    await queue.claimDue({ owner: 'a', now: T0, leaseSeconds: 30, limit: 2 });
    await queue.claimDue({ owner: 'b', now: T0, leaseSeconds: 30, limit: 1 });
    const released = await queue.releaseOwned('a', { now: T0 });
    expect(released).toHaveLength(2);
    const rows = await queue.listJobs({ ids: released });
    expect(rows.every((j) => j.status === 'pending' && j.attempts === 0 && j.leaseOwner === null)).toBe(true);
    expect((await queue.counts()).byStatus).toMatchObject({ pending: 2, running: 1 });
  });

  it('complete marks jobs done with the Delta version', async () => {
    const { queue } = await tempQueue();
    await queue.insertJobs(snapshotSlots(['ES'], [T0]), { now: T0 });
    const [job] = await queue.claimDue({ owner: 'w', now: T0, leaseSeconds: 30, limit: 1 });
    expect(await queue.complete([job!.id], { now: T0, deltaVersion: 17 })).toBe(1);
    expect(await queue.complete([job!.id], { now: T0, deltaVersion: 18 })).toBe(0);
    const [row] = await queue.listJobs({ ids: [job!.id] });
    expect(row).toMatchObject({ status: 'done', deltaVersion: 17, leaseOwner: null });
  });

  it('batch runs several operations in one session and rolls back all of them on error', async () => {
    const { queue } = await tempQueue();
    await queue.insertJobs(snapshotSlots(['ES'], [T0]), { now: T0 });
    const error = await queue
      .batch(async (ops) => {
        await ops.claimDue({ owner: 'w', now: T0, leaseSeconds: 30, limit: 1 });
        throw new Error('boom');
      })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('boom');
    expect((await queue.counts()).byStatus.pending).toBe(1);
    const claimed = await queue.batch(async (ops) => {
      await ops.reclaimExpired(T0);
      return ops.claimDue({ owner: 'w', now: T0, leaseSeconds: 30, limit: 1 });
    });
    expect(claimed).toHaveLength(1);
  });
});

describe('bars jobs and backfill', () => {
  const spec = {
    symbol: 'ES',
    barSize: '1 min',
    whatToShow: 'TRADES',
    start: at('2025-01-06T14:00:00Z'),
    end: at('2025-01-06T15:00:00Z'),
  };

  it('enqueues bars jobs idempotently and exposes their params', async () => {
    const { queue } = await tempQueue();
    const first = await queue.enqueueBars([spec, { ...spec, symbol: 'NQ' }, spec], { now: T0 });
    expect(first.inserted).toHaveLength(2);
    expect(first.existing).toBe(1);
    const second = await queue.enqueueBars([spec, { ...spec, barSize: '1 day' }], { now: T0 });
    expect(second).toMatchObject({ existing: 1 });
    expect(second.inserted).toHaveLength(1);
    const [job] = await queue.listJobs({ kind: 'bars', symbols: ['NQ'] });
    expect(readBarsParams(job!)).toEqual({
      barSize: '1 min',
      whatToShow: 'TRADES',
      start: '2025-01-06T14:00:00.000Z',
      end: '2025-01-06T15:00:00.000Z',
    });
    expect(job!.slotTs.toISOString()).toBe('2025-01-06T14:00:00.000Z');
    await expect(queue.enqueueBars([{ ...spec, end: spec.start }], { now: T0 })).rejects.toThrow(
      QueueUsageError,
    );
  });

  it('lists missed slots in a range and marks them backfilled', async () => {
    const { queue } = await tempQueue();
    await queue.insertJobs(
      [
        {
          kind: 'snapshot',
          symbol: 'ES',
          slotTs: at('2025-01-06T10:00:00Z'),
          status: 'missed',
          reason: 'late',
        },
        {
          kind: 'snapshot',
          symbol: 'ES',
          slotTs: at('2025-01-06T11:00:00Z'),
          status: 'missed',
          reason: 'late',
        },
        {
          kind: 'snapshot',
          symbol: 'NQ',
          slotTs: at('2025-01-06T11:00:00Z'),
          status: 'missed',
          reason: 'late',
        },
        {
          kind: 'snapshot',
          symbol: 'ES',
          slotTs: at('2025-01-06T12:00:00Z'),
          status: 'skipped',
          reason: 'halt',
        },
      ],
      { now: T0 },
    );
    const missed = await queue.missedSlots({
      from: at('2025-01-06T10:30:00Z'),
      to: at('2025-01-06T12:00:00Z'),
      symbols: ['ES'],
    });
    expect(missed.map((j) => j.slotTs.toISOString())).toEqual(['2025-01-06T11:00:00.000Z']);
    expect(
      await queue.markBackfilled(
        missed.map((j) => j.id),
        { now: T0, deltaVersion: 42 },
      ),
    ).toBe(1);
    const [row] = await queue.listJobs({ ids: [missed[0]!.id] });
    expect(row).toMatchObject({ status: 'done', reason: 'backfilled', deltaVersion: 42 });
    const skipped = await queue.listJobs({ status: 'skipped' });
    expect(await queue.markBackfilled([skipped[0]!.id], { now: T0, deltaVersion: 43 })).toBe(0);
  });
});

describe('counts and prune', () => {
  it('counts by status and by kind', async () => {
    const { queue } = await tempQueue();
    await queue.insertJobs(
      [
        ...snapshotSlots(['ES', 'NQ'], [T0]),
        {
          kind: 'snapshot',
          symbol: 'ES',
          slotTs: at('2025-01-04T12:00:00Z'),
          status: 'skipped',
          reason: 'weekend',
        },
      ],
      { now: T0 },
    );
    await queue.enqueueBars(
      [
        {
          symbol: 'ES',
          barSize: '1 day',
          whatToShow: 'TRADES',
          start: at('2024-01-01T00:00:00Z'),
          end: at('2025-01-01T00:00:00Z'),
        },
      ],
      { now: T0 },
    );
    await queue.claimDue({ owner: 'w', now: T0, leaseSeconds: 30, limit: 1, kind: 'snapshot' });
    const counts = await queue.counts();
    expect(counts.total).toBe(4);
    expect(counts.byStatus).toEqual({ pending: 2, running: 1, done: 0, skipped: 1, failed: 0, missed: 0 });
    expect(counts.byKind.bars.pending).toBe(1);
    expect(counts.byKind.snapshot).toMatchObject({ pending: 1, running: 1, skipped: 1 });
  });

  it('prunes old terminal rows only', async () => {
    const { queue } = await tempQueue();
    const old = at('2024-10-01T12:00:00Z');
    await queue.insertJobs(
      [
        { kind: 'snapshot', symbol: 'ES', slotTs: old, status: 'skipped', reason: 'weekend' },
        { kind: 'snapshot', symbol: 'NQ', slotTs: old, status: 'pending' },
        ...snapshotSlots(['ES'], [T0]),
      ],
      { now: T0 },
    );
    expect(await queue.prune({ before: at('2025-01-01T00:00:00Z') })).toEqual({ jobs: 1, rounds: 0 });
    expect((await queue.counts()).total).toBe(2);
  });
});

/** Reads the file directly (allowed: no session is open between queue calls). */
async function countRows(path: string, table: string): Promise<number> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  const reader = await connection.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM ${table}`);
  const n = Number(reader.getRowObjectsJS()[0]?.n);
  connection.closeSync();
  instance.closeSync();
  return n;
}

describe('archive (keeps the hot table small)', () => {
  it('moves finished rows to the archive; reads, backfill and uniqueness still cover them', async () => {
    const { queue } = await tempQueue({ archiveAfterSeconds: 3600 });
    const old = at('2025-01-05T10:00:00Z');
    await queue.insertJobs(
      [
        { kind: 'snapshot', symbol: 'ES', slotTs: old, status: 'missed', reason: 'late' },
        { kind: 'snapshot', symbol: 'ES', slotTs: plus(old, 60), status: 'skipped', reason: 'halt' },
        { kind: 'snapshot', symbol: 'ES', slotTs: plus(old, 120), status: 'pending' },
        // The latest ES slot stays hot even though it is old and finished.
        { kind: 'snapshot', symbol: 'ES', slotTs: plus(old, 180), status: 'skipped', reason: 'halt' },
      ],
      { now: old },
    );
    expect(await queue.archive({ now: T0 })).toEqual({ jobs: 2, rounds: 0 });
    expect(await countRows(queue.path, 'jobs')).toBe(2);
    expect(await countRows(queue.path, 'jobs_archive')).toBe(2);
    expect(await queue.lastSlots('snapshot')).toEqual(new Map([['ES', plus(old, 180)]]));
    // Reads see archived rows.
    expect((await queue.counts()).byStatus).toMatchObject({ missed: 1, skipped: 2, pending: 1 });
    expect((await queue.slotBounds('snapshot'))[0]?.first).toEqual(old);
    const missed = await queue.missedSlots({ from: old, to: T0 });
    expect(missed).toHaveLength(1);
    // The unique key holds across hot and archive.
    const again = await queue.insertJobs(
      [
        { kind: 'snapshot', symbol: 'ES', slotTs: old, status: 'pending' },
        { kind: 'snapshot', symbol: 'NQ', slotTs: old, status: 'pending' },
      ],
      { now: T0 },
    );
    expect(again.existing).toBe(1);
    expect(again.inserted).toHaveLength(1);
    // Backfill can still mark an archived missed slot.
    expect(await queue.markBackfilled([missed[0]!.id], { now: T0, deltaVersion: 9 })).toBe(1);
    const [row] = await queue.listJobs({ ids: [missed[0]!.id] });
    expect(row).toMatchObject({ status: 'done', reason: 'backfilled', deltaVersion: 9 });
  });

  it('archiveIfDue runs at most hourly, and scheduling continues from the last slot after archiving', async () => {
    const { queue } = await tempQueue({ archiveAfterSeconds: 600, maxLatenessSeconds: 120 });
    expect(await queue.archiveIfDue(T0)).toEqual({ jobs: 0, rounds: 0 });
    expect(await queue.archiveIfDue(plus(T0, 3599))).toBeNull();
    expect(await queue.archiveIfDue(plus(T0, 3600))).not.toBeNull();
    const { scheduleDueSlots } = await import('../../src/queue/index.js');
    const open = () => ({ open: true, reason: 'open' });
    const options = { symbols: ['ES'], intervalSeconds: 60, marketStatus: open, firstRunLookbackSeconds: 0 };
    let now = plus(T0, 7200);
    await scheduleDueSlots(queue, { ...options, now });
    for (let i = 0; i < 10; i++) {
      const claimed = await queue.claimDue({ owner: 'c', now, leaseSeconds: 30, limit: 5 });
      await queue.complete(
        claimed.map((j) => j.id),
        { now, deltaVersion: i },
      );
      now = plus(now, 60);
      await scheduleDueSlots(queue, { ...options, now });
    }
    // Two hours later the archive step (run by the scheduler) has moved the finished slots out…
    now = plus(now, 7200);
    await scheduleDueSlots(queue, { ...options, now });
    expect(await countRows(queue.path, 'jobs_archive')).toBe(10);
    const all = await queue.listJobs({ symbols: ['ES'] });
    expect(all.filter((j) => j.status === 'done')).toHaveLength(10);
    // …and the schedule still continued from the last slot (the outage became missed rows, no duplicates).
    const times = all.map((j) => j.slotTs.getTime());
    expect(new Set(times).size).toBe(times.length);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(60_000);
  });
});

describe('a sole snapshot writer (the collector, under its lock)', () => {
  it('queues slots after the ones it knows without reading the queue, and still drops slots already queued', async () => {
    const dataDir = tempDataDir();
    const opened: Array<{ close(): void }> = [];
    const open = async () => {
      const queue = await openQueue({
        path: queuePaths(dataDir).queueDb,
        policy: POLICY,
        soleSnapshotWriter: true,
      });
      opened.push(queue);
      return queue;
    };
    const uniquenessReads = vi.spyOn(DuckDBConnection.prototype, 'runAndReadAll');
    const reads = () =>
      uniquenessReads.mock.calls.filter(([sql]) => String(sql).includes('FROM all_jobs')).length;
    const schedule = (queue: Awaited<ReturnType<typeof open>>, now: Date) =>
      scheduleDueSlots(queue, {
        now,
        symbols: ['ES', 'NQ'],
        intervalSeconds: 60,
        marketStatus: fakeMarket,
        firstRunLookbackSeconds: 120,
      });
    try {
      const queue = await open();
      expect(await schedule(queue, T0)).toMatchObject({ pending: 6, existing: 0 });
      expect(await schedule(queue, plus(T0, 60))).toMatchObject({ pending: 2, existing: 0 });
      expect(reads()).toBe(0);
      // A slot at or before the last known one is checked, and found.
      const again = await queue.insertJobs(snapshotSlots(['ES', 'NQ'], [T0, plus(T0, 60)]), { now: T0 });
      expect(again).toMatchObject({ inserted: [], existing: 4 });
      expect(reads()).toBe(1);
      queue.close();
      // A new object learns the last slots from the file first.
      const reopened = await open();
      expect(await schedule(reopened, plus(T0, 60))).toMatchObject({ pending: 0, existing: 0 });
      expect(await schedule(reopened, plus(T0, 120))).toMatchObject({ pending: 2, existing: 0 });
      const jobs = await reopened.listJobs();
      const keys = jobs.map((j) => `${j.symbol}@${j.slotTs.toISOString()}`);
      expect(new Set(keys).size).toBe(keys.length);
      expect(jobs).toHaveLength(10);
    } finally {
      uniquenessReads.mockRestore();
      for (const queue of opened) queue.close();
    }
  });

  const soleQueue = async () => {
    const queue = await openQueue({
      path: queuePaths(tempDataDir()).queueDb,
      policy: POLICY,
      soleSnapshotWriter: true,
    });
    return queue;
  };
  const lateScans = (spy: { mock: { calls: unknown[][] } }) =>
    spy.mock.calls.filter(([sql]) => String(sql).includes('AS floor')).length;

  it('looks for late slots only once one can be late, and still marks every late slot missed', async () => {
    const queue = await soleQueue();
    const scans = vi.spyOn(DuckDBConnection.prototype, 'runAndReadAll');
    try {
      const [es] = (await queue.insertJobs(snapshotSlots(['ES'], [T0]), { now: T0 })).inserted;
      expect(await queue.markLate(plus(T0, 60))).toEqual([]);
      expect(lateScans(scans)).toBe(1);
      // The oldest pending slot (T0) is not late until T0 + 300 s: nothing to look at.
      expect(await queue.markLate(plus(T0, 200))).toEqual([]);
      expect(await queue.markLate(plus(T0, 300))).toEqual([]);
      expect(lateScans(scans)).toBe(1);
      // Older slots queued later lower the floor.
      const [older] = (await queue.insertJobs(snapshotSlots(['NQ'], [plus(T0, -250)]), { now: T0 })).inserted;
      expect(await queue.markLate(plus(T0, 60))).toEqual([older]);
      expect(lateScans(scans)).toBe(2);
      expect(await queue.markLate(plus(T0, 301))).toEqual([es]);
      expect(lateScans(scans)).toBe(3);
      const jobs = await queue.listJobs();
      expect(jobs.map((j) => j.status)).toEqual(['missed', 'missed']);
    } finally {
      scans.mockRestore();
      queue.close();
    }
  });

  type SoleQueue = Awaited<ReturnType<typeof soleQueue>>;
  const ONE_ROUND = 1;
  const backToPending: Array<[string, 'due' | 'round', (queue: SoleQueue, id: number) => Promise<unknown>]> =
    [
      ['released', 'due', (queue) => queue.releaseOwned('w', { now: plus(T0, 305) })],
      ['retried', 'due', (queue, id) => queue.fail([id], { now: plus(T0, 305), error: 'timeout' })],
      ['reclaimed after its lease expired', 'due', (queue) => queue.reclaimExpired(plus(T0, 305))],
      [
        'returned by an abandoned round',
        'round',
        (queue) => queue.abandonRound(ONE_ROUND, { now: plus(T0, 305), reason: 'gateway down' }),
      ],
      [
        'returned by an abandoned round without an attempt',
        'round',
        (queue) =>
          queue.abandonRound(ONE_ROUND, { now: plus(T0, 305), reason: 'gateway down', countAttempt: false }),
      ],
    ];
  it.each(backToPending)(
    'marks a slot %s into pending missed once it is late',
    async (_how, claim, giveBack) => {
      const queue = await soleQueue();
      try {
        const [a] = (await queue.insertJobs(snapshotSlots(['ES'], [T0, plus(T0, 60)]), { now: T0 })).inserted;
        const options = { owner: 'w', now: plus(T0, 60), leaseSeconds: 200, limit: 1 };
        const claimed =
          claim === 'due' ? await queue.claimDue(options) : (await queue.claimRound(options)).jobs;
        expect(claimed.map((j) => j.id)).toEqual([a]);
        // A pass while the T0 slot runs learns that the oldest pending slot is T0 + 60 s.
        expect(await queue.markLate(plus(T0, 301))).toEqual([]);
        await giveBack(queue, a!);
        expect((await queue.listJobs({ ids: [a!] }))[0]?.status).toBe('pending');
        expect(await queue.markLate(plus(T0, 310))).toEqual([a]);
        expect((await queue.listJobs({ ids: [a!] }))[0]?.status).toBe('missed');
      } finally {
        queue.close();
      }
    },
  );
});
