/**
 * The corruption corpus (issue 21): each damage of the red-team review × every command that reads the
 * lake. Every answer is exit 4 or the answer the undamaged lake gives; never exit 1; nothing deleted
 * (the data directory byte-identical afterwards, except `table repair --apply`, which may only add
 * files and move damaged ones aside).
 */
import { cpSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '../../src/cli/program.js';
import { futuresCommands } from '../../src/commands/futures/index.js';
import { signalsCommands } from '../../src/commands/signals/index.js';
import { loadSnapshot } from '../../src/delta/log/open.js';
import { optimizeTable } from '../../src/delta/ops/optimize.js';
import { DAY_MS } from '../../src/delta/ops/units.js';
import { appendSnapshots, FUTURES_SNAPSHOTS, tablePath } from '../../src/lake/index.js';
import { buildSignalLake } from '../commands/signals/lake-fixture.js';
import {
  commitFiles,
  DAMAGES,
  type Damage,
  LYING_STATS,
  newestAddedFile,
  treeDigest,
} from '../delta/ops/damage.js';
import { testCtx } from '../helpers/ctx.js';
import { snapshots, tempDir } from './inputs/fixtures.js';

const NOW = () => new Date('2026-03-10T16:30:00Z');
const T = FUTURES_SNAPSHOTS;
const AS_OF = ['--as-of', '2026-03-10 09:25'];

type Program = 'futures' | 'signals';
interface Command {
  name: string;
  program: Program;
  args: string[];
  /** Compare stdout with the undamaged lake's when the exit code is the same (a read answer). */
  answer: boolean;
  /** Must say 4 on every damage (the checks that exist to find it). */
  mustFail?: boolean;
  /** May change the tree (adds files, moves damaged ones aside), never delete. */
  writes?: boolean;
}

const COMMANDS: Command[] = [
  { name: 'table verify', program: 'futures', args: ['table', 'verify', T], answer: false, mustFail: true },
  {
    name: 'table verify --deep',
    program: 'futures',
    args: ['table', 'verify', T, '--deep'],
    answer: false,
    mustFail: true,
  },
  { name: 'table scan', program: 'futures', args: ['table', 'scan', T, '--format', 'csv'], answer: true },
  { name: 'table info', program: 'futures', args: ['table', 'info', T], answer: false },
  { name: 'table history', program: 'futures', args: ['table', 'history', T], answer: false },
  { name: 'compact', program: 'futures', args: ['compact', T], answer: false, mustFail: true },
  {
    name: 'compact --vacuum',
    program: 'futures',
    args: ['compact', T, '--vacuum'],
    answer: false,
    mustFail: true,
  },
  { name: 'status', program: 'futures', args: ['status'], answer: false },
  { name: 'table repair', program: 'futures', args: ['table', 'repair', T], answer: false, mustFail: true },
  {
    name: 'table repair --apply',
    program: 'futures',
    args: ['table', 'repair', T, '--apply'],
    answer: false,
    writes: true,
  },
  {
    name: 'signals premarket',
    program: 'signals',
    args: ['premarket', '--json', '--no-record', ...AS_OF],
    answer: true,
  },
  {
    name: 'signals regime',
    program: 'signals',
    args: ['regime', '--json', '--no-record', ...AS_OF],
    answer: true,
  },
];

const SPECS = {
  futures: { name: 'futures' as const, description: 'futures', commands: futuresCommands },
  signals: { name: 'signals' as const, description: 'signals', commands: signalsCommands },
};

async function run(command: Command, dataDir: string) {
  const ctx = testCtx({ now: NOW, env: { NO_COLOR: '1' } });
  const code = await runProgram(SPECS[command.program], [...command.args, '--data-dir', dataDir], ctx);
  return { code, stdout: ctx.stdout.text(), stderr: ctx.stderr.text() };
}

/** More damages of the review: §3 (a bit flipped in a plain page), §11 (stats that lie, the log gone), §24 (an empty commit). */
const MORE: Damage[] = [
  {
    name: 'bit flipped in a plain page',
    apply: (table) => {
      const file = newestPlainFile(table);
      const bytes = readFileSync(file);
      const needle = Buffer.alloc(8);
      needle.writeDoubleLE(6000.25);
      const at = bytes.indexOf(needle);
      if (at < 0) throw new Error(`no 6000.25 in ${file}`);
      bytes[at + 5] = (bytes[at + 5] as number) ^ 1;
      writeFileSync(file, bytes);
    },
  },
  LYING_STATS,
  {
    // §24: what a writer that is not atomic leaves after a full disk (the review's `…928.json`, 0 bytes).
    name: 'empty newest commit',
    apply: (table) => {
      const last = commitFiles(table).at(-1) as string;
      const next = String(Number(last.slice(0, 20)) + 1).padStart(20, '0');
      writeFileSync(path.join(table, '_delta_log', `${next}.json`), '');
    },
  },
  {
    // A log that contradicts its protocol: the newest add carries a deletion vector on a table without
    // the deletionVectors feature. Reads returned the deleted rows; compaction wrote a checkpoint that
    // dropped the vector, making the deleted rows live for good.
    name: 'add carries a deletion vector',
    apply: (table) => {
      const last = commitFiles(table).at(-1) as string;
      const file = path.join(table, '_delta_log', last);
      const lines = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '');
      const adds = lines.map((l) => JSON.parse(l)).filter((a) => a.add);
      const add = {
        ...adds[0].add,
        deletionVector: {
          storageType: 'i',
          pathOrInlineDv: 'wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L',
          offset: 1,
          sizeInBytes: 36,
          cardinality: 2,
        },
      };
      const next = String(Number(last.slice(0, 20)) + 1).padStart(20, '0');
      writeFileSync(
        path.join(table, '_delta_log', `${next}.json`),
        `${JSON.stringify({ commitInfo: { timestamp: Date.now(), operation: 'WRITE' } })}\n${JSON.stringify({ add })}\n`,
      );
    },
  },
  {
    name: '_delta_log deleted',
    apply: (table) => rmSync(path.join(table, '_delta_log'), { recursive: true }),
  },
];

let plainFile = '';
const newestPlainFile = (table: string) => path.join(table, plainFile);

const cleanups: Array<() => Promise<void>> = [];
let pristine: string;
const baseline = new Map<string, { code: number; stdout: string }>();

beforeAll(async () => {
  const t = await tempDir('corpus-');
  cleanups.push(t.cleanup);
  pristine = t.dir;
  // Twice: two files per trade date, so that OPTIMIZE below has something to merge (and tombstone).
  await buildSignalLake(pristine);
  await buildSignalLake(pristine);
  const table = tablePath(pristine, T);
  // One small collector-style append (our plain writer: page CRCs and a content hash).
  await appendSnapshots(
    pristine,
    snapshots({
      symbol: 'ES',
      conId: 1,
      localSymbol: 'ESH6',
      from: '2026-03-10T16:05:00Z',
      to: '2026-03-10T16:05:00Z',
      stepMs: 60_000,
      price: () => 6000.25,
    }),
  );
  plainFile = path.relative(table, newestAddedFile(table));
  const before = [...(await loadSnapshot(table)).files.values()].map((f) => path.join(table, f.relativePath));
  // The days before the as-of OPTIMIZEd ten days ago (snappy files, as compaction leaves them): their
  // inputs are tombstoned and old enough for a default-retention vacuum. The newest add is now one of them.
  const tenDaysAgo = new Date(Date.now() - 10 * DAY_MS);
  await optimizeTable(table, { now: () => tenDaysAgo, partitionFilter: "trade_date < '2026-03-10'" });
  for (const file of before) utimesSync(file, tenDaysAgo, tenDaysAgo);
  for (const command of COMMANDS) {
    if (command.writes || command.name.startsWith('compact')) continue;
    const copy = await copyLake();
    baseline.set(command.name, await run(command, copy));
  }
}, 300_000);

afterAll(async () => {
  for (const c of cleanups) await c();
});

async function copyLake(): Promise<string> {
  const t = await tempDir('corpus-copy-');
  cleanups.push(t.cleanup);
  cpSync(pristine, t.dir, { recursive: true, preserveTimestamps: true });
  return t.dir;
}

it('control: the undamaged lake is sound and answers', () => {
  expect(baseline.get('table verify')?.code).toBe(0);
  expect(baseline.get('table verify --deep')?.code).toBe(0);
  expect(baseline.get('signals premarket')?.code).toBe(0);
  expect(baseline.get('table scan')?.stdout.split('\n').length).toBeGreaterThan(1000);
});

for (const damage of [...DAMAGES, ...MORE]) {
  describe(damage.name, () => {
    for (const command of COMMANDS) {
      it(`${command.name}: exit 4 or the undamaged answer, never 1; nothing deleted`, async () => {
        const dir = await copyLake();
        damage.apply(tablePath(dir, T), { double: 'bid', partition: 'trade_date' });
        // The lake byte for byte (a compactor's lock file under state/ is not data).
        const before = treeDigest(path.join(dir, 'lake'));
        const r = await run(command, dir);
        const why = `${damage.name} × ${command.name}: exit ${r.code}\n${r.stderr}`;
        expect(r.code, why).not.toBe(1);
        const base = baseline.get(command.name);
        // Bytes changed inside a page that still decodes (a plain page, a snappy literal run) give other
        // values without any error: only deep checks (content hash, page CRC) see that, and plain scans
        // do not pay for them. Verify --deep, compaction and repair refuse; reads may differ.
        const silent = damage.name === 'bit flipped in a plain page' || damage.name === 'page garbled';
        const plainBitFlip = damage.name === 'bit flipped in a plain page';
        if (command.mustFail && !(plainBitFlip && command.name === 'table verify')) {
          // The log gone: a usage error naming the path (no Delta table there) is right too.
          const expected = damage.name === '_delta_log deleted' ? [2, 4] : [4];
          expect(expected, why).toContain(r.code);
        } else if (base && r.code !== 4) {
          expect(r.code, why).toBe(base.code);
          // Replaying JSON commits instead of a checkpoint lists the files in another order: same rows.
          const sorted = (text: string) => text.split('\n').sort();
          if (command.answer && !silent && damage === LYING_STATS) {
            expect(sorted(r.stdout), why).toEqual(sorted(base.stdout));
          } else if (command.answer && !silent) expect(r.stdout, why).toBe(base.stdout);
        }
        const after = treeDigest(path.join(dir, 'lake'));
        if (!command.writes) {
          expect(after, why).toEqual(before);
        } else {
          const kept = new Set(Object.values(after));
          for (const [file, digest] of Object.entries(before))
            expect(kept.has(digest), `${why}\n${file} lost`).toBe(true);
        }
      });
    }
  });
}

it('§24: a commit temp a full disk left behind is removed by the next compaction once stale; a fresh one stays', async () => {
  const dir = await copyLake();
  const log = path.join(tablePath(dir, T), '_delta_log');
  const stale = path.join(log, '_commit-6d0f3c1e-enospc.tmp');
  writeFileSync(stale, '{"commitInfo":{"timestamp":17');
  // Ages by the wall clock (file times are the kernel's), whatever the command's clock (NOW) says.
  const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
  utimesSync(stale, twoHoursAgo, twoHoursAgo);
  const live = path.join(log, '_commit-live-writer.tmp');
  writeFileSync(live, '');
  const before = treeDigest(path.join(dir, 'lake'));
  const compact = COMMANDS.find((c) => c.name === 'compact') as Command;
  const r = await run(compact, dir);
  expect(r.code, r.stderr).toBe(0);
  const after = treeDigest(path.join(dir, 'lake'));
  const staleKey = path.relative(path.join(dir, 'lake'), stale);
  expect(after[staleKey]).toBeUndefined();
  expect(after[path.relative(path.join(dir, 'lake'), live)]).toBeDefined();
  // Nothing else went: every other file's content is still in the tree.
  const kept = new Set(Object.values(after));
  for (const [file, digest] of Object.entries(before)) {
    if (file !== staleKey) expect(kept.has(digest), `${file} lost`).toBe(true);
  }
});
