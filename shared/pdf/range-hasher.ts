/**
 * SHA-256 over byte ranges of a document that is read once, chunk by chunk: the new signature's
 * ranges and the ranges of every existing signature are hashed in the same pass as the copy.
 */
import crypto from 'node:crypto';

export class RangeHasher {
  private readonly hash = crypto.createHash('sha256');
  /** Half-open [start, end) intervals in document offsets. */
  readonly ranges: [number, number][];

  constructor(byteRange: number[]) {
    this.ranges = [];
    for (let i = 0; i + 1 < byteRange.length; i += 2) {
      this.ranges.push([byteRange[i]!, byteRange[i]! + byteRange[i + 1]!]);
    }
  }

  /** Feeds the part of `chunk` (which starts at document offset `offset`) that lies in the ranges. */
  update(chunk: Buffer, offset: number): void {
    const end = offset + chunk.length;
    for (const [a, b] of this.ranges) {
      const from = Math.max(a, offset);
      const to = Math.min(b, end);
      if (from < to) this.hash.update(chunk.subarray(from - offset, to - offset));
    }
  }

  /** The furthest offset the ranges reach (to check they lie inside the document). */
  get reach(): number {
    return Math.max(0, ...this.ranges.map(([, b]) => b));
  }

  digest(): Buffer {
    return this.hash.digest();
  }
}
