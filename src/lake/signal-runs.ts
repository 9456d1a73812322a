import type { DuckDBConnection } from '@duckdb/node-api';
import type { AppendResult } from '../delta/index.js';
import { appendToLake, createLakeView, type LakeWriteOptions } from './lake.js';
import { fromDbRow, type SignalRunRecord, selectList, toDeltaRow } from './records.js';
import { SIGNAL_RUNS, signalRunsTable } from './tables.js';

export async function appendSignalRun(
  dataDir: string,
  record: SignalRunRecord,
  options: LakeWriteOptions = {},
): Promise<AppendResult> {
  return appendToLake(dataDir, SIGNAL_RUNS, [toDeltaRow(record)], { ...options, operation: 'WRITE' });
}

/**
 * The latest recorded run of a kind at or before `asOf` (strictly before with `before: 'exclusive'`),
 * looking back `lookbackDays` date partitions.
 */
export async function latestSignalRun(
  connection: DuckDBConnection,
  dataDir: string,
  kind: string,
  asOf: Date,
  {
    lookbackDays = 7,
    before = 'inclusive',
  }: { lookbackDays?: number; before?: 'inclusive' | 'exclusive' } = {},
): Promise<SignalRunRecord | undefined> {
  const view = `signal_runs_${Math.random().toString(36).slice(2, 10)}`;
  const from = new Date(asOf.getTime() - lookbackDays * 86_400_000).toISOString().slice(0, 10);
  const to = new Date(asOf.getTime() + 86_400_000).toISOString().slice(0, 10);
  await createLakeView(connection, dataDir, SIGNAL_RUNS, view, {
    kind: 'and',
    args: [
      { kind: 'between', column: 'date', low: from, high: to },
      { kind: 'compare', column: 'kind', op: '=', value: kind },
      { kind: 'compare', column: 'as_of', op: before === 'inclusive' ? '<=' : '<', value: asOf },
    ],
  });
  try {
    const reader = await connection.runAndReadAll(
      `SELECT ${selectList(signalRunsTable.schema.fields)} FROM "${view}" ORDER BY as_of DESC, recorded_at DESC LIMIT 1`,
    );
    const row = reader.getRowObjectsJS()[0];
    return row ? (fromDbRow(row, ['as_of', 'recorded_at']) as unknown as SignalRunRecord) : undefined;
  } finally {
    await connection.run(`DROP VIEW IF EXISTS "${view}"`);
  }
}

/** The recorded runs of a kind with as_of in [from, to], in as_of order. */
export async function readSignalRuns(
  connection: DuckDBConnection,
  dataDir: string,
  kind: string,
  from: Date,
  to: Date,
): Promise<SignalRunRecord[]> {
  const view = `signal_runs_${Math.random().toString(36).slice(2, 10)}`;
  await createLakeView(connection, dataDir, SIGNAL_RUNS, view, {
    kind: 'and',
    args: [
      {
        kind: 'between',
        column: 'date',
        low: new Date(from.getTime() - 86_400_000).toISOString().slice(0, 10),
        high: new Date(to.getTime() + 86_400_000).toISOString().slice(0, 10),
      },
      { kind: 'compare', column: 'kind', op: '=', value: kind },
      { kind: 'compare', column: 'as_of', op: '>=', value: from },
      { kind: 'compare', column: 'as_of', op: '<=', value: to },
    ],
  });
  try {
    const reader = await connection.runAndReadAll(
      `SELECT ${selectList(signalRunsTable.schema.fields)} FROM "${view}" ORDER BY as_of, recorded_at`,
    );
    return reader
      .getRowObjectsJS()
      .map((row) => fromDbRow(row, ['as_of', 'recorded_at']) as unknown as SignalRunRecord);
  } finally {
    await connection.run(`DROP VIEW IF EXISTS "${view}"`);
  }
}
