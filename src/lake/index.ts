/** Our tables on src/delta: schemas and typed reads/writes. Never imports src/ibkr. */
export { type AppendBarsResult, appendBars, readBars } from './bars.js';
export { DEMO_MARKER, isDemoLake, markDemoLake } from './demo-marker.js';
export {
  type AppendToLakeOptions,
  appendToLake,
  cacheLakeSnapshots,
  checkLakeSchema,
  createLakeView,
  ensureTable,
  type LakeTableEntry,
  LakeTableError,
  type LakeWriteOptions,
  lakeDir,
  lakeScanSql,
  listTables,
  loadLakeSnapshot,
  type ScanLedger,
  tablePath,
  useLakeUri,
  withLakeReadErrors,
} from './lake.js';
export type { BarRecord, SignalRunRecord, SnapshotRecord } from './records.js';
export { appendSignalRun, latestSignalRun, readSignalRuns } from './signal-runs.js';
export { checkSkippedFiles, newScanLedger } from './skipped-files.js';
export {
  appendNewSnapshots,
  appendSnapshots,
  type ReadRange,
  rangePredicate,
  readSnapshots,
  type SlotKey,
  slotKeyOf,
  storedSlotKeys,
} from './snapshots.js';
export * from './tables.js';
