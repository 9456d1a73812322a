import { describe, expect, it } from 'vitest';
import { alignDown, alignUp, planSlots, QueueUsageError, scheduleDueSlots } from '../../src/queue/index.js';
import { at, fakeMarket, plus, tempQueue } from './helpers.js';

const SYMBOLS = ['ES', 'NQ'];

describe('planSlots', () => {
  it('aligns slots to the clock and includes both bounds', () => {
    const slots = planSlots({
      symbols: ['ES'],
      intervalSeconds: 60,
      from: at('2025-01-06T14:30:20Z'),
      to: at('2025-01-06T14:33:00Z'),
      marketStatus: fakeMarket,
    });
    expect(slots.map((s) => s.slotTs.toISOString())).toEqual([
      '2025-01-06T14:31:00.000Z',
      '2025-01-06T14:32:00.000Z',
      '2025-01-06T14:33:00.000Z',
    ]);
    expect(slots.every((s) => s.open && s.reason === null)).toBe(true);
  });

  it('aligns 5-minute slots to :00, :05, …', () => {
    expect(alignUp(at('2025-01-06T14:31:00Z'), 300).toISOString()).toBe('2025-01-06T14:35:00.000Z');
    expect(alignDown(at('2025-01-06T14:34:59Z'), 300).toISOString()).toBe('2025-01-06T14:30:00.000Z');
    expect(alignUp(at('2025-01-06T14:35:00Z'), 300).toISOString()).toBe('2025-01-06T14:35:00.000Z');
  });

  it('marks weekend, halt and holiday slots closed with the reason, per symbol', () => {
    const reasonAt = (iso: string) =>
      planSlots({
        symbols: SYMBOLS,
        intervalSeconds: 60,
        from: at(iso),
        to: at(iso),
        marketStatus: fakeMarket,
      }).map((s) => [s.symbol, s.open, s.reason]);
    expect(reasonAt('2025-01-04T12:00:00Z')).toEqual([
      ['ES', false, 'weekend'],
      ['NQ', false, 'weekend'],
    ]);
    expect(reasonAt('2025-01-06T22:30:00Z')).toEqual([
      ['ES', false, 'halt'],
      ['NQ', false, 'halt'],
    ]);
    expect(reasonAt('2025-01-01T15:00:00Z')[0]).toEqual(['ES', false, 'holiday']);
    expect(reasonAt('2025-01-06T21:59:00Z')[0]).toEqual(['ES', true, null]);
  });

  it('passes the symbol to the calendar (an index can keep other hours)', () => {
    const slots = planSlots({
      symbols: ['ES', 'VIX'],
      intervalSeconds: 60,
      from: at('2025-01-06T14:00:00Z'),
      to: at('2025-01-06T14:00:00Z'),
      marketStatus: (_t, symbol) =>
        symbol === 'VIX' ? { open: false, reason: 'closed' } : { open: true, reason: 'open' },
    });
    expect(slots.map((s) => [s.symbol, s.open, s.reason])).toEqual([
      ['ES', true, null],
      ['VIX', false, 'closed'],
    ]);
  });

  it('rejects a non-integer or zero interval', () => {
    const bad = {
      symbols: ['ES'],
      from: at('2025-01-06T14:00:00Z'),
      to: at('2025-01-06T15:00:00Z'),
      marketStatus: fakeMarket,
    };
    expect(() => planSlots({ ...bad, intervalSeconds: 0 })).toThrow(QueueUsageError);
    expect(() => planSlots({ ...bad, intervalSeconds: 1.5 })).toThrow(QueueUsageError);
  });
});

describe('scheduleDueSlots', () => {
  it('first run looks back only the configured window, not history', async () => {
    const { queue } = await tempQueue();
    const now = at('2025-01-06T14:30:30Z');
    const result = await scheduleDueSlots(queue, {
      now,
      symbols: SYMBOLS,
      intervalSeconds: 60,
      marketStatus: fakeMarket,
      firstRunLookbackSeconds: 180,
    });
    // 14:28, 14:29, 14:30 for each symbol (14:27:30 → first grid point 14:28).
    expect(result).toEqual({ pending: 6, skipped: 0, missed: 0, expired: 0, existing: 0 });
    const jobs = await queue.listJobs({ symbols: ['ES'] });
    expect(jobs.map((j) => j.slotTs.toISOString())).toEqual([
      '2025-01-06T14:28:00.000Z',
      '2025-01-06T14:29:00.000Z',
      '2025-01-06T14:30:00.000Z',
    ]);
    expect(
      jobs.every(
        (j) =>
          j.status === 'pending' && j.kind === 'snapshot' && j.notBefore.getTime() === j.slotTs.getTime(),
      ),
    ).toBe(true);
  });

  it('defaults the first-run lookback to maxLateness', async () => {
    const { queue } = await tempQueue({ maxLatenessSeconds: 120 });
    const result = await scheduleDueSlots(queue, {
      now: at('2025-01-06T14:30:00Z'),
      symbols: ['ES'],
      intervalSeconds: 60,
      marketStatus: fakeMarket,
    });
    expect(result.pending).toBe(3); // 14:28, 14:29, 14:30
  });

  it('is idempotent: the same now twice queues nothing new; later calls add only the new slots', async () => {
    const { queue } = await tempQueue();
    const options = {
      symbols: SYMBOLS,
      intervalSeconds: 60,
      marketStatus: fakeMarket,
      firstRunLookbackSeconds: 120,
    };
    const now = at('2025-01-06T14:30:00Z');
    const first = await scheduleDueSlots(queue, { ...options, now });
    expect(first.pending).toBe(6);
    const again = await scheduleDueSlots(queue, { ...options, now });
    expect(again).toEqual({ pending: 0, skipped: 0, missed: 0, expired: 0, existing: 0 });
    const later = await scheduleDueSlots(queue, { ...options, now: plus(now, 125) });
    expect(later.pending).toBe(4); // 14:31 and 14:32 for both symbols
    expect((await queue.counts()).byStatus.pending).toBe(10);
    // A different grid offset planned over the same range still hits the unique key.
    const inserted = await queue.insertJobs(
      [{ kind: 'snapshot', symbol: 'ES', slotTs: at('2025-01-06T14:31:00Z'), status: 'pending' }],
      { now },
    );
    expect(inserted).toMatchObject({ inserted: [], existing: 1 });
  });

  it('records closed-market slots as skipped with the reason (weekend, halt, holiday)', async () => {
    const { queue } = await tempQueue({ maxLatenessSeconds: 3600 });
    const run = (iso: string) =>
      scheduleDueSlots(queue, {
        now: at(iso),
        symbols: ['ES'],
        intervalSeconds: 600,
        marketStatus: fakeMarket,
        firstRunLookbackSeconds: 3600,
      });
    // Friday 21:30 → 22:30 UTC: 21:30, 21:40, 21:50 open; 22:00..22:30 halt.
    const friday = await run('2025-01-03T22:30:00Z');
    expect(friday).toMatchObject({ pending: 3, skipped: 4 });
    const halted = await queue.listJobs({ status: 'skipped' });
    expect(new Set(halted.map((j) => j.reason))).toEqual(new Set(['halt']));
    // Into Saturday: 22:40 .. 23:50 halt/open, then Saturday slots are weekend.
    await run('2025-01-04T00:30:00Z');
    const weekend = await queue.listJobs({ from: at('2025-01-04T00:00:00Z'), status: 'skipped' });
    expect(weekend.length).toBe(4);
    expect(weekend.every((j) => j.reason === 'weekend')).toBe(true);
  });

  it('holiday slots are skipped with reason holiday', async () => {
    const { queue } = await tempQueue();
    const result = await scheduleDueSlots(queue, {
      now: at('2025-01-01T15:00:00Z'),
      symbols: SYMBOLS,
      intervalSeconds: 60,
      marketStatus: fakeMarket,
      firstRunLookbackSeconds: 60,
    });
    expect(result).toMatchObject({ pending: 0, skipped: 4 });
    expect((await queue.listJobs()).every((j) => j.status === 'skipped' && j.reason === 'holiday')).toBe(
      true,
    );
  });

  it('turns pending slots older than maxLateness into missed, and claims never see them', async () => {
    const { queue } = await tempQueue({ maxLatenessSeconds: 120 });
    const options = {
      symbols: ['ES'],
      intervalSeconds: 60,
      marketStatus: fakeMarket,
      firstRunLookbackSeconds: 120,
    };
    const t0 = at('2025-01-06T14:30:00Z');
    await scheduleDueSlots(queue, { ...options, now: t0 }); // 14:28, 14:29, 14:30
    const later = await scheduleDueSlots(queue, { ...options, now: plus(t0, 90) }); // now 14:31:30, cutoff 14:29:30
    expect(later).toMatchObject({ pending: 1, expired: 2 });
    const missed = await queue.listJobs({ status: 'missed' });
    expect(missed.map((j) => j.slotTs.toISOString())).toEqual([
      '2025-01-06T14:28:00.000Z',
      '2025-01-06T14:29:00.000Z',
    ]);
    expect(missed[0]?.reason).toBe('not collected within 120s');
    // At exactly maxLateness a slot is still collectable.
    const claimed = await queue.claimDue({
      owner: 'w',
      now: at('2025-01-06T14:32:00Z'),
      leaseSeconds: 60,
      limit: 10,
    });
    expect(claimed.map((j) => j.slotTs.toISOString())).toEqual([
      '2025-01-06T14:30:00.000Z',
      '2025-01-06T14:31:00.000Z',
    ]);
  });

  it('after an outage records the gap as missed (open) and skipped (closed), bounded by catchUpSeconds', async () => {
    const { queue } = await tempQueue({ maxLatenessSeconds: 300 });
    const options = {
      symbols: ['ES'],
      intervalSeconds: 600,
      marketStatus: fakeMarket,
      firstRunLookbackSeconds: 0,
    };
    await scheduleDueSlots(queue, { ...options, now: at('2025-01-06T20:00:00Z') });
    // Down until 23:30: 20:10..21:50 open (missed), 22:00..22:50 halt (skipped), 23:00..23:20 open but late (missed), 23:30 pending.
    const result = await scheduleDueSlots(queue, { ...options, now: at('2025-01-06T23:30:00Z') });
    expect(result).toEqual({ pending: 1, skipped: 6, missed: 14, expired: 1, existing: 0 });
    const missed = await queue.listJobs({ status: 'missed' });
    expect(missed[1]?.reason).toMatch(/collector not running/);
    // A long outage: only catchUpSeconds of rows are recorded.
    const bounded = await scheduleDueSlots(queue, {
      ...options,
      now: at('2025-01-08T23:30:00Z'),
      catchUpSeconds: 3600,
    });
    expect(bounded.pending + bounded.skipped + bounded.missed).toBe(7); // 22:30 .. 23:30
  });
});
