import type { StopReason } from './summary.js';

/** How long a collect run goes on: one round, n rounds, until a time, or until a signal. */
export type CollectMode =
  | { kind: 'once' }
  | { kind: 'rounds'; rounds: number }
  | { kind: 'until'; until: Date }
  | { kind: 'loop' };

/**
 * What the collector does after a round: stop, or go on at `wakeAt`. `due` means the next slot is already
 * due (the collector is catching up): the next round starts at once, without waiting for this round's
 * Delta commit and keeping the queue file attached. Otherwise it waits for the commit, lets go of the
 * file and sleeps until `wakeAt`.
 */
export type NextRound = { stop: StopReason } | { stop: null; wakeAt: number; due: boolean };

export function nextRound(
  run: { mode: CollectMode; intervalSeconds: number; waitSeconds: number },
  round: { at: Date; rounds: number; now: number },
): NextRound {
  const { mode } = run;
  const { now } = round;
  if (mode.kind === 'once') return { stop: 'once' };
  if (mode.kind === 'rounds' && round.rounds >= mode.rounds) return { stop: 'rounds' };
  const step = run.intervalSeconds * 1000;
  const nextSlot = Math.floor(round.at.getTime() / step) * step + step;
  // --until includes the slot at that time, also when the collector reaches it late.
  if (mode.kind === 'until' && now >= mode.until.getTime() && nextSlot > mode.until.getTime()) {
    return { stop: 'until' };
  }
  let wakeAt = Math.max(now + run.waitSeconds * 1000, nextSlot);
  if (mode.kind === 'until') wakeAt = Math.min(wakeAt, mode.until.getTime());
  return { stop: null, wakeAt, due: wakeAt <= now };
}
