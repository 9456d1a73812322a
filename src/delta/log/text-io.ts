/**
 * Text files read, written and hashed in pieces of at most 64 KiB.
 *
 * HAZARD (memory, not correctness): a long-running writer reads and writes log texts of a few MB (a
 * checkpoint's JSON, an OPTIMIZE commit). Turned into one buffer of their size, each such text is a
 * native allocation of ≥ 128 KiB, and glibc answers every free of one by raising its mmap and trim
 * thresholds for good: from then on big blocks stay in the thread arenas, which RSS keeps growing into
 * (the collector's 10,000-round run, bench/RESULTS.md). Pieces stay below the threshold.
 */
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

const PIECE_BYTES = 64 * 1024;
/** UTF-8 takes at most 3 bytes per UTF-16 unit (4 per surrogate pair), so a piece stays ≤ 48 KiB. */
const PIECE_CHARS = 16 * 1024;

/** Consecutive slices of `text` that never split a surrogate pair. */
export function* textPieces(text: string): Generator<string> {
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + PIECE_CHARS);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    yield text.slice(start, end);
    start = end;
  }
}

/** `readFile(file, 'utf8')`, without a buffer of the file's size. */
export async function readTextFile(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafeSlow(PIECE_BYTES);
    const decoder = new StringDecoder('utf8');
    let text = '';
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, PIECE_BYTES, null);
      if (bytesRead === 0) break;
      text += decoder.write(buffer.subarray(0, bytesRead));
    }
    return text + decoder.end();
  } finally {
    await handle.close();
  }
}

/** Writes `content` through an open handle, a string in pieces. */
export async function writeText(
  handle: { write(data: string): Promise<unknown>; writeFile(data: Uint8Array): Promise<void> },
  content: string | Uint8Array,
): Promise<void> {
  if (typeof content !== 'string') {
    await handle.writeFile(content);
    return;
  }
  for (const piece of textPieces(content)) await handle.write(piece);
}
