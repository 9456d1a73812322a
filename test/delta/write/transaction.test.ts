import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { DeltaConflictError } from '../../../src/delta/errors.js';
import type { Action } from '../../../src/delta/log/types.js';
import { checkWinner, commitTransaction } from '../../../src/delta/write/commit.js';
import { createTable } from '../../../src/delta/write/create.js';
import { putIfAbsent } from '../../../src/delta/write/put-if-absent.js';
import { field, makeTempDir, readLog, removeTempDirs, struct } from './helpers.js';

afterAll(removeTempDirs);

const add = (p: string): Action => ({
  add: { path: p, partitionValues: {}, size: 1, modificationTime: 0, dataChange: true },
});
const remove = (p: string): Action => ({ remove: { path: p, dataChange: true, deletionTimestamp: 0 } });
const txn = (appId: string, version: number): Action => ({ txn: { appId, version } });

describe('checkWinner', () => {
  test('blind appends are compatible', () => {
    expect(checkWinner([add('a')], [{ commitInfo: {} }, add('b')])).toEqual({ kind: 'compatible' });
    expect(checkWinner([add('a'), txn('x', 1)], [add('b'), txn('y', 9)])).toEqual({ kind: 'compatible' });
  });
  test('our txn already in a winner means the write already landed', () => {
    expect(checkWinner([add('a'), txn('x', 3)], [add('z'), txn('x', 3)])).toEqual({
      kind: 'already-committed',
      appId: 'x',
      txnVersion: 3,
    });
    expect(checkWinner([txn('x', 3)], [txn('x', 2)]).kind).toBe('conflict');
  });
  test('remove/remove, remove/re-add, metadata and protocol changes conflict', () => {
    expect(checkWinner([remove('a')], [remove('a')]).kind).toBe('conflict');
    expect(checkWinner([remove('a%20b')], [remove('a b')]).kind).toBe('conflict'); // compared decoded
    expect(checkWinner([remove('a'), add('c')], [add('a')]).kind).toBe('conflict');
    expect(
      checkWinner(
        [add('c')],
        [
          {
            metaData: {
              id: '1',
              format: { provider: 'parquet', options: {} },
              schemaString: '',
              partitionColumns: [],
              configuration: {},
            },
          },
        ],
      ).kind,
    ).toBe('conflict');
    expect(checkWinner([add('c')], [{ protocol: { minReaderVersion: 1, minWriterVersion: 2 } }]).kind).toBe(
      'conflict',
    );
    expect(checkWinner([{ protocol: { minReaderVersion: 1, minWriterVersion: 2 } }], [add('b')]).kind).toBe(
      'conflict',
    );
    expect(checkWinner([remove('a')], [remove('b'), add('c')])).toEqual({ kind: 'compatible' });
  });
});

describe('putIfAbsent', () => {
  test('never replaces an existing file and leaves no temp file', async () => {
    const dir = makeTempDir();
    expect(await putIfAbsent(dir, 'x.json', 'first\n')).toBe('written');
    expect(await putIfAbsent(dir, 'x.json', 'second\n')).toBe('exists');
    expect(readFileSync(path.join(dir, 'x.json'), 'utf8')).toBe('first\n');
    expect(readdirSync(dir)).toEqual(['x.json']);
  });
  test('racing writers: exactly one wins', async () => {
    const dir = makeTempDir();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => putIfAbsent(dir, 'v.json', `w${i}`)),
    );
    expect(results.filter((r) => r === 'written')).toHaveLength(1);
    const winner = results.indexOf('written');
    expect(readFileSync(path.join(dir, 'v.json'), 'utf8')).toBe(`w${winner}`);
  });
});

async function newTable(): Promise<string> {
  const table = path.join(makeTempDir(), 't');
  await createTable(table, { schema: struct(field('a', 'long')) });
  return table;
}

const info = { operation: 'WRITE' };

describe('commitTransaction', () => {
  test('concurrent blind appends all commit, at contiguous versions', async () => {
    const table = await newTable();
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        commitTransaction(table, {
          readVersion: 0,
          actions: [add(`f${i}`), txn(`app${i}`, 1)],
          commitInfo: info,
        }),
      ),
    );
    const versions = outcomes.map((o) => o.version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(outcomes.every((o) => o.kind === 'committed')).toBe(true);
    expect(Math.max(...outcomes.map((o) => o.attempts))).toBeGreaterThan(1);
    const log = readLog(table);
    expect([...log.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 13 }, (_, i) => i));
    expect(Object.keys(log.get(5)?.[0] ?? {})).toEqual(['commitInfo']);
    expect(readdirSync(path.join(table, '_delta_log')).filter((n) => n.startsWith('_'))).toEqual([]);
  });

  test('removing a file another commit already removed fails with the winning version', async () => {
    const table = await newTable();
    await commitTransaction(table, { readVersion: 0, actions: [add('f1')], commitInfo: info });
    await commitTransaction(table, { readVersion: 1, actions: [remove('f1')], commitInfo: info });
    const error = await commitTransaction(table, {
      readVersion: 1,
      actions: [remove('f1'), add('f2')],
      commitInfo: info,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeltaConflictError);
    expect((error as DeltaConflictError).conflictingVersion).toBe(2);
    expect((error as Error).message).toMatch(/f1 was already removed/);
    expect(existsSync(path.join(table, '_delta_log', '00000000000000000003.json'))).toBe(false);
  });

  test('a stale read version rebases past every winner and re-checks each', async () => {
    const table = await newTable();
    for (let i = 0; i < 3; i++)
      await commitTransaction(table, { readVersion: i, actions: [add(`g${i}`)], commitInfo: info });
    const outcome = await commitTransaction(table, { readVersion: 0, actions: [add('h')], commitInfo: info });
    expect(outcome).toEqual({ kind: 'committed', version: 4, attempts: 2 });
    await commitTransaction(table, { readVersion: 4, actions: [remove('g1')], commitInfo: info });
    await expect(
      commitTransaction(table, { readVersion: 4, actions: [remove('g1')], commitInfo: info }),
    ).rejects.toThrow(/conflicts with version 5/);
    // Removing a file added after our read version is a conflict at the version that added it.
    await expect(
      commitTransaction(table, { readVersion: 0, actions: [remove('g2')], commitInfo: info }),
    ).rejects.toThrow(/conflicts with version 3: file g2 was re-added/);
  });

  test('a retry of a commit that already landed (failed after link) is reported, not written twice', async () => {
    const table = await newTable();
    const plan = { readVersion: 0, actions: [add('x'), txn('loader', 7)], commitInfo: info };
    await expect(
      commitTransaction(table, plan, {
        afterLink: () => {
          throw new Error('simulated crash after link');
        },
      }),
    ).rejects.toThrow('simulated crash after link');
    const retry = await commitTransaction(table, plan);
    expect(retry).toEqual({
      kind: 'already-committed',
      version: 1,
      attempts: 1,
      appId: 'loader',
      txnVersion: 7,
    });
    expect([...readLog(table).keys()]).toHaveLength(2);
  });

  test('gives up after maxAttempts with a typed error', async () => {
    const table = await newTable();
    const logDir = path.join(table, '_delta_log');
    const takeNextVersion = () => {
      const next = readdirSync(logDir).filter((n) => /^\d{20}\.json$/.test(n)).length;
      writeFileSync(path.join(logDir, `${String(next).padStart(20, '0')}.json`), '{"commitInfo":{}}\n');
    };
    takeNextVersion();
    const error = await commitTransaction(
      table,
      { readVersion: 0, actions: [add('z')], commitInfo: info },
      { maxAttempts: 3, sleep: async () => takeNextVersion() },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeltaConflictError);
    expect((error as Error).message).toMatch(/gave up after 3 attempts/);
    expect(readLog(table).size).toBe(4);
  });
});
