import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** Config and scenario files are a few kilobytes; this bounds what a wrong path can make us read. */
export const SMALL_FILE_LIMIT_BYTES = 16 * 1024 * 1024;

/**
 * The text of a small file the user named (a config or a scenario). A device (`/dev/zero` reads forever),
 * a socket or a file over the limit is refused with an error saying so, instead of reading until memory
 * runs out; a pipe (`--config <(…)`) is read like a file. Errors carry the Node `code` when Node gave one.
 */
export function readSmallTextFile(path: string, limit = SMALL_FILE_LIMIT_BYTES): string {
  const info = statSync(path);
  if (info.isDirectory()) {
    throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read '${path}'`), {
      code: 'EISDIR',
    });
  }
  if (info.isCharacterDevice() || info.isBlockDevice() || info.isSocket()) {
    throw new Error('it is a device or socket, not a file');
  }
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > limit) throw new Error(`it is larger than ${Math.round(limit / 1024 / 1024)} MiB`);
      chunks.push(chunk.subarray(0, n));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
