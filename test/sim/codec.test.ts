import { describe, expect, it } from 'vitest';
import {
  CodecError,
  encodeFrame,
  encodeHandshake,
  FrameDecoder,
  MAX_FRAME_LENGTH,
  parseVersionString,
  splitFields,
} from '../../src/sim/codec.js';

function frames(items: ReturnType<FrameDecoder['push']>): string[][] {
  return items.flatMap((i) => (i.kind === 'frame' ? [i.fields] : []));
}

describe('codec', () => {
  it('frames fields with a 4-byte big-endian length and a NUL after every field', () => {
    const buf = encodeFrame([9, 1, 'abc', '', true, false, undefined, null, 0.25]);
    const body = '9\x001\x00abc\x00\x001\x000\x00\x00\x000.25\x00';
    expect(buf.readInt32BE(0)).toBe(Buffer.byteLength(body));
    expect(buf.subarray(4).toString('utf8')).toBe(body);
  });

  it('counts the length in bytes, not characters', () => {
    const buf = encodeFrame(['€']);
    expect(buf.readInt32BE(0)).toBe(4);
    expect(frames(new FrameDecoder().push(buf))).toEqual([['€']]);
  });

  it('encodes the client handshake exactly as @stoqey/ib sends it', () => {
    expect([...encodeHandshake(100, 193)]).toEqual([
      65,
      80,
      73,
      0,
      0,
      0,
      0,
      9,
      ...Buffer.from('v100..193', 'latin1'),
    ]);
  });

  it('parses version ranges with and without connect options', () => {
    expect(parseVersionString('v100..193')).toMatchObject({
      minVersion: 100,
      maxVersion: 193,
      connectOptions: '',
    });
    expect(parseVersionString('v100..193 +PACEAPI')).toMatchObject({ connectOptions: '+PACEAPI' });
    expect(parseVersionString('v176')).toMatchObject({ minVersion: 176, maxVersion: 176 });
    expect(() => parseVersionString('hello')).toThrow(CodecError);
    expect(() => parseVersionString('v193..100')).toThrow(CodecError);
  });

  it('decodes the handshake then frames on the server side', () => {
    const d = new FrameDecoder({ expectHandshake: true });
    const items = d.push(Buffer.concat([encodeHandshake(100, 193, '+PACEAPI'), encodeFrame([71, 2, 7, ''])]));
    expect(items[0]).toEqual({
      kind: 'handshake',
      handshake: { minVersion: 100, maxVersion: 193, connectOptions: '+PACEAPI', raw: 'v100..193 +PACEAPI' },
    });
    expect(items[1]).toEqual({ kind: 'frame', fields: ['71', '2', '7', ''] });
  });

  it('reassembles a handshake and frames split at every possible byte boundary', () => {
    const wire = Buffer.concat([
      encodeHandshake(100, 193),
      encodeFrame([71, 2, 7, '']),
      encodeFrame([49, 1]),
      encodeFrame(['9', '8', '2', '', 'ES', 'FUT']),
    ]);
    for (let cut = 1; cut < wire.length; cut++) {
      const d = new FrameDecoder({ expectHandshake: true });
      const items = [...d.push(wire.subarray(0, cut)), ...d.push(wire.subarray(cut))];
      expect(items).toHaveLength(4);
      expect(d.pending).toBe(0);
    }
  });

  it('handles one byte at a time and several frames in one read', () => {
    const wire = Buffer.concat([encodeFrame([1, 'a']), encodeFrame([2, 'b']), encodeFrame([3, 'c'])]);
    const oneByOne = new FrameDecoder();
    const got: string[][] = [];
    for (const byte of wire) got.push(...frames(oneByOne.push(Buffer.from([byte]))));
    expect(got).toEqual([
      ['1', 'a'],
      ['2', 'b'],
      ['3', 'c'],
    ]);
    expect(frames(new FrameDecoder().push(wire))).toEqual(got);
  });

  it('keeps a partial frame pending until the rest arrives', () => {
    const d = new FrameDecoder();
    const wire = encodeFrame([17, 4, 'x']);
    expect(d.push(wire.subarray(0, 3))).toEqual([]);
    expect(d.push(wire.subarray(3, 8))).toEqual([]);
    expect(d.pending).toBe(8);
    expect(frames(d.push(wire.subarray(8)))).toEqual([['17', '4', 'x']]);
  });

  it('keeps empty fields, including a trailing empty field', () => {
    expect(splitFields(Buffer.from('4\x002\x00-1\x002104\x00msg\x00\x00'))).toEqual([
      '4',
      '2',
      '-1',
      '2104',
      'msg',
      '',
    ]);
    expect(splitFields(Buffer.from('a\x00b'))).toEqual(['a', 'b']);
  });

  it('rejects negative, zero and oversized lengths and stays failed', () => {
    const negative = Buffer.alloc(4);
    negative.writeInt32BE(-5);
    expect(() => new FrameDecoder().push(negative)).toThrow(/bad message length -5/);
    expect(() => new FrameDecoder().push(Buffer.alloc(4))).toThrow(/bad message length 0/);
    const huge = Buffer.alloc(4);
    huge.writeInt32BE(MAX_FRAME_LENGTH + 1);
    const d = new FrameDecoder();
    expect(() => d.push(huge)).toThrow(/exceeds the maximum/);
    expect(() => d.push(encodeFrame([1]))).toThrow(CodecError);
  });

  it('honours a custom maximum frame length', () => {
    expect(() => new FrameDecoder({ maxFrameLength: 8 }).push(encodeFrame(['0123456789']))).toThrow(
      /exceeds/,
    );
  });

  it('rejects a connection that does not start with API\\0, as soon as the prefix differs', () => {
    expect(() => new FrameDecoder({ expectHandshake: true }).push(Buffer.from('GET / HTTP/1.1\r\n'))).toThrow(
      /did not start with/,
    );
    expect(new FrameDecoder({ expectHandshake: true }).push(Buffer.from('AP'))).toEqual([]);
  });

  it('rejects a handshake with an oversized length', () => {
    const bad = Buffer.concat([Buffer.from('API\0', 'latin1'), Buffer.from([0x7f, 0, 0, 0])]);
    expect(() => new FrameDecoder({ expectHandshake: true }).push(bad)).toThrow(/exceeds/);
  });
});
