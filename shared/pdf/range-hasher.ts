/**
 * A hash (SHA-256 unless another is given) over byte ranges of a document that is read once, chunk by chunk:
 * the new signature's ranges and the ranges of every existing signature (each with its own signer's digest
 * algorithm) are hashed in the same pass as the copy.
 */
import crypto from 'node:crypto';

export class RangeHasher {
  /** Half-open [start, end) intervals in document offsets. */
  readonly ranges: [number, number][];

  /**
   * `hash` may already hold the bytes [0, `fedUpTo`) of the document (a copy of a hash over a prefix that lies
   * inside the first range); feeding continues from there.
   */
  constructor(
    byteRange: number[],
    private readonly hash: crypto.Hash = crypto.createHash('sha256'),
    private readonly fedUpTo = 0,
  ) {
    this.ranges = [];
    for (let i = 0; i + 1 < byteRange.length; i += 2) {
      this.ranges.push([byteRange[i]!, byteRange[i]! + byteRange[i + 1]!]);
    }
    const first = this.ranges[0];
    const covered = first !== undefined && first[0] === 0 && first[1] >= fedUpTo;
    if (fedUpTo > 0 && !covered) {
      throw new Error('a pre-fed hash must cover a prefix of the first range');
    }
  }

  /** Feeds the part of `chunk` (which starts at document offset `offset`) that lies in the ranges. */
  update(chunk: Buffer, offset: number): void {
    const end = offset + chunk.length;
    for (const [a, b] of this.ranges) {
      const from = Math.max(a, offset, this.fedUpTo);
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
