import type { CollectHooks } from '../app/collect/hooks.js';
import type { IbFactory } from '../ibkr/index.js';
import type { Clock } from './clock.js';

export interface OutputStream {
  write(chunk: string): boolean;
  isTTY?: boolean | undefined;
  columns?: number | undefined;
}

/**
 * Everything a command may take from the outside world; tests pass fakes. The types of `ib` and `hooks`
 * are imported as types only: nothing of src/ibkr or src/app is loaded by the kernel.
 */
export interface Ctx {
  /** The run's clock: the wall clock, or a manual or accelerated one (tests, the demo). */
  clock: Clock;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: OutputStream;
  stderr: OutputStream;
  /** Aborted on SIGINT/SIGTERM: long-running commands finish their round and return. */
  signal: AbortSignal;
  /** Opens IB connections. Absent means "use the real gateway from config". */
  ib?: IbFactory;
  /** True when `ib` reaches the built-in IB Gateway simulator: collected rows carry source 'sim'. */
  ibSimulated?: boolean;
  /** Test and benchmark hooks into collection rounds. */
  hooks?: CollectHooks;
}
