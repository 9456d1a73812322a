import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import {
  DeltaSchemaViolationError,
  DeltaTableExistsError,
  DeltaUnsupportedError,
} from '../../../src/delta/errors.js';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { appendRows } from '../../../src/delta/write/append.js';
import { createTable } from '../../../src/delta/write/create.js';
import { assertWritable } from '../../../src/delta/write/write-protocol.js';
import { field, makeTempDir, readLog, removeTempDirs, struct } from './helpers.js';

afterAll(removeTempDirs);

const schema = struct(field('day', 'date', false), field('ts', 'timestamp', false), field('v', 'double'));

describe('createTable', () => {
  test('writes version 0: commitInfo, protocol 1/2 without features, metaData', async () => {
    const table = path.join(makeTempDir(), 'nested', 'dir', 't');
    const result = await createTable(table, {
      schema,
      partitionColumns: ['day'],
      configuration: { 'delta.checkpointInterval': '5' },
      name: 'snapshots',
      now: () => new Date('2024-01-02T03:04:05Z'),
    });
    expect(result).toMatchObject({ version: 0, created: true });
    const v0 = readLog(table).get(0) ?? [];
    expect(v0).toEqual([
      {
        commitInfo: {
          timestamp: 1704164645000,
          operation: 'CREATE TABLE',
          operationParameters: {
            mode: 'ErrorIfExists',
            partitionBy: '["day"]',
            properties: '{"delta.checkpointInterval":"5"}',
          },
          isBlindAppend: true,
          engineInfo: expect.stringMatching(/^futures-signals\//),
        },
      },
      { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
      {
        metaData: {
          id: result.tableId,
          name: 'snapshots',
          format: { provider: 'parquet', options: {} },
          schemaString: JSON.stringify(schema),
          partitionColumns: ['day'],
          configuration: { 'delta.checkpointInterval': '5' },
          createdTime: 1704164645000,
        },
      },
    ]);
    const snapshot = await loadSnapshot(table);
    expect(snapshot.schema).toEqual(schema);
  });

  test('fails when the table exists; ifNotExists returns it', async () => {
    const table = path.join(makeTempDir(), 't');
    const first = await createTable(table, { schema });
    await appendRows(table, [{ day: '2024-01-01', ts: new Date(0), v: 1 }]);
    await expect(createTable(table, { schema })).rejects.toBeInstanceOf(DeltaTableExistsError);
    expect(await createTable(table, { schema, ifNotExists: true })).toEqual({
      tablePath: table,
      version: 1,
      created: false,
      tableId: first.tableId,
    });
  });

  test('concurrent creates: exactly one wins', async () => {
    const table = path.join(makeTempDir(), 't');
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => createTable(table, { schema })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(DeltaTableExistsError);
  });

  test('refuses schemas a reader-1/writer-2 table cannot have', async () => {
    const dir = makeTempDir();
    await expect(
      createTable(path.join(dir, 'a'), { schema: struct(field('t', 'timestamp_ntz')) }),
    ).rejects.toThrow(/timestampNtz/);
    await expect(
      createTable(path.join(dir, 'b'), { schema, partitionColumns: ['nope'] }),
    ).rejects.toBeInstanceOf(DeltaSchemaViolationError);
    await expect(
      createTable(path.join(dir, 'c'), { schema: struct(field('a', 'long'), field('A', 'long')) }),
    ).rejects.toThrow(/used twice/);
    await expect(
      createTable(path.join(dir, 'd'), { schema, configuration: { 'delta.enableDeletionVectors': 'true' } }),
    ).rejects.toThrow(/deletion vectors/);
    await expect(
      createTable(path.join(dir, 'e'), {
        schema: struct({ name: 'x', type: 'long', nullable: true, metadata: { 'delta.invariants': '{}' } }),
      }),
    ).rejects.toThrow(/invariants/);
    await expect(
      createTable(path.join(dir, 'f'), { schema: struct(field('a', 'long')), partitionColumns: ['a'] }),
    ).rejects.toThrow(/at least one column/);
  });
});

describe('writer protocol gate', () => {
  async function tableWithProtocol(
    protocol: object,
    extraMeta: Record<string, unknown> = {},
  ): Promise<string> {
    const table = path.join(makeTempDir(), 't');
    await createTable(table, { schema });
    const file = path.join(table, '_delta_log', '00000000000000000000.json');
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    lines[1] = { protocol };
    lines[2] = { metaData: { ...lines[2].metaData, ...extraMeta } };
    writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    return table;
  }
  const row = { day: '2024-01-01', ts: new Date(0), v: 1 };

  test('refuses writer > 2 and table features, naming them', async () => {
    await expect(
      appendRows(await tableWithProtocol({ minReaderVersion: 1, minWriterVersion: 4 }), [row]),
    ).rejects.toThrow(/change data feed/);
    const featured = await tableWithProtocol({
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['deletionVectors'],
      writerFeatures: ['deletionVectors'],
    });
    const error = await appendRows(featured, [row]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeltaUnsupportedError);
    expect((error as Error).message).toMatch(/deletionVectors/);
  });

  test('refuses invariants, and removes on append-only tables', async () => {
    const withInvariant = await tableWithProtocol(
      { minReaderVersion: 1, minWriterVersion: 2 },
      {
        schemaString: JSON.stringify(
          struct(field('day', 'date'), field('ts', 'timestamp'), {
            name: 'v',
            type: 'double',
            nullable: true,
            metadata: { 'delta.invariants': '{"expression":{"expression":"v > 0"}}' },
          }),
        ),
      },
    );
    await expect(appendRows(withInvariant, [row])).rejects.toThrow(/column invariants \(column 'v'\)/);
    const appendOnly = await tableWithProtocol(
      { minReaderVersion: 1, minWriterVersion: 2 },
      { configuration: { 'delta.appendOnly': 'true' } },
    );
    expect((await appendRows(appendOnly, [row])).skipped).toBe(false);
    const snapshot = await loadSnapshot(appendOnly);
    expect(() =>
      assertWritable(appendOnly, snapshot.protocol, snapshot.metadata, snapshot.schema, { removes: true }),
    ).toThrow(/append-only/);
  });
});
