import { z } from 'zod';
import { ExitCode } from '../../cli/exit.js';
import { calendarDate, count, documentSchema, instant, milliseconds, version } from './common.js';

/** The documents of the lake's maintenance commands: compact, import, queue rebuild. */

const compactTable = z
  .object({
    table: z.string(),
    path: z.string(),
    /** failed: this table's error is in `error`; the other tables were still compacted. */
    status: z.enum(['ok', 'dry-run', 'failed']),
    versionBefore: version.nullable(),
    versionAfter: version.nullable(),
    versionsWritten: count,
    filesBefore: count.nullable(),
    filesAfter: count.nullable(),
    bytesBefore: count.nullable(),
    bytesAfter: count.nullable(),
    rows: count.nullable(),
    durationMs: milliseconds,
    optimize: z
      .object({
        bins: count,
        filesRemoved: count,
        filesAdded: count,
        rowsRewritten: count.nullable(),
        bytesRemoved: count,
        bytesAdded: count.nullable(),
        version: version.nullable(),
        attempts: count,
        checksum: z.string().nullable(),
      })
      .nullable(),
    checkpoint: z.object({ version, written: z.boolean() }).nullable(),
    logCleanup: z
      .object({
        filesDeleted: count,
        bytesDeleted: count,
        commitsDeleted: count,
        checkpointsDeleted: count,
        keepVersion: version.nullable(),
        skipped: z.string().nullable(),
      })
      .nullable(),
    vacuum: z
      .object({
        filesDeleted: count,
        bytesDeleted: count,
        files: z.array(z.string()),
        retention: z.string(),
        cutoff: instant,
        startVersion: version.nullable(),
        endVersion: version.nullable(),
      })
      .nullable(),
    /** The exit code this table's failure alone would give; the run exits with the worst. */
    error: z
      .object({
        code: z.string(),
        message: z.string(),
        hint: z.string().nullable(),
        exitCode: z.enum(ExitCode),
      })
      .nullable(),
  })
  .meta({ id: 'CompactTable' });

export const compactBodySchema = z.object({
  dryRun: z.boolean(),
  targetSize: z.number().int().positive(),
  partition: z.string().nullable(),
  vacuum: z.boolean(),
  retain: z.string().nullable(),
  tables: z.array(compactTable),
});

export const compactDocumentSchema = documentSchema('futures.compact/v1', compactBodySchema, {
  title: 'futures compact --json',
  description: 'Delta maintenance per table: OPTIMIZE, checkpoint, log cleanup, VACUUM',
});

export const importBodySchema = z.object({
  file: z.string(),
  format: z.enum(['csv', 'parquet']),
  table: z.enum(['futures_bars', 'futures_snapshots']),
  barSize: z.enum(['1 min', '1 day']).nullable(),
  timeZone: z.string(),
  /** Target field → source column used. */
  columns: z.record(z.string(), z.string()),
  ignoredColumns: z.array(z.string()),
  symbols: z.array(z.string()),
  rowsRead: count,
  bad: count,
  badRows: z.array(
    z.object({
      line: z.number().int(),
      field: z.string(),
      column: z.string(),
      value: z.string().nullable(),
      problem: z.string(),
    }),
  ),
  /** Rows not in the table yet (written, or on a dry run that would be written). */
  newRows: count,
  written: count,
  /** Rows not written because a row of their key with the same values is in the table or earlier in the file. */
  duplicates: count,
  /** Keys the file holds more than once with different values (refused unless --on-conflict). */
  conflicts: count,
  /** Rows of conflicting keys that --on-conflict did not keep (one is kept per key). */
  conflictRowsDropped: count,
  conflictExamples: z.array(
    z.object({
      key: z.record(z.string(), z.string().nullable()),
      lines: z.array(z.number().int()),
    }),
  ),
  onConflict: z.enum(['first', 'last']).nullable(),
  dryRun: z.boolean(),
  version: version.nullable(),
  first: instant.nullable(),
  last: instant.nullable(),
  tradeDates: count,
});

export const importDocumentSchema = documentSchema('futures.import/v1', importBodySchema, {
  title: 'futures import --json',
  description: 'Rows read from a CSV or Parquet file, bad rows, rows written and duplicates',
});

export const queueRebuildBodySchema = z.object({
  queuePath: z.string(),
  movedAside: z.array(z.object({ from: z.string(), to: z.string() })),
  /** Why the old file was replaced: its error, 'missing', or 'forced'. */
  reason: z.string(),
  restoredSlots: count,
  window: z.object({ from: calendarDate, to: calendarDate }),
  committedRound: z.number().int().nullable(),
});

export const queueRebuildDocumentSchema = documentSchema('futures.queue.rebuild/v1', queueRebuildBodySchema, {
  title: 'futures queue rebuild --json',
  description: 'The queue database rebuilt from the lake',
});

export const completionBodySchema = z.object({
  shell: z.enum(['bash', 'zsh']),
  /** The completion script, as `futures completion <shell>` prints it without --json. */
  script: z.string(),
});

export const completionDocumentSchema = documentSchema('futures.completion/v1', completionBodySchema, {
  title: 'futures completion --json',
  description: 'A shell completion script for futures and signals',
});
