/**
 * A failed write to stdout or stderr (issue 21: "no stack traces"): a full disk under `> file` is exit 4
 * with one line on stderr; `| head` is exit 0; a stderr whose reader went away does not change the
 * command's exit code.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { guardProcessStreams, stdoutFailureCode } from '../../src/cli/stream-errors.js';
import { ROOT } from '../helpers/bin.js';

const dir = mkdtempSync(join(tmpdir(), 'stream-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: failed, write`), { code, syscall: 'write' });
}

function fakeStream() {
  const listeners: Array<(error: NodeJS.ErrnoException) => void> = [];
  const written: string[] = [];
  return {
    written,
    on: (_event: 'error', listener: (error: NodeJS.ErrnoException) => void) => listeners.push(listener),
    write: (chunk: string) => written.push(chunk) > 0,
    emit: (error: NodeJS.ErrnoException) => {
      for (const l of listeners) l(error);
    },
  };
}

describe('stdout and stderr write failures', () => {
  it('EPIPE on stdout is exit 0; ENOSPC and EIO are exit 4 with the reason on stderr; EACCES is 2', () => {
    const stderr = fakeStream();
    expect(stdoutFailureCode(errno('EPIPE'), stderr)).toBe(0);
    expect(stderr.written).toEqual([]);
    expect(stdoutFailureCode(errno('ENOSPC'), stderr)).toBe(4);
    expect(stderr.written.join('')).toMatch(/cannot write the output \(stdout\): no space left.*\[ENOSPC\]/);
    expect(stdoutFailureCode(errno('EIO'), stderr)).toBe(4);
    expect(stdoutFailureCode(errno('EACCES'), stderr)).toBe(2);
  });

  it('installs handlers: a stderr error is swallowed, a stdout error exits with its code', () => {
    const stdout = fakeStream();
    const stderr = fakeStream();
    const exits: number[] = [];
    guardProcessStreams(stdout, stderr, (code) => {
      exits.push(code);
      return undefined as never;
    });
    expect(() => stderr.emit(errno('EPIPE'))).not.toThrow();
    stdout.emit(errno('ENOSPC'));
    expect(exits).toEqual([4]);
  });

  it.skipIf(!existsSync('/dev/full'))(
    'the built binary with stdout on a full device exits 4, no stack',
    () => {
      const out = openSync('/dev/full', 'w');
      const errFile = join(dir, 'stderr.txt');
      const err = openSync(errFile, 'w');
      try {
        const r = spawnSync(process.execPath, [`${ROOT}bin/futures.js`, 'calendar', '--date', '2026-11-20'], {
          stdio: ['ignore', out, err],
          env: { ...process.env, NO_COLOR: '1' },
          cwd: dir,
        });
        const text = readFileSync(errFile, 'utf8');
        expect({ status: r.status, stack: /\n\s+at /.test(text) }).toEqual({ status: 4, stack: false });
        expect(text).toContain('[ENOSPC]');
      } finally {
        closeSync(out);
        closeSync(err);
      }
    },
  );

  it('a stderr whose reader has gone keeps the exit code of the command (2 here, not 1)', async () => {
    // `futures status --data-dir missing 2>&1 >/dev/null | head -c 0`: stderr is a closed pipe.
    const child = spawn(
      process.execPath,
      [`${ROOT}bin/futures.js`, 'status', '--data-dir', join(dir, 'missing')],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        cwd: dir,
      },
    );
    child.stderr.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(2);
  });
});
