/**
 * Units and table properties shared by the maintenance operations (OPTIMIZE, VACUUM, log cleanup):
 * byte sizes ("128MiB"), the retention properties (durations in core/duration.ts's grammar, e.g.
 * Spark's "interval 1 week") and the fault-injection hook the crash tests use.
 */
import { parseDuration } from '../../core/duration.js';
import { DeltaUnsupportedError } from '../errors.js';
import type { Metadata } from '../log/types.js';

export const MIB = 1024 * 1024;
export const DEFAULT_TARGET_FILE_SIZE = 128 * MIB;
export const DAY_MS = 86_400_000;
/** `delta.deletedFileRetentionDuration` default (Spark and delta-rs: "interval 1 week"). */
export const DEFAULT_DELETED_FILE_RETENTION_MS = 7 * DAY_MS;
/** `delta.logRetentionDuration` default (Spark and delta-rs: "interval 30 days"). */
export const DEFAULT_LOG_RETENTION_MS = 30 * DAY_MS;

/** Called at named points of an operation; tests use it to SIGKILL a process at a chosen point. */
export type StepHook = (step: string) => void | Promise<void>;

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: MIB,
  mb: 1000 ** 2,
  mib: MIB,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/**
 * Parses a byte size: "134217728", "128MiB", "64MB", "1GB", "1.5GiB", "512k". SI units (kB, MB, GB)
 * are powers of 1000, IEC units (KiB, MiB, GiB) and bare letters (k, m, g) powers of 1024.
 * Undefined when unreadable.
 */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = SIZE_UNITS[(m[2] as string).toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.round(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** "1.5 MiB"-style text for people. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let i = 0;
  while (Math.abs(value) >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return i === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[i]}`;
}

export interface RetentionProperty {
  /** The table property, e.g. delta.deletedFileRetentionDuration. */
  key: string;
  ms: number;
  /** The property's text when set, else undefined (the default applies). */
  text: string | undefined;
}

function retentionProperty(
  tablePath: string,
  metadata: Metadata,
  key: string,
  fallbackMs: number,
): RetentionProperty {
  const text = metadata.configuration[key];
  if (text === undefined || text === null) return { key, ms: fallbackMs, text: undefined };
  // A bare number names no unit: refuse it rather than guess.
  const ms = parseDuration(text, { bare: 'refuse' });
  // Guessing could shrink a retention someone set on purpose, so an unreadable setting stops the operation.
  if (ms === undefined) {
    throw new DeltaUnsupportedError(
      `Cannot read the table property ${key}=${JSON.stringify(text)} of ${tablePath}.`,
      { hint: `Set ${key} to an interval such as 'interval 7 days', or leave it unset for the default.` },
    );
  }
  return { key, ms, text };
}

/** `delta.deletedFileRetentionDuration` of a table (default 7 days). */
export function deletedFileRetention(tablePath: string, metadata: Metadata): RetentionProperty {
  return retentionProperty(
    tablePath,
    metadata,
    'delta.deletedFileRetentionDuration',
    DEFAULT_DELETED_FILE_RETENTION_MS,
  );
}

/** `delta.logRetentionDuration` of a table (default 30 days). */
export function logRetention(tablePath: string, metadata: Metadata): RetentionProperty {
  return retentionProperty(tablePath, metadata, 'delta.logRetentionDuration', DEFAULT_LOG_RETENTION_MS);
}
