import path from 'node:path';
import { z } from 'zod';
import { defineCommand, globalOptionsShape } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit.js';
import { type Cell, formatPairs, formatTable, formatTsv } from '../../cli/output.js';
import { UsageError } from '../../core/errors.js';
import type { ImportReport } from '../../lake/import/index.js';
import { ET_ZONE } from '../../market/index.js';

const TABLES = ['futures_bars', 'futures_snapshots'] as const;
const BAR_SIZES = ['1 min', '1 day'] as const;
/** As ON_CONFLICT of src/lake/import (the command module does not load the importer until it runs). */
const ON_CONFLICT = ['first', 'last'] as const;

const importSchema = z.object({
  ...globalOptionsShape,
  file: z.string().min(1),
  table: z.enum(TABLES).default('futures_bars'),
  symbol: z
    .string()
    .transform((s) => s.trim().toUpperCase())
    .optional(),
  tz: z.string().min(1).default(ET_ZONE),
  map: z.string().optional(),
  barSize: z.enum(BAR_SIZES).optional(),
  skipBad: z.boolean().default(false),
  onConflict: z.enum(ON_CONFLICT).optional(),
  dryRun: z.boolean().default(false),
});
type ImportOptions = z.infer<typeof importSchema>;
const FLAG_OF_OPTION = { symbol: '--symbol', timeZone: '--tz', map: '--map' } as const;

export const futuresImportCommand = defineCommand({
  path: ['import'],
  summary: 'import bars or snapshots from a CSV (optionally .gz) or Parquet file',
  description:
    'Reads FILE with DuckDB, validates every row (a bad row is named by its line and field), computes the CME ' +
    'trade date of intraday rows, and appends the rows not already stored (source = import). Re-importing the same ' +
    'file writes nothing new. Without --skip-bad, nothing is written when any row is bad. Rows that repeat a key ' +
    '(symbol, contract, bar size, time) with the same values are duplicates; with different values they conflict, ' +
    'and the file is refused unless --on-conflict says which line to keep. Timestamps without an ' +
    'offset are read in --tz (default America/New_York, as every naive time this tool reads); a date-only time ' +
    'column means daily bars, keyed by their trade_date (stamped 00:00 UTC of it).',
  examples: [
    'futures import nq-1min.csv.gz --symbol NQ --bar-size "1 min"',
    'futures import vix-daily.csv --symbol VIX --map DATE=ts',
    'futures import es-daily.csv --symbol ES --bar-size "1 day" --json',
    'futures import quotes.parquet --table futures_snapshots --tz America/Chicago --skip-bad',
  ],
  args: [{ name: 'file', description: 'CSV, CSV.gz or Parquet file', required: true }],
  flags: [
    {
      flags: '--table <table>',
      description: 'target table',
      choices: TABLES,
      defaultDescription: 'futures_bars',
    },
    {
      flags: '--symbol <symbol>',
      description: 'symbol of every row (ES, NQ, RTY, VIX, VIX3M) when the file has none',
    },
    {
      flags: '--tz <zone>',
      description: 'time zone of timestamps without an offset',
      defaultDescription: ET_ZONE,
    },
    { flags: '--map <pairs>', description: "source column → field, e.g. 'DATE=ts,Last=close'" },
    {
      flags: '--bar-size <size>',
      description: "bar size for futures_bars (default: '1 day' when the time column holds dates only)",
      choices: BAR_SIZES,
    },
    { flags: '--skip-bad', description: 'import the good rows and report the bad ones' },
    {
      flags: '--on-conflict <row>',
      description:
        'rows of one key with different values in the file: keep the first or last line of each (default: refuse the file)',
      choices: ON_CONFLICT,
    },
    { flags: '--dry-run', description: 'validate and count, write nothing' },
  ],
  schema: importSchema,
  jsonSchemaId: 'futures.import/v1',
  exitCodes: [ExitCode.data],
  async run(opts: ImportOptions, ctx): Promise<ImportReport> {
    const { parseColumnMap, importFile, ImportOptionError } = await import('../../lake/import/index.js');
    const { openMemoryConnection } = await import('../../delta/index.js');
    try {
      const map = parseColumnMap(opts.map, opts.table);
      const owned = await openMemoryConnection();
      try {
        return await importFile(owned.connection, ctx.config.dataDir, path.resolve(ctx.cwd, opts.file), {
          table: opts.table,
          symbol: opts.symbol,
          timeZone: opts.tz,
          map,
          barSize: opts.barSize,
          skipBad: opts.skipBad,
          onConflict: opts.onConflict,
          dryRun: opts.dryRun,
          calendar: ctx.calendar,
          priceBands: ctx.config.import.priceBands,
          maxMedianFactor: ctx.config.import.maxMedianFactor,
          now: () => ctx.clock.now(),
        });
      } finally {
        owned.close();
      }
    } catch (error) {
      // The lake says what is wrong with an option; the flag that gave it is ours to name.
      if (!(error instanceof ImportOptionError)) throw error;
      throw new UsageError(`${FLAG_OF_OPTION[error.option]}: ${error.message}`, {
        cause: error,
        hint: error.hint,
      });
    }
  },
  render: {
    json: (r) => r,
    human: (r, _opts, style) => {
      const pairs: Array<[string, Cell]> = [
        ['file', r.file],
        ['table', `${r.table}${r.barSize ? ` (${r.barSize})` : ''}`],
        ['symbols', r.symbols.join(', ')],
        ['range', r.first && r.last ? `${r.first} … ${r.last} (${r.tradeDates} trade dates)` : '–'],
        ['rows read', r.rowsRead],
        ['bad', r.bad],
        [r.dryRun ? 'would write' : 'written', r.newRows],
        ['duplicates', r.duplicates],
        [
          'conflicts',
          r.conflicts > 0
            ? `${r.conflicts} (kept the ${r.onConflict} line of each; ${r.conflictRowsDropped} rows dropped)`
            : 0,
        ],
        ['version', r.version],
      ];
      let out = formatPairs(pairs, style.mode);
      if (r.conflictExamples.length > 0) {
        const grid = {
          head: ['key', 'lines'],
          rows: r.conflictExamples.map((c) => [
            Object.values(c.key)
              .filter((v) => v !== null)
              .join(' '),
            c.lines.join(', '),
          ]),
        };
        out +=
          style.mode === 'table'
            ? `\nconflicting keys (first ${r.conflictExamples.length}):\n${formatTable(grid)}`
            : formatTsv(grid);
      }
      if (r.badRows.length > 0) {
        const grid = {
          head: ['line', 'field', 'column', 'value', 'problem'],
          rows: r.badRows.map((b) => [b.line, b.field, b.column, b.value ?? '', b.problem]),
        };
        out +=
          style.mode === 'table'
            ? `\nbad rows (first ${r.badRows.length}):\n${formatTable(grid)}`
            : formatTsv(grid);
      }
      return out;
    },
  },
});
