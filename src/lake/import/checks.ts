/** The row checks of an import: the first problem of each row, in field order (time, symbol, numbers). */
import type { DuckDBConnection } from '@duckdb/node-api';
import { FUTURES_BARS } from '../tables.js';
import { IMPORT_SYMBOLS, type ImportTable, NUMERIC, PRICES } from './fields.js';
import { quoteText } from './sql.js';

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

/** How many rows of `parsed` are bad, and the first `limit` of them described. */
export async function findBadRows(
  connection: DuckDBConnection,
  parsed: string,
  checks: readonly RowCheck[],
  limit: number,
): Promise<{ bad: number; badRows: BadRow[] }> {
  const valueSql = `CASE ${checks.map((c) => `WHEN ${c.when} THEN CAST(${c.value} AS VARCHAR)`).join(' ')} ELSE NULL END`;
  const reader = await connection.runAndReadAll(
    `SELECT __line, problem, value, count(*) OVER () AS total FROM (
       SELECT __line, ${problemSql(checks)} AS problem, ${valueSql} AS value FROM "${parsed}"
     ) WHERE problem IS NOT NULL ORDER BY __line LIMIT ${limit}`,
  );
  const list = reader.getRowObjectsJS();
  const badRows: BadRow[] = list.map((r) => {
    const check = checks[Number(r.problem)] as RowCheck;
    return {
      line: Number(r.__line),
      field: check.field,
      column: check.column,
      value: r.value === null || r.value === undefined ? null : String(r.value),
      problem: check.problem,
    };
  });
  return { bad: Number(list[0]?.total ?? 0), badRows };
}
