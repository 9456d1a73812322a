/**
 * The bad-input corpus (issue 21): every command × every flag that takes a value × a table of hostile
 * values, run in-process on a small real data tree. None may exit 1 (a crash; for `calendar is-open`
 * 1 is "closed", so its crashes are 70), a failure under --json prints exactly one error/v1 document whose
 * exitCode is the process's, and the data tree is byte-identical afterwards. Commands that would talk
 * to a gateway or run for minutes (collect, backfill, gateway, demo) are only parsed when their options
 * are valid; every rejected value still goes through the whole error path.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyCommand } from '../../src/cli/command.js';
import { parseCommandLine, runProgram } from '../../src/cli/program.js';
import { futuresCommands } from '../../src/commands/futures/index.js';
import { signalsCommands } from '../../src/commands/signals/index.js';
import { openMemoryConnection } from '../../src/delta/index.js';
import { importFile } from '../../src/lake/import/index.js';
import { testCtx } from '../helpers/ctx.js';

const sandbox = mkdtempSync(join(tmpdir(), 'bad-input-'));
const data = join(sandbox, 'data');
const aFile = join(sandbox, 'a-file.txt');
const aDir = join(sandbox, 'a-dir');
const csv = join(sandbox, 'es.csv');

/** Values that are wrong for most flags; a few are right for some, and then the command must still behave. */
const HOSTILE: readonly string[] = [
  '',
  ' ',
  '-1',
  '0',
  'NaN',
  '1e309',
  '0x10',
  '99999999999999999999',
  '9999-12-31',
  '2026-02-30',
  '9999-12-31 19:00',
  '日本語',
  '*',
  '../../..',
  '__proto__',
  "'; DROP TABLE x; --",
  aFile,
  aDir,
  join(sandbox, 'missing', 'x'),
  `${sandbox}/${'n'.repeat(300)}`,
];

/** Commands whose valid options would start a gateway or a server, connect to one, run a demo or write the queue. */
const PARSE_ONLY = new Set(['collect', 'backfill', 'gateway', 'demo', 'queue', 'dashboard']);

const ARG_VALUES: Readonly<Record<string, string>> = { table: 'futures_bars', file: csv };

function treeHash(root: string): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const info = statSync(path);
      hash.update(`${relative(root, path)}\n`);
      if (info.isDirectory()) walk(path);
      else hash.update(readFileSync(path));
    }
  };
  walk(root);
  return hash.digest('hex');
}

interface Case {
  program: 'futures' | 'signals';
  def: AnyCommand;
  argv: string[];
  /** The exit code this value must give, when the value alone decides it. */
  expected?: number;
}

const DATE_FLAGS = new Set(['--date', '--from', '--to', '--as-of', '--at', '--until', '--start']);
const BAD_DATES = new Set(['9999-12-31', '2026-02-30', '9999-12-31 19:00']);
const BAD_DIRS = new Set([aFile, `${sandbox}/${'n'.repeat(300)}`]);

/** Out-of-range dates and a data dir that is a file or too long are exit 2 in every command. */
function expectedCode(flag: string, value: string): number | undefined {
  if (DATE_FLAGS.has(flag) && BAD_DATES.has(value)) return 2;
  if (flag === '--data-dir' && BAD_DIRS.has(value)) return 2;
  return undefined;
}

function valueFlags(def: AnyCommand): string[] {
  const flags = (def.flags ?? []).filter((f) => f.flags.includes('<')).map((f) => f.flags.split(/[ ,]/)[0]);
  return [
    ...flags.filter((f): f is string => f !== undefined && f.startsWith('--')),
    '--data-dir',
    '--config',
  ];
}

function baseArgv(def: AnyCommand): string[] {
  const args = (def.args ?? []).filter((a) => a.required).map((a) => ARG_VALUES[a.name] ?? 'x');
  const safety = def.path[0] === 'import' ? ['--dry-run'] : def.path[0] === 'compact' ? ['--dry-run'] : [];
  const noRecord = signalsCommands.includes(def) ? ['--no-record'] : [];
  return [...def.path, ...args, ...safety, ...noRecord];
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const [program, list] of [
    ['futures', futuresCommands],
    ['signals', signalsCommands],
  ] as const) {
    for (const def of list) {
      for (const flag of valueFlags(def)) {
        for (const value of HOSTILE) {
          const argv = [...baseArgv(def), flag, value];
          if (flag !== '--data-dir') argv.push('--data-dir', data);
          out.push({ program, def, argv: [...argv, '--json'], expected: expectedCode(flag, value) });
        }
      }
    }
  }
  return out;
}

const ALL = cases();

beforeAll(async () => {
  mkdirSync(aDir);
  writeFileSync(aFile, 'not a config\n');
  const days = ['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20'];
  const owned = await openMemoryConnection();
  try {
    for (const [symbol, price] of [
      ['ES', 5800],
      ['NQ', 20800],
      ['RTY', 2400],
      ['VIX', 17],
    ] as const) {
      const rows = days.map(
        (d, i) => `${d},${price + i},${price + i + 2},${price + i - 2},${price + i + 1},100`,
      );
      writeFileSync(csv, `date,open,high,low,close,volume\n${rows.join('\n')}\n`);
      await importFile(owned.connection, data, csv, { table: 'futures_bars', symbol });
    }
  } finally {
    owned.close();
  }
  writeFileSync(csv, 'date,open,high,low,close,volume\n2026-11-20,5800,5810,5790,5806,100\n');
}, 120_000);

afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

describe(`bad-input corpus: ${ALL.length} command lines`, () => {
  it('no exit 1, error/v1 with the exit code under --json, and the data tree unchanged', async () => {
    const before = treeHash(data);
    const failures: string[] = [];
    const seen = new Map<number, number>();
    for (const c of ALL) {
      const ctx = testCtx({
        cwd: sandbox,
        env: { NO_COLOR: '1', FUTURES_IB_PORT: '1' },
        now: () => new Date('2026-11-20T14:25:00Z'),
      });
      const spec = {
        name: c.program,
        description: 'corpus',
        commands: c.program === 'futures' ? futuresCommands : signalsCommands,
      };
      const label = `${c.program} ${c.argv.map((a) => JSON.stringify(a.length > 40 ? `${a.slice(0, 37)}...` : a)).join(' ')}`;
      let code: number;
      if (PARSE_ONLY.has(c.def.path[0] as string)) {
        try {
          await parseCommandLine(spec, c.argv, ctx);
          continue; // valid options: running it would need a gateway
        } catch {
          code = await runProgram(spec, c.argv, ctx);
        }
      } else {
        code = await runProgram(spec, c.argv, ctx);
      }
      seen.set(code, (seen.get(code) ?? 0) + 1);
      if (c.expected !== undefined && code !== c.expected) {
        failures.push(`${label}: exit ${code}, expected ${c.expected}\n${ctx.stderr.text().slice(0, 300)}`);
      }
      const isOpen = c.def.path.join(' ') === 'calendar is-open';
      if (code === 1 && !isOpen) failures.push(`${label}: exit 1\n${ctx.stderr.text().slice(0, 400)}`);
      if (code === 70) failures.push(`${label}: exit 70\n${ctx.stderr.text().slice(0, 400)}`);
      if (/\n {4}at /.test(ctx.stderr.text())) failures.push(`${label}: a stack trace on stderr`);
      const isAnswer = code === 0 || (isOpen && code === 1) || code === 6 || code === 10;
      if (!isAnswer) {
        let doc: { schema?: string; error?: { exitCode?: number } } | undefined;
        try {
          doc = JSON.parse(ctx.stdout.text());
        } catch {
          failures.push(`${label}: exit ${code} without one JSON document on stdout`);
        }
        if (doc && (doc.schema !== 'error/v1' || doc.error?.exitCode !== code)) {
          failures.push(`${label}: exit ${code} with ${ctx.stdout.text().slice(0, 200)}`);
        }
      }
      const after = treeHash(data);
      if (after !== before) {
        failures.push(`${label}: changed the data tree`);
        break;
      }
    }
    if (process.env.CORPUS_DEBUG) console.log(ALL.length, [...seen.entries()]);
    expect(failures).toEqual([]);
    // The corpus exercises the error paths, not only the happy one.
    expect(seen.get(2) ?? 0).toBeGreaterThan(ALL.length / 3);
  }, 900_000);

  it('a value flag given twice is exit 2 naming it, for every command (commander kept the last)', async () => {
    const failures: string[] = [];
    let count = 0;
    for (const [program, list] of [
      ['futures', futuresCommands],
      ['signals', signalsCommands],
    ] as const) {
      const spec = { name: program, description: 'corpus', commands: list };
      for (const def of list) {
        for (const flag of valueFlags(def)) {
          const choice = def.flags?.find((f) => f.flags.split(/[ ,]/)[0] === flag)?.choices?.[0];
          const argv = [...baseArgv(def), flag, choice ?? 'first', flag, choice ?? 'second'];
          if (flag !== '--data-dir') argv.push('--data-dir', data);
          const ctx = testCtx({ cwd: sandbox, env: { NO_COLOR: '1', FUTURES_IB_PORT: '1' } });
          const code = await runProgram(spec, [...argv, '--json'], ctx);
          count += 1;
          const doc = JSON.parse(ctx.stdout.text() || '{}') as {
            schema?: string;
            error?: { exitCode?: number };
          };
          if (
            code !== 2 ||
            doc.schema !== 'error/v1' ||
            !ctx.stderr.text().includes(`${flag} was given more than once`)
          ) {
            failures.push(`${program} ${argv.join(' ')}: exit ${code}\n${ctx.stderr.text().slice(0, 200)}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(count).toBeGreaterThan(100);
  }, 300_000);
});
