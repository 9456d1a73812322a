/** Creating a table: version 0 with commitInfo, protocol and metaData, put in place if absent. */
import { randomUUID } from 'node:crypto';
import { DeltaTableExistsError } from '../errors.js';
import { logDirOf } from '../log/log.js';
import { loadSnapshot } from '../log/open.js';
import {
  type Action,
  type CommitInfo,
  commitFileName,
  type DeltaStructType,
  type Metadata,
} from '../log/types.js';
import { storageFor } from '../storage/index.js';
import { resolveLocation } from '../storage/location.js';
import type { PutResult } from '../storage/storage.js';
import { serializeCommit } from './commit.js';
import { engineInfo } from './engine.js';
import { errorCode } from './put-if-absent.js';
import { validateNewTable, WRITER_PROTOCOL } from './write-protocol.js';

export interface CreateTableOptions {
  schema: DeltaStructType;
  partitionColumns?: readonly string[];
  /** Table properties, e.g. {'delta.checkpointInterval': '10'}. */
  configuration?: Record<string, string>;
  name?: string;
  description?: string;
  /** Return the existing table instead of failing when one is already there. */
  ifNotExists?: boolean;
  now?: () => Date;
}

export interface CreateTableResult {
  tablePath: string;
  /** 0 for a new table; the latest version of an existing one. */
  version: number;
  created: boolean;
  tableId: string;
}

const LOG_ENTRY_RE = /^\d{20}\.(json|checkpoint\..*parquet)$/;

async function hasLogEntries(logDir: string): Promise<boolean> {
  try {
    return (await storageFor(logDir).list(logDir)).some((e) => LOG_ENTRY_RE.test(e.name));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/** Creates a reader-1 / writer-2 Delta table: version 0 with commitInfo, protocol and metaData. */
export async function createTable(
  tablePath: string,
  options: CreateTableOptions,
): Promise<CreateTableResult> {
  const root = resolveLocation(tablePath);
  const storage = storageFor(root);
  const partitionColumns = [...(options.partitionColumns ?? [])];
  const configuration = { ...(options.configuration ?? {}) };
  validateNewTable(options.schema, partitionColumns, configuration);
  const logDir = logDirOf(root);
  const existing = async (): Promise<CreateTableResult> => {
    if (!options.ifNotExists) {
      throw new DeltaTableExistsError(`A Delta table already exists at ${root}.`, {
        hint: 'Choose another path, or open the existing table instead of creating it.',
      });
    }
    const snapshot = await loadSnapshot(root, { checkReaderProtocol: false });
    return { tablePath: root, version: snapshot.version, created: false, tableId: snapshot.metadata.id };
  };
  if (await hasLogEntries(logDir)) return existing();
  await storage.ensureDir(logDir);
  const now = (options.now ?? (() => new Date()))().getTime();
  const metaData: Metadata = {
    id: randomUUID(),
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.description === undefined ? {} : { description: options.description }),
    format: { provider: 'parquet', options: {} },
    schemaString: JSON.stringify(options.schema),
    partitionColumns,
    configuration,
    createdTime: now,
  };
  const commitInfo: CommitInfo = {
    timestamp: now,
    operation: 'CREATE TABLE',
    operationParameters: {
      mode: options.ifNotExists ? 'Ignore' : 'ErrorIfExists',
      partitionBy: JSON.stringify(partitionColumns),
      properties: JSON.stringify(configuration),
      ...(options.description === undefined ? {} : { description: options.description }),
    },
    isBlindAppend: true,
    engineInfo: engineInfo(),
  };
  const actions: Action[] = [{ protocol: { ...WRITER_PROTOCOL } }, { metaData }];
  const staged = await storage.stage(logDir, serializeCommit(commitInfo, actions));
  let result: PutResult;
  try {
    result = await staged.putAs(commitFileName(0));
  } finally {
    await staged.discard();
  }
  if (result === 'exists') return existing();
  return { tablePath: root, version: 0, created: true, tableId: metaData.id };
}
