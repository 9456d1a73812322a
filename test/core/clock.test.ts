import { describe, expect, it } from 'vitest';
import { clockFromNow, manualClock, wallClock } from '../../src/core/clock.js';
import { testCtx } from '../helpers/ctx.js';

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

  it('wallClock follows the real time', () => {
    const before = Date.now();
    const at = wallClock().now().getTime();
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
  });

  it('a test Ctx carries the clock it was given, or one following a fixed now', () => {
    const injected = manualClock(new Date('2026-01-01T00:00:00Z'));
    expect(testCtx({ clock: injected }).clock).toBe(injected);
    expect(
      testCtx({ now: () => new Date('2030-01-01T00:00:00Z') })
        .clock.now()
        .getUTCFullYear(),
    ).toBe(2030);
  });
});
