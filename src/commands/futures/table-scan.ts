import { z } from 'zod';
import { defineCommand, globalOptionsShape } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit.js';
import { integerFlag } from '../../cli/numbers.js';
import { type Cell, formatTable, formatTsv } from '../../cli/output.js';
import { type CanonicalRow, type CanonicalValue, canonicalJson } from '../../delta/read/canonical-json.js';
import {
  oneTimeTravel,
  resolveTableArg,
  TABLE_ARG,
  timeTravelFlags,
  timeTravelShape,
} from './table-common.js';

export const SCAN_FORMATS = ['jsonl', 'csv', 'table'] as const;

export interface TableScanMetrics {
  filesTotal: number;
  filesPrunedByPartition: number;
  filesPrunedByStats: number;
  filesRead: number;
  bytesRead: number;
  rows: number;
}

export interface TableScanResult {
  table: string;
  version: number;
  columns: Array<{ name: string; type: string }>;
  rows: CanonicalRow[];
  metrics: TableScanMetrics;
}

const schema = z
  .object({
    ...globalOptionsShape,
    table: z.string().min(1),
    ...timeTravelShape,
    where: z.string().optional(),
    columns: z
      .string()
      .optional()
      .transform((s) =>
        s === undefined
          ? undefined
          : s
              .split(',')
              .map((c) => c.trim())
              .filter((c) => c !== ''),
      )
      .refine((c) => c === undefined || c.length > 0, 'expected column names separated by commas'),
    limit: integerFlag().pipe(z.number().min(0)).optional(),
    format: z.enum(SCAN_FORMATS).default('jsonl'),
  })
  .superRefine(oneTimeTravel);

function cellText(value: CanonicalValue): Cell {
  if (value === null) return null;
  if (typeof value === 'object') return canonicalJson(value, false);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function csvField(value: CanonicalValue): string {
  const cell = cellText(value);
  if (cell === null || cell === undefined) return '';
  const text = String(cell);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function typeName(type: unknown): string {
  return typeof type === 'string' ? type : ((type as { type?: string }).type ?? 'unknown');
}

export const futuresTableScanCommand = defineCommand({
  path: ['table', 'scan'],
  summary: 'print the rows of a Delta table (time travel, filter, columns)',
  description:
    "Print the rows of a Delta table. Files are pruned by partition values and min/max statistics; the predicate is also applied to every row. --format jsonl (default) prints one canonical JSON object per line; --json prints one document with rows and scan metrics. Predicates: =, !=, <, <=, >, >=, BETWEEN … AND …, IN (…), IS [NOT] NULL, AND, OR, parentheses; quote strings, dates and timestamps ('2026-01-02T00:00:00Z'; no zone = UTC).",
  examples: [
    "futures table scan futures_snapshots --where \"ts >= '2026-01-02T00:00:00Z' AND symbol IN ('ES','NQ')\" --limit 20",
    'futures table scan ./some/table --version 3 --columns id,value --format csv',
    'futures table scan futures_snapshots --timestamp 2026-01-02T15:00:00Z --json',
  ],
  args: [TABLE_ARG],
  flags: [
    ...timeTravelFlags('read'),
    {
      flags: '--where <predicate>',
      description: "row filter, e.g. \"symbol IN ('ES','NQ') AND ts >= '2026-01-02'\"",
    },
    { flags: '--columns <a,b>', description: 'columns to print, comma-separated', defaultDescription: 'all' },
    { flags: '--limit <n>', description: 'print at most N rows' },
    {
      flags: '--format <format>',
      description: 'output format without --json',
      choices: SCAN_FORMATS,
      defaultDescription: 'jsonl',
    },
  ],
  schema,
  jsonSchemaId: 'futures.table.scan/v1',
  exitCodes: [ExitCode.data],
  async run(opts, ctx): Promise<TableScanResult> {
    const tablePath = await resolveTableArg(opts.table, ctx);
    const { loadSnapshot, openMemoryConnection, scanTable } = await import('../../delta/index.js');
    const owned = await openMemoryConnection();
    try {
      const snapshot = await loadSnapshot(tablePath, {
        version: opts.version,
        timestamp: opts.timestamp,
        connection: owned.connection,
      });
      const result = await scanTable(snapshot, {
        columns: opts.columns,
        where: opts.where,
        limit: opts.limit,
        connection: owned.connection,
      });
      return {
        table: snapshot.tablePath,
        version: result.version,
        columns: result.columns.map((c) => ({ name: c.name, type: typeName(c.type) })),
        rows: result.rows,
        metrics: { ...result.metrics, rows: result.rows.length },
      };
    } finally {
      owned.close();
    }
  },
  render: {
    json: (r) => ({
      table: r.table,
      version: r.version,
      columns: r.columns,
      rows: r.rows,
      metrics: r.metrics,
    }),
    human: function* (r, opts, style) {
      const names = r.columns.map((c) => c.name);
      if (opts.format === 'jsonl') {
        for (const row of r.rows) yield `${canonicalJson(row, false)}\n`;
        return;
      }
      if (opts.format === 'csv') {
        yield `${names.map((n) => csvField(n)).join(',')}\n`;
        for (const row of r.rows) yield `${names.map((n) => csvField(row[n] ?? null)).join(',')}\n`;
        return;
      }
      const grid = { head: names, rows: r.rows.map((row) => names.map((n) => cellText(row[n] ?? null))) };
      yield style.mode === 'tsv' ? formatTsv(grid) : formatTable(grid);
    },
  },
});
