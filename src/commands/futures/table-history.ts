import { z } from 'zod';
import { defineCommand, globalOptionsShape } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit.js';
import { integerFlag } from '../../cli/numbers.js';
import { formatTable, formatTsv, type Grid } from '../../cli/output.js';
import { DISPLAY_ZONE_FLAG, displayZoneShape } from '../../cli/time-flags.js';
import { formatInZone } from '../../market/index.js';
import { resolveTableArg, TABLE_ARG } from './table-common.js';

export interface TableHistoryEntry {
  version: number;
  /** ISO-8601 UTC. */
  time: string;
  operation: string | null;
  operationParameters: Record<string, unknown>;
  metrics: Record<string, unknown>;
  engineInfo: string | null;
}

export interface TableHistoryResult {
  table: string;
  entries: TableHistoryEntry[];
}

const schema = z.object({
  ...globalOptionsShape,
  table: z.string().min(1),
  limit: integerFlag().pipe(z.number().min(1)).optional(),
  ...displayZoneShape,
});

function metricsText(metrics: Record<string, unknown>): string {
  return Object.entries(metrics)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
}

export const futuresTableHistoryCommand = defineCommand({
  path: ['table', 'history'],
  summary: 'list the commits of a Delta table, newest first',
  description:
    'List the commits of a Delta table, newest first: version, commit time, operation and its metrics (from commitInfo). Commits whose JSON files were cleaned up are not listed.',
  examples: [
    'futures table history futures_snapshots --limit 10',
    'futures table history ./some/table --json',
  ],
  args: [TABLE_ARG],
  flags: [
    { flags: '--limit <n>', description: 'show only the newest N commits', defaultDescription: 'all' },
    DISPLAY_ZONE_FLAG,
  ],
  schema,
  jsonSchemaId: 'futures.table.history/v1',
  exitCodes: [ExitCode.data],
  async run(opts, ctx): Promise<TableHistoryResult> {
    const tablePath = await resolveTableArg(opts.table, ctx);
    const { listLog, readHistory } = await import('../../delta/index.js');
    const listing = await listLog(tablePath);
    const history = await readHistory(listing.tablePath, { limit: opts.limit });
    return {
      table: listing.tablePath,
      entries: history.map((h) => ({
        version: h.version,
        time: new Date(h.timestamp).toISOString(),
        operation: h.operation,
        operationParameters: h.operationParameters,
        metrics: h.operationMetrics,
        engineInfo: h.engineInfo,
      })),
    };
  },
  render: {
    json: (r) => ({ ...r }),
    human: (r, opts, style) => {
      // Piped: UTC ISO (raw); on a terminal: the commit time in ET (or --tz).
      const time = (iso: string) =>
        style.mode === 'tsv' ? iso : formatInZone(new Date(iso), opts.tz, { seconds: true });
      const grid: Grid = {
        head: ['version', 'time', 'operation', 'metrics'],
        rows: r.entries.map((e) => [e.version, time(e.time), e.operation ?? '', metricsText(e.metrics)]),
      };
      return style.mode === 'tsv' ? formatTsv(grid) : formatTable(grid, { width: style.width });
    },
  },
});
