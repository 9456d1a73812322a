/** Recording evaluations to signal_runs: one commit per run, whatever the number of documents. */
import { appendToLake, SIGNAL_RUNS } from '../../lake/index.js';
import { toDeltaRow } from '../../lake/records.js';

export interface RecordRow {
  date: string;
  kind: 'premarket' | 'regime';
  asOf: Date;
  level: string | null;
  bias: string | null;
  tableVersion: number | null;
  payload: string;
}

/** Appends runs to signal_runs in ONE commit. */
export async function recordRuns(
  dataDir: string,
  rows: readonly RecordRow[],
  now: () => Date,
): Promise<void> {
  if (rows.length === 0) return;
  const recordedAt = now();
  const runId = `signals-${recordedAt.getTime().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  await appendToLake(
    dataDir,
    SIGNAL_RUNS,
    rows.map((r) => toDeltaRow({ ...r, recordedAt, runId })),
    { operation: 'WRITE', now },
  );
}

/** The lake version a document read: futures_snapshots when it read that table, else the first one. */
export function tableVersionOf(lake: readonly { table: string; version: number }[]): number | null {
  return lake.find((l) => l.table === 'futures_snapshots')?.version ?? lake[0]?.version ?? null;
}
