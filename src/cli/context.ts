import type { Config } from '../config/schema.js';

export interface OutputStream {
  write(chunk: string): boolean;
  isTTY?: boolean | undefined;
  columns?: number | undefined;
}

/** Everything a command may take from the outside world; tests pass fakes. */
export interface Ctx {
  /** The current instant. Tests pass a fixed clock. */
  now: () => Date;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: OutputStream;
  stderr: OutputStream;
  /** Aborted on SIGINT/SIGTERM: long-running commands finish their round and return. */
  signal: AbortSignal;
  /**
   * Opens IB connections. Typed as unknown here so the CLI core does not load src/ibkr;
   * src/ibkr narrows it (see IbFactory there). Absent means "use the real gateway from config".
   */
  ibFactory?: unknown;
}

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

/** What run() receives besides its options. */
export interface RunContext extends Ctx {
  config: Config;
  configFile: string | undefined;
  log: Logger;
  /** True when progress (spinners, colour) may be drawn on stderr. */
  isInteractive: boolean;
}

export function createLogger(stderr: OutputStream, level: 'quiet' | 'info' | 'debug'): Logger {
  const write = (line: string) => stderr.write(`${line}\n`);
  return {
    debug: (m) => {
      if (level === 'debug') write(m);
    },
    info: (m) => {
      if (level !== 'quiet') write(m);
    },
    warn: (m) => write(`warning: ${m}`),
  };
}
