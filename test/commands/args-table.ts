import { describe, expect, it } from 'vitest';
import type { AnyCommand } from '../../src/cli/command.js';
import { parseCommandLine } from '../../src/cli/program.js';
import { testCtx } from '../helpers/ctx.js';

const GLOBAL = { json: false, quiet: false, verbose: false };

/** argv as a shell line (single quotes group words), or as the words themselves. */
export type ArgvRow = readonly [argv: string | readonly string[], expected: Record<string, unknown> | RegExp];

function words(argv: string | readonly string[]): string[] {
  if (typeof argv !== 'string') return [...argv];
  return [...argv.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

/**
 * A table of argv → the options a command receives (its schema's output, global flags included), or the
 * usage error it reports. Parses with the program's commander tree; nothing runs.
 */
export function argvTable(
  program: { name: 'futures' | 'signals'; commands: readonly AnyCommand[] },
  command: string,
  rows: readonly ArgvRow[],
): void {
  const spec = { ...program, description: program.name };
  describe(command, () => {
    it.each(rows)('%s', async (argv, expected) => {
      const parsing = parseCommandLine(spec, words(argv), testCtx());
      if (expected instanceof RegExp) {
        await expect(parsing).rejects.toThrow(expected);
        return;
      }
      const parsed = await parsing;
      expect(parsed.path.join(' ')).toBe(command);
      expect(parsed.options).toEqual({ ...GLOBAL, ...expected });
    });
  });
}
