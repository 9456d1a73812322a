import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand, globalOptionsShape } from '../../src/cli/command.js';
import { ExitCode } from '../../src/cli/exit.js';
import { runProgram } from '../../src/cli/program.js';
import { DataError } from '../../src/core/errors.js';
import { testCtx } from '../helpers/ctx.js';

const echo = defineCommand({
  path: ['thing', 'echo'],
  summary: 'echo a word',
  examples: ['futures thing echo hello --times 2'],
  args: [{ name: 'word', description: 'word to echo', required: true }],
  flags: [{ flags: '--times <n>', description: 'repeat count' }],
  schema: z.object({
    ...globalOptionsShape,
    word: z.string().min(1),
    times: z.coerce.number().int().min(1).max(5).default(1),
  }),
  jsonSchemaId: 'test.echo/v1',
  async run(opts, ctx) {
    if (opts.word === 'corrupt') throw new DataError('the table is corrupt', { hint: 'Run verify.' });
    if (opts.word === 'bug') throw new Error('kaboom');
    return { words: Array.from({ length: opts.times }, () => opts.word), dataDir: ctx.config.dataDir };
  },
  render: {
    json: (r) => ({ words: r.words }),
    human: (r, _o, style) => (style.mode === 'tsv' ? r.words.join('\t') : r.words.join(' ')) + '\n',
  },
  exitCode: (r) => (r.words.length > 3 ? ExitCode.threshold : ExitCode.ok),
  exitCodes: [ExitCode.data, ExitCode.threshold],
});

const spec = { name: 'futures' as const, description: 'test', commands: [echo] };

describe('program', () => {
  it('runs a command and prints TSV when stdout is not a terminal', async () => {
    const ctx = testCtx();
    expect(await runProgram(spec, ['thing', 'echo', 'hi', '--times', '2'], ctx)).toBe(0);
    expect(ctx.stdout.text()).toBe('hi\thi\n');
  });

  it('prints a table on a terminal', async () => {
    const ctx = testCtx({ tty: true });
    expect(await runProgram(spec, ['thing', 'echo', 'hi', '--times', '2'], ctx)).toBe(0);
    expect(ctx.stdout.text()).toBe('hi hi\n');
  });

  it('prints one JSON document with a schema field under --json', async () => {
    const ctx = testCtx();
    expect(await runProgram(spec, ['thing', 'echo', 'hi', '--json'], ctx)).toBe(0);
    expect(JSON.parse(ctx.stdout.text())).toEqual({ schema: 'test.echo/v1', words: ['hi'] });
    expect(ctx.stderr.text()).toBe('');
  });

  it('maps a zod failure to exit 2 naming the flag', async () => {
    const ctx = testCtx();
    expect(await runProgram(spec, ['thing', 'echo', 'hi', '--times', '9'], ctx)).toBe(2);
    expect(ctx.stderr.text()).toMatch(/--times: .*5/);
    expect(ctx.stdout.text()).toBe('');
  });

  it('maps typed errors to their exit code, with a JSON error under --json', async () => {
    const ctx = testCtx();
    expect(await runProgram(spec, ['thing', 'echo', 'corrupt', '--json'], ctx)).toBe(4);
    expect(ctx.stderr.text()).toContain('the table is corrupt\nRun verify.');
    expect(JSON.parse(ctx.stdout.text())).toMatchObject({
      schema: 'error/v1',
      error: { code: 'data', exitCode: 4 },
    });
  });

  it('a group without a sub-command (or with an unknown one) names its sub-commands, error/v1 under --json', async () => {
    const none = testCtx();
    expect(await runProgram(spec, ['thing', '--json'], none)).toBe(2);
    expect(JSON.parse(none.stdout.text())).toMatchObject({
      schema: 'error/v1',
      error: { code: 'usage', message: 'futures thing needs a sub-command: echo.', exitCode: 2 },
    });
    const unknown = testCtx();
    expect(await runProgram(spec, ['thing', 'ehco'], unknown)).toBe(2);
    expect(unknown.stderr.text()).toContain("futures thing has no sub-command 'ehco'; it has: echo.");
    const help = testCtx();
    expect(await runProgram(spec, ['thing', '--help'], help)).toBe(0);
    expect(help.stdout.text()).toContain('echo [options] <word>');
  });

  it('reports a bug with a stack and exit 1', async () => {
    const ctx = testCtx();
    expect(await runProgram(spec, ['thing', 'echo', 'bug'], ctx)).toBe(1);
    expect(ctx.stderr.text()).toContain('kaboom');
    expect(ctx.stderr.text()).toContain('at ');
  });

  it('lets a result choose its exit code', async () => {
    const ctx = testCtx();
    expect(await runProgram(spec, ['thing', 'echo', 'x', '--times', '4'], ctx)).toBe(10);
  });

  it('help exits 0 and lists exit codes; unknown commands exit 2', async () => {
    const help = testCtx();
    expect(await runProgram(spec, ['--help'], help)).toBe(0);
    expect(help.stdout.text()).toContain('Exit codes:');
    const bad = testCtx();
    expect(await runProgram(spec, ['nope'], bad)).toBe(2);
    expect(bad.stderr.text()).toContain("unknown command 'nope'");
  });

  it("a command's help lists only the exit codes it declares, the program's help all of them", async () => {
    const leaf = testCtx();
    expect(await runProgram(spec, ['thing', 'echo', '--help'], leaf)).toBe(0);
    const codes = (text: string) =>
      [...text.slice(text.indexOf('Exit codes:')).matchAll(/^ +(\d+) {2}/gm)].map((m) => Number(m[1]));
    expect(codes(leaf.stdout.text())).toEqual([0, 1, 2, 4, 10]);
    const root = testCtx();
    expect(await runProgram(spec, ['--help'], root)).toBe(0);
    expect(codes(root.stdout.text())).toEqual([0, 1, 2, 3, 4, 5, 6, 10]);
  });

  it('rejects a bad config key with exit 2 naming the key', async () => {
    const ctx = testCtx({ env: { NO_COLOR: '1', FUTURES_IB_PORT: 'abc' } });
    expect(await runProgram(spec, ['thing', 'echo', 'hi'], ctx)).toBe(2);
    expect(ctx.stderr.text()).toContain('FUTURES_IB_PORT');
  });
});

describe('streaming results', () => {
  const replay = defineCommand({
    path: ['replay'],
    summary: 'replay',
    examples: ['futures replay'],
    schema: z.object({ ...globalOptionsShape, n: z.coerce.number().int().default(0) }),
    flags: [{ flags: '--n <n>', description: 'lines' }],
    jsonSchemaId: 'test.replay/v1',
    async run(opts) {
      return { lines: Array.from({ length: opts.n }, (_, i) => ({ schema: 'test.line/v1', i })) };
    },
    render: {
      json: () => ({ single: true }),
      human: () => 'single\n',
      jsonLines: (r) => (r.lines.length > 0 ? r.lines : undefined),
    },
  });
  const replaySpec = { name: 'futures' as const, description: 'test', commands: [replay] };

  it('prints JSON Lines for a streaming result, with or without --json', async () => {
    for (const argv of [
      ['replay', '--n', '2'],
      ['replay', '--n', '2', '--json'],
    ]) {
      const ctx = testCtx();
      expect(await runProgram(replaySpec, argv, ctx)).toBe(0);
      expect(ctx.stdout.text()).toBe('{"schema":"test.line/v1","i":0}\n{"schema":"test.line/v1","i":1}\n');
    }
  });

  it('falls back to the single document when there are no lines', async () => {
    const ctx = testCtx();
    expect(await runProgram(replaySpec, ['replay', '--json'], ctx)).toBe(0);
    expect(JSON.parse(ctx.stdout.text())).toEqual({ schema: 'test.replay/v1', single: true });
  });
});

describe('contradictory flags (review §23: --record --no-record were both accepted)', () => {
  it('refuses --x with --no-x, exit 2, error/v1 under --json', async () => {
    const { signalsCommands } = await import('../../src/commands/signals/index.js');
    const signals = { name: 'signals' as const, description: 'signals', commands: signalsCommands };
    const ctx = testCtx();
    expect(await runProgram(signals, ['premarket', '--record', '--no-record'], ctx)).toBe(2);
    expect(ctx.stderr.text()).toContain('--record and --no-record contradict each other.');
    const json = testCtx();
    expect(await runProgram(signals, ['premarket', '--no-record', '--record', '--json'], json)).toBe(2);
    expect(JSON.parse(json.stdout.text())).toMatchObject({ schema: 'error/v1', error: { exitCode: 2 } });
  });
});
