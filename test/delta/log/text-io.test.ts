import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { readTextFile, textPieces, writeText } from '../../../src/delta/log/text-io.js';
import { makeTempDir, removeTempDirs } from '../write/helpers.js';

afterAll(removeTempDirs);

// Multi-byte characters and surrogate pairs land on every alignment against the piece boundaries.
const awkward = (length: number): string => {
  const alphabet = ['a', 'é', '日', '😀', '\u0000', '"', '\n'];
  let text = '';
  for (let i = 0; text.length < length; i++) text += alphabet[(i * 7 + (i >> 3)) % alphabet.length];
  return text;
};

describe('text in pieces', () => {
  test('pieces join back to the text, stay small and never split a surrogate pair', () => {
    // The last one puts a surrogate pair across the first piece boundary.
    const straddling = `${'a'.repeat(16 * 1024 - 1)}😀${awkward(100)}`;
    for (const text of [0, 1, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 200_001]
      .map(awkward)
      .concat(straddling)) {
      const pieces = [...textPieces(text)];
      expect(pieces.join('')).toBe(text);
      for (const piece of pieces) {
        expect(Buffer.byteLength(piece)).toBeLessThan(64 * 1024);
        // A lone surrogate would not survive UTF-8 (it becomes U+FFFD).
        expect(Buffer.from(piece, 'utf8').toString('utf8')).toBe(piece);
      }
    }
  });

  test('a text written in pieces and read back in pieces is the same text, byte for byte as UTF-8', async () => {
    const dir = makeTempDir('text-io-');
    for (const length of [0, 5, 70_000, 300_003]) {
      const file = path.join(dir, `t${length}.json`);
      const text = awkward(length);
      const handle = await open(file, 'wx');
      await writeText(handle, text);
      await handle.close();
      expect(readFileSync(file)).toEqual(Buffer.from(text, 'utf8'));
      expect(await readTextFile(file)).toBe(text);
    }
  });
});
