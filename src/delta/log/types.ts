/**
 * Delta Lake log actions and the replayed snapshot: the shared vocabulary of src/delta.
 * Generic: nothing here knows about futures. Field names follow the protocol spec.
 */

export interface Protocol {
  minReaderVersion: number;
  minWriterVersion: number;
  readerFeatures?: string[];
  writerFeatures?: string[];
}

export interface Format {
  provider: string;
  options: Record<string, string>;
}

export interface Metadata {
  id: string;
  name?: string | null;
  description?: string | null;
  format: Format;
  schemaString: string;
  partitionColumns: string[];
  configuration: Record<string, string | null>;
  createdTime?: number | null;
}

/** Per-file statistics, parsed from the `stats` JSON string of an add. */
export interface FileStats {
  numRecords?: number;
  minValues?: Record<string, unknown>;
  maxValues?: Record<string, unknown>;
  nullCount?: Record<string, unknown>;
  tightBounds?: boolean;
}

export interface AddAction {
  /** URI-encoded path relative to the table root (or absolute); decode once to get the file path. */
  path: string;
  partitionValues: Record<string, string | null>;
  size: number;
  modificationTime: number;
  dataChange: boolean;
  /** The raw JSON string as logged. */
  stats?: string | null;
  tags?: Record<string, string> | null;
  deletionVector?: unknown;
  baseRowId?: number | null;
  defaultRowCommitVersion?: number | null;
}

export interface RemoveAction {
  path: string;
  deletionTimestamp?: number | null;
  dataChange: boolean;
  extendedFileMetadata?: boolean;
  partitionValues?: Record<string, string | null> | null;
  size?: number | null;
  stats?: string | null;
  tags?: Record<string, string> | null;
  deletionVector?: unknown;
}

export interface TxnAction {
  appId: string;
  version: number;
  lastUpdated?: number | null;
}

export interface CommitInfo {
  timestamp?: number;
  operation?: string;
  operationParameters?: Record<string, unknown>;
  operationMetrics?: Record<string, unknown>;
  readVersion?: number;
  isolationLevel?: string;
  isBlindAppend?: boolean;
  engineInfo?: string;
  [key: string]: unknown;
}

/** One line of a commit file (unknown action kinds are kept opaque and ignored by replay). */
export type Action =
  | { protocol: Protocol }
  | { metaData: Metadata }
  | { add: AddAction }
  | { remove: RemoveAction }
  | { txn: TxnAction }
  | { commitInfo: CommitInfo }
  | { cdc: unknown }
  | { domainMetadata: unknown };

/** Delta schema (StructType JSON). */
export type DeltaType =
  | string // primitive: string, long, integer, short, byte, float, double, boolean, binary, date, timestamp, timestamp_ntz, decimal(p,s)
  | DeltaStructType
  | DeltaArrayType
  | DeltaMapType;

export interface DeltaStructField {
  name: string;
  type: DeltaType;
  nullable: boolean;
  metadata: Record<string, unknown>;
}

export interface DeltaStructType {
  type: 'struct';
  fields: DeltaStructField[];
}

export interface DeltaArrayType {
  type: 'array';
  elementType: DeltaType;
  containsNull: boolean;
}

export interface DeltaMapType {
  type: 'map';
  keyType: DeltaType;
  valueType: DeltaType;
  valueContainsNull: boolean;
}

/** A live data file in a snapshot. */
export interface LiveFile {
  add: AddAction;
  /** The add's path decoded once (relative to the table root, or absolute). */
  relativePath: string;
  /** Parsed stats, when the add carried them (snapshots parse them on first read). */
  readonly stats: FileStats | undefined;
}

/** The state of a table at one version, produced by log replay. */
export interface Snapshot {
  tablePath: string;
  version: number;
  protocol: Protocol;
  metadata: Metadata;
  schema: DeltaStructType;
  partitionColumns: string[];
  /** Keyed by add path as logged (encoded form). */
  files: Map<string, LiveFile>;
  /** Latest txn version per appId. */
  txns: Map<string, TxnAction>;
  /** Removes still retained as tombstones (for VACUUM), keyed by path. */
  tombstones: ReadonlyMap<string, RemoveAction>;
  /** Timestamp (ms) of the commit at `version` (commitInfo.timestamp, else the file's mtime). */
  timestamp: number;
  /** The checkpoint replay started from, if any. */
  checkpointVersion: number | undefined;
}

export const LOG_DIR = '_delta_log';

/** `_delta_log/00000000000000000042.json` etc. */
export function commitFileName(version: number): string {
  return `${String(version).padStart(20, '0')}.json`;
}

export function checkpointFileName(version: number, part?: { index: number; total: number }): string {
  const v = String(version).padStart(20, '0');
  if (!part) return `${v}.checkpoint.parquet`;
  return `${v}.checkpoint.${String(part.index).padStart(10, '0')}.${String(part.total).padStart(10, '0')}.parquet`;
}
