/** Public API of the Delta Lake library (generic; no futures knowledge). */

export {
  type ConnectionOption,
  type OwnedConnection,
  openMemoryConnection,
  withConnection,
} from './duckdb.js';
export * from './errors.js';
export { type HistoryEntry, readHistory } from './log/history.js';
export {
  type CheckpointRef,
  type CommitRef,
  type LastCheckpointHint,
  type LogListing,
  latestVersion,
  listCommits,
  listLog,
  parseCommit,
  readCommit,
  readLastCheckpointHint,
} from './log/log.js';
export { type LoadSnapshotOptions, loadSnapshot } from './log/open.js';
export { decodeAddPath, resolveDataFile } from './log/paths.js';
export { assertReadable, SUPPORTED_READER_FEATURES } from './log/protocol.js';
export { parseStats } from './log/replay.js';
export { loadSnapshotFromListing, type ReplayOptions } from './log/snapshot.js';
export { availableVersions, commitTimestamp } from './log/time-travel.js';
export * from './log/types.js';
// Maintenance: OPTIMIZE, checkpoint on demand, log cleanup, VACUUM, verify (plan → execute → metrics).
export {
  cleanupLog,
  type ExecuteLogCleanupOptions,
  executeLogCleanup,
  type LogCleanupFile,
  type LogCleanupMetrics,
  type LogCleanupOptions,
  type LogCleanupPlan,
  planLogCleanup,
} from './ops/log-cleanup.js';
export {
  type CheckpointOnDemandOptions,
  type CheckpointOnDemandResult,
  checkpointOnDemand,
  type MaintenanceMetrics,
  type MaintenanceOptions,
  type OptimizePlanSummary,
  type PreparedMaintenance,
  prepareMaintenance,
  runMaintenance,
} from './ops/maintenance.js';
export {
  enableSymlinkManifest,
  MANIFEST_DIR,
  MANIFEST_PROPERTY,
  type ManifestResult,
  manifestEnabled,
  writeSymlinkManifest,
} from './ops/manifest.js';
export {
  type ExecuteOptimizeOptions,
  executeOptimize,
  type OptimizeMetrics,
  OptimizeVerificationError,
  optimizeTable,
} from './ops/optimize.js';
export {
  type FileSizeSummary,
  type OptimizeBin,
  type OptimizeOptions,
  type OptimizePlan,
  planOptimize,
} from './ops/optimize-plan.js';
export { damagedError, loadSoundSnapshot } from './ops/preflight.js';
export {
  applyRepair,
  planRepair,
  REPAIR_DIR,
  type RepairOptions,
  type RepairPlan,
  type RepairResult,
  type RepairStep,
  type RepairStepKind,
} from './ops/repair.js';
export {
  DEFAULT_DELETED_FILE_RETENTION_MS,
  DEFAULT_LOG_RETENTION_MS,
  DEFAULT_TARGET_FILE_SIZE,
  formatBytes,
  parseByteSize,
  type StepHook,
} from './ops/units.js';
export {
  type ExecuteVacuumOptions,
  executeVacuum,
  planVacuum,
  type VacuumCandidate,
  type VacuumMetrics,
  type VacuumOptions,
  type VacuumPlan,
  VacuumRetentionError,
  vacuumTable,
} from './ops/vacuum.js';
export { type VerifyOptions, type VerifyReport, verifyTable } from './ops/verify.js';
export type { VerifyProblem, VerifyProblemKind } from './ops/verify-problems.js';
export {
  type CanonicalRow,
  type CanonicalValue,
  canonicalJson,
  sortCanonicalRows,
  toCanonical,
} from './read/canonical.js';
export {
  and,
  type BoundPredicate,
  between,
  bindPredicate,
  type CompareOp,
  compare,
  inList,
  isNull,
  type LiteralValue,
  or,
  type Predicate,
  parsePredicate,
  predicateToSql,
} from './read/predicate.js';
export { type PruneFacts, type PruneResult, pruneFile } from './read/prune.js';
export {
  compareScalars,
  parseDate,
  parseScalarText,
  parseTimestamp,
  type Scalar,
  scalarToSql,
} from './read/scalar.js';
export {
  createScanView,
  filesWithLyingStats,
  type PlannedFile,
  parsePartitionValue,
  planScan,
  type ScanColumn,
  type ScanMetrics,
  type ScanOptions,
  type ScanPlan,
  type ScanResult,
  scanSql,
  scanTable,
} from './read/scan.js';
export {
  decimalParams,
  deltaTypeToDuckDb,
  duckDbTypeToDelta,
  parseSchemaString,
  quoteIdentifier,
  quoteLiteral,
} from './read/schema.js';
export { formatDays, formatMicros } from './read/time.js';
// Where tables live: local disks and S3-compatible object stores.
export {
  configureObjectStores,
  type ObjectStoreSettings,
  objectCacheStats,
  objectStoreSettings,
  storageFor,
} from './storage/index.js';
export { isRemoteLocation, joinLocation, resolveLocation } from './storage/location.js';
export type { DeltaStorage, PutResult, StoredEntry, StoredFile } from './storage/storage.js';
export {
  type AppendDurations,
  type AppendMetrics,
  type AppendOptions,
  type AppendResult,
  type AppendSkipped,
  type AppendSource,
  appendRows,
  writeAppend,
} from './write/append.js';
export {
  type CheckpointMetrics,
  type WriteCheckpointOptions,
  writeCheckpoint,
} from './write/checkpoint-write.js';
export {
  type CommitOptions,
  type CommitOutcome,
  type CommitPlan,
  checkWinner,
  commitTransaction,
  DEFAULT_COMMIT_ATTEMPTS,
  serializeCommit,
} from './write/commit.js';
export { type CreateTableOptions, type CreateTableResult, createTable } from './write/create.js';
// Write side: commits, table creation, appends, checkpoints.
export { putIfAbsent } from './write/put-if-absent.js';
export { assertWritable, WRITER_PROTOCOL } from './write/write-protocol.js';
export type { DeltaRow, DeltaRowValue } from './write/write-sql.js';
