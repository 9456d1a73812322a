/**
 * Review finding 11: a data file whose min/max stats in the log lie (a symbol range that excludes its
 * rows) was skipped by every pruned read, and the signals answered "stale" (exit 6) about data that is
 * there. Now a read that skips a file on stats the writer did not record fails (exit 4, the file named),
 * and for files without the stats hash (other writers, older files) a stale answer re-reads the files
 * its reads skipped before it is believed.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '../../src/cli/program.js';
import { signalsCommands } from '../../src/commands/signals/index.js';
import { FUTURES_SNAPSHOTS, tablePath } from '../../src/lake/index.js';
import { buildSignalLake } from '../commands/signals/lake-fixture.js';
import { LYING_STATS } from '../delta/ops/damage.js';
import { testCtx } from '../helpers/ctx.js';
import { tempDir } from './inputs/fixtures.js';

const NOW = () => new Date('2026-03-10T16:30:00Z');
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function lake(): Promise<string> {
  const t = await tempDir('lying-stats-');
  cleanups.push(t.cleanup);
  await buildSignalLake(t.dir);
  return t.dir;
}

async function premarket(dataDir: string) {
  const ctx = testCtx({ now: NOW, env: { NO_COLOR: '1' } });
  const spec = { name: 'signals' as const, description: 'signals', commands: signalsCommands };
  const code = await runProgram(
    spec,
    ['premarket', '--no-record', '--as-of', '2026-03-10 09:25', '--data-dir', dataDir],
    ctx,
  );
  return { code, stdout: ctx.stdout.text(), stderr: ctx.stderr.text() };
}

/** Removes the statsSha256 tag from every add (a table written by another writer, or before the tag). */
function stripStatsTags(table: string): void {
  const log = path.join(table, '_delta_log');
  for (const name of readdirSync(log).filter((n) => /^\d{20}\.json$/.test(n))) {
    const file = path.join(log, name);
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    const out = lines.map((l) => {
      const action = JSON.parse(l) as { add?: { tags?: Record<string, string> } };
      if (action.add?.tags) delete action.add.tags.statsSha256;
      return JSON.stringify(action);
    });
    writeFileSync(file, `${out.join('\n')}\n`);
  }
}

let sound = '';
beforeAll(async () => {
  sound = await lake();
}, 120_000);

describe('stats that lie', () => {
  it('control: the sound lake answers', async () => {
    expect((await premarket(sound)).code).toBe(0);
  });

  it('a file skipped on stats its writer did not record: exit 4 naming the file, not stale', async () => {
    const dir = await lake();
    LYING_STATS.apply(tablePath(dir, FUTURES_SNAPSHOTS), { double: 'bid', partition: 'trade_date' });
    const r = await premarket(dir);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(
      /the stats of trade_date=2026-03-\d\d\/part-[^ ]+\.parquet .* are not the ones its writer recorded/,
    );
  });

  it('without the stats hash: the stale answer is re-checked, and the skipped files with rows are named', async () => {
    const dir = await lake();
    const table = tablePath(dir, FUTURES_SNAPSHOTS);
    stripStatsTags(table);
    expect((await premarket(dir)).code).toBe(0);
    LYING_STATS.apply(table, { double: 'bid', partition: 'trade_date' });
    const r = await premarket(dir);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(
      /futures_snapshots \(version \d+\): the min\/max stats the log records for trade_date=/,
    );
    expect(r.stderr).toMatch(
      /futures table verify futures_snapshots.*futures table repair futures_snapshots --apply/s,
    );
  });
});
