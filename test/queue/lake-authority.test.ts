/**
 * Queue operations behind "the lake is the authority" (docs/round-protocol.md): done slots of rounds
 * above the lake's txn, moving lost ones back to missed, restoring done slots from the lake, and a
 * damaged file as a data error naming `futures queue rebuild`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openQueue, QueueCorruptError, readQueueStatus } from '../../src/queue/index.js';
import { at, POLICY, tempDataDir, tempQueue } from './helpers.js';

const NOW = at('2025-01-06T14:30:00Z');

describe('queue: the lake is the authority', () => {
  it('done slots of rounds above a txn go back to missed with the reason, and stay backfillable', async () => {
    const { queue } = await tempQueue();
    await queue.insertJobs(
      ['ES', 'NQ'].flatMap((symbol) =>
        [0, 60, 120].map((s) => ({
          kind: 'snapshot' as const,
          symbol,
          slotTs: new Date(NOW.getTime() + s * 1000),
          status: 'pending' as const,
        })),
      ),
      { now: NOW },
    );
    const late = new Date(NOW.getTime() + 130_000);
    for (let round = 1; round <= 3; round += 1) {
      const claimed = await queue.claimRound({
        owner: 'c',
        now: late,
        leaseSeconds: 60,
        limit: 2,
        kind: 'snapshot',
      });
      await queue.finishRound(claimed.round?.roundSeq ?? -1, { now: late, deltaVersion: round });
    }
    const above = await queue.doneSlotsOfRoundsAbove(2);
    expect(above.map((j) => j.roundSeq)).toEqual([3, 3]);
    expect((await queue.doneSlotsOfRoundsAbove(null)).length).toBe(6);
    const moved = await queue.markLost(
      above.map((j) => j.id),
      { now: late, reason: 'lost-commit' },
    );
    expect(moved.length).toBe(2);
    const missed = await queue.missedSlots({ from: NOW, to: late });
    expect(missed.map((j) => [j.status, j.reason, j.deltaVersion])).toEqual([
      ['missed', 'lost-commit', null],
      ['missed', 'lost-commit', null],
    ]);
    // Only done slots move.
    expect(await queue.markLost([missed[0]?.id ?? 0], { now: late, reason: 'x' })).toEqual([]);
    queue.close();
  });

  it('restoreDone records slots as done once, leaving queued ones alone', async () => {
    const { queue } = await tempQueue();
    await queue.insertJobs([{ kind: 'snapshot', symbol: 'ES', slotTs: NOW, status: 'missed' }], { now: NOW });
    const slots = [
      { symbol: 'ES', slotTs: NOW },
      { symbol: 'NQ', slotTs: NOW },
    ];
    expect(await queue.restoreDone(slots, { now: NOW, reason: 'rebuilt from the lake' })).toBe(1);
    expect(await queue.restoreDone(slots, { now: NOW, reason: 'rebuilt from the lake' })).toBe(0);
    const jobs = await queue.listJobs({ kind: 'snapshot' });
    expect(jobs.map((j) => [j.symbol, j.status])).toEqual([
      ['ES', 'missed'],
      ['NQ', 'done'],
    ]);
    queue.close();
  });

  it.each([
    ['garbage', (path: string) => writeFileSync(path, Buffer.alloc(300_000, 0x41))],
    ['empty', (path: string) => writeFileSync(path, '')],
    ['a directory', (path: string) => mkdirSync(path)],
  ])(
    'a queue file that is %s is a QueueCorruptError (kind data) naming futures queue rebuild',
    async (_n, damage) => {
      const dataDir = tempDataDir();
      const path = join(dataDir, 'state', 'queue.duckdb');
      mkdirSync(join(dataDir, 'state'), { recursive: true });
      damage(path);
      const write = await openQueue({ path, policy: POLICY }).catch((e: unknown) => e);
      expect(write).toBeInstanceOf(QueueCorruptError);
      expect((write as QueueCorruptError).kind).toBe('data');
      expect((write as QueueCorruptError).hint).toMatch(/futures queue rebuild/);
      const read = await readQueueStatus({
        dataDir,
        now: NOW,
        symbols: ['ES'],
        intervalSeconds: 60,
        maxLatenessSeconds: 300,
      }).catch((e: unknown) => e);
      expect(read).toBeInstanceOf(QueueCorruptError);
    },
  );
});
