// What a small append fsyncs, and when: the data file and every directory entry leading to it are
// durable before the commit is linked (Linux: fsynced paths are read back from /proc/self/fd).
import { readdirSync, readlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { appendRows } from '../../../src/delta/write/append.js';
import { createTable } from '../../../src/delta/write/create.js';
import { field, makeTempDir, removeTempDirs, struct } from './helpers.js';

afterAll(removeTempDirs);

type Sync = (this: { fd: number }) => Promise<void>;
const fileHandleProto = await (async () => {
  const handle = await open(path.join(makeTempDir(), 'probe'), 'w');
  await handle.close();
  return Object.getPrototypeOf(handle) as { sync: Sync };
})();
const realSync = fileHandleProto.sync;
afterEach(() => {
  fileHandleProto.sync = realSync;
});

/**
 * Records every completed fsync's path. Data files' fsyncs are slowed down, so that a commit linked
 * without waiting for them would be caught; `fail` may reject one instead of syncing.
 */
function traceSyncs(fail?: (file: string) => boolean): string[] {
  const synced: string[] = [];
  fileHandleProto.sync = async function (this: { fd: number }) {
    const file = readlinkSync(`/proc/self/fd/${this.fd}`);
    if (fail?.(file)) throw Object.assign(new Error(`EIO: i/o error, fsync '${file}'`), { code: 'EIO' });
    if (file.endsWith('.parquet')) await new Promise((resolve) => setTimeout(resolve, 50));
    await realSync.call(this);
    synced.push(file);
  };
  return synced;
}

const schema = struct(field('day', 'date', false), field('sym', 'string', false), field('px', 'double'));
const rows = (day: string) => [
  { day, sym: 'ES', px: 1 },
  { day, sym: 'NQ', px: 2 },
];

async function freshTable(): Promise<string> {
  const table = path.join(makeTempDir(), 'table');
  await createTable(table, { schema, partitionColumns: ['day'] });
  return table;
}

describe.skipIf(process.platform !== 'linux')('small append durability', () => {
  test('data file and directory entries are fsynced before the commit is linked; a known partition is not synced into the root again', async () => {
    const table = await freshTable();
    const synced = traceSyncs();
    const atLink: string[][] = [];
    const append = (day: string) =>
      appendRows(table, rows(day), {
        commit: {
          afterLink: () => {
            atLink.push(synced.splice(0));
          },
        },
      });
    const dataFile = (result: Awaited<ReturnType<typeof append>>) =>
      result.skipped ? '' : path.join(table, decodeURIComponent(result.adds[0]?.path ?? ''));

    const first = await append('2024-03-01');
    const second = await append('2024-03-01');
    const third = await append('2024-03-04');
    const partition = (day: string) => path.join(table, `day=${day}`);
    const staged = (list: string[] | undefined) =>
      (list ?? []).filter((f) => path.basename(f).startsWith('_commit-'));

    // A new partition directory: file, directory and the directory's entry in the table root.
    expect(atLink[0]).toEqual(expect.arrayContaining([dataFile(first), partition('2024-03-01'), table]));
    // The same partition again: file and directory only.
    expect(atLink[1]).toEqual(expect.arrayContaining([dataFile(second), partition('2024-03-01')]));
    expect(atLink[1]).not.toContain(table);
    expect(atLink[2]).toEqual(expect.arrayContaining([dataFile(third), partition('2024-03-04'), table]));
    // Each commit's content was staged and fsynced before its link too.
    for (const list of atLink) expect(staged(list)).toHaveLength(1);
    expect((await loadSnapshot(table)).version).toBe(3);
  });

  test('a failed data fsync commits nothing and leaves no file behind; the next append goes through', async () => {
    const table = await freshTable();
    traceSyncs((file) => file.endsWith('.parquet'));
    await expect(appendRows(table, rows('2024-03-01'))).rejects.toMatchObject({ code: 'EIO' });
    expect((await loadSnapshot(table)).version).toBe(0);
    expect(readdirSync(path.join(table, 'day=2024-03-01'))).toEqual([]);
    expect(readdirSync(path.join(table, '_delta_log')).filter((f) => f.startsWith('_commit-'))).toEqual([]);

    fileHandleProto.sync = realSync;
    const retried = await appendRows(table, rows('2024-03-01'));
    expect(retried).toMatchObject({ skipped: false, version: 1, rows: 2 });
  });
});
