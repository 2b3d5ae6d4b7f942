/**
 * Random access to the bytes of a PDF, from memory or from an open file. The engine reads only the
 * parts it needs (trailer, xref, a handful of objects), so a 300 MB file costs little memory.
 */
import fs from 'node:fs';
import { AppError, ErrorCode } from '../errors.js';

export interface PdfSource {
  readonly size: number;
  /** Reads `length` bytes at `offset` (fewer at the end of the data). */
  read(offset: number, length: number): Buffer;
  /**
   * Visits all bytes in order, in chunks. A chunk is valid only during its call: a file is read into one
   * reused buffer, so a pass over a large file allocates nothing per chunk.
   */
  scan(visit: (chunk: Buffer, offset: number) => void): void;
}

/** Chunk of a scan: large enough for few system calls, small enough to stay in the CPU cache while hashed. */
const SCAN_CHUNK = 1024 * 1024;

export class BufferSource implements PdfSource {
  constructor(readonly bytes: Buffer) {}
  get size(): number {
    return this.bytes.length;
  }
  read(offset: number, length: number): Buffer {
    return this.bytes.subarray(offset, Math.min(this.bytes.length, offset + length));
  }
  scan(visit: (chunk: Buffer, offset: number) => void): void {
    for (let offset = 0; offset < this.bytes.length; offset += SCAN_CHUNK) {
      visit(this.read(offset, SCAN_CHUNK), offset);
    }
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
  scan(visit: (chunk: Buffer, offset: number) => void): void {
    const buf = Buffer.allocUnsafe(Math.min(SCAN_CHUNK, this.size));
    for (let offset = 0; offset < this.size; ) {
      const n = fs.readSync(this.fd, buf, 0, Math.min(buf.length, this.size - offset), offset);
      if (n === 0) {
        const why = `The file ended at byte ${offset} of ${this.size}: it was changed while it was read`;
        throw new AppError(ErrorCode.FILE_IO, why);
      }
      visit(buf.subarray(0, n), offset);
      offset += n;
    }
  }
}
