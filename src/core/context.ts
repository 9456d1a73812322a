import type { Clock } from './clock.js';

export interface OutputStream {
  write(chunk: string): boolean;
  isTTY?: boolean | undefined;
  columns?: number | undefined;
}

/** What every run takes from the outside world; tests pass fakes. The services are added in src/app. */
export interface Ctx {
  /** The run's clock: the wall clock, or a manual or accelerated one (tests, the demo). */
  clock: Clock;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: OutputStream;
  stderr: OutputStream;
  /** Aborted on SIGINT/SIGTERM: long-running commands finish their round and return. */
  signal: AbortSignal;
}
