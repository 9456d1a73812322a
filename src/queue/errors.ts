import { BusyError, DataError, UsageError, type UserErrorOptions } from '../core/errors.js';

/**
 * The queue database stayed locked by another process for longer than the busy timeout (kind 'busy').
 * DuckDB allows one process at a time on the file (see src/queue/db.ts).
 */
export class QueueBusyError extends BusyError {
  constructor(
    message: string,
    /** The pid DuckDB reported as holding the file lock, when it said. */
    readonly holderPid: number | null,
    options: UserErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** The queue database has a schema this build cannot use (newer, or not ours) (kind 'data'). */
export class QueueSchemaError extends DataError {}

/** A caller passed something the queue cannot accept (an unknown round, a bad interval) (kind 'usage'). */
export class QueueUsageError extends UsageError {}

/** The queue file is damaged: not a DuckDB file, truncated, empty, not a file at all, or a link to nothing (kind 'data'). */
export class QueueCorruptError extends DataError {}

/** The hint every "this queue file cannot be used" error gives. */
export const REBUILD_HINT =
  'Run `futures queue rebuild`: it moves the file aside (nothing is deleted) and recreates the queue from the lake.';

const CORRUPT_FILE =
  /not a valid DuckDB database file|Could not read enough bytes|Is a directory|database file is corrupt|Corrupt database file|Cannot open file "[^"]*": No such file or directory/i;

/** A DuckDB error that says the file itself is damaged (never a lock conflict or a full disk). */
export function corruptQueueError(path: string, error: unknown): QueueCorruptError | null {
  if (!(error instanceof Error) || !CORRUPT_FILE.test(error.message)) return null;
  return new QueueCorruptError(`queue database ${path} is damaged: ${error.message.split('\n')[0]}`, {
    cause: error,
    hint: REBUILD_HINT,
  });
}
