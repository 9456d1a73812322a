/** Small reads of the lake the collector and `futures status` need: latest row per symbol, txn lookups. */
import type { DuckDBConnection } from '@duckdb/node-api';
import { latestVersion, readCommit } from '../../delta/index.js';
import { createLakeView, FUTURES_SNAPSHOTS, tablePath } from '../../lake/index.js';
import { addDays, type MarketCalendar, tradeDateOf } from '../../market/index.js';

export interface LatestSnapshot {
  symbol: string;
  ts: Date;
  tradeDate: string;
  conId: number | null;
  localSymbol: string | null;
  bid: number | null;
  ask: number | null;
  last: number | null;
  mid: number | null;
  source: string;
  quality: string[];
}

/** How many trade dates back the latest-row reads look (partition pruning keeps this cheap). */
export const LATEST_LOOKBACK_DAYS = 7;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * The newest row per symbol among the trade dates [tradeDate(now) − lookbackDays, tradeDate(now)],
 * reading only those partitions. Symbols without a row in that window are absent from the map.
 */
export async function latestSnapshots(
  connection: DuckDBConnection,
  dataDir: string,
  options: {
    now: Date;
    calendar: MarketCalendar;
    symbols?: readonly string[];
    sources?: readonly string[];
    lookbackDays?: number;
    /** Read exactly these trade dates instead of the look-back window ending at now's trade date. */
    tradeDates?: { from: string; to: string };
  },
): Promise<Map<string, LatestSnapshot>> {
  const to = options.tradeDates?.to ?? tradeDateOf(options.now, options.calendar);
  const from = options.tradeDates?.from ?? addDays(to, -(options.lookbackDays ?? LATEST_LOOKBACK_DAYS));
  const view = `latest_${Math.random().toString(36).slice(2, 10)}`;
  const snapshot = await createLakeView(connection, dataDir, FUTURES_SNAPSHOTS, view, {
    kind: 'between',
    column: 'trade_date',
    low: from,
    high: to,
  });
  const out = new Map<string, LatestSnapshot>();
  try {
    if (!snapshot) return out;
    const filters: string[] = [`ts <= to_timestamp(${options.now.getTime() / 1000})`];
    const list = (values: readonly string[]) => values.map((v) => `'${v.replaceAll("'", "''")}'`).join(', ');
    if (options.symbols?.length) filters.push(`symbol IN (${list(options.symbols)})`);
    if (options.sources?.length) filters.push(`source IN (${list(options.sources)})`);
    const reader = await connection.runAndReadAll(
      `SELECT symbol, epoch_ms(ts) AS ts, strftime(trade_date, '%Y-%m-%d') AS trade_date, con_id, local_symbol,
         bid, ask, "last", mid, source, quality
       FROM (SELECT *, row_number() OVER (PARTITION BY symbol ORDER BY ts DESC, slot_ts DESC NULLS LAST) AS rn
             FROM "${view}" WHERE ${filters.join(' AND ')})
       WHERE rn = 1 ORDER BY symbol`,
    );
    for (const row of reader.getRowObjectsJS()) {
      const symbol = String(row.symbol);
      out.set(symbol, {
        symbol,
        ts: new Date(Number(row.ts)),
        tradeDate: String(row.trade_date),
        conId: num(row.con_id),
        localSymbol: row.local_symbol === null ? null : String(row.local_symbol),
        bid: num(row.bid),
        ask: num(row.ask),
        last: num(row.last),
        mid: num(row.mid),
        source: String(row.source),
        quality: Array.isArray(row.quality) ? row.quality.map(String) : [],
      });
    }
    return out;
  } finally {
    await connection.run(`DROP VIEW IF EXISTS "${view}"`);
  }
}

/**
 * The Delta version whose commit carried txn {appId, version}, scanning back from the latest commit
 * (at most `maxCommits`); null when not found (e.g. the commit JSON was cleaned up).
 */
export async function findTxnCommit(
  dataDir: string,
  appId: string,
  txnVersion: number,
  maxCommits = 200,
): Promise<number | null> {
  const path = tablePath(dataDir, FUTURES_SNAPSHOTS);
  const latest = await latestVersion(path).catch(() => undefined);
  if (latest === undefined) return null;
  for (let v = latest; v >= 0 && latest - v < maxCommits; v -= 1) {
    const actions = await readCommit(path, v).catch(() => null);
    if (actions === null) return null;
    for (const action of actions) {
      if ('txn' in action && action.txn.appId === appId) {
        if (action.txn.version === txnVersion) return v;
        // Versions only grow with the log: an older txn means ours is not further back.
        if (action.txn.version < txnVersion) return null;
      }
    }
  }
  return null;
}
