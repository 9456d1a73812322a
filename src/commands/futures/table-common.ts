/** Shared by the `futures table` commands: the <table> argument and time travel. Light: no Delta imports. */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { RunContext } from '../../app/context.js';
import { integerFlag } from '../../cli/numbers.js';
import { INSTANT_HELP, instantFlag } from '../../cli/time-flags.js';
import { DataError, UsageError } from '../../core/errors.js';
import { storageFor } from '../../delta/storage/index.js';
import { isRemoteLocation, joinLocation, resolveLocation } from '../../delta/storage/location.js';
import { lakeDir } from '../../lake/location.js';

const TABLE_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

async function isDirectory(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/**
 * `<table>` is a name under `<dataDir>/lake/<name>` or a path to any Delta table. A bare name is
 * looked up in the lake first, then relative to the working directory.
 */
export async function resolveTableArg(table: string, ctx: RunContext): Promise<string> {
  const resolved = await resolveTablePath(table, ctx);
  await assertLogNotLost(resolved, table);
  return resolved;
}

/**
 * A directory that holds data files (or partition directories) but no `_delta_log` lost its log: that
 * is damage (exit 4), not "not a Delta table" (exit 2).
 */
async function assertLogNotLost(dir: string, table: string): Promise<void> {
  const entries = await readdir(dir).catch(() => undefined);
  if (!entries || entries.includes('_delta_log')) return;
  if (!entries.some((e) => e.endsWith('.parquet') || (e.includes('=') && !e.startsWith('.')))) return;
  throw new DataError(`${dir} holds Delta data files but its _delta_log is gone: its rows cannot be read.`, {
    hint: `Restore ${path.join(dir, '_delta_log')} from a backup if you have one; do not write to '${table}' until then (a new log would orphan every file).`,
  });
}

async function resolveTablePath(table: string, ctx: RunContext): Promise<string> {
  if (isRemoteLocation(table)) return resolveLocation(table);
  const lake = lakeDir(path.resolve(ctx.cwd, ctx.config.dataDir));
  const asPath = path.resolve(ctx.cwd, table);
  if (TABLE_NAME_RE.test(table) && table !== '.' && table !== '..') {
    const inLake = joinLocation(lake, table);
    if (isRemoteLocation(inLake) && (await storageFor(inLake).probe(inLake)) === 'dir') return inLake;
    if (await isDirectory(inLake)) return inLake;
    if (await isDirectory(asPath)) return asPath;
    throw new UsageError(`No table '${table}': neither ${inLake} nor ${asPath} exists.`, {
      hint: `Give a table name under ${lake} or a path to a Delta table directory.`,
    });
  }
  return asPath;
}

export const TABLE_ARG = {
  name: 'table',
  description: 'table name under <dataDir>/lake, or a path to any Delta table',
  required: true,
} as const;

/** --version N | --timestamp T: which version of the table a command reads. */
export const timeTravelShape = {
  version: integerFlag().pipe(z.number().min(0)).optional(),
  timestamp: instantFlag({ dateOnly: true }).optional(),
};

export function oneTimeTravel(
  opts: { version?: number | undefined; timestamp?: Date | undefined },
  issue: z.RefinementCtx,
): void {
  if (opts.version !== undefined && opts.timestamp !== undefined) {
    issue.addIssue({
      code: 'custom',
      path: ['timestamp'],
      message: 'give either --version or --timestamp, not both',
    });
  }
}

export function timeTravelFlags(verb: string) {
  return [
    { flags: '--version <n>', description: `${verb} the table as of this version` },
    {
      flags: '--timestamp <time>',
      description: `${verb} the table as of this instant (${INSTANT_HELP}; a date alone is its ET midnight)`,
    },
  ] as const;
}
