import { describe, expect, it } from 'vitest';
import { runProgram } from '../../src/cli/program.js';
import { futuresCommands } from '../../src/commands/futures/index.js';
import { testCtx } from '../helpers/ctx.js';

async function help(argv: string[]): Promise<string> {
  const ctx = testCtx();
  const code = await runProgram({ name: 'futures', description: 'x', commands: futuresCommands }, argv, ctx);
  expect(code).toBe(0);
  return ctx.stdout.text().replace(/\s+/g, ' ');
}

describe('--help', () => {
  it("shows each flag's default", async () => {
    const demo = await help(['demo', '--help']);
    expect(demo).toContain('simulated night (default: calm)');
    expect(demo).toContain('(default: ./demo-data)');
    expect(await help(['backfill', '--help'])).toContain('(default: ib.port (4002))');
    expect(await help(['compact', '--help'])).toContain('OPTIMIZE target file size (default: 128MiB');
  });

  it('lists demo first, for the first-time user', async () => {
    const top = await help(['--help']);
    expect(top.indexOf('demo [options]')).toBeLessThan(top.indexOf('calendar [options]'));
    expect(top).toContain('completion [options] <shell>');
  });
});
