import { DataError, UsageError, type UserErrorOptions } from '../cli/errors.js';

/** Not a Delta table, or no table at that path: the user named the wrong thing. */
export class DeltaTableNotFoundError extends UsageError {}

/** The log is structurally broken: missing protocol/metadata, gaps in versions, unparseable commit. */
export class DeltaLogCorruptError extends DataError {}

/** The table uses a protocol version or feature this library does not support. */
export class DeltaUnsupportedError extends DataError {}

/** A requested version or timestamp is not available. */
export class DeltaVersionNotFoundError extends UsageError {}

/** A commit lost a race it cannot be retried past (e.g. it removes a file another commit already removed). */
export class DeltaConflictError extends DataError {
  constructor(
    message: string,
    readonly conflictingVersion: number,
    options: UserErrorOptions = {},
  ) {
    super(message, options);
  }
}
