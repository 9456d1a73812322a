import { z } from 'zod';
import { defineCommand, globalOptionsShape } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit.js';
import { integerFlag } from '../../cli/numbers.js';
import { type Cell, formatTable, formatTsv } from '../../cli/output.js';
import { DISPLAY_ZONE_FLAG, displayZoneShape, INSTANT_HELP } from '../../cli/time-flags.js';
import { UsageError } from '../../core/errors.js';
import { type CanonicalRow, type CanonicalValue, canonicalJson } from '../../delta/read/canonical-json.js';
import { ET_ZONE, formatInZone } from '../../market/index.js';
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
    tail: integerFlag().pipe(z.number().min(0)).optional(),
    order: z
      .string()
      .regex(/^[^:]+(:(asc|desc))?$/i, 'expected <column> or <column>:desc')
      .transform((text) => {
        const [column, direction] = text.split(':');
        return { column: (column as string).trim(), descending: direction?.toLowerCase() === 'desc' };
      })
      .optional(),
    format: z.enum(SCAN_FORMATS).optional(),
    ...displayZoneShape,
  })
  .superRefine(oneTimeTravel)
  .superRefine((opts, issue) => {
    if (opts.tail !== undefined && opts.limit !== undefined) {
      issue.addIssue({ code: 'custom', path: ['tail'], message: 'give either --limit or --tail, not both' });
    }
  });

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

/** --tail without --order: the table's first timestamp column (`ts` in ours), oldest to newest. */
function tailOrder(fields: ReadonlyArray<{ name: string; type: unknown }>) {
  const time = fields.find((f) => f.type === 'timestamp' || f.type === 'timestamp_ntz');
  if (time === undefined) {
    throw new UsageError('--tail needs --order: the table has no timestamp column to order by.', {
      hint: 'Give --order <column> (add :desc for the other end).',
    });
  }
  return { column: time.name, descending: false };
}

/** A timestamp cell for people: '2026-11-20 09:25:00 ET' (or --tz); other cells as they are. */
function shownCell(value: CanonicalValue, type: string, zone: string): Cell {
  if (type === 'timestamp' && typeof value === 'string') {
    const at = new Date(value);
    if (!Number.isNaN(at.getTime())) return formatInZone(at, zone, { seconds: true });
  }
  return cellText(value);
}

function typeName(type: unknown): string {
  return typeof type === 'string' ? type : ((type as { type?: string }).type ?? 'unknown');
}

export const futuresTableScanCommand = defineCommand({
  path: ['table', 'scan'],
  summary: 'print the rows of a Delta table (time travel, filter, columns)',
  description:
    "Print the rows of a Delta table. Files are pruned by partition values and min/max statistics; the predicate is also applied to every row. On a terminal the rows print as a table (timestamps in --tz, ET by default); piped, one canonical JSON object per line (--format jsonl); --format csv for spreadsheets; --json prints one document with rows and scan metrics (UTC). Predicates: =, !=, <, <=, >, >=, BETWEEN … AND …, IN (…), IS [NOT] NULL, AND, OR, parentheses; quote strings, dates and timestamps. A timestamp without an offset or Z is ET, as everywhere in this tool ('2026-11-20 09:00', or '2026-11-20' for its midnight); '2026-11-20T14:00:00Z' is UTC.",
  examples: [
    "futures table scan futures_snapshots --where \"ts >= '2026-01-02 09:00' AND symbol IN ('ES','NQ')\" --limit 20",
    'futures table scan futures_snapshots --where "symbol = \'ES\'" --columns ts,bid,ask,mid --tail 10',
    'futures table scan ./some/table --version 3 --columns id,value --format csv',
    "futures table scan futures_snapshots --timestamp '2026-01-02 10:00' --json",
  ],
  args: [TABLE_ARG],
  flags: [
    ...timeTravelFlags('read'),
    {
      flags: '--where <predicate>',
      description: `row filter, e.g. "symbol IN ('ES','NQ') AND ts >= '2026-01-02 09:30'" (times: ${INSTANT_HELP})`,
    },
    { flags: '--order <column[:desc]>', description: 'sort the rows by a column (NULLs last)' },
    { flags: '--columns <a,b>', description: 'columns to print, comma-separated', defaultDescription: 'all' },
    { flags: '--limit <n>', description: 'print at most N rows (the first N)' },
    {
      flags: '--tail <n>',
      description: 'print the last N rows of --order (default order: the first timestamp column)',
    },
    {
      flags: '--format <format>',
      description: 'output format without --json',
      choices: SCAN_FORMATS,
      defaultDescription: 'table on a terminal, else jsonl',
    },
    DISPLAY_ZONE_FLAG,
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
      const { scanPredicate } = await import('./scan-where.js');
      const order = opts.tail === undefined ? opts.order : (opts.order ?? tailOrder(snapshot.schema.fields));
      const result = await scanTable(snapshot, {
        columns: opts.columns,
        where: opts.where === undefined ? undefined : scanPredicate(opts.where, snapshot.schema),
        // --tail N: the first N of the reversed order, turned back.
        order: order && opts.tail !== undefined ? { ...order, descending: !order.descending } : order,
        limit: opts.tail ?? opts.limit,
        connection: owned.connection,
      });
      return {
        table: snapshot.tablePath,
        version: result.version,
        columns: result.columns.map((c) => ({ name: c.name, type: typeName(c.type) })),
        rows: opts.tail === undefined ? result.rows : result.rows.reverse(),
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
      const format = opts.format ?? (style.mode === 'table' ? 'table' : 'jsonl');
      if (format === 'jsonl') {
        for (const row of r.rows) yield `${canonicalJson(row, false)}\n`;
        return;
      }
      if (format === 'csv') {
        yield `${names.map((n) => csvField(n)).join(',')}\n`;
        for (const row of r.rows) yield `${names.map((n) => csvField(row[n] ?? null)).join(',')}\n`;
        return;
      }
      if (style.mode === 'tsv') {
        yield formatTsv({ head: [], rows: r.rows.map((row) => names.map((n) => cellText(row[n] ?? null))) });
        return;
      }
      const types = r.columns.map((c) => c.type);
      const rows = r.rows.map((row) =>
        names.map((n, i) => shownCell(row[n] ?? null, types[i] ?? '', opts.tz ?? ET_ZONE)),
      );
      yield formatTable({ head: names, rows }, { width: style.width });
    },
  },
});
