import { BusyError, DataError, UsageError, type UserErrorOptions } from '../core/errors.js';
import type { LockInfo } from './lock.js';

/** A process lock (`collect`, `compact`) is held by a live process. Exit 5. */
export class LockHeldError extends BusyError {
  constructor(
    message: string,
    readonly lockName: string,
    /** The holder as read from the lock file; null when the file could not be read. */
    readonly holder: LockInfo | null,
    options: UserErrorOptions = {},
  ) {
    super(message, options);
  }
}

/**
 * The queue database stayed locked by another process for longer than the busy timeout. Exit 5.
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

/** The queue database has a schema this build cannot use (newer, or not ours). Exit 4. */
export class QueueSchemaError extends DataError {}

/** A caller passed something the queue cannot accept (an unknown round, a bad interval). Exit 2. */
export class QueueUsageError extends UsageError {}
