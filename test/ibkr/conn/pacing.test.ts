import { describe, expect, it } from 'vitest';
import { manualClock } from '../../../src/core/clock.js';
import { Pacer } from '../../../src/ibkr/index.js';
import type { HistoricalRequestKey } from '../../../src/ibkr/pacing.js';

const key = (n: number, contractKey = '495512551', whatToShow = 'TRADES'): HistoricalRequestKey => ({
  contractKey,
  whatToShow,
  barSize: '1 min',
  endDateTime: `20250102-${String(n).padStart(2, '0')}:00:00`,
  durationStr: '3600 S',
});

function pacer(clock = manualClock(new Date(0)), maxMessagesPerSecond = 40, maxConcurrentSnapshots = 2) {
  return { clock, pacer: new Pacer({ maxMessagesPerSecond, maxConcurrentSnapshots, clock }) };
}

describe('Pacer: global message budget', () => {
  it('lets maxMessagesPerSecond through in one second, then waits for the window', async () => {
    const { clock, pacer: p } = pacer(manualClock(new Date(0)), 10);
    const times: number[] = [];
    for (let i = 0; i < 25; i += 1) {
      await p.message();
      times.push(clock.now().getTime());
    }
    expect(times.slice(0, 10).every((t) => t === 0)).toBe(true);
    expect(times[10]).toBe(1000);
    expect(times[20]).toBe(2000);
    // No 1-second window ever holds more than 10.
    for (const t of times) expect(times.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(10);
  });

  it('never exceeds IB\u2019s hard limit of 50/s even if configured higher', async () => {
    const { clock, pacer: p } = pacer(manualClock(new Date(0)), 500);
    for (let i = 0; i < 51; i += 1) await p.message();
    expect(clock.now().getTime()).toBe(1000);
  });
});

describe('Pacer: historical rules', () => {
  it('does not repeat an identical request within 15 s', async () => {
    const { clock, pacer: p } = pacer();
    (await p.historicalRequest(key(1)))();
    (await p.historicalRequest(key(1)))();
    expect(clock.now().getTime()).toBe(15_000);
  });

  it('allows at most 5 requests for one contract and tick type within 2 s', async () => {
    const { clock, pacer: p } = pacer();
    const at: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      (await p.historicalRequest(key(i)))();
      at.push(clock.now().getTime());
    }
    expect(at.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(at[5]).toBe(2000);
    // Other contracts and tick types are not held back by that rule.
    const before = clock.now().getTime();
    (await p.historicalRequest(key(1, 'other')))();
    (await p.historicalRequest(key(1, '495512551', 'MIDPOINT')))();
    expect(clock.now().getTime()).toBe(before);
  });

  it('allows at most 60 requests in 10 minutes, BID_ASK counting twice', async () => {
    const { clock, pacer: p } = pacer();
    for (let i = 0; i < 60; i += 1) (await p.historicalRequest(key(i % 24, `c${i}`)))();
    expect(clock.now().getTime()).toBe(0);
    (await p.historicalRequest(key(0, 'c-last')))();
    expect(clock.now().getTime()).toBe(600_000);
    const { clock: c2, pacer: p2 } = pacer();
    for (let i = 0; i < 30; i += 1) (await p2.historicalRequest(key(i % 24, `b${i}`, 'BID_ASK')))();
    expect(c2.now().getTime()).toBe(0);
    (await p2.historicalRequest(key(0, 'x')))();
    expect(c2.now().getTime()).toBe(600_000);
  });

  it('keeps at most maxOpen historical requests open', async () => {
    const clock = manualClock(new Date(0));
    const p = new Pacer({
      maxMessagesPerSecond: 40,
      maxConcurrentSnapshots: 1,
      clock,
      rules: { maxOpen: 2 },
    });
    const r1 = await p.historicalRequest(key(1, 'a'));
    const r2 = await p.historicalRequest(key(1, 'b'));
    let third = false;
    const pending = p.historicalRequest(key(1, 'c')).then((release) => {
      third = true;
      return release;
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(third).toBe(false);
    expect(p.stats.historicalOpen).toBe(2);
    r1();
    r1(); // idempotent
    (await pending)();
    expect(third).toBe(true);
    r2();
    expect(p.stats.historicalOpen).toBe(0);
  });

  it('backs off after a 162 pacing violation, doubling per consecutive violation', async () => {
    const { clock, pacer: p } = pacer();
    expect(p.historicalPacingViolation()).toBe(15_000);
    (await p.historicalRequest(key(1)))();
    expect(clock.now().getTime()).toBe(15_000);
    expect(p.historicalPacingViolation()).toBe(30_000);
    (await p.historicalRequest(key(2)))();
    expect(clock.now().getTime()).toBe(45_000);
    p.historicalSucceeded();
    expect(p.historicalPacingViolation()).toBe(15_000);
    expect(p.stats.pacingViolations).toBe(3);
  });

  it('caps the back-off at 10 minutes', () => {
    const { pacer: p } = pacer();
    let last = 0;
    for (let i = 0; i < 12; i += 1) last = p.historicalPacingViolation();
    expect(last).toBe(600_000);
  });
});

describe('Pacer: snapshot cap', () => {
  it('runs at most maxConcurrentSnapshots at once', async () => {
    const { pacer: p } = pacer(manualClock(new Date(0)), 40, 2);
    const a = await p.snapshotSlot();
    const b = await p.snapshotSlot();
    let gotThird = false;
    const third = p.snapshotSlot().then((release) => {
      gotThird = true;
      return release;
    });
    await Promise.resolve();
    expect(gotThird).toBe(false);
    expect(p.stats.snapshotsOpen).toBe(2);
    a();
    (await third)();
    b();
    expect(p.stats.snapshotsOpen).toBe(0);
  });
});
