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

export const IMPORT_SYMBOLS = ['ES', 'NQ', 'RTY', 'VIX', 'VIX3M'] as const;
export const BAR_SIZES = ['1 min', '1 day'] as const;
export type ImportTable = typeof FUTURES_BARS | typeof FUTURES_SNAPSHOTS;
export type BarSize = (typeof BAR_SIZES)[number];

/** Target fields and the source column names recognised for them (case-insensitive). */
const BAR_FIELDS: Record<string, readonly string[]> = {
  ts: ['ts', 'ts_utc', 'timestamp', 'time', 'datetime', 'date', 'trade_date'],
  symbol: ['symbol'],
  con_id: ['con_id', 'conid'],
  local_symbol: ['local_symbol', 'localsymbol', 'contract'],
  open: ['open'],
  high: ['high'],
  low: ['low'],
  close: ['close'],
  volume: ['volume'],
  wap: ['wap', 'vwap'],
  count: ['count', 'trades'],
  what_to_show: ['what_to_show'],
};
const SNAPSHOT_FIELDS: Record<string, readonly string[]> = {
  ts: ['ts', 'ts_utc', 'timestamp', 'time', 'datetime'],
  symbol: ['symbol'],
  con_id: ['con_id', 'conid'],
  local_symbol: ['local_symbol', 'localsymbol', 'contract'],
  contract_month: ['contract_month'],
  bid: ['bid'],
  ask: ['ask'],
  last: ['last', 'price'],
  bid_size: ['bid_size'],
  ask_size: ['ask_size'],
  last_size: ['last_size'],
  volume: ['volume'],
  open: ['open'],
  high: ['high'],
  low: ['low'],
  close: ['close', 'prior_close'],
};
const NUMERIC = new Set([
  'con_id',
  'open',
  'high',
  'low',
  'close',
  'volume',
  'wap',
  'count',
  'bid',
  'ask',
  'last',
  'bid_size',
  'ask_size',
  'last_size',
]);
/** Prices must be positive when present. */
const PRICES = new Set(['open', 'high', 'low', 'close', 'wap', 'bid', 'ask', 'last']);
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

export interface BadRow {
  line: number;
  field: string;
  column: string;
  value: string | null;
  problem: string;
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

function quoteText(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function formatOf(file: string): 'csv' | 'parquet' {
  const lower = file.toLowerCase();
  if (lower.endsWith('.parquet') || lower.endsWith('.pq')) return 'parquet';
  if (/\.(csv|txt|tsv)(\.gz)?$/.test(lower)) return 'csv';
  throw new UsageError(`Cannot tell the format of '${file}'.`, {
    hint: 'Use a .csv, .csv.gz or .parquet file.',
  });
}

/** Parses --map 'col=field,col2=field2'. */
export function parseColumnMap(text: string | undefined, table: ImportTable): Record<string, string> {
  if (text === undefined || text.trim() === '') return {};
  const fields = table === FUTURES_BARS ? BAR_FIELDS : SNAPSHOT_FIELDS;
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const [column, field, ...rest] = part.split('=').map((s) => s.trim());
    if (!column || !field || rest.length > 0) {
      throw new UsageError(`--map: '${part}' is not col=field.`, {
        hint: "Example: --map 'DATE=ts,CLOSE=close'.",
      });
    }
    if (!(field in fields)) {
      throw new UsageError(`--map: unknown field '${field}' for ${table}.`, {
        hint: `Fields: ${Object.keys(fields).join(', ')}.`,
      });
    }
    out[column] = field;
  }
  return out;
}

/** Resolves target field → source column from --map and the recognised names. */
function resolveColumns(
  sourceColumns: readonly string[],
  table: ImportTable,
  map: Readonly<Record<string, string>>,
): { columns: Record<string, string>; ignored: string[] } {
  const fields = table === FUTURES_BARS ? BAR_FIELDS : SNAPSHOT_FIELDS;
  const columns: Record<string, string> = {};
  for (const [column, field] of Object.entries(map)) {
    const actual =
      sourceColumns.find((c) => c === column) ??
      sourceColumns.find((c) => c.toLowerCase() === column.toLowerCase());
    if (actual === undefined) {
      throw new UsageError(`--map: the file has no column '${column}'.`, {
        hint: `Its columns: ${sourceColumns.join(', ')}.`,
      });
    }
    columns[field] = actual;
  }
  const used = new Set(Object.values(columns));
  for (const [field, names] of Object.entries(fields)) {
    if (columns[field] !== undefined) continue;
    for (const name of names) {
      const actual = sourceColumns.find((c) => c.toLowerCase() === name && !used.has(c));
      if (actual !== undefined) {
        columns[field] = actual;
        used.add(actual);
        break;
      }
    }
  }
  return { columns, ignored: sourceColumns.filter((c) => !used.has(c)) };
}

const HAS_OFFSET_SQL = (v: string) => `regexp_matches(${v}, '(Z|[+-]\\d{2}(:?\\d{2})?)$')`;
const DATE_ONLY_SQL = (v: string) =>
  `regexp_matches(${v}, '^(\\d{4}-\\d{2}-\\d{2}|\\d{1,2}/\\d{1,2}/\\d{4})$')`;
const PARSE_DATE_SQL = (v: string) =>
  `coalesce(try_strptime(${v}, '%Y-%m-%d'), try_strptime(${v}, '%m/%d/%Y'))::DATE`;

export async function importFile(
  connection: DuckDBConnection,
  dataDir: string,
  file: string,
  options: ImportOptions,
): Promise<ImportReport> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new UsageError(`No such file: ${file}`);
  const format = formatOf(file);
  const table = options.table;
  const timeZone = options.timeZone ?? 'UTC';
  const calendar = options.calendar ?? defaultCalendar();
  if (options.symbol !== undefined && !(IMPORT_SYMBOLS as readonly string[]).includes(options.symbol)) {
    throw new UsageError(`--symbol: unknown symbol '${options.symbol}'.`, {
      hint: `Importable: ${IMPORT_SYMBOLS.join(', ')}.`,
    });
  }
  try {
    await connection.run(`SELECT timezone(${quoteText(timeZone)}, TIMESTAMP '2020-01-01 00:00:00')`);
  } catch {
    throw new UsageError(`--tz: unknown time zone '${timeZone}'.`, {
      hint: 'Use an IANA zone such as America/New_York, America/Chicago or UTC.',
    });
  }
  const suffix = Math.random().toString(36).slice(2, 10);
  const raw = `import_raw_${suffix}`;
  const parsed = `import_parsed_${suffix}`;
  const rows = `import_rows_${suffix}`;
  const buckets = `import_buckets_${suffix}`;
  const reader =
    format === 'parquet'
      ? `read_parquet(${quoteText(file)})`
      : `read_csv(${quoteText(file)}, header = true, all_varchar = true, auto_detect = true)`;
  try {
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
    const sourceColumns = described
      .getRowObjectsJS()
      .map((r) => String(r.column_name))
      .filter((c) => c !== '__line');
    const { columns, ignored } = resolveColumns(sourceColumns, table, options.map ?? {});
    if (columns.ts === undefined) {
      throw new UsageError(`${file}: no time column.`, {
        hint: `Name it with --map, e.g. --map '${sourceColumns[0] ?? 'col'}=ts'. Columns: ${sourceColumns.join(', ')}.`,
      });
    }
    const priceField = table === FUTURES_BARS ? 'close' : 'last';
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
    if (options.symbol === undefined && columns.symbol === undefined) {
      throw new UsageError(`${file}: no symbol column; pass --symbol.`, { hint: 'Example: --symbol NQ.' });
    }
    const text = (field: string) =>
      columns[field] === undefined
        ? 'NULL::VARCHAR'
        : `NULLIF(trim(CAST(${ident(columns[field] as string)} AS VARCHAR)), '')`;
    const tsText = text('ts');
    const rowsRead = await scalar(connection, `SELECT count(*) FROM "${raw}"`);
    let barSize: BarSize | null = null;
    if (table === FUTURES_BARS) {
      if (options.barSize !== undefined) barSize = options.barSize;
      else {
        const dateOnly = await scalar(
          connection,
          `SELECT count(*) FILTER (WHERE ${DATE_ONLY_SQL(tsText)}) = count(${tsText}) AND count(${tsText}) > 0 FROM "${raw}"`,
        );
        barSize = dateOnly ? '1 day' : '1 min';
      }
    }
    const daily = barSize === '1 day';
    const tsSql = daily
      ? `CAST(${PARSE_DATE_SQL(tsText)} AS TIMESTAMP) AT TIME ZONE 'UTC'`
      : `CASE WHEN ${HAS_OFFSET_SQL(tsText)} THEN TRY_CAST(${tsText} AS TIMESTAMPTZ)
              ELSE timezone(${quoteText(timeZone)}, TRY_CAST(${tsText} AS TIMESTAMP)) END`;
    const fields = Object.keys(table === FUTURES_BARS ? BAR_FIELDS : SNAPSHOT_FIELDS).filter(
      (f) => columns[f] !== undefined && f !== 'ts',
    );
    const numericSelect = fields
      .filter((f) => NUMERIC.has(f))
      .map((f) => `TRY_CAST(${text(f)} AS DOUBLE) AS ${ident(f)}, ${text(f)} AS ${ident(`${f}__text`)}`);
    const symbolSql = options.symbol !== undefined ? quoteText(options.symbol) : `upper(${text('symbol')})`;
    await connection.run(
      `CREATE TEMP TABLE "${parsed}" AS SELECT __line, ${tsText} AS ts__text, ${tsSql} AS ts,
         ${symbolSql} AS symbol,
         ${text('local_symbol')} AS local_symbol, ${text('what_to_show')} AS what_to_show,
         ${text('contract_month')} AS contract_month
         ${numericSelect.length > 0 ? `, ${numericSelect.join(', ')}` : ''}
       FROM "${raw}"`,
    );
    // The first problem of each row, in field order: time, symbol, then the numbers.
    const checks: Array<{ field: string; column: string; when: string; value: string; problem: string }> = [
      {
        field: 'ts',
        column: columns.ts,
        when: 'ts IS NULL',
        value: 'ts__text',
        problem: daily ? 'is not a date (YYYY-MM-DD or MM/DD/YYYY)' : 'is not a timestamp',
      },
      {
        field: 'symbol',
        column: columns.symbol ?? '--symbol',
        when: `symbol IS NULL OR symbol NOT IN (${IMPORT_SYMBOLS.map(quoteText).join(', ')})`,
        value: 'symbol',
        problem: `is not one of ${IMPORT_SYMBOLS.join(', ')}`,
      },
    ];
    for (const f of fields.filter((x) => NUMERIC.has(x))) {
      const col = columns[f] as string;
      checks.push({
        field: f,
        column: col,
        when: `"${f}__text" IS NOT NULL AND "${f}" IS NULL`,
        value: `"${f}__text"`,
        problem: 'is not a number',
      });
      if (PRICES.has(f)) {
        checks.push({
          field: f,
          column: col,
          when: `"${f}" IS NOT NULL AND ("${f}" <= 0 OR NOT isfinite("${f}"))`,
          value: `"${f}__text"`,
          problem: 'is not a positive price',
        });
      }
    }
    checks.push({
      field: priceField,
      column: columns[priceField] ?? priceField,
      when:
        table === FUTURES_BARS
          ? 'close IS NULL'
          : `${columns.last ? 'last' : 'NULL'} IS NULL AND ${columns.bid ? 'bid' : 'NULL'} IS NULL`,
      value: table === FUTURES_BARS ? 'close__text' : 'NULL',
      problem: 'is missing',
    });
    const problemSql = `CASE ${checks.map((c, i) => `WHEN ${c.when} THEN ${i}`).join(' ')} ELSE NULL END`;
    const valueSql = `CASE ${checks.map((c) => `WHEN ${c.when} THEN CAST(${c.value} AS VARCHAR)`).join(' ')} ELSE NULL END`;
    const badReader = await connection.runAndReadAll(
      `SELECT __line, problem, value, count(*) OVER () AS total FROM (
         SELECT __line, ${problemSql} AS problem, ${valueSql} AS value FROM "${parsed}"
       ) WHERE problem IS NOT NULL ORDER BY __line LIMIT ${options.maxBadRows ?? 20}`,
    );
    const badList = badReader.getRowObjectsJS();
    const bad = Number(badList[0]?.total ?? 0);
    const badRows: BadRow[] = badList.map((r) => {
      const check = checks[Number(r.problem)] as (typeof checks)[number];
      return {
        line: Number(r.__line),
        field: check.field,
        column: check.column,
        value: r.value === null || r.value === undefined ? null : String(r.value),
        problem: check.problem,
      };
    });
    if (bad > 0 && !options.skipBad) {
      const first = badRows[0] as BadRow;
      throw new DataError(
        `${file}: ${bad} bad row${bad === 1 ? '' : 's'}; nothing was written. First: line ${first.line}, field ${first.field} (column '${first.column}'): ${first.value === null ? 'empty' : `'${first.value}'`} ${first.problem}.`,
        { hint: 'Fix the file, name the columns with --map, or pass --skip-bad to import the good rows.' },
      );
    }
    const good = `SELECT * FROM "${parsed}" WHERE (${problemSql}) IS NULL`;
    // Trade dates (and segments) from the market calendar, once per 15-minute bucket: every
    // session boundary (09:30, 13:15, 16:00, 16:15, 17:00, 18:00 ET) falls on one.
    await connection.run(`CREATE TEMP TABLE "${buckets}" (bucket BIGINT, trade_date DATE, segment VARCHAR)`);
    if (!daily) {
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
    }
    const joined = daily
      ? `SELECT g.*, CAST(ts AT TIME ZONE 'UTC' AS DATE) AS trade_date, NULL AS segment FROM (${good}) g`
      : `SELECT g.*, b.trade_date, b.segment FROM (${good}) g JOIN "${buckets}" b
           ON b.bucket = epoch_ms(time_bucket(INTERVAL 15 MINUTE, g.ts))`;
    const col = (f: string, type = 'DOUBLE') =>
      fields.includes(f) ? `CAST("${f}" AS ${type})` : `NULL::${type}`;
    const select =
      table === FUTURES_BARS
        ? `SELECT ts, trade_date, symbol, ${col('con_id', 'BIGINT')} AS con_id, local_symbol,
             ${quoteText(barSize ?? '1 min')} AS bar_size, coalesce(what_to_show, 'TRADES') AS what_to_show,
             ${col('open')} AS open, ${col('high')} AS high, ${col('low')} AS low, ${col('close')} AS close,
             ${col('volume')} AS volume, ${col('wap')} AS wap, ${col('count', 'BIGINT')} AS count,
             'import' AS source
           FROM (${joined})`
        : `SELECT ts, trade_date, segment, symbol,
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
    await connection.run(`CREATE TEMP TABLE "${rows}" AS ${select}`);
    const summary = (
      await connection.runAndReadAll(
        `SELECT count(*) AS n, epoch_ms(min(ts)) AS first, epoch_ms(max(ts)) AS last,
           count(DISTINCT trade_date) AS dates, list(DISTINCT symbol ORDER BY symbol) AS symbols FROM "${rows}"`,
      )
    ).getRowObjectsJS()[0];
    const key =
      table === FUTURES_BARS
        ? ['symbol', 'con_id', 'bar_size', 'what_to_show', 'ts']
        : ['symbol', 'con_id', 'ts'];
    const appended = await appendNewRows(connection, dataDir, table, rows, key, {
      dryRun: options.dryRun === true,
      operation: 'IMPORT',
      ...(options.now ? { now: options.now } : {}),
    });
    const n = Number(summary?.n ?? 0);
    return {
      file,
      format,
      table,
      barSize,
      timeZone,
      columns,
      ignoredColumns: ignored,
      symbols: Array.isArray(summary?.symbols) ? summary.symbols.map(String) : [],
      rowsRead: Number(rowsRead),
      bad,
      badRows,
      newRows: appended.written,
      written: options.dryRun ? 0 : appended.written,
      duplicates: appended.duplicates,
      dryRun: options.dryRun === true,
      version: appended.version,
      first: n > 0 ? new Date(Number(summary?.first)).toISOString() : null,
      last: n > 0 ? new Date(Number(summary?.last)).toISOString() : null,
      tradeDates: Number(summary?.dates ?? 0),
    };
  } finally {
    for (const t of [raw, parsed, rows, buckets]) await connection.run(`DROP TABLE IF EXISTS "${t}"`);
  }
}

async function scalar(connection: DuckDBConnection, sql: string): Promise<unknown> {
  const reader = await connection.runAndReadAll(sql);
  const row = reader.getRows()[0];
  const v = row?.[0];
  return typeof v === 'bigint' ? Number(v) : v;
}
