import {
  ConfigError,
  DataError,
  UpstreamUnavailableError,
  UsageError,
  type UserErrorOptions,
} from '../core/errors.js';

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

/** createTable found a table already at that path. */
export class DeltaTableExistsError extends UsageError {}

/** Rows to write do not fit the table schema (unknown column, wrong type, null in a non-nullable column). */
export class DeltaSchemaViolationError extends DataError {}

/** A data file listed in the log is missing or cannot be read as Parquet. */
export class DeltaDataFileError extends DataError {}

/** Predicate text that does not parse, or a predicate that does not fit the table or the operation. */
export class DeltaPredicateError extends UsageError {}

/** A problem found in a table's log or live files, as verify reports it. */
export interface DamageProblem {
  kind: string;
  message: string;
  file?: string;
  version?: number;
}

/**
 * The table a maintenance operation would act on is damaged (a live file missing, of the wrong size,
 * unreadable or of another type; the log not replaying): the operation refused and changed nothing.
 */
export class DeltaTableDamagedError extends DataError {
  override readonly code: string = 'table-damaged';
  constructor(
    message: string,
    readonly problems: readonly DamageProblem[],
    options: UserErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** The object store cannot hold a Delta table safely as configured (no atomic put-if-absent). */
export class DeltaStoreConfigError extends ConfigError {}

/** The object store did not answer (connection refused, timed out, 5xx after retries). */
export class DeltaStoreUnavailableError extends UpstreamUnavailableError {}
