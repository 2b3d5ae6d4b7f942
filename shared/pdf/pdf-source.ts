/**
 * Random access to the bytes of a PDF, from memory or from an open file. The engine reads only the
 * parts it needs (trailer, xref, a handful of objects), so a 300 MB file costs little memory.
 */
import fs from 'node:fs';

export interface PdfSource {
  readonly size: number;
  /** Reads `length` bytes at `offset` (fewer at the end of the data). */
  read(offset: number, length: number): Buffer;
}

export class BufferSource implements PdfSource {
  constructor(readonly bytes: Buffer) {}
  get size(): number {
    return this.bytes.length;
  }
  read(offset: number, length: number): Buffer {
    return this.bytes.subarray(offset, Math.min(this.bytes.length, offset + length));
  }
}

export class FileSource implements PdfSource {
  readonly size: number;
  constructor(readonly fd: number) {
    this.size = fs.fstatSync(fd).size;
  }
  read(offset: number, length: number): Buffer {
    const len = Math.max(0, Math.min(length, this.size - offset));
    const buf = Buffer.allocUnsafe(len);
    let done = 0;
    while (done < len) {
      const n = fs.readSync(this.fd, buf, done, len - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return buf.subarray(0, done);
  }
}
