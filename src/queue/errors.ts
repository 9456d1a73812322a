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
