/** The byte buffer and the Thrift compact protocol encoder the Parquet writer's footer and page headers use. */
// The thrift compact protocol's type ids.
export const T = { TRUE: 1, FALSE: 2, BYTE: 3, I32: 5, I64: 6, BINARY: 8, LIST: 9, STRUCT: 12 } as const;

export class ByteWriter {
  bytes = new Uint8Array(4096);
  view = new DataView(this.bytes.buffer);
  length = 0;
  /** Reserves n bytes and returns their offset; it may replace `bytes` and `view`, so call it first. */
  room(n: number): number {
    const at = this.length;
    if (at + n > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, at + n));
      grown.set(this.bytes.subarray(0, at));
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    this.length = at + n;
    return at;
  }
  u8(v: number): void {
    const at = this.room(1);
    this.bytes[at] = v;
  }
  u32(v: number): void {
    const at = this.room(4);
    this.view.setUint32(at, v, true);
  }
  raw(b: Uint8Array): void {
    const at = this.room(b.length);
    this.bytes.set(b, at);
  }
  /** ULEB128 of a non-negative integer below 2^53. */
  varint(v: number): void {
    while (v >= 0x80) {
      this.u8((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.u8(v);
  }
}

/** Thrift compact protocol, only what the page header and footer need; every integer written is ≥ 0. */
export class ThriftWriter extends ByteWriter {
  private lastId = 0;
  private readonly outerIds: number[] = [];
  private field(id: number, type: number): void {
    const delta = id - this.lastId;
    if (delta > 0 && delta <= 15) this.u8((delta << 4) | type);
    else {
      this.u8(type);
      this.varint(id * 2);
    }
    this.lastId = id;
  }
  i32(id: number, v: number): void {
    this.field(id, T.I32);
    this.varint(v * 2); // zigzag of a non-negative number
  }
  /** An i32 that may be negative (zigzag encoded). */
  signedI32(id: number, v: number): void {
    this.field(id, T.I32);
    this.varint(v >= 0 ? v * 2 : -v * 2 - 1);
  }
  i64(id: number, v: number): void {
    this.field(id, T.I64);
    this.varint(v * 2);
  }
  byte(id: number, v: number): void {
    this.field(id, T.BYTE);
    this.u8(v);
  }
  bool(id: number, v: boolean): void {
    this.field(id, v ? T.TRUE : T.FALSE);
  }
  /** The header of a binary field whose n bytes the caller writes next. */
  binaryHeader(id: number, n: number): void {
    this.field(id, T.BINARY);
    this.varint(n);
  }
  binary(id: number | undefined, b: Uint8Array | string): void {
    const bytes = typeof b === 'string' ? Buffer.from(b) : b;
    if (id !== undefined) this.field(id, T.BINARY);
    this.varint(bytes.length);
    this.raw(bytes);
  }
  /** A struct field, or without id a list element. */
  struct(id: number | undefined, body: () => void = () => {}): void {
    if (id !== undefined) this.field(id, T.STRUCT);
    this.outerIds.push(this.lastId);
    this.lastId = 0;
    body();
    this.u8(0);
    this.lastId = this.outerIds.pop() ?? 0;
  }
  list(id: number, elementType: number, size: number): void {
    this.field(id, T.LIST);
    if (size < 15) this.u8((size << 4) | elementType);
    else {
      this.u8(0xf0 | elementType);
      this.varint(size);
    }
  }
}

/** A value as written: int32 types, floats, dates and booleans (0/1) as number; int64 types as bigint. */
