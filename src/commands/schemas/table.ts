import { z } from 'zod';
import { count, documentSchema, instant, version } from './common.js';

/** The documents of `futures table …`: any Delta table, ours or not. */

const jsonValue = z.json().meta({ id: 'JsonValue' });

const column = z.object({ name: z.string(), type: z.string() });

export const tableInfoBodySchema = z.object({
  table: z.string(),
  version,
  /** Commit time of this version. */
  timestamp: instant,
  protocol: z.object({
    minReaderVersion: z.number().int().min(1),
    minWriterVersion: z.number().int().min(1),
    readerFeatures: z.array(z.string()),
    writerFeatures: z.array(z.string()),
  }),
  columns: z.array(column.extend({ nullable: z.boolean(), partition: z.boolean() })),
  partitionColumns: z.array(z.string()),
  liveFiles: count,
  bytes: count,
  rowsFromStats: count,
  filesWithoutStats: count,
  smallFiles: z.object({ count, thresholdBytes: count }),
  lastCheckpoint: z.object({ version, parts: count, hintVersion: version.nullable() }).nullable(),
  commitsSinceCheckpoint: count,
  txn: z.array(
    z.object({ appId: z.string(), version: z.number().int(), lastUpdated: z.number().nullable() }),
  ),
  tombstones: count,
  configuration: z.record(z.string(), z.string().nullable()),
});

export const tableInfoDocumentSchema = documentSchema('futures.table.info/v1', tableInfoBodySchema, {
  title: 'futures table info --json',
  description: 'Version, protocol, schema, files, size and checkpoint state of a Delta table',
});

export const tableHistoryBodySchema = z.object({
  table: z.string(),
  /** Newest first. */
  entries: z.array(
    z.object({
      version,
      time: instant,
      operation: z.string().nullable(),
      operationParameters: z.record(z.string(), z.unknown()),
      metrics: z.record(z.string(), z.unknown()),
      engineInfo: z.string().nullable(),
    }),
  ),
});

export const tableHistoryDocumentSchema = documentSchema('futures.table.history/v1', tableHistoryBodySchema, {
  title: 'futures table history --json',
  description: 'The commits of a Delta table, newest first',
});

export const tableScanBodySchema = z.object({
  table: z.string(),
  version,
  columns: z.array(column),
  /** One object per row, keys in column order; integers beyond 2^53 as strings. */
  rows: z.array(z.record(z.string(), jsonValue)),
  metrics: z.object({
    filesTotal: count,
    filesPrunedByPartition: count,
    filesPrunedByStats: count,
    filesRead: count,
    bytesRead: count,
    rows: count,
  }),
});

export const tableScanDocumentSchema = documentSchema('futures.table.scan/v1', tableScanBodySchema, {
  title: 'futures table scan --json',
  description: 'The rows of a Delta table that match a predicate, with pruning metrics',
});

export const tableVerifyBodySchema = z.object({
  table: z.string(),
  version: version.nullable(),
  sound: z.boolean(),
  problems: z.array(
    z.object({
      kind: z.string(),
      version: version.nullable(),
      file: z.string().nullable(),
      column: z.string().nullable(),
      message: z.string(),
    }),
  ),
  checked: z.object({
    versions: count,
    files: count,
    bytes: count,
    rows: count,
    checkpoints: count,
    checkpointsNotComparable: count,
    /** --deep: files whose content hash was compared, pages whose CRC was (0 without --deep). */
    contentHashes: count,
    pageCrcs: count,
  }),
  durationMs: z.number().min(0),
});

export const tableVerifyDocumentSchema = documentSchema('futures.table.verify/v1', tableVerifyBodySchema, {
  title: 'futures table verify --json',
  description:
    'Whether a Delta table is sound: log, files, statistics and checkpoints, with the problems found',
});

export const tableFilesBodySchema = z.object({
  table: z.string(),
  version,
  partitionColumns: z.array(z.string()),
  columns: z.array(column),
  files: z.array(
    z.object({
      /** Relative to the table directory, as the log names it. */
      path: z.string(),
      size: count,
      rows: count.nullable(),
      partitionValues: z.record(z.string(), z.string().nullable()),
    }),
  ),
  /** With --format duckdb|polars|pyarrow: a statement that reads exactly these files. */
  statement: z.object({ engine: z.enum(['duckdb', 'polars', 'pyarrow']), text: z.string() }).nullable(),
});

export const tableFilesDocumentSchema = documentSchema('futures.table.files/v1', tableFilesBodySchema, {
  title: 'futures table files --json',
  description: 'The live data files of a table version with their partition values',
});

export const tableManifestBodySchema = z.object({
  table: z.string(),
  directory: z.string(),
  enabled: z.boolean(),
  version,
  manifests: count,
  files: count,
  removed: count,
});

export const tableManifestDocumentSchema = documentSchema(
  'futures.table.manifest/v1',
  tableManifestBodySchema,
  {
    title: 'futures table manifest --json',
    description: 'The _symlink_format_manifest/ written for engines without a Delta reader',
  },
);

const repairProblem = z.object({ kind: z.string(), file: z.string().nullable(), message: z.string() });

export const tableRepairBodySchema = z.object({
  table: z.string(),
  version: version.nullable(),
  apply: z.boolean(),
  applied: z.boolean(),
  problems: z.array(repairProblem),
  steps: z.array(
    z.object({
      kind: z.string(),
      message: z.string(),
      removed: z.array(z.string()),
      added: z.array(z.string()),
    }),
  ),
  unrepaired: z.array(repairProblem),
  quarantine: z.array(z.string()),
  commitVersion: version.nullable(),
  problemsAfter: z.array(repairProblem),
});

export const tableRepairDocumentSchema = documentSchema('futures.table.repair/v1', tableRepairBodySchema, {
  title: 'futures table repair --json',
  description: 'The repair plan of a damaged Delta table and, with --apply, what was done',
});
