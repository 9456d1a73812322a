/**
 * DuckDB reports an operating-system failure as text (strerror) without an error code: the errno its
 * message names. Shared by the CLI, which turns it into a user error, and by layers that wrap DuckDB
 * failures in their own errors and must leave the environment's to the CLI.
 */
const MESSAGE_ERRNOS: ReadonlyArray<[RegExp, string]> = [
  [/Permission denied/i, 'EACCES'],
  [/Operation not permitted/i, 'EPERM'],
  [/Read-only file system/i, 'EROFS'],
  [/No space left on device/i, 'ENOSPC'],
  [/Disk quota exceeded/i, 'EDQUOT'],
  [/File name too long/i, 'ENAMETOOLONG'],
  [/Not a directory/i, 'ENOTDIR'],
  [/Is a directory/i, 'EISDIR'],
  [/Input\/output error/i, 'EIO'],
  [/^Out of Memory Error/i, 'ENOMEM'],
];

/** The errno an error message names, if it names one. */
export function errnoInMessage(message: string): string | undefined {
  for (const [pattern, errno] of MESSAGE_ERRNOS) if (pattern.test(message)) return errno;
  return undefined;
}
