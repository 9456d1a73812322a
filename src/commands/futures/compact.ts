import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { RunContext } from '../../app/context.js';
import { defineCommand, globalOptionsShape } from '../../cli/command.js';
import { ExitCode, exitCodeOf } from '../../cli/exit.js';
import { formatTable, formatTsv } from '../../cli/output.js';
import { isUserError } from '../../core/errors.js';
import {
  formatBytes,
  formatDuration,
  parseByteSize,
  parseDurationMs,
} from '../../delta/maintenance-units.js';
import { resolveTableArg } from './table-common.js';

export interface CompactTableReport {
  /** The name (under <dataDir>/lake) or the argument as given. */
  table: string;
  path: string;
  status: 'ok' | 'dry-run' | 'failed';
  versionBefore: number | null;
  versionAfter: number | null;
  /** Commits this run added (OPTIMIZE, VACUUM START/END). */
  versionsWritten: number;
  filesBefore: number | null;
  filesAfter: number | null;
  bytesBefore: number | null;
  bytesAfter: number | null;
  /** Rows of the table (from file stats) after the run. */
  rows: number | null;
  durationMs: number;
  optimize: {
    bins: number;
    filesRemoved: number;
    filesAdded: number;
    rowsRewritten: number | null;
    bytesRemoved: number;
    bytesAdded: number | null;
    version: number | null;
    attempts: number;
    checksum: string | null;
  } | null;
  checkpoint: { version: number; written: boolean } | null;
  logCleanup: {
    filesDeleted: number;
    bytesDeleted: number;
    commitsDeleted: number;
    checkpointsDeleted: number;
    keepVersion: number | null;
    skipped: string | null;
  } | null;
  vacuum: {
    filesDeleted: number;
    bytesDeleted: number;
    /** Relative paths deleted (or, in a dry run, that would be deleted). */
    files: string[];
    retention: string;
    cutoff: string;
    startVersion: number | null;
    endVersion: number | null;
  } | null;
  error: { code: string; message: string; hint: string | null; exitCode: ExitCode } | null;
}

export interface CompactResult {
  dryRun: boolean;
  targetSize: number;
  partition: string | null;
  vacuum: boolean;
  /** The --retain override, if any (else each table's delta.deletedFileRetentionDuration). */
  retain: string | null;
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
  const ms = parseDurationMs(text);
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

interface TableTarget {
  table: string;
  path: string;
}

async function isDeltaTable(dir: string): Promise<boolean> {
  return stat(path.join(dir, '_delta_log')).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** The named tables, or every Delta table under <dataDir>/lake. */
async function targets(opts: CompactOptions, ctx: RunContext): Promise<TableTarget[]> {
  if (opts.tables.length > 0) {
    const out: TableTarget[] = [];
    for (const table of opts.tables) out.push({ table, path: await resolveTableArg(table, ctx) });
    return out;
  }
  const lake = path.resolve(ctx.cwd, ctx.config.dataDir, 'lake');
  const names = await readdir(lake).catch(() => [] as string[]);
  const out: TableTarget[] = [];
  for (const name of names.sort()) {
    if (name.startsWith('.') || name.startsWith('_')) continue;
    const dir = path.join(lake, name);
    if (await isDeltaTable(dir)) out.push({ table: name, path: dir });
  }
  return out;
}

function failedReport(target: TableTarget, error: unknown, durationMs: number): CompactTableReport {
  const user = isUserError(error) ? error : undefined;
  return {
    table: target.table,
    path: target.path,
    status: 'failed',
    versionBefore: null,
    versionAfter: null,
    versionsWritten: 0,
    filesBefore: null,
    filesAfter: null,
    bytesBefore: null,
    bytesAfter: null,
    rows: null,
    durationMs,
    optimize: null,
    checkpoint: null,
    logCleanup: null,
    vacuum: null,
    error: {
      code: user?.code ?? 'internal',
      message: error instanceof Error ? error.message : String(error),
      hint: user?.hint ?? null,
      exitCode: user ? exitCodeOf(user) : ExitCode.internal,
    },
  };
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
    const list = await targets(opts, ctx);
    const targetSize = ctx.config.compact.targetSizeBytes;
    const result: CompactResult = {
      dryRun: opts.dryRun,
      targetSize,
      partition: opts.partition ?? null,
      vacuum: opts.vacuum,
      retain: opts.retain === undefined ? null : formatDuration(opts.retain),
      tables: [],
    };
    if (list.length === 0) {
      ctx.log.info(
        `No Delta tables under ${path.resolve(ctx.cwd, ctx.config.dataDir, 'lake')}: nothing to compact.`,
      );
      return result;
    }
    const delta = await import('../../delta/index.js');
    const options = {
      targetSize,
      partitionFilter: opts.partition,
      vacuum: opts.vacuum,
      retentionMs: opts.retain,
      forceRetention: opts.forceRetention,
      logCleanup: ctx.config.compact.logCleanup,
      dryRun: opts.dryRun,
      now: ctx.now,
      onWarning: (message: string) => ctx.log.warn(message),
    };
    let lock: { release(): Promise<void> } | undefined;
    if (!opts.dryRun) {
      const [{ acquireLock }, { COMPACT_LOCK, queuePaths }] = await Promise.all([
        import('../../queue/lock.js'),
        import('../../queue/paths.js'),
      ]);
      lock = await acquireLock(queuePaths(ctx.config.dataDir).stateDir, COMPACT_LOCK, {
        now: ctx.now(),
        command: ['futures compact', ...opts.tables].join(' '),
      });
    }
    try {
      // Every table is checked before any is changed: a bad table or retention writes nothing.
      const prepared = [];
      for (const target of list)
        prepared.push({ target, plan: await delta.prepareMaintenance(target.path, options) });
      for (const { target, plan } of prepared) {
        const started = performance.now();
        ctx.log.debug(`compacting ${target.path}`);
        try {
          const m = await delta.runMaintenance(plan);
          result.tables.push({
            table: target.table,
            path: target.path,
            status: m.dryRun ? 'dry-run' : 'ok',
            versionBefore: m.versionBefore,
            versionAfter: m.versionAfter,
            versionsWritten: m.versionsWritten,
            filesBefore: m.filesBefore,
            filesAfter: m.filesAfter,
            bytesBefore: m.bytesBefore,
            bytesAfter: m.bytesAfter,
            rows: m.rows,
            durationMs: Math.round(m.durationMs),
            optimize: {
              bins: m.optimizePlan.bins,
              filesRemoved: m.optimize?.numFilesRemoved ?? m.optimizePlan.filesToRemove,
              filesAdded: m.optimize?.numFilesAdded ?? m.optimizePlan.bins,
              rowsRewritten: m.optimize?.rows ?? m.optimizePlan.rowsToRewrite ?? null,
              bytesRemoved: m.optimizePlan.bytesToRemove,
              bytesAdded: m.optimize ? m.optimize.filesAdded.totalSize : null,
              version: m.optimize?.version ?? null,
              attempts: m.optimize?.attempts ?? 0,
              checksum: m.optimize && m.optimize.version !== undefined ? m.optimize.checksum : null,
            },
            checkpoint: { version: m.checkpoint.version, written: m.checkpoint.written },
            logCleanup: m.logCleanup
              ? {
                  filesDeleted: m.logCleanup.filesDeleted,
                  bytesDeleted: m.logCleanup.bytesDeleted,
                  commitsDeleted: m.logCleanup.commitsDeleted,
                  checkpointsDeleted: m.logCleanup.checkpointsDeleted,
                  keepVersion: m.logCleanup.keepVersion ?? null,
                  skipped: m.logCleanup.skipped ?? null,
                }
              : null,
            vacuum: m.vacuum
              ? {
                  filesDeleted: m.vacuum.filesDeleted,
                  bytesDeleted: m.vacuum.bytesDeleted,
                  files: m.vacuum.files,
                  retention: formatDuration(m.vacuum.retentionMs),
                  cutoff: m.vacuum.cutoff,
                  startVersion: m.vacuum.startVersion ?? null,
                  endVersion: m.vacuum.endVersion ?? null,
                }
              : null,
            error: null,
          });
        } catch (error) {
          if (!isUserError(error)) throw error;
          ctx.log.warn(`compacting ${target.table} failed: ${error.message}`);
          result.tables.push(failedReport(target, error, Math.round(performance.now() - started)));
        }
      }
    } finally {
      await lock?.release();
    }
    return result;
  },
  render: {
    json: (r) => ({ ...r }),
    human: (r, _opts, style) => {
      const arrow = (a: number | null, b: number | null, f: (n: number) => string = String) =>
        a === null || b === null ? '' : `${f(a)} → ${f(b)}`;
      if (style.mode === 'tsv') {
        return formatTsv({
          head: [],
          rows: r.tables.map((t) => [
            t.table,
            t.filesBefore,
            t.filesAfter,
            t.bytesBefore,
            t.bytesAfter,
            t.rows,
            t.versionsWritten,
            t.logCleanup?.filesDeleted ?? 0,
            t.vacuum?.filesDeleted ?? 0,
            t.vacuum?.bytesDeleted ?? 0,
            t.durationMs,
            t.status,
          ]),
        });
      }
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
});
