/**
 * `futures import`: CSV (optionally .gz) or Parquet → futures_bars or futures_snapshots, through
 * DuckDB's readers. The file is staged once (stage.ts) and read from there by ranges of records, so
 * memory does not grow with the file. Every value is read as text first so a bad row can be named by
 * its line and field; without skipBad nothing is written when any row is bad. Re-importing the same
 * file adds nothing: rows already in the table (same key) are counted as duplicates.
 * Hazard: line numbers are the record number + 1 (header); a quoted field spanning lines shifts them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DataError, UsageError } from '../../core/errors.js';
import { defaultCalendar, ET_ZONE, type MarketCalendar, segmentOf, tradeDateOf } from '../../market/index.js';
import { FUTURES_BARS, FUTURES_SNAPSHOTS } from '../tables.js';
import { APPEND_CHUNK_ROWS, appendNewRows, inGroup, partitionGroups } from './append.js';
import { type BadRow, findBadRows, plausibilityChecks, problemSql, rowChecks } from './checks.js';
import {
  type ConflictExample,
  type Conflicts,
  describeConflict,
  findConflictsInGroups,
} from './conflicts.js';
import {
  fieldsOf,
  IMPORT_SYMBOLS,
  ImportOptionError,
  type ImportTable,
  NUMERIC,
  resolveColumns,
} from './fields.js';
import { boundMemory } from './memory.js';
import { plausibility } from './plausibility.js';
import { checkCompression, checkRegularFile } from './source-file.js';
import { HAS_OFFSET_SQL, ident, quoteText } from './sql.js';
import { lineChunks, stagedRowsSql, stageRows, stageSource } from './stage.js';

export type { BadRow } from './checks.js';
export { IMPORT_SYMBOLS, ImportOptionError, type ImportTable, parseColumnMap } from './fields.js';
export { DEFAULT_MAX_MEDIAN_FACTOR, DEFAULT_PRICE_BANDS } from './plausibility.js';

export const BAR_SIZES = ['1 min', '1 day'] as const;
export type BarSize = (typeof BAR_SIZES)[number];
const ETF: Record<string, string> = { ES: 'SPY', NQ: 'QQQ', RTY: 'IWM' };

export interface ImportOptions {
  table: ImportTable;
  /** The symbol of every row (else a symbol column is required). */
  symbol?: string | undefined;
  /** Zone of timestamps without an offset (default America/New_York, the rule of every naive time). */
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
  /** DuckDB's memory limit for the import (default IMPORT_MEMORY_LIMIT); beyond it, temp tables spill. */
  memoryLimit?: string;
  /** Symbol → [low, high] of a plausible price (default DEFAULT_PRICE_BANDS). */
  priceBands?: Readonly<Record<string, readonly [number, number]>> | undefined;
  /** A price further than this factor from its symbol's median in the file is bad (default 8). */
  maxMedianFactor?: number | undefined;
  /** DuckDB's memory limit while de-duplicating and writing (default IMPORT_WRITE_MEMORY_LIMIT). */
  writeMemoryLimit?: string;
  /** Where the spill directory is made (default the OS temp directory); removed afterwards. */
  spillDir?: string;
  /**
   * Rows of one key with different values in the file: without this the file is refused (nothing is
   * written); 'first' or 'last' keeps the row of the first or last line of each such key.
   */
  onConflict?: OnConflict | undefined;
  /** Rows per group of trade dates checked for conflicts, de-duplicated and committed at once (default APPEND_CHUNK_ROWS). */
  chunkRows?: number | undefined;
}

export const ON_CONFLICT = ['first', 'last'] as const;
export type OnConflict = (typeof ON_CONFLICT)[number];

/**
 * DuckDB's memory limit while reading and checking: every step streams over the staged file or one
 * chunk of it, so this bounds the import together with IMPORT_WRITE_MEMORY_LIMIT.
 */
export const IMPORT_MEMORY_LIMIT = '40MB';
/**
 * DuckDB's memory limit while de-duplicating and writing: one group of trade dates at a time, whose
 * hash tables and sort runs page out below it (the whole-file de-duplication of a 2 M-row import
 * needed 128 MB).
 */
export const IMPORT_WRITE_MEMORY_LIMIT = '40MB';
const BUCKET_PAGE = 5000;
/** The connection settings an import changes, reset afterwards (the connection may be the caller's). */
const SETTINGS = [
  'memory_limit',
  'threads',
  'preserve_insertion_order',
  'partitioned_write_max_open_files',
  'partitioned_write_flush_threshold',
] as const;

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
  /**
   * Rows not written because a row of their key with the same values is in the table or earlier in
   * the file (the rows --on-conflict dropped are conflictRowsDropped, not duplicates).
   */
  duplicates: number;
  /** Keys the file holds more than once with different values (see ImportOptions.onConflict). */
  conflicts: number;
  /** Rows of conflicting keys that --on-conflict did not keep (one row is kept per key). */
  conflictRowsDropped: number;
  /** The first conflicting keys (by line) and the lines of their rows. */
  conflictExamples: ConflictExample[];
  onConflict: OnConflict | null;
  dryRun: boolean;
  version: number | null;
  first: string | null;
  last: string | null;
  tradeDates: number;
}

export type { ConflictExample } from './conflicts.js';

export function formatOf(file: string): 'csv' | 'parquet' {
  const lower = file.toLowerCase();
  if (lower.endsWith('.parquet') || lower.endsWith('.pq')) return 'parquet';
  if (/\.(csv|txt|tsv)(\.gz)?$/.test(lower)) return 'csv';
  throw new UsageError(`Cannot tell the format of '${file}'.`, {
    hint: 'Use a .csv, .csv.gz or .parquet file.',
  });
}

const DATE_ONLY_SQL = (v: string) =>
  `regexp_matches(${v}, '^(\\d{4}-\\d{2}-\\d{2}|\\d{1,2}/\\d{1,2}/\\d{4})$')`;
const PARSE_DATE_SQL = (v: string) =>
  `coalesce(try_strptime(${v}, '%Y-%m-%d'), try_strptime(${v}, '%m/%d/%Y'))::DATE`;

/** The temp views (raw, parsed) and table (buckets, one chunk's) of one import, dropped at the end. */
interface ImportTables {
  raw: string;
  parsed: string;
  buckets: string;
}

function importTables(): ImportTables {
  const suffix = Math.random().toString(36).slice(2, 10);
  return {
    raw: `import_raw_${suffix}`,
    parsed: `import_parsed_${suffix}`,
    buckets: `import_buckets_${suffix}`,
  };
}

/** Refuses a missing file, an unknown format, symbol or time zone before anything is read. */
async function checkImport(
  connection: DuckDBConnection,
  file: string,
  options: ImportOptions,
): Promise<{ format: 'csv' | 'parquet'; timeZone: string }> {
  await checkRegularFile(file);
  const format = formatOf(file);
  if (format === 'csv') await checkCompression(file);
  const timeZone = options.timeZone ?? ET_ZONE;
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

/**
 * A file without rows is refused (an export that failed, most likely): an empty file reads as one
 * column 'column0' and no rows (say so, not "no time column"); a header alone tells no bar size.
 */
function refuseEmpty(file: string, sourceColumns: readonly string[], records: number): void {
  if (records > 0) return;
  if (sourceColumns.length === 1 && sourceColumns[0] === 'column0') {
    throw new DataError(`${file} is empty: no header row and no rows.`, {
      hint: 'Check the file (an export that failed?); a CSV starts with a header row.',
    });
  }
  throw new DataError(`${file} has no rows (columns: ${sourceColumns.join(', ')}); nothing to import.`, {
    hint: 'Check the file (an export that failed?).',
  });
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

/**
 * The bar size: the option, else from the time values that parse: '1 day' when they are all dates,
 * '1 min' when they are all timestamps. Unparseable values (bad rows) do not count, so --skip-bad
 * keeps a daily file daily; a file that mixes both is refused rather than guessed.
 */
async function barSizeOf(
  connection: DuckDBConnection,
  file: string,
  raw: string,
  tsText: string,
  options: ImportOptions,
): Promise<BarSize | null> {
  if (options.table !== FUTURES_BARS) return null;
  if (options.barSize !== undefined) return options.barSize;
  const reader = await connection.runAndReadAll(
    `SELECT count(*) FILTER (WHERE ${DATE_ONLY_SQL(tsText)} AND ${PARSE_DATE_SQL(tsText)} IS NOT NULL) AS dates,
            count(*) FILTER (WHERE NOT ${DATE_ONLY_SQL(tsText)}
              AND (TRY_CAST(${tsText} AS TIMESTAMP) IS NOT NULL OR TRY_CAST(${tsText} AS TIMESTAMPTZ) IS NOT NULL)) AS stamps
     FROM "${raw}"`,
  );
  const row = reader.getRowObjectsJS()[0];
  const dates = Number(row?.dates ?? 0);
  const stamps = Number(row?.stamps ?? 0);
  if (dates > 0 && stamps > 0) {
    throw new UsageError(
      `${file}: the time column mixes dates (${dates} rows) and timestamps (${stamps} rows); cannot tell the bar size.`,
      { hint: "Pass --bar-size '1 day' or --bar-size '1 min' (rows of the other kind are then bad rows)." },
    );
  }
  return dates > 0 ? '1 day' : '1 min';
}

interface ParseSpec {
  tables: ImportTables;
  columns: Readonly<Record<string, string>>;
  fields: readonly string[];
  daily: boolean;
  timeZone: string;
  symbol: string | undefined;
}

/** The view `parsed`: the time as an instant, the symbol, and every number next to its text. */
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
    `CREATE OR REPLACE TEMP VIEW "${spec.tables.parsed}" AS SELECT __line, ${tsText} AS ts__text, ${tsSql} AS ts,
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
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE "${buckets}" (bucket BIGINT, trade_date DATE, segment VARCHAR)`,
  );
  if (daily) {
    return `SELECT g.*, CAST(ts AT TIME ZONE 'UTC' AS DATE) AS trade_date, NULL AS segment FROM (${good}) g`;
  }
  const distinct = `${buckets}_keys`;
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE "${distinct}" AS SELECT DISTINCT epoch_ms(time_bucket(INTERVAL 15 MINUTE, ts)) AS b FROM (${good})`,
  );
  try {
    // Page by key so that JS holds one page of buckets, whatever the span of the file.
    let after = Number.NEGATIVE_INFINITY;
    for (;;) {
      const page = await connection.runAndReadAll(
        `SELECT b FROM "${distinct}" WHERE b > ${Number.isFinite(after) ? after : -9e18} ORDER BY b LIMIT ${BUCKET_PAGE}`,
      );
      const keys = page.getRowObjectsJS().map((r) => Number(r.b));
      if (keys.length === 0) break;
      const values = keys.map((b) => {
        const at = new Date(b);
        return `(${b}, DATE '${tradeDateOf(at, calendar)}', ${quoteText(segmentOf(at, calendar) ?? 'overnight')})`;
      });
      await connection.run(`INSERT INTO "${buckets}" VALUES ${values.join(', ')}`);
      after = keys[keys.length - 1] as number;
    }
  } finally {
    await connection.run(`DROP TABLE IF EXISTS "${distinct}"`);
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
             'import' AS source, __line
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
             ${col('close')} AS close, CAST([] AS VARCHAR[]) AS quality, 'import' AS source, __line
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
         count(DISTINCT trade_date) AS dates, list(DISTINCT symbol ORDER BY symbol) AS symbols FROM ${rows}`,
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

function refuseConflicts(file: string, conflicts: Conflicts): never {
  const shown = conflicts.examples.map(describeConflict).join('; ');
  throw new DataError(
    `${file}: ${conflicts.count} key${conflicts.count === 1 ? '' : 's'} appear${conflicts.count === 1 ? 's' : ''} more than once with different values; nothing was written. First: ${shown}.`,
    {
      hint: 'Fix the file, or pass --on-conflict first (keep the row of the first line of each key) or --on-conflict last.',
    },
  );
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
  const spill = await boundMemory(connection, {
    spillDir: options.spillDir,
    memoryLimit: options.memoryLimit ?? IMPORT_MEMORY_LIMIT,
  });
  const stage = await mkdtemp(path.join(options.spillDir ?? tmpdir(), 'futures-import-stage-'));
  const table = options.table;
  const tables = importTables();
  try {
    // The first record of a CSV is line 2 (after its header); of a Parquet file, row 1.
    const lineOffset = format === 'csv' ? 2 : 1;
    const source = await stageSource(connection, file, format, stage, tables.raw, lineOffset);
    refuseEmpty(file, source.columns, source.records);
    const { columns, ignored } = resolveColumns(source.columns, table, options.map ?? {});
    requireColumns(file, table, columns, source.columns, options.symbol);
    const barSize = await barSizeOf(connection, file, tables.raw, textOf(columns, 'ts'), options);
    const daily = barSize === '1 day';
    const fields = Object.keys(fieldsOf(table)).filter((f) => columns[f] !== undefined && f !== 'ts');
    await parseRows(connection, { tables, columns, fields, daily, timeZone, symbol: options.symbol });
    // The staged file keeps the line numbers; from now on order costs memory (the anti-join, DISTINCT).
    await connection.run('SET preserve_insertion_order = false');
    const calendar = options.calendar ?? defaultCalendar();
    const spec = { table, columns, fields, daily };
    const basic = rowChecks(spec);
    const checks = [
      ...basic,
      ...plausibilityChecks(
        spec,
        await plausibility(connection, tables.parsed, basic, spec, options, calendar),
      ),
    ];
    const { bad, badRows } = await findBadRows(connection, tables.parsed, checks, options.maxBadRows ?? 20);
    if (bad > 0 && !options.skipBad) refuseBadRows(file, bad, badRows[0] as BadRow);
    const chunkRows = options.chunkRows ?? APPEND_CHUNK_ROWS;
    // The good rows as table rows, a chunk of lines at a time, staged as Parquet in trade-date order.
    let chunk = 0;
    for (const [from, to] of lineChunks(lineOffset, source.records, chunkRows)) {
      const good = `SELECT * FROM "${tables.parsed}" WHERE __line BETWEEN ${from} AND ${to} AND (${problemSql(checks)}) IS NULL`;
      const joined = await withTradeDates(connection, good, tables.buckets, daily, calendar);
      await stageRows(connection, stage, chunk, tableRowsSql(table, joined, fields, barSize));
      chunk += 1;
    }
    const rows = stagedRowsSql(stage);
    const summary = await summarize(connection, rows);
    const key =
      table === FUTURES_BARS
        ? ['symbol', 'con_id', 'bar_size', 'what_to_show', 'ts']
        : ['symbol', 'con_id', 'ts'];
    // The de-duplication and the write hold hash tables and sort runs DuckDB cannot page out below this.
    await connection.run(
      `SET memory_limit = ${quoteText(options.writeMemoryLimit ?? IMPORT_WRITE_MEMORY_LIMIT)}`,
    );
    // Per group of trade dates, as the write goes: a key has one trade date, so no conflict spans groups.
    const groups = await partitionGroups(connection, rows, 'trade_date', chunkRows);
    const conflicts = await findConflictsInGroups(
      connection,
      rows,
      key,
      groups.map((g) => inGroup('trade_date', g)),
    );
    if (conflicts.count > 0 && options.onConflict === undefined) refuseConflicts(file, conflicts);
    const appended = await appendNewRows(connection, dataDir, table, rows, key, {
      dryRun: options.dryRun === true,
      operation: 'IMPORT',
      now: options.now,
      keep: options.onConflict ?? 'first',
      chunkRows,
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
      rowsRead: source.records,
      bad,
      badRows,
      newRows: appended.written,
      written: options.dryRun ? 0 : appended.written,
      duplicates: appended.duplicates - conflicts.dropped,
      conflicts: conflicts.count,
      conflictRowsDropped: conflicts.dropped,
      conflictExamples: conflicts.examples,
      onConflict: options.onConflict ?? null,
      dryRun: options.dryRun === true,
      version: appended.version,
      first: summary.first,
      last: summary.last,
      tradeDates: summary.tradeDates,
    };
  } finally {
    await connection.run(`DROP VIEW IF EXISTS "${tables.parsed}"`);
    await connection.run(`DROP VIEW IF EXISTS "${tables.raw}"`);
    await connection.run(`DROP TABLE IF EXISTS "${tables.buckets}"`);
    for (const setting of SETTINGS) await connection.run(`RESET ${setting}`);
    await rm(stage, { recursive: true, force: true });
    if (spill !== undefined) await rm(spill, { recursive: true, force: true });
  }
}
