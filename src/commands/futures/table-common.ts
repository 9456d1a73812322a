/** Shared by `futures table info|history|scan`: resolving the <table> argument. Light: no Delta imports. */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { RunContext } from '../../app/context.js';
import { UsageError } from '../../core/errors.js';

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
  const lake = path.resolve(ctx.cwd, ctx.config.dataDir, 'lake');
  const asPath = path.resolve(ctx.cwd, table);
  if (TABLE_NAME_RE.test(table) && table !== '.' && table !== '..') {
    const inLake = path.join(lake, table);
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
