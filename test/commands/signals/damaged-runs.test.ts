/**
 * signal_runs is only a record of past outcomes (and a shortcut to the regime state): when it is damaged,
 * the signals still answer, deriving the state from the prices, with a warning naming the table; `status`
 * reports the damaged table among the others and exits 4 (issue 21: nothing silently wrong, no signal lost).
 */
import { cpSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '../../../src/cli/program.js';
import { futuresCommands } from '../../../src/commands/futures/index.js';
import { premarketDocumentSchema, regimeDocumentSchema } from '../../../src/signals/index.js';
import { testCtx } from '../../helpers/ctx.js';
import { tempDir } from '../../lake/inputs/fixtures.js';
import { buildSignalLake, runSignals } from './lake-fixture.js';

const cleanups: Array<() => Promise<void>> = [];
let pristine: string;
const AT = '2026-03-10T11:05:00Z';
const LATER = () => new Date('2026-03-10T11:30:00Z');

beforeAll(async () => {
  const t = await tempDir('sig-damaged-runs-');
  cleanups.push(t.cleanup);
  pristine = t.dir;
  await buildSignalLake(pristine, { crash: true });
  const r = await runSignals([
    'regime',
    '--json',
    '--record',
    '--data-dir',
    pristine,
    '--as-of',
    '2026-03-10T11:00:00Z',
  ]);
  expect(r.code, r.stderr).toBe(0);
}, 120_000);
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function copy(): Promise<string> {
  const t = await tempDir('sig-damaged-runs-copy-');
  cleanups.push(t.cleanup);
  cpSync(pristine, t.dir, { recursive: true });
  return t.dir;
}

function newestCommit(dir: string): string {
  const log = join(dir, 'lake', 'signal_runs', '_delta_log');
  const last = readdirSync(log)
    .filter((n) => /^\d{20}\.json$/.test(n))
    .sort()
    .at(-1) as string;
  return join(log, last);
}

const DAMAGES: Record<string, (dir: string) => void> = {
  'newest commit torn': (dir) => truncateSync(newestCommit(dir), 60),
  'reader feature we do not support': (dir) => {
    const next = newestCommit(dir).replace(
      /(\d{20})\.json$/,
      (_, v: string) => `${String(Number(v) + 1).padStart(20, '0')}.json`,
    );
    writeFileSync(
      next,
      `${JSON.stringify({ protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['deletionVectors'] } })}\n`,
    );
  },
};

async function runFutures(args: string[]) {
  const ctx = testCtx({ now: LATER, env: { NO_COLOR: '1' } });
  const spec = { name: 'futures' as const, description: 'futures', commands: futuresCommands };
  const code = await runProgram(spec, args, ctx);
  return { code, stdout: ctx.stdout.text(), stderr: ctx.stderr.text() };
}

for (const [name, damage] of Object.entries(DAMAGES)) {
  describe(`signal_runs damaged: ${name}`, () => {
    it('regime answers from the prices, with one warning naming the table', async () => {
      const dir = await copy();
      const before = await runSignals(['regime', '--json', '--no-record', '--data-dir', dir, '--as-of', AT]);
      damage(dir);
      const r = await runSignals(['regime', '--json', '--no-record', '--data-dir', dir, '--as-of', AT]);
      expect(r.code, r.stderr).toBe(0);
      const doc = regimeDocumentSchema.parse(JSON.parse(r.stdout));
      expect(doc.level).toBe(regimeDocumentSchema.parse(JSON.parse(before.stdout)).level);
      expect(r.stderr).toMatch(
        /^warning: the recorded signal runs cannot be read.*futures table verify signal_runs/,
      );
    });

    it('premarket prints the signal; recording it fails with a warning that says the table is damaged', async () => {
      const dir = await copy();
      damage(dir);
      const r = await runSignals(['premarket', '--json', '--record', '--data-dir', dir, '--as-of', AT]);
      expect(r.code, r.stderr).toBe(0);
      premarketDocumentSchema.parse(JSON.parse(r.stdout));
      expect(r.stderr).toMatch(
        /could not record this run .*the table is damaged: check it with 'futures table verify signal_runs'/,
      );
    });

    it('status reports the damaged table and the rest of the health, and exits 4', async () => {
      const dir = await copy();
      damage(dir);
      const r = await runFutures(['status', '--data-dir', dir]);
      expect(r.code, r.stderr).toBe(4);
      expect(r.stdout).toMatch(/^status\tproblem\ttable signal_runs cannot be read: /m);
      expect(r.stdout).toMatch(/^table\tfutures_snapshots\t\d+/m);
      expect(r.stdout).toMatch(/^instrument\tES\t/m);
      const json = await runFutures(['status', '--json', '--data-dir', dir]);
      expect(json.code).toBe(4);
      const tables = JSON.parse(json.stdout).tables as Array<{ name: string; problem: string | null }>;
      expect(tables.find((t) => t.name === 'signal_runs')?.problem).toMatch(/signal_runs/);
      expect(tables.find((t) => t.name === 'futures_snapshots')?.problem).toBeNull();
    });
  });
}
