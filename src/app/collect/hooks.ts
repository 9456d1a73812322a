import type { ManualClock } from '../../core/clock.js';
import type { RoundResult, RoundStepHook } from './round.js';

/** Test and benchmark hooks into a collect run (ctx.hooks). */
export interface CollectHooks {
  onStep?: RoundStepHook;
  /** Called once a round's result is complete (benchmarks, progress). */
  onRound?: (round: RoundResult) => void;
}

/**
 * Keeps a run on a manual clock one slot behind: when a round ends, the clock moves on to the next slot,
 * so that slot is already due and the collector catches up (the next round starts at once, the Delta
 * commit landing meanwhile, the queue file kept attached). Each round still starts at its slot and takes
 * one slot, as on the wall-clock path, where the collector sleeps until the next slot instead.
 */
export function oneSlotBehind(
  clock: ManualClock,
  intervalSeconds: number,
  hooks: CollectHooks = {},
): CollectHooks {
  return {
    ...hooks,
    async onStep(step) {
      if (step === 'round:end') {
        const slotMs = intervalSeconds * 1000;
        clock.set(new Date((Math.floor(clock.now().getTime() / slotMs) + 1) * slotMs));
      }
      await hooks.onStep?.(step);
    },
  };
}
