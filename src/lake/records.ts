import type { DeltaRow } from '../delta/index.js';

/** A row of futures_snapshots as the application sees it (camelCase; instants as Date). */
export interface SnapshotRecord {
  ts: Date;
  tradeDate: string;
  segment: 'overnight' | 'rth' | 'post';
  symbol: string;
  secType: string;
  conId: number | null;
  localSymbol: string | null;
  contractMonth: string | null;
  etf: string | null;
  bid: number | null;
  ask: number | null;
  last: number | null;
  mid: number | null;
  bidSize: number | null;
  askSize: number | null;
  lastSize: number | null;
  volume: number | null;
  open: number | null;
  high: number | null;
  low: number | null;
  close: number | null;
  marketDataType: number | null;
  quality: string[];
  slotTs: Date | null;
  source: 'ibkr' | 'sim' | 'backfill' | 'import';
  runId: string | null;
}

/** A row of futures_bars. */
export interface BarRecord {
  ts: Date;
  tradeDate: string;
  symbol: string;
  conId: number | null;
  localSymbol: string | null;
  barSize: string;
  whatToShow: string;
  open: number | null;
  high: number | null;
  low: number | null;
  close: number | null;
  volume: number | null;
  wap: number | null;
  count: number | null;
  source: 'ibkr' | 'sim' | 'backfill' | 'import';
}

/** A row of signal_runs. */
export interface SignalRunRecord {
  date: string;
  kind: string;
  asOf: Date;
  recordedAt: Date;
  level: string | null;
  bias: string | null;
  tableVersion: number | null;
  payload: string;
  runId: string | null;
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (key: string) => key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/** camelCase record → snake_case Delta row. */
export function toDeltaRow(record: object): DeltaRow {
  const row: Record<string, DeltaRow[string]> = {};
  for (const [key, value] of Object.entries(record)) row[snake(key)] = value as DeltaRow[string];
  return row;
}

/** snake_case row from DuckDB → camelCase record; TIMESTAMPTZ arrive as epoch-ms numbers (see SELECT_*). */
export function fromDbRow(
  row: Record<string, unknown>,
  timestamps: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    let v: unknown = value;
    if (typeof v === 'bigint') v = Number(v);
    if (timestamps.includes(key) && v !== null && v !== undefined) v = new Date(Number(v));
    out[camel(key)] = v;
  }
  return out;
}

/** SELECT list that returns timestamps as epoch ms and dates as text, so rows convert without ambiguity. */
export function selectList(columns: readonly { name: string; type: unknown }[]): string {
  return columns
    .map(({ name, type }) => {
      const id = `"${name}"`;
      if (type === 'timestamp') return `epoch_ms(${id}) AS ${id}`;
      if (type === 'date') return `strftime(${id}, '%Y-%m-%d') AS ${id}`;
      if (type === 'long' || type === 'integer') return `CAST(${id} AS DOUBLE) AS ${id}`;
      return id;
    })
    .join(', ');
}
