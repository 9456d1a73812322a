import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand, globalOptionsShape } from '../../src/cli/command.js';
import { runProgram } from '../../src/cli/program.js';
import { classifySystemError } from '../../src/cli/system-errors.js';
import { testCtx } from '../helpers/ctx.js';

function errno(code: string, path?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: something, open '${path}'`), { code, path, syscall: 'open' });
}

describe('classifySystemError', () => {
  it.each([
    ['EACCES', 'permission-denied', 'config'],
    ['EPERM', 'permission-denied', 'config'],
    ['EROFS', 'read-only-file-system', 'config'],
    ['ENAMETOOLONG', 'path-too-long', 'config'],
    ['ENOTDIR', 'not-a-directory', 'config'],
    ['EEXIST', 'not-a-directory', 'config'],
    ['EISDIR', 'is-a-directory', 'config'],
    ['ENOSPC', 'no-space', 'data'],
    ['EDQUOT', 'no-space', 'data'],
  ])('%s is a %s %s error naming the path', (code, expected, kind) => {
    const error = classifySystemError(errno(code, '/data/state/x'));
    expect(error?.code).toBe(expected);
    expect(error?.kind).toBe(kind);
    expect(error?.message).toContain('/data/state/x');
    expect(error?.message).toContain(code);
    expect(error?.hint).toBeTruthy();
  });

  it('finds the OS error in a cause chain and in DuckDB message text', () => {
    const wrapped = new Error('commit failed', { cause: errno('ENOSPC', '/d/_delta_log/x.json') });
    expect(classifySystemError(wrapped)?.code).toBe('no-space');
    const duck = new Error('IO Error: Cannot open file "/d/state/queue.duckdb": Permission denied');
    const classified = classifySystemError(duck);
    expect(classified?.code).toBe('permission-denied');
    expect(classified?.message).toContain('/d/state/queue.duckdb');
    expect(classifySystemError(new Error('Failed to commit: No space left on device'))?.kind).toBe('data');
  });

  it('leaves other errors (bugs) alone', () => {
    expect(classifySystemError(new TypeError('x is undefined'))).toBeUndefined();
    expect(classifySystemError(errno('ENOENT', '/x'))).toBeUndefined();
    expect(classifySystemError('text')).toBeUndefined();
  });
});

describe('the CLI reports environment problems with their code, never exit 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'syserr-'));
  const fileInTheWay = join(dir, 'file');
  writeFileSync(fileInTheWay, 'x');
  const isDir = join(dir, 'dir');
  mkdirSync(isDir);
  const touch = defineCommand({
    path: ['touch'],
    summary: 'write a file',
    examples: ['futures touch /x'],
    args: [{ name: 'target', description: 'path', required: true }],
    schema: z.object({ ...globalOptionsShape, target: z.string() }),
    jsonSchemaId: 'test.touch/v1',
    async run(opts) {
      if (opts.target.endsWith('/read')) return { text: await readFile(opts.target.slice(0, -5), 'utf8') };
      await writeFile(opts.target, 'x');
      return { text: 'ok' };
    },
    render: { json: (r) => r, human: (r) => `${r.text}\n` },
  });
  const spec = { name: 'futures' as const, description: 'test', commands: [touch] };

  it.each([
    ['a path through a file', join(fileInTheWay, 'sub'), 2, 'not-a-directory'],
    ['a directory as a file', isDir, 2, 'is-a-directory'],
    ['a too long name', join(dir, 'n'.repeat(300)), 2, 'path-too-long'],
  ])('%s: exit %i, error/v1 %s, no stack', async (_name, target, exit, code) => {
    const ctx = testCtx();
    expect(await runProgram(spec, ['touch', target, '--json'], ctx)).toBe(exit);
    expect(JSON.parse(ctx.stdout.text())).toMatchObject({
      schema: 'error/v1',
      error: { code, exitCode: exit },
    });
    expect(ctx.stderr.text()).not.toMatch(/internal error|\n {4}at /);
  });
});

describe('parser-level usage errors under --json', () => {
  const cmd = defineCommand({
    path: ['group', 'leaf'],
    summary: 'leaf',
    examples: ['futures group leaf x'],
    args: [{ name: 'name', description: 'a name', required: true }],
    flags: [{ flags: '--format <f>', description: 'format', choices: ['csv', 'jsonl'] }],
    schema: z.object({ ...globalOptionsShape, name: z.string(), format: z.string().optional() }),
    jsonSchemaId: 'test.leaf/v1',
    async run() {
      return {};
    },
    render: { json: (r) => r, human: () => '' },
  });
  const spec = { name: 'futures' as const, description: 'test', commands: [cmd] };

  it.each([
    [['group', 'leaf', 'x', '--bogus', '--json'], "unknown option '--bogus'"],
    [['group', 'leaf', '--json'], "missing required argument 'name'"],
    [['group', 'leaf', 'x', '--format', 'xml', '--json'], "argument 'xml' is invalid"],
    [['group', 'leaf', 'x', '--format', '--json'], '--format'],
    [['nope', '--json'], "unknown command 'nope'"],
    [['group', '--json'], ''],
  ])('%j prints one error/v1 document and exits 2', async (argv, text) => {
    const ctx = testCtx();
    expect(await runProgram(spec, argv, ctx)).toBe(2);
    const doc = JSON.parse(ctx.stdout.text());
    expect(doc).toMatchObject({ schema: 'error/v1', error: { code: 'usage', exitCode: 2 } });
    expect(doc.error.message).toContain(text);
    expect(ctx.stderr.text()).not.toMatch(/\n {4}at /);
  });

  it('a parent command without its sub-command is a usage error (exit 2), not success', async () => {
    const ctx = testCtx();
    expect(await runProgram(spec, ['group'], ctx)).toBe(2);
    expect(ctx.stderr.text()).toContain('leaf');
    expect(ctx.stdout.text()).toBe('');
  });
});
