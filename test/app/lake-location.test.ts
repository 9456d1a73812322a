/**
 * Review §13: `<dataDir>/lake` that is a file. Read as "no tables", status reported every done round of
 * the queue as a lost commit (exit 4), compact had "nothing to compact" (exit 0), signals answered stale
 * (exit 6) and `table scan` said there is no such table. Now every command says the lake is not a
 * directory (exit 2), as it does for a data directory that is a file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProgram } from '../../src/cli/program.js';
import { futuresCommands } from '../../src/commands/futures/index.js';
import { signalsCommands } from '../../src/commands/signals/index.js';
import { testCtx } from '../helpers/ctx.js';

const SPECS = {
  futures: { name: 'futures' as const, description: 'futures', commands: futuresCommands },
  signals: { name: 'signals' as const, description: 'signals', commands: signalsCommands },
};

describe('a lake that is a file', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lake-file-'));
  writeFileSync(join(dataDir, 'lake'), 'not a lake\n');

  it.each([
    ['futures', ['status']],
    ['futures', ['compact']],
    ['futures', ['table', 'scan', 'futures_snapshots']],
    ['signals', ['premarket', '--no-record', '--as-of', '2026-03-10 09:25']],
  ] as const)('%s %j: exit 2 naming the lake, error/v1 under --json', async (program, argv) => {
    const ctx = testCtx();
    const code = await runProgram(SPECS[program], [...argv, '--data-dir', dataDir, '--json'], ctx);
    expect(code, ctx.stderr.text()).toBe(2);
    expect(JSON.parse(ctx.stdout.text())).toMatchObject({
      schema: 'error/v1',
      error: { code: 'config', message: `The lake ${join(dataDir, 'lake')} is not a directory.` },
    });
  });

  it('a lake directory that does not exist yet is fine (writers create it)', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'lake-none-'));
    const ctx = testCtx();
    expect(await runProgram(SPECS.futures, ['compact', '--data-dir', empty], ctx)).toBe(0);
  });
});
