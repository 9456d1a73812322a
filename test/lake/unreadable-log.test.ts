/**
 * Review §23: a `_delta_log` this user may not read (mode 000, another owner) is there. `table scan`
 * said so (exit 2, "give read access"), but the lake's readers (signals, status) said the table "holds
 * files but no readable Delta log" with "restore it from a backup" (exit 4). Root reads any directory,
 * so the denial is simulated at the log listing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { FUTURES_SNAPSHOTS, LakeTableError, loadLakeSnapshot, tablePath } from '../../src/lake/index.js';
import { tempDir } from './inputs/fixtures.js';

const denied = new Set<string>();

vi.mock('../../src/delta/index.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/delta/index.js')>();
  const { notATableError } = await import('../../src/delta/log/log.js');
  return {
    ...original,
    listLog: async (root: string, ...rest: unknown[]) => {
      if (denied.has(root)) {
        const error = Object.assign(new Error(`EACCES: permission denied, scandir '${root}/_delta_log'`), {
          code: 'EACCES',
        });
        throw await notATableError(root, error);
      }
      return (original.listLog as (...a: unknown[]) => unknown)(root, ...rest);
    },
  };
});

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe('a lake table whose log cannot be read', () => {
  it('is a permission problem naming the log (usage, exit 2), not a lost log to restore (exit 4)', async () => {
    const t = await tempDir('lake-denied-');
    cleanups.push(t.cleanup);
    const table = tablePath(t.dir, FUTURES_SNAPSHOTS);
    mkdirSync(path.join(table, '_delta_log'), { recursive: true });
    mkdirSync(path.join(table, 'trade_date=2026-03-10'));
    writeFileSync(path.join(table, 'trade_date=2026-03-10', 'part-0.parquet'), 'rows');
    denied.add(table);
    const error = await loadLakeSnapshot(t.dir, FUTURES_SNAPSHOTS).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).not.toBeInstanceOf(LakeTableError);
    expect(error).toMatchObject({
      kind: 'usage',
      message: `${table}/_delta_log cannot be read: permission denied (EACCES).`,
      hint: expect.stringMatching(/read access/),
    });
  });
});
