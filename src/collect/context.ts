/**
 * What `futures collect`/`backfill` take from the run context beyond the Ctx fields: an injected Clock
 * (tests, the demo's accelerated night) as `ctx.clock`, test hooks as `ctx.collectHooks`, and whether
 * the IB factory points at the simulator (`ctx.ibFactory.simulated === true`). Read with type guards,
 * so the CLI core does not need to know about them.
 */

import { type Clock, clockFromNow, isClock } from '../core/clock.js';
import type { RoundResult, RoundStepHook } from './round.js';

export interface CollectHooks {
  onStep?: RoundStepHook;
  onRound?: (round: RoundResult) => void;
}

export interface CollectContext {
  clock: Clock;
  clockInjected: boolean;
  hooks: CollectHooks;
  simulated: boolean;
}

export function collectContext(ctx: { now: () => Date; ibFactory?: unknown }): CollectContext {
  const injected: unknown = Reflect.get(ctx, 'clock');
  const rawHooks: unknown = Reflect.get(ctx, 'collectHooks');
  const hooks: CollectHooks = {};
  if (typeof rawHooks === 'object' && rawHooks !== null) {
    const onStep: unknown = Reflect.get(rawHooks, 'onStep');
    const onRound: unknown = Reflect.get(rawHooks, 'onRound');
    if (typeof onStep === 'function') hooks.onStep = (step) => onStep(step);
    if (typeof onRound === 'function') hooks.onRound = (round) => onRound(round);
  }
  const factory = ctx.ibFactory;
  const simulated =
    typeof factory === 'object' && factory !== null && Reflect.get(factory, 'simulated') === true;
  return isClock(injected)
    ? { clock: injected, clockInjected: true, hooks, simulated }
    : { clock: clockFromNow(ctx.now), clockInjected: false, hooks, simulated };
}
