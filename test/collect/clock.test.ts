import { describe, expect, it } from 'vitest';
import { clockFromContext, clockFromNow, manualClock } from '../../src/core/clock.js';

describe('Clock', () => {
  it('manualClock: sleep advances it at once; an aborted signal does not advance it', async () => {
    const clock = manualClock(new Date('2026-09-01T00:00:00Z'));
    await clock.sleep(90_000);
    expect(clock.now().toISOString()).toBe('2026-09-01T00:01:30.000Z');
    const controller = new AbortController();
    controller.abort();
    await clock.sleep(60_000, controller.signal);
    expect(clock.now().toISOString()).toBe('2026-09-01T00:01:30.000Z');
  });

  it('clockFromNow follows an accelerated clock: 60 simulated seconds at 600× take ~0.1 s of wall time', async () => {
    const wallStart = performance.now();
    const simStart = Date.UTC(2026, 8, 1);
    const now = () => new Date(simStart + (performance.now() - wallStart) * 600);
    const clock = clockFromNow(now);
    const before = now().getTime();
    const t = performance.now();
    await clock.sleep(60_000);
    const wall = performance.now() - t;
    expect(now().getTime() - before).toBeGreaterThanOrEqual(60_000);
    // Generous bound for a busy machine; at real time it would take 60 s.
    expect(wall).toBeLessThan(5_000);
  });

  it('clockFromNow returns early when aborted', async () => {
    const clock = clockFromNow(() => new Date());
    const controller = new AbortController();
    const pending = clock.sleep(60_000, controller.signal);
    controller.abort();
    await pending;
  });

  it('clockFromContext prefers an injected ctx.clock', () => {
    const injected = manualClock(new Date('2026-01-01T00:00:00Z'));
    const ctx = Object.assign({ now: () => new Date('2030-01-01T00:00:00Z') }, { clock: injected });
    expect(clockFromContext(ctx)).toBe(injected);
    expect(
      clockFromContext({ now: () => new Date('2030-01-01T00:00:00Z') })
        .now()
        .getUTCFullYear(),
    ).toBe(2030);
  });
});
