import { z } from 'zod';
import type { RunContext } from '../../app/context.js';
import type { CompactReport, CompactTarget, TableCompaction } from '../../app/maintain.js';
import { defineCommand, globalOptionsShape } from '../../cli/command.js';
import { ExitCode, exitCodeOf } from '../../cli/exit.js';
import { type Cell, formatTable, formatTsv } from '../../cli/output.js';
import { parseDuration } from '../../core/duration.js';
import { isUserError, UsageError, type UserError, type UserErrorOptions } from '../../core/errors.js';
import type { DamageProblem } from '../../delta/errors.js';
import { formatBytes, parseByteSize } from '../../delta/ops/units.js';
import { resolveTableArg } from './table-common.js';

export type CompactTableReport = Omit<TableCompaction, 'failure'> & {
  error: { code: string; message: string; hint: string | null; exitCode: ExitCode } | null;
};

export interface CompactResult extends Omit<CompactReport, 'tables'> {
  tables: CompactTableReport[];
}

const sizeOption = z.string().transform((text, ctx) => {
  const bytes = parseByteSize(text);
  if (bytes === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `cannot read size '${text}'; use e.g. 128MiB, 64MB, 1GB or bytes`,
    });
    return z.NEVER;
  }
  if (bytes <= 0) {
    ctx.addIssue({ code: 'custom', message: 'the target size must be greater than 0' });
    return z.NEVER;
  }
  return bytes;
});

const durationOption = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `cannot read duration '${text}'; use e.g. 7d, 168h, 30m` });
    return z.NEVER;
  }
  return ms;
});

const schema = z
  .object({
    ...globalOptionsShape,
    tables: z.array(z.string().min(1)).default([]),
    targetSize: sizeOption.optional(),
    partition: z.string().min(1).optional(),
    vacuum: z.boolean().default(false),
    retain: durationOption.optional(),
    forceRetention: z.boolean().default(false),
    dryRun: z.boolean().default(false),
  })
  .superRefine((opts, issue) => {
    if (!opts.vacuum && opts.retain !== undefined) {
      issue.addIssue({ code: 'custom', path: ['retain'], message: '--retain only applies with --vacuum' });
    }
    if (!opts.vacuum && opts.forceRetention) {
      issue.addIssue({
        code: 'custom',
        path: ['forceRetention'],
        message: '--force-retention only applies with --vacuum',
      });
    }
  });

type CompactOptions = z.infer<typeof schema>;

/**
 * The flag behind an option the Delta library refused (its messages name no flags), and the hint to
 * show instead of the library's, if any.
 */
const FLAG_OF_REFUSAL: ReadonlyArray<{ flag: string; matches: RegExp; hint?: string }> = [
  {
    flag: '--partition',
    matches: /^The partition filter may only use partition columns/,
    hint: 'Filter on partition columns, e.g. --partition "trade_date < \'2026-11-20\'".',
  },
  { flag: '--partition', matches: /predicate/i },
  { flag: '--target-size', matches: /^Invalid target size/, hint: 'For example --target-size 128MiB.' },
];

/** A usage error of the Delta library about an option, with the flag that gave it. */
function withFlag(
  error: unknown,
  opts: CompactOptions,
  retentionError: new (...args: never[]) => UserError,
): unknown {
  if (error instanceof retentionError && opts.retain !== undefined) {
    const hint = error.hint ?? '';
    return new UsageError(`--retain: ${error.message}`, {
      cause: error,
      hint: hint.includes('--force-retention') ? hint : `${hint.replace(/\.$/, '')} (--force-retention).`,
    });
  }
  if (!isUserError(error) || error.kind !== 'usage') return error;
  const refusal = FLAG_OF_REFUSAL.find((r) => r.matches.test(error.message));
  if (!refusal || (refusal.flag === '--partition' && opts.partition === undefined)) return error;
  return new UsageError(`${refusal.flag}: ${error.message}`, {
    cause: error,
    hint: refusal.hint ?? error.hint,
  });
}

/** What to do about a damaged table: the library's message names no commands. */
export const DAMAGED_TABLE_HINT =
  "Nothing was changed. Run 'futures table verify <table>' to list the problems and 'futures table repair <table>' to see what can be restored (it deletes nothing); restore a missing or damaged file from a backup if you have one.";

function withDamageHint(
  error: unknown,
  damaged: new (
    message: string,
    problems: readonly DamageProblem[],
    options?: UserErrorOptions,
  ) => UserError & {
    problems: readonly DamageProblem[];
  },
): unknown {
  if (!(error instanceof damaged)) return error;
  return new damaged(error.message, error.problems, { cause: error.cause, hint: DAMAGED_TABLE_HINT });
}

/** The named tables as targets; none named: every table of the lake (the use case finds them). */
async function targetsOf(opts: CompactOptions, ctx: RunContext): Promise<CompactTarget[] | undefined> {
  if (opts.tables.length === 0) return undefined;
  const targets: CompactTarget[] = [];
  for (const table of opts.tables) targets.push({ table, path: await resolveTableArg(table, ctx) });
  return targets;
}

/** A table's failure as the report shows it; a failed OPTIMIZE check points at `futures table verify`. */
function errorBody(failure: UserError, failedVerification: boolean): CompactTableReport['error'] {
  return {
    code: failure.code,
    message: failure.message,
    hint: failedVerification
      ? "Run 'futures table verify' on the table; the original files are untouched."
      : (failure.hint ?? null),
    exitCode: exitCodeOf(failure),
  };
}

const dash = (value: number | string | null | undefined) =>
  value === null || value === undefined ? '-' : value;

/**
 * Piped compact: one record per line, the type first, raw values ('-' for none):
 * `table` NAME FILES_BEFORE FILES_AFTER BYTES_BEFORE BYTES_AFTER ROWS VERSIONS LOG_FILES_DELETED
 * VACUUM_FILES VACUUM_BYTES DURATION_MS STATUS; `error` NAME CODE EXIT_CODE MESSAGE; under --dry-run
 * `optimize` NAME FILES BYTES BINS, `log_cleanup` NAME FILES BYTES KEEP_VERSION, `vacuum` NAME FILES BYTES
 * CUTOFF and `vacuum_file` NAME PATH.
 */
function compactTsv(r: CompactResult): string {
  const rows: Cell[][] = [];
  for (const t of r.tables) {
    rows.push([
      'table',
      t.table,
      dash(t.filesBefore),
      dash(t.filesAfter),
      dash(t.bytesBefore),
      dash(t.bytesAfter),
      dash(t.rows),
      t.versionsWritten,
      t.logCleanup?.filesDeleted ?? 0,
      t.vacuum?.filesDeleted ?? 0,
      t.vacuum?.bytesDeleted ?? 0,
      t.durationMs,
      t.status,
    ]);
    if (t.error) rows.push(['error', t.table, t.error.code, t.error.exitCode, t.error.message]);
    if (!r.dryRun) continue;
    if (t.optimize && t.optimize.bins > 0) {
      rows.push(['optimize', t.table, t.optimize.filesRemoved, t.optimize.bytesRemoved, t.optimize.bins]);
    }
    if (t.logCleanup && t.logCleanup.filesDeleted > 0) {
      const l = t.logCleanup;
      rows.push(['log_cleanup', t.table, l.filesDeleted, l.bytesDeleted, dash(l.keepVersion)]);
    }
    if (t.vacuum) {
      rows.push(['vacuum', t.table, t.vacuum.filesDeleted, t.vacuum.bytesDeleted, t.vacuum.cutoff]);
      for (const file of t.vacuum.files) rows.push(['vacuum_file', t.table, file]);
    }
  }
  return formatTsv({ head: [], rows });
}

export const futuresCompactCommand = defineCommand({
  path: ['compact'],
  summary: 'Delta maintenance: OPTIMIZE small files, checkpoint, log cleanup, optional VACUUM',
  description:
    'Keep Delta tables fast, small and sound. Per table (default: every table under <dataDir>/lake): OPTIMIZE merges files smaller than the target size per partition into as few files as possible (dataChange=false, rows verified by count and checksum before the commit), then a checkpoint of the latest version, then removal of log files older than delta.logRetentionDuration (default 30 days) behind a newer checkpoint, and with --vacuum deletion of unreferenced data files older than the retention (delta.deletedFileRetentionDuration, default 7 days). Appends by `futures collect` may run at the same time; only one compactor runs at a time (exit 5 names the holder). Sizes: 128MiB, 64MB (10^6), 1GB; durations: 7d, 168h, 30m.',
  examples: [
    'futures compact',
    'futures compact futures_snapshots --target-size 64MiB --json',
    'futures compact futures_snapshots --partition "trade_date < \'2026-11-20\'"',
    'futures compact --vacuum --dry-run',
    'futures compact --vacuum --retain 14d',
  ],
  args: [
    {
      name: 'tables',
      description: 'table names under <dataDir>/lake or paths (default: all tables in the lake)',
      variadic: true,
    },
  ],
  flags: [
    {
      flags: '--target-size <size>',
      description: 'OPTIMIZE target file size',
      defaultDescription: '128MiB (config compact.targetSizeBytes)',
    },
    {
      flags: '--partition <predicate>',
      description:
        'only optimize partitions matching a predicate on partition columns, e.g. "trade_date < \'2026-11-20\'"',
    },
    { flags: '--vacuum', description: 'also delete unreferenced data files older than the retention' },
    {
      flags: '--retain <duration>',
      description: 'VACUUM retention (default: the table setting, 7d unless set)',
    },
    {
      flags: '--force-retention',
      description:
        'allow --retain below the table setting (breaks time travel; unsafe with concurrent readers/writers)',
    },
    {
      flags: '--dry-run',
      description: 'print the plan (files to merge, log files and data files to delete); change nothing',
    },
  ],
  schema,
  configFlags: { targetSize: 'compact.targetSizeBytes' },
  jsonSchemaId: 'futures.compact/v1',
  exitCodes: [ExitCode.data, ExitCode.busy],
  async run(opts, ctx): Promise<CompactResult> {
    const targets = await targetsOf(opts, ctx);
    const { compactLake } = await import('../../app/maintain.js');
    const { DeltaTableDamagedError, OptimizeVerificationError, VacuumRetentionError } = await import(
      '../../delta/index.js'
    );
    let report: CompactReport;
    try {
      report = await compactLake(
        {
          targets,
          targetSize: ctx.config.compact.targetSizeBytes,
          partition: opts.partition,
          vacuum: opts.vacuum,
          retentionMs: opts.retain,
          forceRetention: opts.forceRetention,
          dryRun: opts.dryRun,
          lockHolder: ['futures compact', ...opts.tables].join(' '),
        },
        ctx,
      );
    } catch (error) {
      throw withDamageHint(withFlag(error, opts, VacuumRetentionError), DeltaTableDamagedError);
    }
    return {
      ...report,
      tables: report.tables.map(({ failure, ...table }) => ({
        ...table,
        error: failure
          ? errorBody(
              withDamageHint(failure, DeltaTableDamagedError) as UserError,
              failure instanceof OptimizeVerificationError,
            )
          : null,
      })),
    };
  },
  render: {
    json: (r) => ({ ...r }),
    human: (r, _opts, style) => {
      const arrow = (a: number | null, b: number | null, f: (n: number) => string = String) =>
        a === null || b === null ? '' : `${f(a)} → ${f(b)}`;
      if (style.mode === 'tsv') return compactTsv(r);
      if (r.tables.length === 0) return 'No Delta tables to compact.\n';
      let out = formatTable({
        head: [
          'table',
          'files',
          'bytes',
          'rows',
          'versions',
          'log files deleted',
          'vacuumed',
          'time',
          'status',
        ],
        rows: r.tables.map((t) => [
          t.table,
          arrow(t.filesBefore, t.filesAfter),
          arrow(t.bytesBefore, t.bytesAfter, formatBytes),
          t.rows,
          t.versionsWritten,
          t.logCleanup?.filesDeleted ?? 0,
          t.vacuum ? `${t.vacuum.filesDeleted} (${formatBytes(t.vacuum.bytesDeleted)})` : '',
          `${(t.durationMs / 1000).toFixed(1)}s`,
          t.status,
        ]),
      });
      for (const t of r.tables) {
        if (t.error) out += `${t.table}: ${t.error.message}${t.error.hint ? `\n  ${t.error.hint}` : ''}\n`;
        if (r.dryRun && t.optimize && t.optimize.bins > 0) {
          out += `${t.table}: would merge ${t.optimize.filesRemoved} files (${formatBytes(t.optimize.bytesRemoved)}) into ${t.optimize.bins}\n`;
        }
        if (r.dryRun && t.logCleanup && t.logCleanup.filesDeleted > 0) {
          out += `${t.table}: would delete ${t.logCleanup.filesDeleted} log files (${formatBytes(t.logCleanup.bytesDeleted)}) before version ${t.logCleanup.keepVersion}\n`;
        }
        if (r.dryRun && t.vacuum) {
          out += `${t.table}: would vacuum ${t.vacuum.filesDeleted} files (${formatBytes(t.vacuum.bytesDeleted)}) older than ${t.vacuum.cutoff}\n`;
          for (const file of t.vacuum.files) out += `  ${file}\n`;
        }
      }
      return out;
    },
  },
  exitCode: (r) => r.tables.find((t) => t.error)?.error?.exitCode ?? ExitCode.ok,
  alert: (r) =>
    r.tables
      .filter((t) => t.error)
      .map((t) => `${t.table}: ${t.error?.message}`)
      .join('; '),
});
