/**
 * The staging of an import: the file is copied once, every value as text, into a Parquet file of the
 * import's own directory, and every later step reads it by ranges of records (`file_row_number`, whose
 * filter DuckDB pushes into the row groups) or streams over it. No table of the import holds the whole
 * file, so its memory does not grow with the file (bench/RESULTS.md, import.bench.js).
 * Hazard: the copy must run on one thread with insertion order kept: the row number in the staged file
 * is the record number in the source, which line numbers in messages are made of.
 */
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DataError } from '../../core/errors.js';
import { errnoInMessage } from '../../core/os-error-message.js';
import { ident, quoteText } from './sql.js';

/** Records per row group of a staged file: the granularity of a read by range of records. */
const STAGE_ROW_GROUP = 65_536;

export interface StagedSource {
  /** The source's column names, in order ('__line' left out: it names the line number here). */
  columns: string[];
  /** Records in the file (rows after the header). */
  records: number;
}

function readerSql(file: string, format: 'csv' | 'parquet'): string {
  return format === 'parquet'
    ? `read_parquet(${quoteText(file)})`
    : `read_csv(${quoteText(file)}, header = true, all_varchar = true, auto_detect = true, buffer_size = 4194304, max_line_size = 1048576)`;
}

/**
 * Copies the file into `dir`/source.parquet under positional column names (a source column may be
 * named like DuckDB's row-number column) and creates `view`: the source's columns under their own
 * names and `__line`, the record's line number (record index + lineOffset).
 */
export async function stageSource(
  connection: DuckDBConnection,
  file: string,
  format: 'csv' | 'parquet',
  dir: string,
  view: string,
  lineOffset: number,
): Promise<StagedSource> {
  const staged = path.join(dir, 'source.parquet');
  const reader = readerSql(file, format);
  let all: string[];
  try {
    const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${reader}`);
    all = described.getRowObjectsJS().map((r) => String(r.column_name));
    const positional = all.map((c, i) => `${ident(c)} AS c${i}`).join(', ');
    await connection.run(
      `COPY (SELECT ${positional} FROM ${reader}) TO ${quoteText(staged)} (FORMAT parquet, ROW_GROUP_SIZE ${STAGE_ROW_GROUP})`,
    );
  } catch (error) {
    const errno = error instanceof Error ? errnoInMessage(error.message) : undefined;
    // A full disk or a denied path is the environment's (the CLI names it), not a file we cannot read.
    if (errno !== undefined && errno !== 'ENOMEM') throw error;
    if (errno === 'ENOMEM') {
      throw new DataError(`${file} does not fit the import's memory limit (too many or too wide columns).`, {
        cause: error,
        hint: 'Cut the file to the columns the import uses (time, symbol, prices, volumes) and import that.',
      });
    }
    throw new DataError(`Cannot read ${file} as ${format.toUpperCase()}.`, {
      cause: error,
      hint: 'Check that the file is a CSV with a header row (optionally gzip-compressed) or a Parquet file.',
    });
  }
  if (format === 'csv') await refuseRepeatedHeaders(connection, file, all);
  const kept = all.map((c, i) => ({ c, i })).filter(({ c }) => c !== '__line');
  const select = kept.map(({ c, i }) => `c${i} AS ${ident(c)}`);
  await connection.run(
    `CREATE OR REPLACE TEMP VIEW ${ident(view)} AS SELECT ${[...select, `file_row_number + ${lineOffset} AS __line`].join(', ')}
     FROM read_parquet(${quoteText(staged)}, file_row_number = true)`,
  );
  const counted = await connection.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM ${ident(view)}`);
  return { columns: kept.map(({ c }) => c), records: Number(counted.getRowObjectsJS()[0]?.n ?? 0) };
}

/** The line ranges [from, to] of chunks of `rows` records starting at `first` (one chunk at least). */
export function lineChunks(first: number, records: number, rows: number): Array<[number, number]> {
  const chunks: Array<[number, number]> = [];
  for (let start = first; start < first + Math.max(records, 1); start += rows) {
    chunks.push([start, start + rows - 1]);
  }
  return chunks;
}

/** SQL of the staged table rows of an import: every chunk file in `dir`. */
export function stagedRowsSql(dir: string): string {
  return `read_parquet(${quoteText(path.join(dir, 'rows-*.parquet'))})`;
}

/** Writes one chunk of table rows, in trade-date order (a group's read then prunes row groups). */
export async function stageRows(
  connection: DuckDBConnection,
  dir: string,
  chunk: number,
  sql: string,
): Promise<void> {
  const file = path.join(dir, `rows-${String(chunk).padStart(6, '0')}.parquet`);
  await connection.run(
    `COPY (${sql} ORDER BY trade_date, __line) TO ${quoteText(file)} (FORMAT parquet, ROW_GROUP_SIZE ${STAGE_ROW_GROUP})`,
  );
}

/**
 * DuckDB renames a repeated header (open, open → open, open_1) and the import would take the first
 * and ignore the second: a file that names a column twice is refused, naming it.
 */
async function refuseRepeatedHeaders(
  connection: DuckDBConnection,
  file: string,
  columns: readonly string[],
): Promise<void> {
  if (columns.length < 2) return;
  const header = await connection.runAndReadAll(
    `SELECT * FROM read_csv(${quoteText(file)}, header = false, all_varchar = true, auto_detect = true, buffer_size = 4194304, max_line_size = 1048576) LIMIT 1`,
  );
  const names = (header.getRows()[0] ?? []).map((v) => (v === null ? '' : String(v).trim()));
  if (names.length !== columns.length) return;
  const seen = new Map<string, number>();
  for (const [i, name] of names.entries()) {
    const key = name.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined && name !== '') {
      throw new DataError(
        `${file}: the header names column '${name}' twice (columns ${first + 1} and ${i + 1}); cannot tell which to import.`,
        { hint: 'Rename or remove one of them in the header row.' },
      );
    }
    seen.set(key, i);
  }
}
