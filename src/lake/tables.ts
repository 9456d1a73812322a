import type { DeltaStructField, DeltaStructType, DeltaType } from '../delta/index.js';

/** Our Delta tables: names, schemas and partitioning (DESIGN.md "Data"). Instants are UTC `timestamp`. */

function field(name: string, type: DeltaType, nullable = true): DeltaStructField {
  return { name, type, nullable, metadata: {} };
}

const stringList: DeltaType = { type: 'array', elementType: 'string', containsNull: false };

export const FUTURES_SNAPSHOTS = 'futures_snapshots';
export const FUTURES_BARS = 'futures_bars';
export const SIGNAL_RUNS = 'signal_runs';
export type LakeTableName = typeof FUTURES_SNAPSHOTS | typeof FUTURES_BARS | typeof SIGNAL_RUNS;

export interface LakeTableSpec {
  name: LakeTableName;
  schema: DeltaStructType;
  partitionColumns: string[];
  description: string;
}

export const snapshotsTable: LakeTableSpec = {
  name: FUTURES_SNAPSHOTS,
  description: 'one row per instrument per collection slot',
  partitionColumns: ['trade_date'],
  schema: {
    type: 'struct',
    fields: [
      field('ts', 'timestamp', false),
      field('trade_date', 'date', false),
      field('segment', 'string', false),
      field('symbol', 'string', false),
      field('sec_type', 'string', false),
      field('con_id', 'long'),
      field('local_symbol', 'string'),
      field('contract_month', 'string'),
      field('etf', 'string'),
      field('bid', 'double'),
      field('ask', 'double'),
      field('last', 'double'),
      field('mid', 'double'),
      field('bid_size', 'double'),
      field('ask_size', 'double'),
      field('last_size', 'double'),
      field('volume', 'double'),
      field('open', 'double'),
      field('high', 'double'),
      field('low', 'double'),
      field('close', 'double'),
      field('market_data_type', 'integer'),
      field('quality', stringList),
      field('slot_ts', 'timestamp'),
      field('source', 'string', false),
      field('run_id', 'string'),
    ],
  },
};

export const barsTable: LakeTableSpec = {
  name: FUTURES_BARS,
  description: 'historical bars (1 min, 1 day) from backfill or import',
  partitionColumns: ['trade_date'],
  schema: {
    type: 'struct',
    fields: [
      field('ts', 'timestamp', false),
      field('trade_date', 'date', false),
      field('symbol', 'string', false),
      field('con_id', 'long'),
      field('local_symbol', 'string'),
      field('bar_size', 'string', false),
      field('what_to_show', 'string', false),
      field('open', 'double'),
      field('high', 'double'),
      field('low', 'double'),
      field('close', 'double'),
      field('volume', 'double'),
      field('wap', 'double'),
      field('count', 'long'),
      field('source', 'string', false),
    ],
  },
};

export const signalRunsTable: LakeTableSpec = {
  name: SIGNAL_RUNS,
  description: 'every recorded signal evaluation (hysteresis state, calibration)',
  partitionColumns: ['date'],
  schema: {
    type: 'struct',
    fields: [
      field('date', 'date', false),
      field('kind', 'string', false),
      field('as_of', 'timestamp', false),
      field('recorded_at', 'timestamp', false),
      field('level', 'string'),
      field('bias', 'string'),
      field('table_version', 'long'),
      field('payload', 'string', false),
      field('run_id', 'string'),
    ],
  },
};

export const LAKE_TABLES: Record<LakeTableName, LakeTableSpec> = {
  [FUTURES_SNAPSHOTS]: snapshotsTable,
  [FUTURES_BARS]: barsTable,
  [SIGNAL_RUNS]: signalRunsTable,
};
