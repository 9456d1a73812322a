/**
 * Checks the page CRCs of a Parquet file (PageHeader.crc: CRC32 of the page bytes after the header,
 * which our writer records; other writers may not). Pages without a crc are counted, not checked.
 * Only deep verify calls this: it reads the whole file.
 */
import { readFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlPath } from '../duckdb.js';

class CompactReader {
  at: number;
  constructor(
    readonly bytes: Uint8Array,
    at: number,
  ) {
    this.at = at;
  }
  u8(): number {
    if (this.at >= this.bytes.length) throw new RangeError('page header runs past the end of the file');
    return this.bytes[this.at++] as number;
  }
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.u8();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value;
      scale *= 128;
    }
    throw new RangeError('bad varint in a page header');
  }
  zigzag(): number {
    const v = this.varint();
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }
  skip(type: number): void {
    switch (type) {
      case 1:
      case 2:
        return;
      case 3:
        this.at += 1;
        return;
      case 4:
      case 5:
      case 6:
        this.varint();
        return;
      case 7:
        this.at += 8;
        return;
      case 8:
        this.at += this.varint();
        return;
      case 9:
      case 10: {
        const head = this.u8();
        const size = head >> 4 === 15 ? this.varint() : head >> 4;
        for (let i = 0; i < size; i++) this.skip(head & 0x0f);
        return;
      }
      case 11: {
        const size = this.varint();
        if (size === 0) return;
        const types = this.u8();
        for (let i = 0; i < size; i++) {
          this.skip(types >> 4);
          this.skip(types & 0x0f);
        }
        return;
      }
      case 12:
        this.struct(() => false);
        return;
      default:
        throw new RangeError(`unknown thrift type ${type} in a page header`);
    }
  }
  /** Reads a struct; `field` consumes the fields it wants (returns true) and the rest are skipped. */
  struct(field: (id: number, type: number) => boolean): void {
    let last = 0;
    for (;;) {
      const head = this.u8();
      if (head === 0) return;
      const type = head & 0x0f;
      const id = head >> 4 === 0 ? this.zigzag() : last + (head >> 4);
      last = id;
      if (!field(id, type)) this.skip(type);
    }
  }
}

export interface PageCrcResult {
  pages: number;
  checked: number;
  /** The first page whose CRC does not match, if any. */
  mismatch: { column: string; offset: number } | undefined;
}

interface ChunkRange {
  column: string;
  start: number;
  end: number;
}

async function chunkRanges(connection: DuckDBConnection, file: string): Promise<ChunkRange[]> {
  const reader = await connection.runAndReadAll(
    `SELECT path_in_schema AS c, data_page_offset AS d, dictionary_page_offset AS dict, total_compressed_size AS n FROM parquet_metadata(${sqlPath(file)})`,
  );
  return reader.getRowObjectsJson().map((r) => {
    const data = Number(r.d);
    const dict = r.dict === null || r.dict === undefined ? undefined : Number(r.dict);
    const start = dict !== undefined && dict > 0 && dict < data ? dict : data;
    return { column: String(r.c), start, end: start + Number(r.n) };
  });
}

/** Walks every page of every column chunk and checks the CRCs present. */
export async function checkPageCrcs(connection: DuckDBConnection, file: string): Promise<PageCrcResult> {
  const bytes = await readFile(file);
  const result: PageCrcResult = { pages: 0, checked: 0, mismatch: undefined };
  for (const chunk of await chunkRanges(connection, file)) {
    let at = chunk.start;
    while (at < chunk.end) {
      const reader = new CompactReader(bytes, at);
      let size = -1;
      let crc: number | undefined;
      reader.struct((id, type) => {
        if (id === 3 && type === 5) size = reader.zigzag();
        else if (id === 4 && type === 5) crc = reader.zigzag();
        else return false;
        return true;
      });
      if (size < 0 || reader.at + size > bytes.length)
        throw new RangeError('a page runs past the end of the file');
      result.pages++;
      if (crc !== undefined) {
        result.checked++;
        if ((crc32(bytes.subarray(reader.at, reader.at + size)) | 0) !== crc && !result.mismatch) {
          result.mismatch = { column: chunk.column, offset: at };
        }
      }
      at = reader.at + size;
    }
  }
  return result;
}
