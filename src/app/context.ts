import type { Config } from '../config/schema.js';
import type { Ctx } from '../core/context.js';
import type { Logger } from '../core/log.js';
import type { MarketCalendar } from '../market/calendar.js';

/** What a use case and a command's run() receive besides their options. */
export interface RunContext extends Ctx {
  config: Config;
  configFile: string | undefined;
  /** The market calendar of this config (built-in days plus calendar.overrides), validated by loadConfig. */
  calendar: MarketCalendar;
  log: Logger;
  /** True when progress (spinners, colour) may be drawn on stderr. */
  isInteractive: boolean;
}
