/**
 * The import's file as a file: a regular file (it is read more than once), gzip where its name says
 * so and nowhere else, and whole. DuckDB reads a cut gzip up to the cut and a gzip named .csv as
 * undecodable text; both say nothing of the cause, so they are checked here first.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { DataError, UsageError } from '../../core/errors.js';

const GZIP_MAGIC = [0x1f, 0x8b];

function kindOf(info: Awaited<ReturnType<typeof stat>>): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** Refuses a path that is no regular file, naming what it is. */
export async function checkRegularFile(file: string): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (info === undefined) {
    throw new UsageError(`No such file: ${file}`, {
      hint:
        path.basename(file) === '-'
          ? 'Reading standard input is not supported: save the data to a file and import that.'
          : 'Check the path (it is relative to the current directory).',
    });
  }
  if (!info.isFile()) {
    throw new UsageError(`${file} is ${kindOf(info)}, not a file.`, {
      hint: 'Import a regular file (it is read more than once): save a pipe or stream to a file first.',
    });
  }
}

async function startsWithGzipMagic(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === GZIP_MAGIC[0] && buffer[1] === GZIP_MAGIC[1];
  } finally {
    await handle.close();
  }
}

/**
 * A CSV named .gz must be a whole gzip stream (decompressed once to the end, nothing kept); one not
 * named .gz must not be gzip.
 */
export async function checkCompression(file: string): Promise<void> {
  const named = file.toLowerCase().endsWith('.gz');
  const gzip = await startsWithGzipMagic(file);
  if (!named) {
    if (gzip) {
      throw new DataError(`${file} is gzip-compressed but its name does not end in .gz.`, {
        hint: `Rename it to ${path.basename(file)}.gz (DuckDB decompresses by the name).`,
      });
    }
    return;
  }
  if (!gzip) {
    throw new DataError(`${file} is named .gz but is not gzip-compressed.`, {
      hint: 'Rename it without .gz if it is plain text, or compress it with gzip.',
    });
  }
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  try {
    await pipeline(createReadStream(file), createGunzip(), sink);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('Z_')) throw error;
    throw new DataError(
      `${file} is truncated or corrupt: ${error instanceof Error ? error.message : String(error)}.`,
      {
        cause: error,
        hint: 'Download or export the file again (gzip -t FILE checks it).',
      },
    );
  }
}
