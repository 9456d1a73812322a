/**
 * The error taxonomy every layer shares. An error says what kind of failure it is and what to do next;
 * it never says how a process exits — only src/cli maps a kind to an exit code (cli/exit.ts).
 */

export type ErrorKind = 'usage' | 'config' | 'upstream' | 'data' | 'busy' | 'stale' | 'threshold';

export interface UserErrorOptions {
  cause?: unknown;
  /** What to do next, printed after the message. */
  hint?: string;
}

/** An expected failure: printed as a message (no stack), its kind decides the exit code. */
export abstract class UserError extends Error {
  abstract readonly kind: ErrorKind;
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
  readonly kind = 'usage';
  readonly code: string = 'usage';
}

export class ConfigError extends UserError {
  readonly kind = 'config';
  readonly code: string = 'config';
}

/** IB gateway down, refused, timed out: transient, the next cron tick may succeed. */
export class UpstreamUnavailableError extends UserError {
  readonly kind = 'upstream';
  readonly code: string = 'upstream-unavailable';
}

/** Corrupt or unsupported data, failed integrity check. */
export class DataError extends UserError {
  readonly kind = 'data';
  readonly code: string = 'data';
}

/** Another process holds the lock this command needs. */
export class BusyError extends UserError {
  readonly kind = 'busy';
  readonly code: string = 'busy';
}

/** Inputs exist but are too old (or absent) to answer. */
export class StaleDataError extends UserError {
  readonly kind = 'stale';
  readonly code: string = 'stale';
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
