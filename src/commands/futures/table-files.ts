import { z } from 'zod';
import { TABLE_FILE_FORMATS, type TableFilesResult } from '../../app/table-files.js';
import { defineCommand, globalOptionsShape } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit.js';
import { formatTable } from '../../cli/output.js';
import {
  oneTimeTravel,
  resolveTableArg,
  TABLE_ARG,
  timeTravelFlags,
  timeTravelShape,
} from './table-common.js';

const schema = z
  .object({
    ...globalOptionsShape,
    table: z.string().min(1),
    ...timeTravelShape,
    format: z.enum(TABLE_FILE_FORMATS).default('list'),
  })
  .superRefine(oneTimeTravel);

function partitionCell(values: Record<string, string | null>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${v ?? 'null'}`)
    .join(',');
}

export const futuresTableFilesCommand = defineCommand({
  path: ['table', 'files'],
  summary: 'the live data files of a table version, or a statement that reads exactly them in another engine',
  description:
    'List the Parquet files that make up a Delta table at a version, with their partition values, or print a ready-to-run statement for DuckDB, polars or pyarrow that reads exactly those files and adds the partition columns. Never glob a table directory: it also holds files a compaction replaced (until VACUUM), checkpoints and staging files, and the files do not contain the partition columns. Piped, --format list prints one path per line.',
  examples: [
    'futures table files futures_snapshots',
    'futures table files futures_snapshots --format duckdb | duckdb',
    'futures table files futures_bars --version 12 --format polars > read_bars.py',
    'futures table files futures_snapshots --json',
  ],
  args: [TABLE_ARG],
  flags: [
    ...timeTravelFlags('list the files of'),
    {
      flags: '--format <format>',
      description: 'list, json, or a statement for duckdb, polars or pyarrow',
      choices: TABLE_FILE_FORMATS,
      defaultDescription: 'list',
    },
  ],
  schema,
  jsonSchemaId: 'futures.table.files/v1',
  exitCodes: [ExitCode.data],
  async run(opts, ctx): Promise<TableFilesResult> {
    const tablePath = await resolveTableArg(opts.table, ctx);
    const { tableFiles } = await import('../../app/table-files.js');
    return tableFiles({ tablePath, version: opts.version, timestamp: opts.timestamp, format: opts.format });
  },
  render: {
    json: (r) => ({ ...r }),
    human: (r, opts, style) => {
      if (r.statement) return r.statement.text;
      if (opts.format === 'json')
        return `${JSON.stringify({ schema: 'futures.table.files/v1', ...r }, null, 2)}\n`;
      if (style.mode === 'tsv') return r.files.map((f) => `${f.path}\n`).join('');
      const head = `${r.table} at version ${r.version}: ${r.files.length} live files\n`;
      const table = formatTable({
        head: ['file', 'partition', 'bytes', 'rows'],
        rows: r.files.map((f) => [f.path, partitionCell(f.partitionValues), f.size, f.rows]),
      });
      return `${head}${table}`;
    },
  },
});
