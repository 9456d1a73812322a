import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSnapshot } from '../../src/delta/log/open.js';
import { optimizeTable } from '../../src/delta/ops/optimize.js';
import {
  appendSnapshots,
  FUTURES_SNAPSHOTS,
  LakeTableError,
  loadLakeSnapshot,
  tablePath,
} from '../../src/lake/index.js';
import { buildSignalLake, runSignals } from '../commands/signals/lake-fixture.js';
import { DAMAGES } from '../delta/ops/damage.js';
import { snapshots, tempDir } from './inputs/fixtures.js';

let pristine: string;
const cleanups: Array<() => Promise<void>> = [];
beforeAll(async () => {
  const t = await tempDir('lake-schema-');
  cleanups.push(t.cleanup);
  pristine = t.dir;
  await buildSignalLake(pristine);
}, 120_000);
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function copyLake(): Promise<string> {
  const t = await tempDir('lake-schema-copy-');
  cleanups.push(t.cleanup);
  cpSync(pristine, t.dir, { recursive: true });
  return t.dir;
}

const PREMARKET = ['premarket', '--json', '--no-record', '--as-of', '2026-03-10 09:25'];

describe('readers check the column types they rely on (review finding 4)', () => {
  it('control: the sound lake answers', async () => {
    const r = await runSignals([...PREMARKET, '--data-dir', pristine]);
    expect(r.code).toBe(0);
  });

  for (const name of ['column type long', 'column type decimal', 'column type float']) {
    it(`${name} on bid/ask/last: signals exit 4 naming the column, never a rounded answer`, async () => {
      const dir = await copyLake();
      const damage = DAMAGES.find((d) => d.name === name);
      for (const column of ['bid', 'ask', 'last']) {
        damage?.apply(tablePath(dir, FUTURES_SNAPSHOTS), { double: column, partition: 'trade_date' });
      }
      await expect(loadLakeSnapshot(dir, FUTURES_SNAPSHOTS)).rejects.toBeInstanceOf(LakeTableError);
      const r = await runSignals([...PREMARKET, '--data-dir', dir]);
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/column last is "(long|decimal\(9,0\)|float)", not "double"/);
      expect(r.stderr).toMatch(/futures table repair futures_snapshots/);
      // Writers refuse too: rows appended now would be rounded into the retyped columns.
      const rows = snapshots({
        symbol: 'ES',
        conId: 1,
        localSymbol: 'ESH6',
        from: '2026-03-10T16:05:00Z',
        to: '2026-03-10T16:05:00Z',
        stepMs: 60_000,
        price: () => 6000.25,
      });
      await expect(appendSnapshots(dir, rows)).rejects.toBeInstanceOf(LakeTableError);
    });
  }

  it('partition columns changed: exit 4', async () => {
    const dir = await copyLake();
    DAMAGES.find((d) => d.name === 'partition columns changed')?.apply(tablePath(dir, FUTURES_SNAPSHOTS), {
      double: 'bid',
      partition: 'trade_date',
    });
    const r = await runSignals([...PREMARKET, '--data-dir', dir]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/partitioned by \[\], not \[trade_date\]/);
  });
});

describe('a table whose _delta_log is gone is not "absent" (review finding 11)', () => {
  it('signals exit 4 instead of falling back; a writer refuses to start a new log over the old rows', async () => {
    const dir = await copyLake();
    rmSync(path.join(tablePath(dir, FUTURES_SNAPSHOTS), '_delta_log'), { recursive: true });
    await expect(loadLakeSnapshot(dir, FUTURES_SNAPSHOTS)).rejects.toThrow(
      /holds files but no readable Delta log/,
    );
    const r = await runSignals([...PREMARKET, '--data-dir', dir]);
    expect(r.code).toBe(4);
    const rows = snapshots({
      symbol: 'ES',
      conId: 1,
      localSymbol: 'ESH6',
      from: '2026-03-10T16:05:00Z',
      to: '2026-03-10T16:05:00Z',
      stepMs: 60_000,
      price: () => 6000.25,
    });
    await expect(appendSnapshots(dir, rows)).rejects.toBeInstanceOf(LakeTableError);
  });

  it('an empty table directory (an interrupted creation) is still absent', async () => {
    const t = await tempDir('lake-empty-');
    cleanups.push(t.cleanup);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(tablePath(t.dir, FUTURES_SNAPSHOTS), { recursive: true });
    expect(await loadLakeSnapshot(t.dir, FUTURES_SNAPSHOTS)).toBeUndefined();
  });
});

describe('a damaged data page under signals (review finding 14)', () => {
  it('premarket and regime exit 4 naming the table, not 1', async () => {
    const dir = await copyLake();
    const table = tablePath(dir, FUTURES_SNAPSHOTS);
    // Compacted files are snappy-compressed (as the review's lake was): garbled pages fail to decode.
    await optimizeTable(table);
    for (const file of (await loadSnapshot(table)).files.values()) {
      const absolute = path.join(table, file.relativePath);
      const bytes = readFileSync(absolute);
      for (let i = Math.floor(bytes.length * 0.2); i < Math.floor(bytes.length * 0.8); i++) {
        bytes[i] = (bytes[i] as number) ^ 0x5a;
      }
      writeFileSync(absolute, bytes);
    }
    for (const command of ['premarket', 'regime']) {
      const r = await runSignals([
        command,
        '--json',
        '--no-record',
        '--as-of',
        '2026-03-10 09:25',
        '--data-dir',
        dir,
      ]);
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toMatch(/Cannot read the data files of futures_snapshots \(version \d+\)/);
    }
  });
});
