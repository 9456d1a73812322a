import { stripVTControlCharacters } from 'node:util';
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

/** Narrowest a column is cut to when a table must fit the terminal. */
const MIN_COLUMN = 8;

/**
 * Column widths that fit `width` terminal columns (each column costs 3 more for borders and padding,
 * plus 1): the widest columns give way first, none below MIN_COLUMN (or its own width).
 */
export function fitColumns(natural: readonly number[], width: number): number[] {
  const fitted = [...natural];
  const budget = width - 1 - 3 * fitted.length;
  let excess = fitted.reduce((a, b) => a + b, 0) - budget;
  while (excess > 0) {
    const widest = Math.max(...fitted);
    if (widest <= MIN_COLUMN) break;
    const i = fitted.indexOf(widest);
    const next = Math.max(MIN_COLUMN, ...fitted.filter((_, j) => j !== i));
    const cut = Math.min(excess, widest - next, widest - MIN_COLUMN) || 1;
    fitted[i] = widest - cut;
    excess -= cut;
  }
  return fitted;
}

/** Printed width of a cell line: colour codes take no columns. */
const visible = (text: string) => stripVTControlCharacters(text).length;

function truncate(text: string, width: number): string {
  const line = text.replace(/\s*\n\s*/g, ' ');
  // A coloured cell is short (a flag, an age): cutting it could split an escape sequence.
  if (visible(line) <= width || line !== stripVTControlCharacters(line)) return line;
  return `${line.slice(0, Math.max(0, width - 1))}…`;
}

/** A human table (terminal); with `width` (the terminal's columns) long cells are cut to fit it. */
export function formatTable(grid: Grid, options: { width?: number | undefined } = {}): string {
  let rows = grid.rows.map((row) => row.map(cellText));
  let head = grid.head;
  if (options.width !== undefined && options.width > 0) {
    const natural = grid.head.map((h, i) =>
      Math.max(h.length, ...rows.map((r) => Math.max(...(r[i] ?? '').split('\n').map(visible)))),
    );
    const fitted = fitColumns(natural, options.width);
    if (fitted.some((w, i) => w < (natural[i] ?? 0))) {
      rows = rows.map((r) => r.map((c, i) => truncate(c, fitted[i] ?? c.length)));
      head = head.map((h, i) => truncate(h, fitted[i] ?? h.length));
    }
  }
  const table = new Table({
    head,
    style: { head: [], border: [], compact: true },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const row of rows) table.push(row);
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
