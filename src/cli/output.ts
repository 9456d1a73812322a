import Table from 'cli-table3';
import type { OutputStream } from '../core/context.js';

export type OutputMode = 'json' | 'table' | 'tsv';

/** --json wins; otherwise a table on a terminal and tab-separated rows when piped. */
export function outputMode(json: boolean, stdout: OutputStream): OutputMode {
  if (json) return 'json';
  return stdout.isTTY ? 'table' : 'tsv';
}

export function useColour(stream: OutputStream, env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export type Cell = string | number | boolean | null | undefined;

export interface Grid {
  head: string[];
  rows: Cell[][];
}

function cellText(cell: Cell): string {
  if (cell === null || cell === undefined) return '';
  return String(cell);
}

/** A human table (terminal). */
export function formatTable(grid: Grid): string {
  const table = new Table({
    head: grid.head,
    style: { head: [], border: [], compact: true },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const row of grid.rows) table.push(row.map(cellText));
  return `${table.toString()}\n`;
}

/** Tab-separated rows, no header, no colour: for cut/awk in cron. */
export function formatTsv(grid: Grid): string {
  return grid.rows
    .map((row) => `${row.map((c) => cellText(c).replace(/[\t\n]/g, ' ')).join('\t')}\n`)
    .join('');
}

/** Two-column key/value block for summaries. */
export function formatPairs(pairs: ReadonlyArray<[string, Cell]>, mode: 'table' | 'tsv'): string {
  if (mode === 'tsv') return formatTsv({ head: [], rows: pairs.map(([k, v]) => [k, v]) });
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${cellText(v)}\n`).join('');
}

export function jsonDocument(schema: string, body: object): string {
  return `${JSON.stringify({ schema, ...body }, jsonReplacer, 2)}\n`;
}

/** BigInt as number when safe, else string; Dates as ISO. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  return value;
}
