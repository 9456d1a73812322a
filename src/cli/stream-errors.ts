/**
 * Errors writing stdout or stderr. The process streams report them as 'error' events (a file on a full
 * disk: ENOSPC; a closed reader: EPIPE), not as exceptions the command can catch, so the bins install
 * these handlers once, before running a command.
 */
import { ExitCode, exitCodeOf } from './exit.js';
import { classifySystemError } from './system-errors.js';

interface WritableLike {
  on(event: 'error', listener: (error: NodeJS.ErrnoException) => void): unknown;
  write(chunk: string): boolean;
}

/**
 * A reader that stops early (`| head`) is not an error: stop writing and exit 0. Any other failure to
 * write stdout (a full disk, an I/O error) loses the answer, so it is that environment error's exit code
 * (4 for ENOSPC/EIO, 2 for a permission problem) with one line on stderr, never a stack trace. stderr is
 * best effort: a closed or failing stderr does not change the outcome of the command.
 */
export function guardProcessStreams(
  stdout: WritableLike,
  stderr: WritableLike,
  exit: (code: number) => never,
): void {
  stderr.on('error', () => {
    // Messages are lost; the command's own exit code still says what happened.
  });
  stdout.on('error', (error) => exit(stdoutFailureCode(error, stderr)));
}

/** The exit code for a failed write to stdout, after saying so on stderr (when it still works). */
export function stdoutFailureCode(error: NodeJS.ErrnoException, stderr: Pick<WritableLike, 'write'>): number {
  if (error.code === 'EPIPE') return ExitCode.ok;
  const known = classifySystemError(error);
  const what = known ? known.message.replace(/^Cannot use the file system: ?/, '') : error.message;
  try {
    stderr.write(`error: cannot write the output (stdout): ${what}\n${known?.hint ?? ''}\n`);
  } catch {
    // stderr is gone too.
  }
  return known ? exitCodeOf(known) : ExitCode.data;
}
