/**
 * `futures import`: CSV (optionally .gz) or Parquet → futures_bars or futures_snapshots, through
 * DuckDB's readers. Every value is read as text first so a bad row can be named by its line and
 * field; without skipBad nothing is written when any row is bad. Re-importing the same file adds
 * nothing: rows already in the table (same key) are counted as duplicates.
 * Hazard: line numbers are the record number + 1 (header); a quoted field spanning lines shifts them.
 */
import { stat } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DataError, UsageError } from '../../core/errors.js';
import { defaultCalendar, type MarketCalendar, segmentOf, tradeDateOf } from '../../market/index.js';
import { FUTURES_BARS, FUTURES_SNAPSHOTS } from '../tables.js';
import { appendNewRows } from './append.js';
import { type BadRow, findBadRows, problemSql, rowChecks } from './checks.js';
import {
  fieldsOf,
  IMPORT_SYMBOLS,
  ImportOptionError,
  type ImportTable,
  NUMERIC,
  resolveColumns,
} from './fields.js';
import { ident, quoteText, scalar } from './sql.js';

export type { BadRow } from './checks.js';
export { IMPORT_SYMBOLS, ImportOptionError, type ImportTable, parseColumnMap } from './fields.js';

export const BAR_SIZES = ['1 min', '1 day'] as const;
export type BarSize = (typeof BAR_SIZES)[number];
const ETF: Record<string, string> = { ES: 'SPY', NQ: 'QQQ', RTY: 'IWM' };

export interface ImportOptions {
  table: ImportTable;
  /** The symbol of every row (else a symbol column is required). */
  symbol?: string | undefined;
  /** Zone of timestamps without an offset (default UTC). */
  timeZone?: string | undefined;
  /** Source column → target field. */
  map?: Readonly<Record<string, string>> | undefined;
  /** futures_bars only: '1 min' or '1 day' (default: '1 day' when the time column holds dates only). */
  barSize?: BarSize | undefined;
  skipBad?: boolean | undefined;
  dryRun?: boolean | undefined;
  calendar?: MarketCalendar | undefined;
  now?: () => Date;
  /** How many bad rows to describe (all are counted). */
  maxBadRows?: number;
}

export interface ImportReport {
  file: string;
  format: 'csv' | 'parquet';
  table: ImportTable;
  barSize: BarSize | null;
  timeZone: string;
  /** Target field → source column used. */
  columns: Record<string, string>;
  ignoredColumns: string[];
  symbols: string[];
  rowsRead: number;
  bad: number;
  badRows: BadRow[];
  /** Rows not in the table yet (written, or on a dry run that would be written). */
  newRows: number;
  written: number;
  duplicates: number;
  dryRun: boolean;
  version: number | null;
  first: string | null;
  last: string | null;
  tradeDates: number;
}

export function formatOf(file: string): 'csv' | 'parquet' {
  const lower = file.toLowerCase();
  if (lower.endsWith('.parquet') || lower.endsWith('.pq')) return 'parquet';
  if (/\.(csv|txt|tsv)(\.gz)?$/.test(lower)) return 'csv';
  throw new UsageError(`Cannot tell the format of '${file}'.`, {
    hint: 'Use a .csv, .csv.gz or .parquet file.',
  });
}

const HAS_OFFSET_SQL = (v: string) => `regexp_matches(${v}, '(Z|[+-]\\d{2}(:?\\d{2})?)$')`;
const DATE_ONLY_SQL = (v: string) =>
  `regexp_matches(${v}, '^(\\d{4}-\\d{2}-\\d{2}|\\d{1,2}/\\d{1,2}/\\d{4})$')`;
const PARSE_DATE_SQL = (v: string) =>
  `coalesce(try_strptime(${v}, '%Y-%m-%d'), try_strptime(${v}, '%m/%d/%Y'))::DATE`;

/** The temp tables of one import (dropped at the end). */
interface ImportTables {
  raw: string;
  parsed: string;
  rows: string;
  buckets: string;
}

function importTables(): ImportTables {
  const suffix = Math.random().toString(36).slice(2, 10);
  return {
    raw: `import_raw_${suffix}`,
    parsed: `import_parsed_${suffix}`,
    rows: `import_rows_${suffix}`,
    buckets: `import_buckets_${suffix}`,
  };
}

/** Refuses a missing file, an unknown format, symbol or time zone before anything is read. */
async function checkImport(
  connection: DuckDBConnection,
  file: string,
  options: ImportOptions,
): Promise<{ format: 'csv' | 'parquet'; timeZone: string }> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new UsageError(`No such file: ${file}`);
  const format = formatOf(file);
  const timeZone = options.timeZone ?? 'UTC';
  if (options.symbol !== undefined && !(IMPORT_SYMBOLS as readonly string[]).includes(options.symbol)) {
    throw new ImportOptionError('symbol', `unknown symbol '${options.symbol}'.`, {
      hint: `Importable: ${IMPORT_SYMBOLS.join(', ')}.`,
    });
  }
  try {
    await connection.run(`SELECT timezone(${quoteText(timeZone)}, TIMESTAMP '2020-01-01 00:00:00')`);
  } catch {
    throw new ImportOptionError('timeZone', `unknown time zone '${timeZone}'.`, {
      hint: 'Use an IANA zone such as America/New_York, America/Chicago or UTC.',
    });
  }
  return { format, timeZone };
}

/** Reads the file into `raw`, every value as text, with its line number; returns the source columns. */
async function readRaw(
  connection: DuckDBConnection,
  file: string,
  format: 'csv' | 'parquet',
  raw: string,
): Promise<string[]> {
  const reader =
    format === 'parquet'
      ? `read_parquet(${quoteText(file)})`
      : `read_csv(${quoteText(file)}, header = true, all_varchar = true, auto_detect = true)`;
  try {
    await connection.run(
      `CREATE TEMP TABLE "${raw}" AS SELECT row_number() OVER () + ${format === 'csv' ? 1 : 0} AS __line, * FROM ${reader}`,
    );
  } catch (error) {
    throw new DataError(`Cannot read ${file} as ${format.toUpperCase()}.`, {
      cause: error,
      hint: 'Check that the file is a CSV with a header row (optionally gzip-compressed) or a Parquet file.',
    });
  }
  const described = await connection.runAndReadAll(`DESCRIBE "${raw}"`);
  return described
    .getRowObjectsJS()
    .map((r) => String(r.column_name))
    .filter((c) => c !== '__line');
}

/** Refuses a file without the columns the table needs. */
function requireColumns(
  file: string,
  table: ImportTable,
  columns: Readonly<Record<string, string>>,
  sourceColumns: readonly string[],
  symbol: string | undefined,
): void {
  if (columns.ts === undefined) {
    throw new UsageError(`${file}: no time column.`, {
      hint: `Name it with --map, e.g. --map '${sourceColumns[0] ?? 'col'}=ts'. Columns: ${sourceColumns.join(', ')}.`,
    });
  }
  if (table === FUTURES_BARS && columns.close === undefined) {
    throw new UsageError(`${file}: no close column.`, {
      hint: "Name it with --map, e.g. --map 'Last=close'.",
    });
  }
  if (table === FUTURES_SNAPSHOTS && columns.last === undefined && columns.bid === undefined) {
    throw new UsageError(`${file}: no last or bid/ask columns.`, {
      hint: "Name them with --map, e.g. --map 'px=last'.",
    });
  }
  if (symbol === undefined && columns.symbol === undefined) {
    throw new UsageError(`${file}: no symbol column; pass --symbol.`, { hint: 'Example: --symbol NQ.' });
  }
}

/** SQL of a source column as trimmed text (NULL when empty or absent). */
function textOf(columns: Readonly<Record<string, string>>, field: string): string {
  const column = columns[field];
  return column === undefined ? 'NULL::VARCHAR' : `NULLIF(trim(CAST(${ident(column)} AS VARCHAR)), '')`;
}

/** The bar size: the option, else '1 day' when every time value is a date only. */
async function barSizeOf(
  connection: DuckDBConnection,
  raw: string,
  tsText: string,
  options: ImportOptions,
): Promise<BarSize | null> {
  if (options.table !== FUTURES_BARS) return null;
  if (options.barSize !== undefined) return options.barSize;
  const dateOnly = await scalar(
    connection,
    `SELECT count(*) FILTER (WHERE ${DATE_ONLY_SQL(tsText)}) = count(${tsText}) AND count(${tsText}) > 0 FROM "${raw}"`,
  );
  return dateOnly ? '1 day' : '1 min';
}

interface ParseSpec {
  tables: ImportTables;
  columns: Readonly<Record<string, string>>;
  fields: readonly string[];
  daily: boolean;
  timeZone: string;
  symbol: string | undefined;
}

/** `parsed`: the time as an instant, the symbol, and every number next to its text. */
async function parseRows(connection: DuckDBConnection, spec: ParseSpec): Promise<void> {
  const { columns, daily } = spec;
  const text = (field: string) => textOf(columns, field);
  const tsText = text('ts');
  const tsSql = daily
    ? `CAST(${PARSE_DATE_SQL(tsText)} AS TIMESTAMP) AT TIME ZONE 'UTC'`
    : `CASE WHEN ${HAS_OFFSET_SQL(tsText)} THEN TRY_CAST(${tsText} AS TIMESTAMPTZ)
            ELSE timezone(${quoteText(spec.timeZone)}, TRY_CAST(${tsText} AS TIMESTAMP)) END`;
  const numericSelect = spec.fields
    .filter((f) => NUMERIC.has(f))
    .map((f) => `TRY_CAST(${text(f)} AS DOUBLE) AS ${ident(f)}, ${text(f)} AS ${ident(`${f}__text`)}`);
  const symbolSql = spec.symbol !== undefined ? quoteText(spec.symbol) : `upper(${text('symbol')})`;
  await connection.run(
    `CREATE TEMP TABLE "${spec.tables.parsed}" AS SELECT __line, ${tsText} AS ts__text, ${tsSql} AS ts,
       ${symbolSql} AS symbol,
       ${text('local_symbol')} AS local_symbol, ${text('what_to_show')} AS what_to_show,
       ${text('contract_month')} AS contract_month
       ${numericSelect.length > 0 ? `, ${numericSelect.join(', ')}` : ''}
     FROM "${spec.tables.raw}"`,
  );
}

/**
 * The good rows joined to their trade date (and segment). Intraday rows take them from the market
 * calendar once per 15-minute bucket: every session boundary (09:30, 13:15, 16:00, 16:15, 17:00,
 * 18:00 ET) falls on one.
 */
async function withTradeDates(
  connection: DuckDBConnection,
  good: string,
  buckets: string,
  daily: boolean,
  calendar: MarketCalendar,
): Promise<string> {
  await connection.run(`CREATE TEMP TABLE "${buckets}" (bucket BIGINT, trade_date DATE, segment VARCHAR)`);
  if (daily) {
    return `SELECT g.*, CAST(ts AT TIME ZONE 'UTC' AS DATE) AS trade_date, NULL AS segment FROM (${good}) g`;
  }
  const distinct = await connection.runAndReadAll(
    `SELECT DISTINCT epoch_ms(time_bucket(INTERVAL 15 MINUTE, ts)) AS b FROM (${good})`,
  );
  const values = distinct.getRowObjectsJS().map((r) => {
    const at = new Date(Number(r.b));
    return `(${Number(r.b)}, DATE '${tradeDateOf(at, calendar)}', ${quoteText(segmentOf(at, calendar) ?? 'overnight')})`;
  });
  for (let i = 0; i < values.length; i += 5000) {
    await connection.run(`INSERT INTO "${buckets}" VALUES ${values.slice(i, i + 5000).join(', ')}`);
  }
  return `SELECT g.*, b.trade_date, b.segment FROM (${good}) g JOIN "${buckets}" b
         ON b.bucket = epoch_ms(time_bucket(INTERVAL 15 MINUTE, g.ts))`;
}

/** SQL of the table's rows from the joined good rows. */
function tableRowsSql(
  table: ImportTable,
  joined: string,
  fields: readonly string[],
  barSize: BarSize | null,
): string {
  const col = (f: string, type = 'DOUBLE') =>
    fields.includes(f) ? `CAST("${f}" AS ${type})` : `NULL::${type}`;
  if (table === FUTURES_BARS) {
    return `SELECT ts, trade_date, symbol, ${col('con_id', 'BIGINT')} AS con_id, local_symbol,
             ${quoteText(barSize ?? '1 min')} AS bar_size, coalesce(what_to_show, 'TRADES') AS what_to_show,
             ${col('open')} AS open, ${col('high')} AS high, ${col('low')} AS low, ${col('close')} AS close,
             ${col('volume')} AS volume, ${col('wap')} AS wap, ${col('count', 'BIGINT')} AS count,
             'import' AS source
           FROM (${joined})`;
  }
  return `SELECT ts, trade_date, segment, symbol,
             CASE WHEN symbol IN ('VIX', 'VIX3M') THEN 'IND' ELSE 'FUT' END AS sec_type,
             ${col('con_id', 'BIGINT')} AS con_id, local_symbol, contract_month,
             CASE symbol ${Object.entries(ETF)
               .map(([s, e]) => `WHEN '${s}' THEN '${e}'`)
               .join(' ')} ELSE NULL END AS etf,
             ${col('bid')} AS bid, ${col('ask')} AS ask, ${col('last')} AS last,
             CASE WHEN ${col('bid')} > 0 AND ${col('ask')} >= ${col('bid')} THEN (${col('bid')} + ${col('ask')}) / 2 ELSE NULL END AS mid,
             ${col('bid_size')} AS bid_size, ${col('ask_size')} AS ask_size, ${col('last_size')} AS last_size,
             ${col('volume')} AS volume, ${col('open')} AS open, ${col('high')} AS high, ${col('low')} AS low,
             ${col('close')} AS close, CAST([] AS VARCHAR[]) AS quality, 'import' AS source
           FROM (${joined})`;
}

interface RowsSummary {
  n: number;
  first: string | null;
  last: string | null;
  tradeDates: number;
  symbols: string[];
}

async function summarize(connection: DuckDBConnection, rows: string): Promise<RowsSummary> {
  const summary = (
    await connection.runAndReadAll(
      `SELECT count(*) AS n, epoch_ms(min(ts)) AS first, epoch_ms(max(ts)) AS last,
         count(DISTINCT trade_date) AS dates, list(DISTINCT symbol ORDER BY symbol) AS symbols FROM "${rows}"`,
    )
  ).getRowObjectsJS()[0];
  const n = Number(summary?.n ?? 0);
  return {
    n,
    first: n > 0 ? new Date(Number(summary?.first)).toISOString() : null,
    last: n > 0 ? new Date(Number(summary?.last)).toISOString() : null,
    tradeDates: Number(summary?.dates ?? 0),
    symbols: Array.isArray(summary?.symbols) ? summary.symbols.map(String) : [],
  };
}

function refuseBadRows(file: string, bad: number, first: BadRow): never {
  throw new DataError(
    `${file}: ${bad} bad row${bad === 1 ? '' : 's'}; nothing was written. First: line ${first.line}, field ${first.field} (column '${first.column}'): ${first.value === null ? 'empty' : `'${first.value}'`} ${first.problem}.`,
    { hint: 'Fix the file, name the columns with --map, or pass --skip-bad to import the good rows.' },
  );
}

export async function importFile(
  connection: DuckDBConnection,
  dataDir: string,
  file: string,
  options: ImportOptions,
): Promise<ImportReport> {
  const { format, timeZone } = await checkImport(connection, file, options);
  const table = options.table;
  const tables = importTables();
  try {
    const sourceColumns = await readRaw(connection, file, format, tables.raw);
    const { columns, ignored } = resolveColumns(sourceColumns, table, options.map ?? {});
    requireColumns(file, table, columns, sourceColumns, options.symbol);
    const rowsRead = await scalar(connection, `SELECT count(*) FROM "${tables.raw}"`);
    const barSize = await barSizeOf(connection, tables.raw, textOf(columns, 'ts'), options);
    const daily = barSize === '1 day';
    const fields = Object.keys(fieldsOf(table)).filter((f) => columns[f] !== undefined && f !== 'ts');
    await parseRows(connection, { tables, columns, fields, daily, timeZone, symbol: options.symbol });
    const checks = rowChecks({ table, columns, fields, daily });
    const { bad, badRows } = await findBadRows(connection, tables.parsed, checks, options.maxBadRows ?? 20);
    if (bad > 0 && !options.skipBad) refuseBadRows(file, bad, badRows[0] as BadRow);
    const good = `SELECT * FROM "${tables.parsed}" WHERE (${problemSql(checks)}) IS NULL`;
    const calendar = options.calendar ?? defaultCalendar();
    const joined = await withTradeDates(connection, good, tables.buckets, daily, calendar);
    await connection.run(
      `CREATE TEMP TABLE "${tables.rows}" AS ${tableRowsSql(table, joined, fields, barSize)}`,
    );
    const summary = await summarize(connection, tables.rows);
    const key =
      table === FUTURES_BARS
        ? ['symbol', 'con_id', 'bar_size', 'what_to_show', 'ts']
        : ['symbol', 'con_id', 'ts'];
    const appended = await appendNewRows(connection, dataDir, table, tables.rows, key, {
      dryRun: options.dryRun === true,
      operation: 'IMPORT',
      now: options.now,
    });
    return {
      file,
      format,
      table,
      barSize,
      timeZone,
      columns,
      ignoredColumns: ignored,
      symbols: summary.symbols,
      rowsRead: Number(rowsRead),
      bad,
      badRows,
      newRows: appended.written,
      written: options.dryRun ? 0 : appended.written,
      duplicates: appended.duplicates,
      dryRun: options.dryRun === true,
      version: appended.version,
      first: summary.first,
      last: summary.last,
      tradeDates: summary.tradeDates,
    };
  } finally {
    for (const t of Object.values(tables)) await connection.run(`DROP TABLE IF EXISTS "${t}"`);
  }
}
