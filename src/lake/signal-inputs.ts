/**
 * The lake reads behind the signal inputs: a SliceSpec → a PriceSlice (market/price.ts). Every read is
 * pruned by trade_date partitions (and ts/symbol stats), so its cost depends on the window asked for,
 * not on how much history the lake holds.
 * Hazard: a 1-minute bar is stamped at its END here (start + 60 s), so "at or before asOf" never
 * lets a bar that is still forming leak into an evaluation.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Predicate, Snapshot } from '../delta/index.js';
import { addDays, etInstant, etParts, tradeDateOf } from '../market/index.js';
import {
  type CloseTarget,
  CONTEXT_SYMBOLS,
  type ContextSymbol,
  type DailyBar,
  type Fixing,
  type IndexPrint,
  type PriceSlice,
  type SeriesPoint,
  type SliceSpec,
  SNAPSHOT_KIND_SQL,
  SNAPSHOT_PRICE_SQL,
  type TableVersion,
  tidyPoints,
  tidyPrice,
} from '../market/price.js';
import { isDemoLake } from './demo-marker.js';
import {
  createLakeView,
  lakeScanSql,
  loadLakeSnapshot,
  type ScanLedger,
  withLakeReadErrors,
} from './lake.js';
import { FUTURES_BARS, FUTURES_SNAPSHOTS, SIGNAL_RUNS } from './tables.js';

const MINUTE_MS = 60_000;
/** A 1-day bar is used from 17:00 ET of its date (after the close it summarises). */
export const DAILY_BAR_AVAILABLE_AT = '17:00';

function viewName(prefix: string): string {
  return `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
}

/** Lowest trade_date a row stamped at or after `at` can carry (a trade date is never before the ET date). */
export function firstTradeDate(at: Date): string {
  return etParts(at).date;
}

export interface TableSnapshots {
  snapshots: Snapshot | undefined;
  bars: Snapshot | undefined;
  /**
   * Rows from the simulator (source 'sim') count: only in a lake the demo built (issue 21 finding 7).
   * Elsewhere they are test or demo leftovers that must never move a real signal. Default false.
   */
  simRows?: boolean;
  /** Where the reads note the files they skip on stats (checkSkippedFiles), when the caller asks. */
  ledger?: ScanLedger | undefined;
}

export async function loadTableSnapshots(dataDir: string): Promise<TableSnapshots> {
  const [snapshots, bars, simRows] = await Promise.all([
    loadLakeSnapshot(dataDir, FUTURES_SNAPSHOTS),
    loadLakeSnapshot(dataDir, FUTURES_BARS),
    isDemoLake(dataDir),
  ]);
  return { snapshots, bars, simRows };
}

/** The row filter plus `source <> 'sim'` unless the lake is a demo lake. */
function realRows(tables: TableSnapshots, where: Predicate): Predicate {
  if (tables.simRows === true) return where;
  return { kind: 'and', args: [where, { kind: 'compare', column: 'source', op: '!=', value: 'sim' }] };
}

export function lakeReads(tables: TableSnapshots): TableVersion[] {
  const out: TableVersion[] = [];
  if (tables.snapshots) out.push({ table: FUTURES_SNAPSHOTS, version: tables.snapshots.version });
  if (tables.bars) out.push({ table: FUTURES_BARS, version: tables.bars.version });
  return out;
}

async function withViews<T>(
  connection: DuckDBConnection,
  dataDir: string,
  tables: TableSnapshots,
  snapWhere: Predicate,
  barWhere: Predicate,
  fn: (snapView: string, barView: string) => Promise<T>,
): Promise<T> {
  const snapView = viewName('sig_snap');
  const barView = viewName('sig_bars');
  await createLakeView(
    connection,
    dataDir,
    FUTURES_SNAPSHOTS,
    snapView,
    realRows(tables, snapWhere),
    tables.snapshots,
    tables.ledger,
  );
  await createLakeView(
    connection,
    dataDir,
    FUTURES_BARS,
    barView,
    realRows(tables, barWhere),
    tables.bars,
    tables.ledger,
  );
  try {
    return await fn(snapView, barView);
  } finally {
    await connection.run(`DROP VIEW IF EXISTS "${snapView}"`);
    await connection.run(`DROP VIEW IF EXISTS "${barView}"`);
  }
}

function num(value: unknown): number {
  return typeof value === 'bigint' ? Number(value) : Number(value);
}

function numOrNull(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = num(value);
  return Number.isFinite(n) ? n : null;
}

/**
 * Price points of the futures symbols in [from, to] plus VIX/VIX3M prints. Snapshots win: a bar is
 * kept only when no snapshot of the same contract falls inside its minute.
 */
async function fetchPoints(
  connection: DuckDBConnection,
  dataDir: string,
  tables: TableSnapshots,
  spec: SliceSpec,
): Promise<{ points: Map<string, SeriesPoint[]>; prints: Map<ContextSymbol, IndexPrint[]> }> {
  const from = spec.pointsFrom;
  const to = spec.pointsTo;
  const dates = { low: firstTradeDate(new Date(from.getTime() - MINUTE_MS)), high: tradeDateOf(to) };
  const all = [...spec.symbols, ...CONTEXT_SYMBOLS];
  const snapWhere: Predicate = {
    kind: 'and',
    args: [
      { kind: 'between', column: 'trade_date', low: dates.low, high: dates.high },
      { kind: 'between', column: 'ts', low: from, high: to },
      { kind: 'in', column: 'symbol', values: all },
    ],
  };
  const barWhere: Predicate = {
    kind: 'and',
    args: [
      { kind: 'between', column: 'trade_date', low: dates.low, high: dates.high },
      { kind: 'compare', column: 'bar_size', op: '=', value: '1 min' },
      {
        kind: 'between',
        column: 'ts',
        low: new Date(from.getTime() - MINUTE_MS),
        high: new Date(to.getTime() - MINUTE_MS),
      },
      { kind: 'in', column: 'symbol', values: [...spec.symbols] },
    ],
  };
  return withViews(connection, dataDir, tables, snapWhere, barWhere, async (snapView, barView) => {
    const reader = await connection.runAndReadAll(
      `SELECT symbol, epoch_ms(ts) AS ms, CAST(coalesce(con_id, 0) AS DOUBLE) AS con_id,
         coalesce(local_symbol, symbol) AS local_symbol, 0 AS is_bar,
         ${SNAPSHOT_PRICE_SQL} AS price, ${SNAPSHOT_KIND_SQL} AS kind,
         CASE WHEN bid > 0 AND ask > 0 THEN ask - bid ELSE NULL END AS spread,
         CASE WHEN last > 0 THEN last WHEN bid > 0 AND ask >= bid THEN (bid + ask) / 2 ELSE NULL END AS level,
         close AS prior_close
       FROM "${snapView}"
       UNION ALL
       SELECT symbol, epoch_ms(ts) + 60000, CAST(coalesce(con_id, 0) AS DOUBLE),
         coalesce(local_symbol, symbol), 1, close, 'bar_close', NULL, NULL, NULL
       FROM "${barView}" WHERE close > 0
       ORDER BY symbol, ms, is_bar`,
    );
    const points = new Map<string, SeriesPoint[]>();
    const snapTimes = new Map<string, number[]>();
    const bars: Array<{ symbol: string; point: SeriesPoint }> = [];
    const prints = new Map<ContextSymbol, IndexPrint[]>();
    for (const row of reader.getRowObjectsJS()) {
      const symbol = String(row.symbol);
      const ts = new Date(num(row.ms));
      if ((CONTEXT_SYMBOLS as readonly string[]).includes(symbol)) {
        const level = numOrNull(row.level);
        if (level === null || level <= 0) continue;
        const priorClose = numOrNull(row.prior_close);
        const list = prints.get(symbol as ContextSymbol) ?? [];
        list.push({ ts, level, priorClose: priorClose !== null && priorClose > 0 ? priorClose : null });
        prints.set(symbol as ContextSymbol, list);
        continue;
      }
      const price = numOrNull(row.price);
      if (price === null || price <= 0) continue;
      const kind = row.kind === 'mid' ? 'mid' : row.kind === 'last' ? 'last' : 'bar_close';
      const spread = numOrNull(row.spread);
      const point: SeriesPoint = {
        ts,
        price: tidyPrice(symbol, price),
        conId: num(row.con_id),
        localSymbol: String(row.local_symbol),
        kind,
        spread: spread === null ? null : tidyPoints(symbol, spread),
      };
      if (num(row.is_bar) === 1) {
        bars.push({ symbol, point });
        continue;
      }
      const list = points.get(symbol) ?? [];
      list.push(point);
      points.set(symbol, list);
      const key = `${symbol}|${point.conId}`;
      const times = snapTimes.get(key) ?? [];
      times.push(ts.getTime());
      snapTimes.set(key, times);
    }
    for (const { symbol, point } of bars) {
      const times = snapTimes.get(`${symbol}|${point.conId}`);
      if (times && anyWithin(times, point.ts.getTime() - MINUTE_MS, point.ts.getTime())) continue;
      const list = points.get(symbol) ?? [];
      list.push(point);
      points.set(symbol, list);
    }
    for (const [symbol, list] of points) points.set(symbol, dedupeByContract(list));
    return { points, prints };
  });
}

/** True when a sorted list holds a value in [low, high]. */
function anyWithin(sorted: readonly number[], low: number, high: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < low) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && (sorted[lo] as number) <= high;
}

/** Sorted by ts; one point per (contract, ts): the last one read wins. */
function dedupeByContract(list: SeriesPoint[]): SeriesPoint[] {
  const sorted = [...list].sort((a, b) => a.ts.getTime() - b.ts.getTime());
  const out: SeriesPoint[] = [];
  const lastIndex = new Map<number, number>();
  for (const p of sorted) {
    const at = lastIndex.get(p.conId);
    const prev = at === undefined ? undefined : out[at];
    if (prev !== undefined && prev.ts.getTime() === p.ts.getTime()) {
      out[at as number] = p;
      continue;
    }
    lastIndex.set(p.conId, out.length);
    out.push(p);
  }
  return out;
}

/**
 * The price of each contract in `parts` (a UNION of symbol, con_id, local_symbol, ts, price, kind rows) as of
 * each target instant, at most `maxAgeMs` old: per symbol when a target names one, else for every symbol.
 */
async function fixingsAsOf(
  connection: DuckDBConnection,
  parts: readonly string[],
  targets: ReadonlyArray<{ symbol?: string; at: number }>,
  maxAgeMs: number,
): Promise<Map<string, Fixing[]>> {
  const perSymbol = targets.some((t) => t.symbol !== undefined);
  const values = targets.map((t) => (perSymbol ? `('${t.symbol}', ${t.at})` : `(NULL, ${t.at})`)).join(', ');
  const reader = await connection.runAndReadAll(
    `WITH series AS MATERIALIZED (${parts.join('\n UNION ALL ')}),
     targets AS (SELECT sym, make_timestamptz(t * 1000) AS target FROM (VALUES ${values}) v(sym, t)),
     grid AS (SELECT p.symbol, p.con_id, t.target FROM (SELECT DISTINCT symbol, con_id FROM series) p
       JOIN targets t ON t.sym IS NULL OR t.sym = p.symbol)
     SELECT g.symbol, epoch_ms(g.target) AS target, CAST(g.con_id AS DOUBLE) AS con_id, s.local_symbol,
       s.price, epoch_ms(s.ts) AS ms, s.kind
     FROM grid g ASOF JOIN series s ON g.symbol = s.symbol AND g.con_id = s.con_id AND g.target >= s.ts
     WHERE epoch_ms(g.target) - epoch_ms(s.ts) <= ${Math.round(maxAgeMs)}
     ORDER BY g.symbol, target, con_id`,
  );
  const out = new Map<string, Fixing[]>();
  for (const row of reader.getRowObjectsJS()) {
    const symbol = String(row.symbol);
    const list = out.get(symbol) ?? [];
    list.push({
      target: new Date(num(row.target)),
      conId: num(row.con_id),
      localSymbol: String(row.local_symbol),
      price: num(row.price),
      ts: new Date(num(row.ms)),
      kind: row.kind === 'bar_close' ? 'bar_close' : 'snapshot',
    });
    out.set(symbol, list);
  }
  return out;
}

/**
 * SELECTs of (symbol, con_id, local_symbol, ts, price, kind) over the real rows of each table that exists:
 * snapshot prices, and 1-min bar closes stamped at the bar's end (when that price was known).
 */
async function priceObservationSql(
  connection: DuckDBConnection,
  tables: TableSnapshots,
  filters: { snapshots: Predicate[]; bars: Predicate[] },
  where = 'true',
): Promise<string[]> {
  const parts: string[] = [];
  const snap = await lakeScanSql(
    connection,
    tables.snapshots,
    realRows(tables, { kind: 'and', args: filters.snapshots }),
    ['symbol', 'con_id', 'local_symbol', 'ts', 'bid', 'ask', 'last'],
    { table: FUTURES_SNAPSHOTS, ledger: tables.ledger },
  );
  if (snap !== undefined) {
    parts.push(
      `SELECT symbol, coalesce(con_id, 0) AS con_id, coalesce(local_symbol, symbol) AS local_symbol,
         ts, ${SNAPSHOT_PRICE_SQL} AS price, 'snapshot' AS kind
       FROM (${snap}) WHERE ${where} AND ${SNAPSHOT_PRICE_SQL} > 0`,
    );
  }
  const minuteBars: Predicate = { kind: 'compare', column: 'bar_size', op: '=', value: '1 min' };
  const bar = await lakeScanSql(
    connection,
    tables.bars,
    realRows(tables, { kind: 'and', args: [...filters.bars, minuteBars] }),
    ['symbol', 'con_id', 'local_symbol', 'ts', 'close'],
    { table: FUTURES_BARS, ledger: tables.ledger },
  );
  if (bar !== undefined) {
    parts.push(
      `SELECT symbol, coalesce(con_id, 0) AS con_id, coalesce(local_symbol, symbol) AS local_symbol,
         ts + INTERVAL 60 SECOND AS ts, close AS price, 'bar_close' AS kind
       FROM (${bar}) WHERE ${where} AND close > 0`,
    );
  }
  return parts;
}

/**
 * The price of every contract at each target instant (latest observation at most maxAge old).
 * Each trade date is read on its own with just its targets' windows as the ts filter: DuckDB pushes
 * a short range filter into the Parquet scan cheaply, where one OR of every window of the lookback
 * would be evaluated on every row of every file.
 */
async function fetchFixings(
  connection: DuckDBConnection,
  tables: TableSnapshots,
  spec: SliceSpec,
): Promise<Map<string, Fixing[]>> {
  const out = new Map<string, Fixing[]>();
  if (spec.fixingTargets.length === 0 || spec.symbols.length === 0) return out;
  const targets = [...spec.fixingTargets].sort((a, b) => a.getTime() - b.getTime());
  const byDate = new Map<string, Date[]>();
  for (const t of targets) {
    const date = tradeDateOf(t);
    byDate.set(date, [...(byDate.get(date) ?? []), t]);
  }
  const windows = (dateTargets: readonly Date[], shift: number): Predicate => ({
    kind: 'or',
    args: dateTargets.map((t) => ({
      kind: 'between' as const,
      column: 'ts',
      low: new Date(t.getTime() - spec.fixingMaxAgeMs - shift),
      high: new Date(t.getTime() - shift),
    })),
  });
  const symbols: Predicate = { kind: 'in', column: 'symbol', values: [...spec.symbols] };
  const parts: string[] = [];
  for (const [date, dateTargets] of byDate) {
    const onDate: Predicate = { kind: 'compare', column: 'trade_date', op: '=', value: date };
    parts.push(
      ...(await priceObservationSql(connection, tables, {
        snapshots: [onDate, symbols, windows(dateTargets, 0)],
        bars: [onDate, symbols, windows(dateTargets, MINUTE_MS)],
      })),
    );
  }
  if (parts.length === 0) return out;
  return fixingsAsOf(
    connection,
    parts,
    targets.map((t) => ({ at: t.getTime() })),
    spec.fixingMaxAgeMs,
  );
}

/** 1-day bars of the futures symbols and VIX/VIX3M with date in [from, to]. */
async function fetchDaily(
  connection: DuckDBConnection,
  dataDir: string,
  tables: TableSnapshots,
  spec: SliceSpec,
): Promise<Map<string, DailyBar[]>> {
  const out = new Map<string, DailyBar[]>();
  if (!tables.bars) return out;
  const view = viewName('sig_daily');
  await createLakeView(
    connection,
    dataDir,
    FUTURES_BARS,
    view,
    realRows(tables, {
      kind: 'and',
      args: [
        { kind: 'between', column: 'trade_date', low: spec.dailyFrom, high: spec.dailyTo },
        { kind: 'compare', column: 'bar_size', op: '=', value: '1 day' },
        { kind: 'in', column: 'symbol', values: [...spec.symbols, ...CONTEXT_SYMBOLS] },
      ],
    }),
    tables.bars,
    tables.ledger,
  );
  try {
    const reader = await connection.runAndReadAll(
      `SELECT symbol, strftime(trade_date, '%Y-%m-%d') AS date, CAST(coalesce(con_id, 0) AS DOUBLE) AS con_id,
         max(close) AS close
       FROM "${view}" WHERE close > 0
       GROUP BY ALL ORDER BY symbol, date, con_id`,
    );
    for (const row of reader.getRowObjectsJS()) {
      const symbol = String(row.symbol);
      const date = String(row.date);
      const list = out.get(symbol) ?? [];
      list.push({
        date,
        conId: num(row.con_id),
        close: num(row.close),
        availableAt: etInstant(date, DAILY_BAR_AVAILABLE_AT),
      });
      out.set(symbol, list);
    }
    return out;
  } finally {
    await connection.run(`DROP VIEW IF EXISTS "${view}"`);
  }
}

/** UTC hours that can hold a price at most 2 h before a 13:00 or 16:00 ET close, EST or EDT. */
const CLOSE_HOURS_UTC = { low: 15, high: 21 };

/**
 * Each contract's intraday price at the NYSE closes of the dates a symbol has no 1-day bar for (the latest
 * 1-min bar close or snapshot price at most fixingMaxAgeMs before the close). One read for the whole
 * range: the rows are cut to the hours around the closes, then ASOF-joined to the targets.
 */
async function fetchCloses(
  connection: DuckDBConnection,
  tables: TableSnapshots,
  spec: SliceSpec,
  daily: Map<string, DailyBar[]>,
): Promise<Map<string, Fixing[]>> {
  const out = new Map<string, Fixing[]>();
  const wanted: Array<{ symbol: string; target: CloseTarget }> = [];
  for (const symbol of spec.symbols) {
    const covered = new Set((daily.get(symbol) ?? []).map((b) => b.date));
    for (const t of spec.closeTargets ?? []) if (!covered.has(t.date)) wanted.push({ symbol, target: t });
  }
  if (wanted.length === 0) return out;
  const dates = [...new Set(wanted.map((w) => w.target.date))].sort();
  const symbols = [...new Set(wanted.map((w) => w.symbol))];
  // Only the trade dates that lack a 1-day bar are read (a lake with daily bars reads next to nothing).
  const range: Predicate[] = [
    { kind: 'in', column: 'trade_date', values: dates },
    { kind: 'in', column: 'symbol', values: symbols },
  ];
  const hours = `hour(timezone('UTC', ts)) BETWEEN ${CLOSE_HOURS_UTC.low} AND ${CLOSE_HOURS_UTC.high}`;
  const parts = await priceObservationSql(connection, tables, { snapshots: range, bars: range }, hours);
  if (parts.length === 0) return out;
  return fixingsAsOf(
    connection,
    parts,
    wanted.map((w) => ({ symbol: w.symbol, at: w.target.at.getTime() })),
    spec.fixingMaxAgeMs,
  );
}

/** Reads one slice. Returns undefined when neither futures_snapshots nor futures_bars exists (empty lake). */
export async function fetchSlice(
  connection: DuckDBConnection,
  dataDir: string,
  spec: SliceSpec,
  tables?: TableSnapshots,
): Promise<PriceSlice | undefined> {
  const t = tables ?? (await loadTableSnapshots(dataDir));
  if (!t.snapshots && !t.bars) return undefined;
  return withLakeReadErrors(lakeReads(t), async () => {
    const { points, prints } = await fetchPoints(connection, dataDir, t, spec);
    const fixings = await fetchFixings(connection, t, spec);
    const daily = await fetchDaily(connection, dataDir, t, spec);
    const closes = await fetchCloses(connection, t, spec, daily);
    return {
      from: spec.pointsFrom,
      to: spec.pointsTo,
      points,
      fixings,
      daily,
      closes,
      prints,
      sources: lakeReads(t),
    };
  });
}

/** The as_of instants (epoch ms, ascending) of the recorded runs of `kind` in [from, to]. */
export async function signalRunInstants(
  connection: DuckDBConnection,
  dataDir: string,
  kind: string,
  from: Date,
  to: Date,
): Promise<number[]> {
  const view = viewName('sig_runs');
  await createLakeView(connection, dataDir, SIGNAL_RUNS, view, {
    kind: 'and',
    args: [
      {
        kind: 'between',
        column: 'date',
        low: addDays(etParts(from).date, -1),
        high: addDays(etParts(to).date, 1),
      },
      { kind: 'compare', column: 'kind', op: '=', value: kind },
      { kind: 'between', column: 'as_of', low: from, high: to },
    ],
  });
  try {
    const reader = await connection.runAndReadAll(`SELECT epoch_ms(as_of) AS ms FROM "${view}" ORDER BY ms`);
    return reader.getRowObjectsJS().map((row) => num(row.ms));
  } finally {
    await connection.run(`DROP VIEW IF EXISTS "${view}"`);
  }
}
