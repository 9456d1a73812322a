import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { type IbFactory, IbSession } from '../ibkr/index.js';
import type { MarketCalendar } from '../market/index.js';

/** How a use case reaches IB (from the run context): the factory, and whether it is the built-in simulator. */
export interface IbAccess {
  factory: IbFactory | undefined;
  simulated: boolean;
}

/** What a use case that writes IB data into the lake (collect, backfill) takes from its run. */
export interface IbRunOptions {
  dataDir: string;
  config: Config;
  /** The market calendar of the run (built and validated with the config). */
  calendar: MarketCalendar;
  clock: Clock;
  log: Logger;
  signal: AbortSignal;
  ib: IbAccess;
  /** `source` of the rows: 'sim' against the simulator. */
  source: 'ibkr' | 'sim';
  /** The command line recorded in the lock file. */
  command: string;
}

/**
 * Opens the IB session of a collect or backfill run. Against the built-in simulator IB's message rates
 * are judged on the run's clock (the simulator's own), so a simulated night is paced in its own time.
 */
export function openIbSession(
  config: Config['ib'],
  options: { access: IbAccess; clock: Clock; log: Logger; keepAlive?: boolean },
): Promise<IbSession> {
  const { clock } = options;
  return IbSession.open(config, {
    factory: options.access.factory,
    now: () => clock.now(),
    log: options.log,
    keepAlive: options.keepAlive ?? false,
    ...(options.access.simulated ? { pacerClock: clock } : {}),
  });
}
