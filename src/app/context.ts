import type { Config } from '../config/schema.js';
import type { Ctx } from '../core/context.js';
import type { Logger } from '../core/log.js';

/** What a use case and a command's run() receive besides their options. */
export interface RunContext extends Ctx {
  config: Config;
  configFile: string | undefined;
  log: Logger;
  /** True when progress (spinners, colour) may be drawn on stderr. */
  isInteractive: boolean;
}
