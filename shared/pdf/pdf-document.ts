/**
 * A read-only, lazy view of a PDF revision: the merged cross-reference data, the trailer, and objects
 * loaded on demand (including those inside object streams). Nothing else of the file is read.
 */
import { AppError, ErrorCode } from '../errors.js';
import { PdfDict, type PdfObject, PdfRef, PdfStream } from './pdf-objects.js';
import { PdfParser } from './pdf-parser.js';
import type { PdfSource } from './pdf-source.js';
import { decodeStreamData } from './stream-filters.js';
import { findStartXref, parseObjectAt, readXrefChain, type XrefEntry, type XrefSection } from './xref-reader.js';

const damaged = (message: string): AppError => new AppError(ErrorCode.PDF_DAMAGED, message);

export class PdfDocument {
  /** Newest section first. */
  readonly sections: XrefSection[];
  readonly xref = new Map<number, XrefEntry>();
  /** The next free object number: max(/Size of every section, largest object number + 1). */
  readonly size: number;
  readonly root: PdfRef;
  readonly info: PdfRef | undefined;
  readonly id: PdfObject | undefined;
  private readonly cache = new Map<number, PdfObject>();
  private readonly objStmCache = new Map<number, { offsets: number[]; data: Buffer; first: number }>();

  private constructor(
    readonly source: PdfSource,
    readonly startxref: number,
    /** Where this revision ends (the whole file, or an earlier revision's end). */
    readonly end: number,
  ) {
    this.sections = readXrefChain(source, startxref, end);
    let size = 0;
    for (const section of this.sections) {
      size = Math.max(size, Number(section.trailer.get('Size') ?? 0));
      for (const [num, entry] of section.entries) {
        if (!this.xref.has(num)) this.xref.set(num, entry);
        size = Math.max(size, num + 1);
      }
    }
    this.size = size;
    const trailerValue = (key: string): PdfObject | undefined => {
      for (const s of this.sections) if (s.trailer.has(key)) return s.trailer.get(key);
      return undefined;
    };
    if (trailerValue('Encrypt') !== undefined) {
      throw new AppError(
        ErrorCode.PDF_ENCRYPTED,
        'The PDF is encrypted (password-protected). Remove the protection (e.g. qpdf --decrypt) and sign the unprotected copy.',
      );
    }
    const root = trailerValue('Root');
    if (!(root instanceof PdfRef)) throw damaged('The PDF trailer has no /Root (document catalog).');
    this.root = root;
    const info = trailerValue('Info');
    this.info = info instanceof PdfRef ? info : undefined;
    this.id = trailerValue('ID');
  }

  /** Opens the newest revision, or the revision that ends at `end`. */
  static open(source: PdfSource, end = source.size): PdfDocument {
    if (source.size === 0) throw new AppError(ErrorCode.PDF_EMPTY, 'The file is empty (0 bytes); it is not a PDF.');
    const head = source.read(0, 1024).toString('latin1');
    if (!head.includes('%PDF-')) {
      throw new AppError(ErrorCode.PDF_NOT_PDF, 'The file is not a PDF (no %PDF- header).');
    }
    return new PdfDocument(source, findStartXref(source, end), end);
  }

  get lastSection(): XrefSection {
    return this.sections[0]!;
  }

  /** Loads object `num` (any generation) from the file or its object stream. */
  getObject(num: number): PdfObject {
    if (this.cache.has(num)) return this.cache.get(num)!;
    const entry = this.xref.get(num);
    let value: PdfObject = null;
    if (entry?.type === 'offset') value = this.loadAt(num, entry.offset);
    else if (entry?.type === 'compressed') value = this.loadCompressed(num, entry.stream, entry.index);
    this.cache.set(num, value);
    return value;
  }

  private loadAt(num: number, offset: number): PdfObject {
    let parsed: ReturnType<typeof parseObjectAt>;
    try {
      parsed = parseObjectAt(this.source, offset, this.end);
    } catch (e) {
      throw damaged(
        `The cross-reference data is damaged: object ${num} cannot be read at byte ${offset} (${(e as Error).message}).`,
      );
    }
    if (parsed.num !== num) {
      throw damaged(`The cross-reference data is damaged: byte ${offset} holds object ${parsed.num}, not ${num}.`);
    }
    if (parsed.streamDataStart === undefined) return parsed.value;
    const dict = parsed.value as PdfDict;
    const start = offset + parsed.streamDataStart;
    let length = this.resolve(dict.get('Length'));
    if (typeof length !== 'number' || !this.endstreamAt(start + length)) {
      length = this.findEndstream(start) - start;
    }
    return new PdfStream(dict, this.source.read(start, length));
  }

  private endstreamAt(pos: number): boolean {
    const s = this.source.read(pos, 12).toString('latin1');
    return /^\s*endstream/.test(s);
  }

  private findEndstream(start: number): number {
    for (let pos = start, step = 64 * 1024; pos < this.end; pos += step - 16) {
      const chunk = this.source.read(pos, step).toString('latin1');
      const at = chunk.indexOf('endstream');
      if (at >= 0) {
        let end = pos + at;
        const before = this.source.read(end - 2, 2).toString('latin1');
        if (before === '\r\n') end -= 2;
        else if (before.endsWith('\n') || before.endsWith('\r')) end -= 1;
        return end;
      }
    }
    throw damaged(`A stream starting at byte ${start} has no endstream.`);
  }

  private loadCompressed(num: number, streamNum: number, index: number): PdfObject {
    let objStm = this.objStmCache.get(streamNum);
    if (!objStm) {
      const stream = this.getObject(streamNum);
      if (!(stream instanceof PdfStream)) throw damaged(`Object stream ${streamNum} (holding ${num}) is missing.`);
      const data = decodeStreamData(stream.dict, stream.data);
      const n = Number(stream.dict.get('N'));
      const first = Number(stream.dict.get('First'));
      const header = new PdfParser(data.subarray(0, first), 0, true);
      const offsets: number[] = [];
      for (let i = 0; i < n; i++) {
        header.parseValue();
        offsets.push(Number(header.parseValue()));
      }
      objStm = { offsets, data, first };
      this.objStmCache.set(streamNum, objStm);
    }
    const off = objStm.offsets[index];
    if (off === undefined) throw damaged(`Object ${num} is not in object stream ${streamNum}.`);
    return new PdfParser(objStm.data, objStm.first + off, true).parseValue();
  }

  /** Follows references until a direct object (null for dangling references). */
  resolve(obj: PdfObject | undefined): PdfObject | undefined {
    let current = obj;
    for (let hops = 0; current instanceof PdfRef; hops++) {
      if (hops > 32) throw damaged('A chain of object references loops.');
      current = this.getObject(current.num);
    }
    return current;
  }

  resolveDict(obj: PdfObject | undefined): PdfDict | undefined {
    const value = this.resolve(obj);
    if (value instanceof PdfDict) return value;
    if (value instanceof PdfStream) return value.dict;
    return undefined;
  }

  catalog(): PdfDict {
    const catalog = this.resolveDict(this.root);
    if (!catalog) throw damaged(`The document catalog (object ${this.root.num}) cannot be read.`);
    return catalog;
  }

  /** The decoded data of a stream. */
  streamData(stream: PdfStream): Buffer {
    return decodeStreamData(stream.dict, stream.data);
  }
}
