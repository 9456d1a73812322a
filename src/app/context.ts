import type { Config } from '../config/schema.js';
import type { Ctx } from '../core/context.js';
import type { Logger } from '../core/log.js';
import type { IbFactory } from '../ibkr/index.js';
import type { MarketCalendar } from '../market/calendar.js';
import type { CollectHooks } from './collect/hooks.js';

/**
 * A run's context with the services a use case may be handed instead of the real ones: an IB factory
 * (the demo's simulator, a test's fake gateway) and hooks into collection rounds.
 */
export interface AppCtx extends Ctx {
  /** Opens IB connections. Absent means "use the real gateway from config". */
  ib?: IbFactory;
  /** True when `ib` reaches the built-in IB Gateway simulator: collected rows carry source 'sim'. */
  ibSimulated?: boolean;
  /** Test and benchmark hooks into collection rounds. */
  hooks?: CollectHooks;
}

/** What a use case and a command's run() receive besides their options. */
export interface RunContext extends AppCtx {
  config: Config;
  configFile: string | undefined;
  /** The market calendar of this config (built-in days plus calendar.overrides), validated by loadConfig. */
  calendar: MarketCalendar;
  log: Logger;
  /** True when progress (spinners, colour) may be drawn on stderr. */
  isInteractive: boolean;
}
