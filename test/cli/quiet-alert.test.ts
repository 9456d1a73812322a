import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand, globalOptionsShape } from '../../src/cli/command.js';
import { ExitCode } from '../../src/cli/exit.js';
import { runProgram } from '../../src/cli/program.js';
import { testCtx } from '../helpers/ctx.js';

/** A command whose result decides its exit code, with and without its own alert line. */
function probe(withAlert: boolean) {
  return defineCommand({
    path: ['probe'],
    summary: 'probe',
    examples: [],
    flags: [{ flags: '--code <n>', description: 'exit code' }],
    schema: z.object({ ...globalOptionsShape, code: z.coerce.number().default(0) }),
    jsonSchemaId: 'probe/v1',
    async run(opts): Promise<{ code: ExitCode }> {
      return { code: opts.code as ExitCode };
    },
    render: { json: (r) => r, human: () => 'a summary line\nand another\n' },
    exitCode: (r) => r.code,
    ...(withAlert ? { alert: (r: { code: ExitCode }) => `crossed with ${r.code}\nsecond line` } : {}),
  });
}

async function run(argv: string[], withAlert = true) {
  const ctx = testCtx();
  const code = await runProgram(
    { name: 'futures', description: 'x', commands: [probe(withAlert)] },
    argv,
    ctx,
  );
  return { code, stdout: ctx.stdout.text(), stderr: ctx.stderr.text() };
}

describe('--quiet and alert lines', () => {
  it('--quiet prints nothing at all on success', async () => {
    expect(await run(['probe', '--quiet'])).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('without --quiet a success prints its summary and nothing on stderr', async () => {
    const r = await run(['probe']);
    expect(r.stdout).toContain('a summary line');
    expect(r.stderr).toBe('');
  });

  it('a non-zero exit writes exactly one stderr line, with or without --quiet', async () => {
    const quiet = await run(['probe', '--code', '10', '--quiet']);
    expect(quiet).toEqual({ code: 10, stdout: '', stderr: 'futures probe: crossed with 10 second line\n' });
    const loud = await run(['probe', '--code', '6']);
    expect(loud.code).toBe(6);
    expect(loud.stdout).toContain('a summary line');
    expect(loud.stderr).toBe('futures probe: crossed with 6 second line\n');
  });

  it('without an alert of its own the line gives the exit code meaning', async () => {
    const r = await run(['probe', '--code', String(ExitCode.stale), '--quiet'], false);
    expect(r.stderr).toBe('futures probe: stale data (status --max-age, or signal inputs too old)\n');
  });

  it('--json --quiet still prints the document asked for', async () => {
    const r = await run(['probe', '--json', '--quiet']);
    expect(JSON.parse(r.stdout)).toEqual({ schema: 'probe/v1', code: 0 });
    expect(r.stderr).toBe('');
  });
});
