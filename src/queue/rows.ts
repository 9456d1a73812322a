/**
 * Between SQL and TypeScript: row decoders that name the column in every error, the SQL fragments the
 * operations share, and SQL literals for the statements of the collector's round.
 */
import { QueueUsageError } from './errors.js';
import type { SqlCell, SqlRow } from './sql.js';
import {
  JOB_KINDS,
  JOB_STATUSES,
  type Job,
  type JobParams,
  type JobParamValue,
  type JobStatus,
  type Round,
} from './types.js';

export const iso = (d: Date): string => d.toISOString();

export function toNumber(value: SqlCell, column: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  throw new Error(`queue column ${column}: expected a number, got ${String(value)}`);
}
export function toNumberOrNull(value: SqlCell, column: string): number | null {
  return value === null || value === undefined ? null : toNumber(value, column);
}
export function toStringValue(value: SqlCell, column: string): string {
  if (typeof value === 'string') return value;
  throw new Error(`queue column ${column}: expected a string, got ${String(value)}`);
}
export function toStringOrNull(value: SqlCell, column: string): string | null {
  return value === null || value === undefined ? null : toStringValue(value, column);
}
export function toDate(value: SqlCell, column: string): Date {
  if (value instanceof Date) return value;
  throw new Error(`queue column ${column}: expected a timestamp, got ${String(value)}`);
}
export function toDateOrNull(value: SqlCell, column: string): Date | null {
  return value === null || value === undefined ? null : toDate(value, column);
}
export function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}
function parseParams(text: string): JobParams {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const out: Record<string, JobParamValue> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[key] = v;
  }
  return out;
}

export function rowToJob(row: SqlRow): Job {
  const kind = row.kind;
  const status = row.status;
  if (!isOneOf(JOB_KINDS, kind)) throw new Error(`queue: unknown job kind ${String(kind)}`);
  if (!isOneOf(JOB_STATUSES, status)) throw new Error(`queue: unknown job status ${String(status)}`);
  return {
    id: toNumber(row.id, 'id'),
    kind,
    symbol: toStringValue(row.symbol, 'symbol'),
    slotTs: toDate(row.slot_ts, 'slot_ts'),
    params: parseParams(toStringValue(row.params, 'params')),
    priority: toNumber(row.priority, 'priority'),
    status,
    reason: toStringOrNull(row.reason, 'reason'),
    attempts: toNumber(row.attempts, 'attempts'),
    notBefore: toDate(row.not_before, 'not_before'),
    leaseOwner: toStringOrNull(row.lease_owner, 'lease_owner'),
    leaseExpires: toDateOrNull(row.lease_expires, 'lease_expires'),
    ibErrorCode: toNumberOrNull(row.ib_error_code, 'ib_error_code'),
    ibErrorMessage: toStringOrNull(row.ib_error_message, 'ib_error_message'),
    deltaVersion: toNumberOrNull(row.delta_version, 'delta_version'),
    roundSeq: toNumberOrNull(row.round_seq, 'round_seq'),
    createdAt: toDate(row.created_at, 'created_at'),
    updatedAt: toDate(row.updated_at, 'updated_at'),
  };
}

export function rowToRound(row: SqlRow): Round {
  const status = row.status;
  if (!isOneOf(['begun', 'finished', 'abandoned'] as const, status)) {
    throw new Error(`queue: unknown round status ${String(status)}`);
  }
  const ids = row.slot_ids;
  return {
    roundSeq: toNumber(row.round_seq, 'round_seq'),
    owner: toStringValue(row.owner, 'owner'),
    status,
    slotIds: Array.isArray(ids) ? ids.map((id) => toNumber(id, 'slot_ids')) : [],
    beganAt: toDate(row.began_at, 'began_at'),
    endedAt: toDateOrNull(row.ended_at, 'ended_at'),
    deltaVersion: toNumberOrNull(row.delta_version, 'delta_version'),
    note: toStringOrNull(row.note, 'note'),
  };
}

export function sortForClaim(a: Job, b: Job): number {
  return b.priority - a.priority || a.slotTs.getTime() - b.slotTs.getTime() || a.id - b.id;
}

export function emptyStatusCounts(): Record<JobStatus, number> {
  return { pending: 0, running: 0, done: 0, skipped: 0, failed: 0, missed: 0 };
}

/** `id IN (…)` for a list parameter. */
export const IN_IDS = (param: string) => `id IN (SELECT unnest(${param}::BIGINT[]))`;
/** Not part of a round that was begun and not yet resolved. */
export const NOT_IN_OPEN_ROUND = `(round_seq IS NULL OR round_seq NOT IN (SELECT round_seq FROM rounds WHERE status = 'begun'))`;
export const TERMINAL = `'done', 'skipped', 'failed', 'missed'`;

// Literal SQL for the statements of the collector's round: a statement with parameters costs an extra
// prepare round trip through the addon, and a multi-statement call takes no parameters.
/** A string as a SQL literal. */
export const sqlText = (value: string): string => `'${value.replaceAll("'", "''")}'`;
export const sqlTextOrNull = (value: string | null | undefined): string =>
  value === null || value === undefined ? 'NULL' : sqlText(value);
/** An instant as a TIMESTAMPTZ literal. */
export const sqlTime = (value: Date): string => `'${iso(value)}'::TIMESTAMPTZ`;
/** A whole number as a SQL literal (refuses anything else, so nothing but digits reaches the SQL). */
export function sqlInt(value: number): string {
  if (!Number.isSafeInteger(value)) throw new QueueUsageError(`queue: expected a whole number, got ${value}`);
  return String(value);
}
export const sqlIntOrNull = (value: number | null): string => (value === null ? 'NULL' : sqlInt(value));
