/**
 * The clock of a run: `now` for slot times and row stamps, `sleep` for the waits between rounds,
 * reconnect back-off and historical pacing. Everything that waits goes through one Clock, so a simulated
 * night runs at accelerated time or instantly (a manual clock). Code never asks what kind of clock it
 * has: a manual clock is treated exactly like the wall clock.
 */

export interface Clock {
  now(): Date;
  /** Resolves after `ms` on this clock, or early (without throwing) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Real-time wait that ends early on abort. */
export function wallSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Longest single real-time wait while following a clock whose speed is unknown. */
const MAX_STEP_MS = 1000;
const FIRST_STEP_MS = 20;

/**
 * A Clock over any `now` function (the real clock, or an accelerated one such as the simulator's
 * acceleratedClock): sleep() learns how fast `now` advances against the wall clock and waits in steps
 * until `now` reaches the target, so the same code waits 60 s at real time and 1 s at 60×.
 */
export function clockFromNow(now: () => Date, wall: () => number = () => performance.now()): Clock {
  let rate = 1;
  return {
    now,
    async sleep(ms, signal) {
      const target = now().getTime() + ms;
      let step = Math.min(ms, FIRST_STEP_MS);
      for (;;) {
        if (signal?.aborted) return;
        const before = now().getTime();
        const remaining = target - before;
        if (remaining <= 0) return;
        const wallBefore = wall();
        await wallSleep(Math.max(1, Math.min(step, MAX_STEP_MS)), signal);
        const advanced = now().getTime() - before;
        const waited = wall() - wallBefore;
        // A clock that did not move (a fixed test clock) would never reach the target: give up waiting.
        if (advanced <= 0 && waited >= MAX_STEP_MS) return;
        if (advanced > 0 && waited > 0) rate = advanced / waited;
        step = (target - now().getTime()) / rate;
      }
    },
  };
}

/** The real clock of a process. */
export function wallClock(): Clock {
  return clockFromNow(() => new Date());
}

/** A clock that only moves when slept on (tests, benchmarks): sleep() advances it at once. */
export interface ManualClock extends Clock {
  set(at: Date): void;
  advance(ms: number): void;
}

export function manualClock(start: Date): ManualClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    async sleep(ms, signal) {
      if (signal?.aborted) return;
      current += Math.max(0, ms);
      // Yield to the event loop so signals and sockets are served between rounds.
      await new Promise<void>((resolve) => setImmediate(resolve));
    },
    set(at) {
      current = at.getTime();
    },
    advance(ms) {
      current += ms;
    },
  };
}
