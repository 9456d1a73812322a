/**
 * Config and scenario files a user can point at by mistake (issue 21): nested 100,000 levels deep, a
 * device that reads forever, a file of many megabytes. Each is exit 2 naming the file, never a stack
 * overflow or an allocation failure that kills the process.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runProgram } from '../../src/cli/program.js';
import { futuresCalendarCommand } from '../../src/commands/futures/calendar.js';
import { futuresGatewayCommand } from '../../src/commands/futures/gateway.js';
import { testCtx } from '../helpers/ctx.js';

const dir = mkdtempSync(join(tmpdir(), 'bad-config-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = {
  name: 'futures' as const,
  description: 'test',
  commands: [futuresCalendarCommand, futuresGatewayCommand],
};

async function run(argv: string[]) {
  const ctx = testCtx({ cwd: dir, env: { NO_COLOR: '1', FUTURES_DATA_DIR: join(dir, 'data') } });
  const code = await runProgram(spec, [...argv, '--json'], ctx);
  return { code, stdout: ctx.stdout.text(), stderr: ctx.stderr.text() };
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const DEPTH = 100_000;
const nested = (inner: string) => `${'{"a":'.repeat(DEPTH)}${inner}${'}'.repeat(DEPTH)}`;

describe('config files that are not what they seem', () => {
  it.each([
    ['nested 100,000 levels under an unknown key', () => file('deep.json', nested('1')), /a: unknown key/],
    [
      'nested 100,000 levels under a known key',
      () => file('deep-key.json', `{"ib":{"host":${nested('1')}}}`),
      /ib\.host = \{…\}: Invalid input/,
    ],
    [
      '__proto__ 5,000 levels down',
      () => file('deep-proto.json', `{"ib":${'{"a":'.repeat(5000)}{"__proto__":1}${'}'.repeat(5000)}}`),
      /ib\.a\.a.*…\.__proto__: unknown key/,
    ],
    [
      'a 17 MB file',
      () => file('big.json', `{"ib":{"host":"${'x'.repeat(17 * 1024 * 1024)}"}}`),
      /larger than 16 MiB/,
    ],
  ])('%s: exit 2 with error/v1', async (_name, make, message) => {
    const r = await run(['calendar', '--date', '2026-11-20', '--config', make()]);
    expect({ code: r.code, internal: r.stderr.includes('internal error') }).toEqual({
      code: 2,
      internal: false,
    });
    expect(JSON.parse(r.stdout)).toMatchObject({ schema: 'error/v1', error: { exitCode: 2 } });
    expect(r.stderr).toMatch(message);
  });

  it.skipIf(!existsSync('/dev/zero'))(
    'a device as --config or --scenario: exit 2, read nothing',
    async () => {
      const config = await run(['calendar', '--date', '2026-11-20', '--config', '/dev/zero']);
      expect(config.code).toBe(2);
      expect(config.stderr).toContain('/dev/zero: it is a device or socket, not a file');
      const scenario = await run(['gateway', '--port', '0', '--scenario', '/dev/zero']);
      expect(scenario.code).toBe(2);
      expect(scenario.stderr).toContain('--scenario: cannot read scenario file /dev/zero');
    },
  );
});
