/** Exit codes: the contract with cron and the decision engine (README, DESIGN.md). */
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  upstream: 3,
  data: 4,
  busy: 5,
  stale: 6,
  threshold: 10,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODE_TABLE: ReadonlyArray<{ code: ExitCode; meaning: string }> = [
  { code: 0, meaning: 'success (including "no signal today")' },
  { code: 1, meaning: 'unexpected internal error (a bug; stack trace on stderr)' },
  { code: 2, meaning: 'usage or configuration error (the message names the flag or key)' },
  { code: 3, meaning: 'gateway unavailable, timed out or refused (transient; retry next tick)' },
  { code: 4, meaning: 'data error: corrupt or unsupported table, failed integrity check' },
  { code: 5, meaning: 'busy: another collector/compactor holds the lock' },
  { code: 6, meaning: 'stale data (status --max-age, or signal inputs too old)' },
  { code: 10, meaning: 'threshold reached when asked (signals regime --fail-on)' },
];

export interface UserErrorOptions {
  cause?: unknown;
  /** What to do next, printed after the message. */
  hint?: string;
}

/** An expected failure: printed as a message (no stack) and mapped to an exit code. */
export abstract class UserError extends Error {
  abstract readonly exitCode: ExitCode;
  /** Short machine-readable code for `error/v1` JSON. */
  abstract readonly code: string;
  readonly hint: string | undefined;
  constructor(message: string, options: UserErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

export class UsageError extends UserError {
  readonly exitCode = ExitCode.usage;
  readonly code = 'usage';
}

export class ConfigError extends UserError {
  readonly exitCode = ExitCode.usage;
  readonly code = 'config';
}

/** IB gateway down, refused, timed out: transient, the next cron tick may succeed. */
export class UpstreamUnavailableError extends UserError {
  readonly exitCode = ExitCode.upstream;
  readonly code = 'upstream-unavailable';
}

/** Corrupt or unsupported data, failed integrity check. */
export class DataError extends UserError {
  readonly exitCode = ExitCode.data;
  readonly code = 'data';
}

/** Another process holds the lock this command needs. */
export class BusyError extends UserError {
  readonly exitCode = ExitCode.busy;
  readonly code = 'busy';
}

/** Inputs exist but are too old (or absent) to answer. */
export class StaleDataError extends UserError {
  readonly exitCode = ExitCode.stale;
  readonly code = 'stale';
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}

/** The user-facing text of an error: message, the reason from its cause chain, and the hint. */
export function describeError(error: UserError): string {
  const lines = [error.message];
  let cause: unknown = error.cause;
  const seen = new Set<unknown>();
  while (cause instanceof Error && !seen.has(cause)) {
    seen.add(cause);
    if (cause.message && !error.message.includes(cause.message)) lines.push(`Reason: ${cause.message}`);
    cause = cause.cause;
  }
  if (error.hint) lines.push(error.hint);
  return lines.join('\n');
}
