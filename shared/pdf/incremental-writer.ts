/**
 * Writes one incremental update [ISO 32000-1 §7.5.6]: only new and changed objects, then a
 * cross-reference section in the same style as the previous one (table or stream) with /Prev, /Size,
 * /Root, /Info and /ID (ID[0] kept) carried over. The input bytes are never touched: the update is
 * appended to them.
 */
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import type { PdfDocument } from './pdf-document.js';
import { name, PdfDict, type PdfObject, PdfRef, PdfStream, PdfString } from './pdf-objects.js';
import { serialize } from './pdf-serialize.js';

export interface BuiltIncrement {
  /** The bytes to append to the input (including a leading EOL when the input lacks one). */
  bytes: Buffer;
  /** Offset of each written object within `bytes`. */
  objectOffsets: Map<number, number>;
}

export class IncrementalUpdate {
  private readonly objects = new Map<number, { ref: PdfRef; value: PdfObject }>();
  private next: number;

  constructor(readonly doc: PdfDocument) {
    this.next = doc.size;
  }

  /** A reference for a new object, numbered from the previous /Size. */
  allocate(): PdfRef {
    return new PdfRef(this.next++, 0);
  }

  /** The reference under which an existing object `num` is rewritten (same number and generation). */
  existingRef(num: number): PdfRef {
    const entry = this.doc.xref.get(num);
    return new PdfRef(num, entry?.type === 'offset' ? entry.gen : 0);
  }

  set(ref: PdfRef, value: PdfObject): void {
    this.objects.set(ref.num, { ref, value });
  }

  /** Builds the update for an input of `inputSize` bytes whose last byte is `lastByte`. */
  build(inputSize: number, lastByte: number): BuiltIncrement {
    const parts: Buffer[] = [];
    let length = 0;
    const push = (b: Buffer | string): void => {
      const buf = typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
      parts.push(buf);
      length += buf.length;
    };
    if (lastByte !== 0x0a && lastByte !== 0x0d) push('\n');
    const objectOffsets = new Map<number, number>();
    const sorted = [...this.objects.values()].sort((a, b) => a.ref.num - b.ref.num);
    for (const { ref, value } of sorted) {
      objectOffsets.set(ref.num, length);
      push(`${ref.num} ${ref.gen} obj\n`);
      push(serialize(value));
      push('\nendobj\n');
    }
    const trailer = this.trailerDict();
    if (this.doc.lastSection.kind === 'stream') {
      const xrefRef = this.allocate();
      objectOffsets.set(xrefRef.num, length);
      const stream = this.xrefStream(xrefRef, sorted, objectOffsets, inputSize, length, trailer);
      push(`${xrefRef.num} 0 obj\n`);
      push(serialize(stream));
      push('\nendobj\n');
      push(`startxref\n${inputSize + objectOffsets.get(xrefRef.num)!}\n%%EOF\n`);
    } else {
      const xrefAt = inputSize + length;
      push(this.xrefTable(sorted, objectOffsets, inputSize));
      trailer.set('Size', this.next);
      push('trailer\n');
      push(serialize(trailer));
      push(`\nstartxref\n${xrefAt}\n%%EOF\n`);
    }
    return { bytes: Buffer.concat(parts), objectOffsets };
  }

  private trailerDict(): PdfDict {
    const trailer = new PdfDict();
    trailer.set('Size', this.next);
    trailer.set('Root', this.doc.root);
    if (this.doc.info) trailer.set('Info', this.doc.info);
    const fresh = new PdfString(crypto.randomBytes(16), true);
    const oldId = this.doc.id;
    const first = Array.isArray(oldId) && oldId[0] instanceof PdfString ? oldId[0] : fresh;
    trailer.set('ID', [first, fresh]);
    trailer.set('Prev', this.doc.startxref);
    return trailer;
  }

  /** Consecutive runs of object numbers, for subsections / the /Index array. */
  private static runs(nums: number[]): [number, number][] {
    const runs: [number, number][] = [];
    for (const n of nums) {
      const last = runs[runs.length - 1];
      if (last && last[0] + last[1] === n) last[1]++;
      else runs.push([n, 1]);
    }
    return runs;
  }

  private xrefTable(sorted: { ref: PdfRef }[], offsets: Map<number, number>, base: number): string {
    const byNum = new Map(sorted.map((o) => [o.ref.num, o.ref]));
    let out = 'xref\n';
    for (const [first, count] of IncrementalUpdate.runs(sorted.map((o) => o.ref.num))) {
      out += `${first} ${count}\n`;
      for (let n = first; n < first + count; n++) {
        const off = String(base + offsets.get(n)!).padStart(10, '0');
        out += `${off} ${String(byNum.get(n)!.gen).padStart(5, '0')} n\r\n`;
      }
    }
    return out;
  }

  private xrefStream(
    self: PdfRef,
    sorted: { ref: PdfRef }[],
    offsets: Map<number, number>,
    base: number,
    selfOffset: number,
    trailer: PdfDict,
  ): PdfStream {
    const refs = [...sorted.map((o) => o.ref), self];
    const maxOffset = base + selfOffset;
    const w1 = Math.max(4, Math.ceil(Math.log2(maxOffset + 1) / 8));
    const rows = Buffer.alloc(refs.length * (1 + w1 + 2));
    refs.forEach((ref, i) => {
      const row = i * (1 + w1 + 2);
      rows[row] = 1;
      rows.writeUIntBE(base + offsets.get(ref.num)!, row + 1, w1);
      rows.writeUInt16BE(ref.gen, row + 1 + w1);
    });
    const dict = trailer;
    dict.set('Type', name('XRef'));
    dict.set('Size', this.next);
    dict.set('Index', IncrementalUpdate.runs(refs.map((r) => r.num)).flat());
    dict.set('W', [1, w1, 2]);
    dict.set('Filter', name('FlateDecode'));
    return new PdfStream(dict, zlib.deflateSync(rows));
  }
}
