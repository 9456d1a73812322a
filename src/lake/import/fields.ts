/** What an import reads: the target fields of each table, the source names recognised for them, --map. */
import { UsageError } from '../../core/errors.js';
import { FUTURES_BARS, type FUTURES_SNAPSHOTS } from '../tables.js';

export const IMPORT_SYMBOLS = ['ES', 'NQ', 'RTY', 'VIX', 'VIX3M'] as const;
export type ImportTable = typeof FUTURES_BARS | typeof FUTURES_SNAPSHOTS;

/** An import option the lake refuses; the caller names the flag or setting that gave it. */
export class ImportOptionError extends UsageError {
  constructor(
    readonly option: 'symbol' | 'timeZone' | 'map',
    message: string,
    options: { hint?: string } = {},
  ) {
    super(message, options);
  }
}

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
export const NUMERIC = new Set([
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
/** Volumes, counts and sizes must be finite and not negative when present. */
export const COUNTS = new Set(['volume', 'count', 'bid_size', 'ask_size', 'last_size']);
/** Prices must be positive when present. */
export const PRICES = new Set(['open', 'high', 'low', 'close', 'wap', 'bid', 'ask', 'last']);

export function fieldsOf(table: ImportTable): Record<string, readonly string[]> {
  return table === FUTURES_BARS ? BAR_FIELDS : SNAPSHOT_FIELDS;
}

/** Parses a column map 'col=field,col2=field2'. */
export function parseColumnMap(text: string | undefined, table: ImportTable): Record<string, string> {
  if (text === undefined || text.trim() === '') return {};
  const fields = fieldsOf(table);
  const out: Record<string, string> = Object.create(null);
  for (const part of text.split(',')) {
    const [column, field, ...rest] = part.split('=').map((s) => s.trim());
    if (!column || !field || rest.length > 0) {
      throw new ImportOptionError('map', `'${part}' is not col=field.`, {
        hint: "Example: --map 'DATE=ts,CLOSE=close'.",
      });
    }
    if (!(field in fields)) {
      throw new ImportOptionError('map', `unknown field '${field}' for ${table}.`, {
        hint: `Fields: ${Object.keys(fields).join(', ')}.`,
      });
    }
    if (column in out || Object.values(out).includes(field)) {
      throw new ImportOptionError('map', `'${part}' maps a column or a field a second time.`, {
        hint: 'Name each source column and each field once.',
      });
    }
    out[column] = field;
  }
  return out;
}

/** Resolves target field → source column from the column map and the recognised names. */
export function resolveColumns(
  sourceColumns: readonly string[],
  table: ImportTable,
  map: Readonly<Record<string, string>>,
): { columns: Record<string, string>; ignored: string[] } {
  const fields = fieldsOf(table);
  const columns: Record<string, string> = {};
  for (const [column, field] of Object.entries(map)) {
    const actual =
      sourceColumns.find((c) => c === column) ??
      sourceColumns.find((c) => c.toLowerCase() === column.toLowerCase());
    if (actual === undefined) {
      throw new ImportOptionError('map', `the file has no column '${column}'.`, {
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
