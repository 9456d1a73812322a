/**
 * TWS API wire codec (V100+ framing), written for the simulator; see ../shared/research/ibkr.md §1.2–1.3.
 *
 * Hazard: the real client splits each frame on NUL and keeps a non-empty tail as a "fragment" that it
 * prepends to the NEXT frame, so every frame we send must end in NUL or the next message id is corrupted.
 */

export const API_PREFIX = Buffer.from('API\0', 'latin1');
/** The client's receive cap (stoqey MAX_V100_MESSAGE_LENGTH); a gateway drops a peer announcing more. */
export const MAX_FRAME_LENGTH = 0xffffff;

export type Field = string | number | boolean | null | undefined;

export class CodecError extends Error {
  override readonly name = 'CodecError';
}

export interface Handshake {
  minVersion: number;
  maxVersion: number;
  /** Connect options after the version range, e.g. "+PACEAPI" (official clients only). */
  connectOptions: string;
  raw: string;
}

export type DecodedItem = { kind: 'handshake'; handshake: Handshake } | { kind: 'frame'; fields: string[] };

function fieldText(value: Field): string {
  if (value === null || value === undefined) return '';
  if (value === true) return '1';
  if (value === false) return '0';
  return String(value);
}

/** One framed message: 4-byte big-endian length, then every field terminated by NUL. */
export function encodeFrame(fields: readonly Field[]): Buffer {
  const body = Buffer.from(fields.map((f) => `${fieldText(f)}\0`).join(''), 'utf8');
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

/** The client's opening bytes: "API\0" + 4-byte length + "v<min>..<max>[ options]" (no trailing NUL). */
export function encodeHandshake(minVersion: number, maxVersion: number, connectOptions = ''): Buffer {
  const text = `v${minVersion}..${maxVersion}${connectOptions ? ` ${connectOptions}` : ''}`;
  const body = Buffer.from(text, 'utf8');
  const len = Buffer.allocUnsafe(4);
  len.writeInt32BE(body.length, 0);
  return Buffer.concat([API_PREFIX, len, body]);
}

export function parseVersionString(text: string): Handshake {
  const match = /^v(\d+)(?:\.\.(\d+))?(?:\s+(.*))?$/s.exec(text);
  if (!match) throw new CodecError(`bad handshake version string ${JSON.stringify(text)}`);
  const minVersion = Number(match[1]);
  const maxVersion = match[2] === undefined ? minVersion : Number(match[2]);
  if (maxVersion < minVersion) throw new CodecError(`bad handshake version range ${JSON.stringify(text)}`);
  return { minVersion, maxVersion, connectOptions: (match[3] ?? '').trim(), raw: text };
}

/** Splits a frame body into its fields; the terminating NUL of the last field is optional here. */
export function splitFields(body: Buffer): string[] {
  const text = body.toString('utf8');
  const parts = text.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

export interface FrameDecoderOptions {
  /** Server side: the first bytes are the "API\0" handshake. */
  expectHandshake?: boolean;
  maxFrameLength?: number;
}

/**
 * Streaming decoder: push() whatever a TCP read delivered (partial frames, several frames) and get back
 * the complete items. A negative, zero or oversized length, or a bad handshake, throws CodecError;
 * after that the decoder is poisoned (the connection must be closed, as a gateway does).
 */
export class FrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);
  private awaitingHandshake: boolean;
  private failed: CodecError | undefined;
  private readonly maxFrameLength: number;

  constructor(options: FrameDecoderOptions = {}) {
    this.awaitingHandshake = options.expectHandshake ?? false;
    this.maxFrameLength = options.maxFrameLength ?? MAX_FRAME_LENGTH;
  }

  /** Bytes received but not yet part of a complete item. */
  get pending(): number {
    return this.buffer.length;
  }

  push(chunk: Buffer): DecodedItem[] {
    if (this.failed) throw this.failed;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const items: DecodedItem[] = [];
    try {
      for (;;) {
        const item = this.awaitingHandshake ? this.takeHandshake() : this.takeFrame();
        if (!item) break;
        items.push(item);
      }
    } catch (error) {
      this.failed = error instanceof CodecError ? error : new CodecError(String(error));
      throw this.failed;
    }
    return items;
  }

  private readLength(at: number): number | undefined {
    if (this.buffer.length < at + 4) return undefined;
    const length = this.buffer.readInt32BE(at);
    if (length <= 0) throw new CodecError(`bad message length ${length}`);
    if (length > this.maxFrameLength) {
      throw new CodecError(`message length ${length} exceeds the maximum ${this.maxFrameLength}`);
    }
    return length;
  }

  private takeHandshake(): DecodedItem | undefined {
    const prefixBytes = Math.min(this.buffer.length, API_PREFIX.length);
    if (!this.buffer.subarray(0, prefixBytes).equals(API_PREFIX.subarray(0, prefixBytes))) {
      throw new CodecError('the connection did not start with "API\\0"');
    }
    if (this.buffer.length < API_PREFIX.length) return undefined;
    const length = this.readLength(API_PREFIX.length);
    if (length === undefined) return undefined;
    const start = API_PREFIX.length + 4;
    if (this.buffer.length < start + length) return undefined;
    const text = this.buffer.subarray(start, start + length).toString('utf8');
    this.buffer = this.buffer.subarray(start + length);
    this.awaitingHandshake = false;
    return { kind: 'handshake', handshake: parseVersionString(text) };
  }

  private takeFrame(): DecodedItem | undefined {
    const length = this.readLength(0);
    if (length === undefined) return undefined;
    if (this.buffer.length < 4 + length) return undefined;
    const body = this.buffer.subarray(4, 4 + length);
    this.buffer = this.buffer.subarray(4 + length);
    return { kind: 'frame', fields: splitFields(body) };
  }
}
