import type { CreateIbWire } from './wire.js';

/** How the CLI, the demo and tests point the module at a gateway or inject a fake client. */
export interface IbFactory {
  /** Connect here instead of config ib.host/ib.port (e.g. a simulator started by the demo). */
  target?: { host: string; port: number };
  /** Makes the wire for one connection attempt; the default wraps @stoqey/ib's IBApi. */
  createWire?: CreateIbWire;
}
