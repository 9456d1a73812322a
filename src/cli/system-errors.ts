/**
 * Operating-system failures (a read-only directory, a full disk, a path that is a file) are the user's
 * environment, not a bug. They surface from Node (`error.code`, `error.path`) or from DuckDB (only a
 * message), anywhere below; this classifies them once, where an error crosses into the CLI.
 */
import { ConfigError, DataError, type UserError, type UserErrorOptions } from '../core/errors.js';
import { errnoInMessage } from '../core/os-error-message.js';

interface SystemProblem {
  /** The error/v1 code. */
  code: string;
  what: string;
  hint: string;
  /** Full disk and I/O errors are the operator's (exit 4); a bad path or mode is fixed like a flag (exit 2). */
  data: boolean;
}

const PATH_HINT =
  'Pass --data-dir (or set FUTURES_DATA_DIR) to a directory this user can write, or fix the path.';

const PROBLEMS: Readonly<Record<string, SystemProblem>> = {
  EACCES: {
    code: 'permission-denied',
    what: 'permission denied',
    hint: `Make it readable/writable by this user (chown/chmod), or run as its owner. ${PATH_HINT}`,
    data: false,
  },
  EPERM: {
    code: 'permission-denied',
    what: 'operation not permitted',
    hint: `Make it writable by this user (chown/chmod), or run as its owner. ${PATH_HINT}`,
    data: false,
  },
  EROFS: {
    code: 'read-only-file-system',
    what: 'the file system is read-only',
    hint: PATH_HINT,
    data: false,
  },
  ENOSPC: {
    code: 'no-space',
    what: 'no space left on the device',
    hint: 'Free disk space (e.g. `futures compact --vacuum`, or delete old files elsewhere) and run again; committed data is intact.',
    data: true,
  },
  EDQUOT: {
    code: 'no-space',
    what: 'disk quota exceeded',
    hint: 'Free space within the quota and run again; committed data is intact.',
    data: true,
  },
  ENAMETOOLONG: {
    code: 'path-too-long',
    what: 'the path is too long',
    hint: 'Use a shorter --data-dir or file path.',
    data: false,
  },
  ENOTDIR: {
    code: 'not-a-directory',
    what: 'a part of the path is a file, not a directory',
    hint: 'Point --data-dir (or FUTURES_DATA_DIR) at a directory, or move the file out of the way.',
    data: false,
  },
  EEXIST: {
    code: 'not-a-directory',
    what: 'a file is in the way of a directory',
    hint: 'Point --data-dir (or FUTURES_DATA_DIR) at a directory, or move the file out of the way.',
    data: false,
  },
  EISDIR: {
    code: 'is-a-directory',
    what: 'a directory is where a file belongs',
    hint: 'Move the directory out of the way (it is not ours), then run again.',
    data: false,
  },
  ELOOP: {
    code: 'symlink-loop',
    what: 'too many levels of symbolic links',
    hint: 'Fix the symbolic links in the path.',
    data: false,
  },
  EMFILE: {
    code: 'too-many-open-files',
    what: 'too many open files',
    hint: 'Raise the open-file limit (ulimit -n) and run again.',
    data: true,
  },
  ENOMEM: {
    code: 'out-of-memory',
    what: 'out of memory',
    hint: 'Free memory or disk space for the spill directory ($TMPDIR) and run again; committed data is intact.',
    data: true,
  },
  EIO: {
    code: 'io-error',
    what: 'an input/output error from the device',
    hint: 'Check the disk (dmesg, SMART) before running again.',
    data: true,
  },
};

interface Found {
  errno: string;
  path: string | undefined;
  syscall: string | undefined;
  error: Error;
}

function systemCodeOf(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code in PROBLEMS) return code;
  return errnoInMessage(error.message);
}

/** The first OS error in the cause chain (and AggregateError members). */
function findSystemError(error: unknown, seen = new Set<unknown>()): Found | undefined {
  if (!(error instanceof Error) || seen.has(error)) return undefined;
  seen.add(error);
  const errno = systemCodeOf(error);
  if (errno !== undefined) {
    const e = error as { path?: unknown; dest?: unknown; syscall?: unknown };
    const path = typeof e.path === 'string' ? e.path : quotedPath(error.message);
    const syscall = typeof e.syscall === 'string' ? e.syscall : undefined;
    return { errno, path, syscall, error };
  }
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const found = findSystemError(inner, seen);
      if (found) return found;
    }
  }
  return findSystemError(error.cause, seen);
}

function quotedPath(message: string): string | undefined {
  const match = /["'](\/[^"']+)["']/.exec(message);
  return match?.[1];
}

/**
 * A Node or DuckDB error caused by the environment as the user error it is; undefined for anything else.
 * `pathHint` replaces the data-directory hint of a path problem (permission, read-only, not a directory).
 */
export function classifySystemError(error: unknown, pathHint?: string): UserError | undefined {
  const found = findSystemError(error);
  if (found === undefined) return undefined;
  const known = PROBLEMS[found.errno] as SystemProblem;
  // A path that is not the data directory (say `report --html`) gets its own hint, not "--data-dir".
  const problem = pathHint !== undefined && !known.data ? { ...known, hint: pathHint } : known;
  const where = found.path === undefined ? '' : `: ${found.path}`;
  const during = found.syscall === undefined ? '' : ` (${found.syscall})`;
  const message = `Cannot use the file system${where}: ${problem.what}${during} [${found.errno}].`;
  const options = { cause: found.error, hint: problem.hint };
  return problem.data
    ? new SystemDataError(problem.code, message, options)
    : new SystemPathError(problem.code, message, options);
}

class SystemPathError extends ConfigError {
  constructor(
    override readonly code: string,
    message: string,
    options: UserErrorOptions,
  ) {
    super(message, options);
  }
}

class SystemDataError extends DataError {
  constructor(
    override readonly code: string,
    message: string,
    options: UserErrorOptions,
  ) {
    super(message, options);
  }
}
