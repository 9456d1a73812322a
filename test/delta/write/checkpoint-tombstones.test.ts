/**
 * Which tombstones a checkpoint keeps under `delta.deletedFileRetentionDuration`. A retention that is set
 * but cannot be read (unknown text, or too long to count in milliseconds, which durations now refuse:
 * review §11) keeps every tombstone; only an unset one means the 7-day default.
 */
import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../../src/delta/log/types.js';
import { checkpointActions } from '../../../src/delta/write/checkpoint-write.js';

const NOW = Date.UTC(2026, 2, 10);
const DAY = 86_400_000;

function snapshotWith(retention: string | undefined): Snapshot {
  const configuration: Record<string, string> =
    retention === undefined ? {} : { 'delta.deletedFileRetentionDuration': retention };
  return {
    tablePath: '/t',
    version: 3,
    protocol: { minReaderVersion: 1, minWriterVersion: 2 },
    metadata: {
      id: 'x',
      format: { provider: 'parquet', options: {} },
      schemaString: '{"type":"struct","fields":[]}',
      partitionColumns: [],
      configuration,
    },
    schema: { type: 'struct', fields: [] },
    partitionColumns: [],
    files: new Map(),
    txns: new Map(),
    tombstones: new Map([
      ['old.parquet', { path: 'old.parquet', deletionTimestamp: NOW - 30 * DAY, dataChange: true }],
    ]),
    timestamp: NOW,
    checkpointVersion: undefined,
  } as unknown as Snapshot;
}

const keeps = (retention: string | undefined) =>
  checkpointActions(snapshotWith(retention), NOW).some((a) => 'remove' in a);

describe('tombstones in a checkpoint', () => {
  it('drops a 30-day-old tombstone under the default and under a shorter retention', () => {
    expect(keeps(undefined)).toBe(false);
    expect(keeps('interval 1 day')).toBe(false);
  });

  it('keeps it under a longer retention, and under one it cannot read', () => {
    expect(keeps('interval 60 days')).toBe(true);
    expect(keeps('interval 1000000000000 weeks')).toBe(true);
    expect(keeps('forever')).toBe(true);
  });
});
