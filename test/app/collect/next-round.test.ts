import { describe, expect, it } from 'vitest';
import { nextRound } from '../../../src/app/collect/next-round.js';

const T = Date.parse('2026-09-01T14:00:00Z');
const MIN = 60_000;
const loop = { mode: { kind: 'loop' as const }, intervalSeconds: 60, waitSeconds: 0 };

describe('nextRound: wait for the next slot, or catch up when it is already due', () => {
  it('a round that ends before the next slot waits for it (the commit lands, the queue file is let go)', () => {
    expect(nextRound(loop, { at: new Date(T), rounds: 1, now: T + 300 })).toEqual({
      stop: null,
      wakeAt: T + MIN,
      due: false,
    });
  });

  it('a round that ends after the next slot came due goes on at once (catching up)', () => {
    expect(nextRound(loop, { at: new Date(T), rounds: 1, now: T + MIN + 300 })).toEqual({
      stop: null,
      wakeAt: T + MIN + 300,
      due: true,
    });
  });

  it('collect.waitSeconds is a real wait: with it the collector never runs rounds back to back', () => {
    const next = nextRound({ ...loop, waitSeconds: 5 }, { at: new Date(T), rounds: 1, now: T + MIN + 300 });
    expect(next).toEqual({ stop: null, wakeAt: T + MIN + 5300, due: false });
  });

  it('the next slot follows the slot the round started in, not the time it ended', () => {
    const next = nextRound(loop, { at: new Date(T + 59_900), rounds: 1, now: T + MIN + 100 });
    expect(next).toMatchObject({ wakeAt: T + MIN + 100, due: true });
  });

  it('--once and --rounds stop after their rounds', () => {
    expect(nextRound({ ...loop, mode: { kind: 'once' } }, { at: new Date(T), rounds: 1, now: T })).toEqual({
      stop: 'once',
    });
    const rounds = { ...loop, mode: { kind: 'rounds' as const, rounds: 2 } };
    expect(nextRound(rounds, { at: new Date(T), rounds: 1, now: T })).toMatchObject({ stop: null });
    expect(nextRound(rounds, { at: new Date(T), rounds: 2, now: T })).toEqual({ stop: 'rounds' });
  });

  it('--until includes the slot at that time, on either path, and wakes no later than it', () => {
    const until = { ...loop, mode: { kind: 'until' as const, until: new Date(T + MIN) } };
    // Waiting: the round before the last wakes at the last slot …
    expect(nextRound(until, { at: new Date(T), rounds: 1, now: T + 200 })).toEqual({
      stop: null,
      wakeAt: T + MIN,
      due: false,
    });
    // … catching up: that slot is due when the round before it ends at `until`, so it still runs …
    expect(nextRound(until, { at: new Date(T), rounds: 1, now: T + MIN })).toEqual({
      stop: null,
      wakeAt: T + MIN,
      due: true,
    });
    // … and after the round at `until` the run stops.
    expect(nextRound(until, { at: new Date(T + MIN), rounds: 2, now: T + MIN + 200 })).toEqual({
      stop: 'until',
    });
    // An `until` between slots: the last wait ends there.
    const between = { ...loop, mode: { kind: 'until' as const, until: new Date(T + 30_000) } };
    expect(nextRound(between, { at: new Date(T), rounds: 1, now: T + 200 })).toMatchObject({
      wakeAt: T + 30_000,
      due: false,
    });
  });
});
