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
