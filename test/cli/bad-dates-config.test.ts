import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runProgram } from '../../src/cli/program.js';
import { futuresCalendarCommand, futuresCalendarIsOpenCommand } from '../../src/commands/futures/calendar.js';
import { futuresDemoCommand } from '../../src/commands/futures/demo.js';
import { futuresGatewayCommand } from '../../src/commands/futures/gateway.js';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { isInputDate, parseInstant } from '../../src/market/index.js';
import { testCtx } from '../helpers/ctx.js';

const dir = mkdtempSync(join(tmpdir(), 'bad-dates-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = {
  name: 'futures' as const,
  description: 'test',
  commands: [futuresCalendarCommand, futuresCalendarIsOpenCommand, futuresDemoCommand, futuresGatewayCommand],
};

async function run(argv: string[]) {
  const ctx = testCtx({ cwd: dir, env: { NO_COLOR: '1', FUTURES_DATA_DIR: join(dir, 'data') } });
  const code = await runProgram(spec, argv, ctx);
  return { code, stdout: ctx.stdout.text(), stderr: ctx.stderr.text() };
}

describe('dates a user names are checked against 1970–2199 (finding 17, 18)', () => {
  it('isInputDate and parseInstant accept 1970–2199 only', () => {
    expect(isInputDate('1970-01-01')).toBe(true);
    expect(isInputDate('2199-12-31')).toBe(true);
    expect(isInputDate('1969-12-31')).toBe(false);
    expect(isInputDate('2200-01-01')).toBe(false);
    expect(isInputDate('9999-12-31')).toBe(false);
    expect(() => parseInstant('9999-12-31 19:00')).toThrow(/1970–2199/);
    expect(() => parseInstant('+275760-09-13T00:00:00Z')).toThrow(RangeError);
    expect(parseInstant('2199-12-31 19:00').toISOString()).toBe('2200-01-01T00:00:00.000Z');
  });

  it.each([
    [['calendar', '--date', '9999-12-31']],
    [['calendar', '--from', '2199-12-30', '--to', '2200-01-02']],
    [['calendar', '--date', '0001-01-01']],
    [['demo', '--date', '2026-02-30', '--dir', join(dir, 'demo')]],
    [['demo', '--date', '9999-12-31', '--dir', join(dir, 'demo')]],
    [['gateway', '--port', '0', '--start', '9999-12-31T00:00:00Z']],
  ])('%j exits 2 with error/v1 naming the flag', async (argv) => {
    const r = await run([...argv, '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ schema: 'error/v1', error: { exitCode: 2 } });
    expect(r.stderr).not.toContain('internal error');
  });

  it('calendar is-open with year 9999 is exit 2, never 1 (which means closed)', async () => {
    const r = await run(['calendar', 'is-open', '--at', '9999-12-31 19:00']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--at');
  });

  it('calendar at the edge of the range still answers', async () => {
    expect((await run(['calendar', '--date', '2199-12-31'])).code).toBe(0);
    expect((await run(['calendar', 'is-open', '--at', '2199-12-31 19:00'])).code).toBe(1);
  });

  it('an internal error of is-open exits 70, not 1', () => {
    expect(futuresCalendarIsOpenCommand.internalExitCode).toBe(70);
  });
});

describe('config edge cases (findings 18, 23)', () => {
  function write(name: string, text: string): string {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  }

  it('a calendar.overrides date out of range is a config error', () => {
    const file = write(
      'o.json',
      JSON.stringify({ calendar: { overrides: [{ date: '9999-12-31', kind: 'closed' }] } }),
    );
    expect(() => loadConfig({ cwd: dir, env: {}, configPath: file })).toThrow(
      /calendar\.overrides.*1970–2199/s,
    );
    const feb30 = write(
      'f.json',
      JSON.stringify({ calendar: { overrides: [{ date: '2026-02-30', kind: 'closed' }] } }),
    );
    expect(() => loadConfig({ cwd: dir, env: {}, configPath: feb30 })).toThrow(ConfigError);
  });

  it('__proto__ keys are refused by name, never honoured', () => {
    const proto = write('p.json', '{"__proto__": {"dataDir": "/somewhere"}}');
    expect(() => loadConfig({ cwd: dir, env: {}, configPath: proto })).toThrow(/__proto__: unknown key/);
    const nested = write('n.json', '{"ib": {"__proto__": {"bogus": 1}}}');
    expect(() => loadConfig({ cwd: dir, env: {}, configPath: nested })).toThrow(/ib\.__proto__: unknown key/);
  });

  it('a UTF-8 BOM is read past', () => {
    const bom = write('bom.json', `\uFEFF${JSON.stringify({ dataDir: './bom-data' })}`);
    expect(loadConfig({ cwd: dir, env: {}, configPath: bom }).config.dataDir).toBe(join(dir, 'bom-data'));
  });

  // Review finding 10: FUTURES_IB_PORT=0x10 read as port 16, =1e3 as 1000.
  it.each(['0x10', '1e3', '4002.5', ' '])(
    'FUTURES_IB_PORT=%j is a config error naming the variable',
    (value) => {
      expect(() => loadConfig({ cwd: dir, env: { FUTURES_IB_PORT: value } })).toThrow(
        /FUTURES_IB_PORT=.* is not valid for ib\.port: expected an integer/,
      );
    },
  );

  it('an empty FUTURES_CONFIG is unset; an empty --config is an error', () => {
    const loaded = loadConfig({ cwd: dir, env: { FUTURES_CONFIG: '' } });
    expect(loaded.file).toBeUndefined();
    expect(() => loadConfig({ cwd: dir, env: {}, configPath: '' })).toThrow(/--config is empty/);
  });
});

describe('gateway --record (finding 19)', () => {
  it.each([
    ['a missing directory', '/nonexistent/dir/rec.jsonl'],
    ['a directory', dir],
  ])('%s: exit 2 before listening', async (_name, target) => {
    const r = await run(['gateway', '--port', '0', '--record', target]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--record');
    expect(r.stderr).not.toContain('listening');
  });
});
