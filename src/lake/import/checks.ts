/** The row checks of an import: the first problem of each row, in field order (time, symbol, numbers). */
import type { DuckDBConnection } from '@duckdb/node-api';
import { FUTURES_BARS } from '../tables.js';
import { COUNTS, IMPORT_SYMBOLS, type ImportTable, NUMERIC, PRICES } from './fields.js';
import { HAS_OFFSET_SQL, quoteText } from './sql.js';

export interface BadRow {
  line: number;
  field: string;
  column: string;
  value: string | null;
  problem: string;
}

export interface RowCheck {
  field: string;
  column: string;
  /** SQL condition over the parsed table that is true when the row has this problem. */
  when: string;
  /** SQL of the value shown for the problem. */
  value: string;
  problem: string;
}

export interface RowCheckSpec {
  table: ImportTable;
  /** Target field → source column. */
  columns: Readonly<Record<string, string>>;
  /** The target fields the file has, besides ts. */
  fields: readonly string[];
  daily: boolean;
}

/** What a plausible row is, beyond its own fields (see PlausibleSpec in the caller). */
export interface Plausibility {
  /** Symbol → [low, high] of any price. */
  bands: Readonly<Record<string, readonly [number, number]>>;
  /** Symbol → median price in the file (rows inside the band); absent: no median check. */
  medians: Readonly<Record<string, number>>;
  maxMedianFactor: number;
  /** Daily bars: dates in the file that are no trade date (weekends, full closures). */
  closedDates: readonly string[];
  /** The --tz that local times are read in; null when none applies (UTC, daily bars). */
  localTimeZone: string | null;
}

/** Years a row may carry (the calendar's range for input). */
const FIRST_YEAR = 1970;
const LAST_YEAR = 2199;

function bySymbol(values: Readonly<Record<string, number>>): string {
  const whens = Object.entries(values).map(([s, v]) => `WHEN ${quoteText(s)} THEN ${v}`);
  return whens.length === 0 ? 'NULL' : `(CASE symbol ${whens.join(' ')} ELSE NULL END)`;
}

/** Checks that need the parsed file as a whole: the year, the price band and median, OHLC order, trade dates. */
export function plausibilityChecks(spec: RowCheckSpec, p: Plausibility): RowCheck[] {
  const { columns, fields } = spec;
  const checks: RowCheck[] = [
    {
      field: 'ts',
      column: columns.ts as string,
      when: `ts IS NOT NULL AND (year(ts AT TIME ZONE 'UTC') < ${FIRST_YEAR} OR year(ts AT TIME ZONE 'UTC') > ${LAST_YEAR})`,
      value: 'ts__text',
      problem: `is outside the years ${FIRST_YEAR}–${LAST_YEAR}`,
    },
  ];
  if (spec.daily && p.closedDates.length > 0) {
    checks.push({
      field: 'ts',
      column: columns.ts as string,
      when: `CAST(ts AT TIME ZONE 'UTC' AS DATE) IN (${p.closedDates.map((d) => `DATE '${d}'`).join(', ')})`,
      value: 'ts__text',
      problem: 'is not a trade date (a weekend or a day both markets are closed)',
    });
  }
  if (p.localTimeZone !== null) {
    // A local time the DST change skips (02:30 in spring) or repeats (01:30 in autumn) names no one instant.
    const local = 'TRY_CAST(ts__text AS TIMESTAMP)';
    const tz = quoteText(p.localTimeZone);
    checks.push({
      field: 'ts',
      column: columns.ts as string,
      when: `ts IS NOT NULL AND NOT ${HAS_OFFSET_SQL('ts__text')} AND (timezone(${tz}, ts) <> ${local}
        OR timezone(${tz}, ts + INTERVAL 1 HOUR) = ${local} OR timezone(${tz}, ts - INTERVAL 1 HOUR) = ${local})`,
      value: 'ts__text',
      problem: `is a local time that does not exist or occurs twice in ${p.localTimeZone} (a DST change); give it with its UTC offset`,
    });
  }
  const low = bySymbol(Object.fromEntries(Object.entries(p.bands).map(([s, b]) => [s, b[0]])));
  const high = bySymbol(Object.fromEntries(Object.entries(p.bands).map(([s, b]) => [s, b[1]])));
  const median = bySymbol(p.medians);
  for (const f of fields.filter((x) => PRICES.has(x))) {
    checks.push({
      field: f,
      column: columns[f] as string,
      when: `"${f}" < ${low} OR "${f}" > ${high}`,
      value: `"${f}__text"`,
      problem: 'is outside the plausible price band of its symbol (config import.priceBands)',
    });
    checks.push({
      field: f,
      column: columns[f] as string,
      when: `"${f}" > ${median} * ${p.maxMedianFactor} OR "${f}" * ${p.maxMedianFactor} < ${median}`,
      value: `"${f}__text"`,
      problem: `is more than ${p.maxMedianFactor}× away from the median price of its symbol in the file (config import.maxMedianFactor)`,
    });
  }
  if (fields.includes('high') && fields.includes('low')) {
    checks.push({
      field: 'high',
      column: columns.high as string,
      when: 'high < low',
      value: 'high__text',
      problem: 'is below low',
    });
  }
  return checks;
}

export function rowChecks({ table, columns, fields, daily }: RowCheckSpec): RowCheck[] {
  const priceField = table === FUTURES_BARS ? 'close' : 'last';
  const checks: RowCheck[] = [
    {
      field: 'ts',
      column: columns.ts as string,
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
    if (COUNTS.has(f)) {
      checks.push({
        field: f,
        column: col,
        when: `"${f}" IS NOT NULL AND ("${f}" < 0 OR NOT isfinite("${f}"))`,
        value: `"${f}__text"`,
        problem: 'is negative or not finite',
      });
    }
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
  return checks;
}

/** SQL of the index of a row's first problem, NULL for a good row. */
export function problemSql(checks: readonly RowCheck[]): string {
  return `CASE ${checks.map((c, i) => `WHEN ${c.when} THEN ${i}`).join(' ')} ELSE NULL END`;
}

/**
 * How many rows of `parsed` (a relation with a __line column) are bad, and the first `limit` of them
 * described: a count and a top-N, each streaming (a window over the bad rows would hold them all).
 */
export async function findBadRows(
  connection: DuckDBConnection,
  parsed: string,
  checks: readonly RowCheck[],
  limit: number,
): Promise<{ bad: number; badRows: BadRow[] }> {
  const problem = problemSql(checks);
  const counted = await connection.runAndReadAll(
    `SELECT count(*)::BIGINT AS n FROM "${parsed}" WHERE (${problem}) IS NOT NULL`,
  );
  const bad = Number(counted.getRowObjectsJS()[0]?.n ?? 0);
  if (bad === 0) return { bad, badRows: [] };
  const valueSql = `CASE ${checks.map((c) => `WHEN ${c.when} THEN CAST(${c.value} AS VARCHAR)`).join(' ')} ELSE NULL END`;
  const reader = await connection.runAndReadAll(
    `SELECT __line, problem, value FROM (
       SELECT __line, ${problem} AS problem, ${valueSql} AS value FROM "${parsed}"
     ) WHERE problem IS NOT NULL ORDER BY __line LIMIT ${limit}`,
  );
  const badRows: BadRow[] = reader.getRowObjectsJS().map((r) => {
    const check = checks[Number(r.problem)] as RowCheck;
    return {
      line: Number(r.__line),
      field: check.field,
      column: check.column,
      value: r.value === null || r.value === undefined ? null : String(r.value),
      problem: check.problem,
    };
  });
  return { bad, badRows };
}
