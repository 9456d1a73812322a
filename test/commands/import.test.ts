import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '../../src/cli/program.js';
import { futuresCommands } from '../../src/commands/futures/index.js';
import { testCtx } from '../helpers/ctx.js';

const spec = { name: 'futures' as const, description: 'futures', commands: futuresCommands };
let dir: string;
let file: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'import-cmd-'));
  file = join(dir, 'bars.csv');
  writeFileSync(file, 'ts,close\n2026-03-10 09:30:00,5000\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: readonly string[]) {
  const ctx = testCtx({ cwd: dir });
  const code = await runProgram(spec, ['import', file, '--data-dir', dir, ...args], ctx);
  return { code, stdout: ctx.stdout.text(), stderr: ctx.stderr.text() };
}

describe('futures import', () => {
  it('names the flag of an option the lake refuses', async () => {
    for (const [args, message] of [
      [['--symbol', 'xx'], "--symbol: unknown symbol 'XX'."],
      [['--symbol', 'ES', '--tz', 'Mars/Base'], "--tz: unknown time zone 'Mars/Base'."],
      [['--symbol', 'ES', '--map', 'ts=nope'], "--map: unknown field 'nope' for futures_bars."],
      [['--symbol', 'ES', '--map', 'when=ts'], "--map: the file has no column 'when'."],
    ] as const) {
      const r = await run(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toContain(`error: ${message}`);
    }
  });

  it('imports the file with the flags given', async () => {
    const r = await run(['--symbol', 'ES', '--tz', 'America/New_York', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('reads a time without an offset as ET by default, as every naive time (09:30 EDT is 13:30Z)', async () => {
    const et = await run(['--symbol', 'ES', '--dry-run', '--json']);
    expect(et.code, et.stderr).toBe(0);
    expect(JSON.parse(et.stdout)).toMatchObject({ first: '2026-03-10T13:30:00.000Z' });
    const utc = await run(['--symbol', 'ES', '--dry-run', '--json', '--tz', 'UTC']);
    expect(JSON.parse(utc.stdout)).toMatchObject({ first: '2026-03-10T09:30:00.000Z' });
  });
});
