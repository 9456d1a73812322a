/**
 * Hand-built Delta tables for reader tests: commits written as JSON lines, data files and classic
 * checkpoints written with DuckDB. Deliberately independent of src/delta's writer.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { checkpointFileName, commitFileName } from '../../../src/delta/log/types.js';

export function makeTempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), `delta-read-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface FieldSpec {
  name: string;
  type: unknown;
  nullable?: boolean;
}

export function protocol(
  minReaderVersion = 1,
  minWriterVersion = 2,
  features?: { reader?: string[]; writer?: string[] },
) {
  return {
    protocol: {
      minReaderVersion,
      minWriterVersion,
      ...(features?.reader ? { readerFeatures: features.reader } : {}),
      ...(features?.writer ? { writerFeatures: features.writer } : {}),
    },
  };
}

export function metaData(
  fields: FieldSpec[],
  partitionColumns: string[] = [],
  configuration: Record<string, string> = {},
) {
  return {
    metaData: {
      id: 'c0ffee00-0000-4000-8000-000000000000',
      format: { provider: 'parquet', options: {} },
      schemaString: JSON.stringify({
        type: 'struct',
        fields: fields.map((f) => ({
          name: f.name,
          type: f.type,
          nullable: f.nullable ?? true,
          metadata: {},
        })),
      }),
      partitionColumns,
      configuration,
      createdTime: 1_700_000_000_000,
    },
  };
}

export function add(
  filePath: string,
  options: {
    partitionValues?: Record<string, string | null>;
    size?: number;
    stats?: object;
    modificationTime?: number;
  } = {},
) {
  return {
    add: {
      path: filePath,
      partitionValues: options.partitionValues ?? {},
      size: options.size ?? 100,
      modificationTime: options.modificationTime ?? 1_700_000_000_000,
      dataChange: true,
      ...(options.stats ? { stats: JSON.stringify(options.stats) } : {}),
    },
  };
}

export function remove(filePath: string, deletionTimestamp = 1_700_000_000_000) {
  return { remove: { path: filePath, deletionTimestamp, dataChange: true } };
}

export function txn(appId: string, version: number) {
  return { txn: { appId, version, lastUpdated: 1_700_000_000_000 } };
}

export function commitInfo(
  timestamp: number,
  operation = 'WRITE',
  operationMetrics: Record<string, unknown> = {},
) {
  return { commitInfo: { timestamp, operation, operationParameters: {}, operationMetrics } };
}

export function logDir(table: string): string {
  return path.join(table, '_delta_log');
}

/** Writes `_delta_log/<version>.json` with one action per line. */
export function writeCommit(table: string, version: number, actions: readonly object[]): string {
  mkdirSync(logDir(table), { recursive: true });
  const file = path.join(logDir(table), commitFileName(version));
  writeFileSync(file, `${actions.map((a) => JSON.stringify(a)).join('\n')}\n`);
  return file;
}

export function setMtime(file: string, ms: number): void {
  utimesSync(file, ms / 1000, ms / 1000);
}

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/**
 * Writes a Parquet file at `<table>/<relativeDiskPath>` from a SELECT and returns its size.
 * The disk path is the decoded form; callers log the encoded form in add.path.
 */
export async function writeParquet(
  connection: DuckDBConnection,
  table: string,
  relativeDiskPath: string,
  select: string,
): Promise<number> {
  const file = path.join(table, relativeDiskPath);
  mkdirSync(path.dirname(file), { recursive: true });
  await connection.run(`COPY (${select}) TO ${sqlString(file)} (FORMAT parquet)`);
  return statSync(file).size;
}

const CHECKPOINT_COLUMNS = {
  protocol:
    'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER, readerFeatures VARCHAR[], writerFeatures VARCHAR[])',
  metaData:
    'STRUCT(id VARCHAR, "name" VARCHAR, description VARCHAR, format STRUCT(provider VARCHAR, "options" MAP(VARCHAR, VARCHAR)), schemaString VARCHAR, partitionColumns VARCHAR[], "configuration" MAP(VARCHAR, VARCHAR), createdTime BIGINT)',
  add: 'STRUCT(path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, tags MAP(VARCHAR, VARCHAR))',
  remove:
    'STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, extendedFileMetadata BOOLEAN, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT)',
  txn: 'STRUCT(appId VARCHAR, "version" BIGINT, lastUpdated BIGINT)',
};

/**
 * Writes a classic checkpoint holding `actions` (the full table state), as one file or as `parts`
 * part files (actions split round-robin). Returns the file paths.
 */
export async function writeCheckpoint(
  connection: DuckDBConnection,
  table: string,
  version: number,
  actions: readonly object[],
  parts = 1,
): Promise<string[]> {
  mkdirSync(logDir(table), { recursive: true });
  const files: string[] = [];
  const columns = Object.entries(CHECKPOINT_COLUMNS)
    .map(([k, v]) => `${sqlString(k)}: ${sqlString(v)}`)
    .join(', ');
  for (let index = 1; index <= parts; index++) {
    const chunk = actions.filter((_, i) => i % parts === index - 1);
    const json = path.join(logDir(table), `.fixture-${version}-${index}.ndjson`);
    writeFileSync(json, `${chunk.map((a) => JSON.stringify(a)).join('\n')}\n`);
    const file = path.join(
      logDir(table),
      parts === 1 ? checkpointFileName(version) : checkpointFileName(version, { index, total: parts }),
    );
    await connection.run(
      `COPY (SELECT * FROM read_json(${sqlString(json)}, format='newline_delimited', columns={${columns}})) TO ${sqlString(file)} (FORMAT parquet)`,
    );
    rmSync(json);
    files.push(file);
  }
  return files;
}
