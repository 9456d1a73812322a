/**
 * Units and table properties shared by the maintenance operations (OPTIMIZE, VACUUM, log cleanup):
 * byte sizes ("128MiB"), durations ("7d", Spark's "interval 1 week"), the retention properties and
 * the fault-injection hook the crash tests use, and the interval checkpoint after a maintenance commit.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
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

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  millisecond: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hour: 3_600_000,
  d: DAY_MS,
  day: DAY_MS,
  w: 7 * DAY_MS,
  week: 7 * DAY_MS,
  // Calendar units are ambiguous in milliseconds; round up, because a longer retention is the safe side.
  month: 31 * DAY_MS,
  year: 366 * DAY_MS,
};

function unitMs(unit: string): number | undefined {
  const lower = unit.toLowerCase();
  return DURATION_UNITS[lower] ?? (lower.endsWith('s') ? DURATION_UNITS[lower.slice(0, -1)] : undefined);
}

/**
 * Parses a duration: the CLI's short forms ("7d", "168h", "30m", "90s", "1w", "1d12h") and Spark's
 * interval text as used by table properties ("interval 30 days", "interval 1 week", "2 hours").
 * Undefined when unreadable.
 */
export function parseDurationMs(text: string | null | undefined): number | undefined {
  if (text === null || text === undefined) return undefined;
  let rest = text.trim().replace(/^interval\s+/i, '');
  if (rest === '') return undefined;
  if (/^\d+$/.test(rest)) return undefined; // a bare number has no unit: refuse rather than guess
  let total = 0;
  const part = /^(\d+(?:\.\d+)?)\s*([a-z]+)\s*/i;
  while (rest !== '') {
    const m = part.exec(rest);
    if (!m) return undefined;
    const ms = unitMs(m[2] as string);
    if (ms === undefined) return undefined;
    total += Number(m[1]) * ms;
    rest = rest.slice(m[0].length);
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

/** "7d", "36h", "90m", "45s", "250ms": the largest unit that divides the duration. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  for (const [unit, size] of [
    ['w', 7 * DAY_MS],
    ['d', DAY_MS],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
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
  const ms = parseDurationMs(text);
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

/** `delta.checkpointInterval` (default 10), as the writer reads it. */
export function checkpointIntervalOf(metadata: Metadata): number {
  const raw = metadata.configuration['delta.checkpointInterval'];
  const n = raw === undefined || raw === null ? 10 : Number(raw);
  return Number.isInteger(n) && n > 0 ? n : 10;
}

/**
 * Writes the checkpoint a commit at `version` is due for (version a multiple of delta.checkpointInterval),
 * like the writer does after appends. A failure is only a warning: the commit already stands.
 */
export async function checkpointIfDue(
  tablePath: string,
  version: number,
  metadata: Metadata,
  options: {
    connection?: DuckDBConnection | undefined;
    now?: (() => Date) | undefined;
    onWarning?: ((message: string) => void) | undefined;
  },
): Promise<number | undefined> {
  if (version % checkpointIntervalOf(metadata) !== 0) return undefined;
  try {
    const { writeCheckpoint } = await import('../write/checkpoint-write.js');
    const written = await writeCheckpoint(tablePath, {
      version,
      connection: options.connection,
      now: options.now,
    });
    return written.version;
  } catch (error) {
    options.onWarning?.(
      `Checkpoint at version ${version} of ${tablePath} failed (the commit stands): ${error instanceof Error ? error.message : String(error)}`,
    );
    return undefined;
  }
}
