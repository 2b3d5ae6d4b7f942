/**
 * Reads the chain of cross-reference sections from `startxref` backwards through /Prev, for classic
 * tables, cross-reference streams and hybrid files (/XRefStm) [ISO 32000-1 §7.5.4, §7.5.8].
 */
import { AppError, ErrorCode } from '../errors.js';
import { PdfDict, type PdfObject } from './pdf-objects.js';
import { NeedMoreData, PdfParser } from './pdf-parser.js';
import type { PdfSource } from './pdf-source.js';
import { decodeStreamData } from './stream-filters.js';

export type XrefEntry =
  | { type: 'free' }
  | { type: 'offset'; offset: number; gen: number }
  | { type: 'compressed'; stream: number; index: number };

export interface XrefSection {
  /** Byte offset of the section (what startxref/Prev point at). */
  offset: number;
  kind: 'table' | 'stream';
  trailer: PdfDict;
  entries: Map<number, XrefEntry>;
  /** For xref streams: the stream's own object number. */
  streamObject?: number;
}

const damaged = (message: string): AppError => new AppError(ErrorCode.PDF_DAMAGED, message);

/** Finds the offset given by the last `startxref` before `end`. */
export function findStartXref(source: PdfSource, end = source.size): number {
  const tailLen = Math.min(end, 4096);
  const tail = source.read(end - tailLen, tailLen).toString('latin1');
  const at = tail.lastIndexOf('startxref');
  if (at < 0 || !/%%EOF/.test(tail.slice(at))) {
    throw damaged('The PDF has no startxref/%%EOF at its end: the file is truncated or damaged.');
  }
  const m = /^startxref\s+(\d+)/.exec(tail.slice(at));
  if (!m) throw damaged('The PDF has a startxref keyword without an offset: the file is damaged.');
  return Number(m[1]);
}

/** Parses an indirect object at `offset`, reading a growing window until it fits. */
export function parseObjectAt(source: PdfSource, offset: number, limit = source.size) {
  let window = 4096;
  for (;;) {
    const len = Math.min(window, limit - offset);
    const buf = source.read(offset, len);
    const parser = new PdfParser(buf, 0, offset + len >= limit);
    try {
      return parser.parseIndirect();
    } catch (e) {
      if (e instanceof NeedMoreData && offset + len < limit) {
        window *= 4;
        continue;
      }
      throw e;
    }
  }
}

function readTable(source: PdfSource, offset: number, limit: number): XrefSection {
  let window = 64 * 1024;
  for (;;) {
    const len = Math.min(window, limit - offset);
    const text = source.read(offset, len).toString('latin1');
    const trailerAt = text.indexOf('trailer');
    if (trailerAt < 0) {
      if (offset + len >= limit) throw damaged(`The cross-reference table at byte ${offset} has no trailer.`);
      window *= 4;
      continue;
    }
    const entries = new Map<number, XrefEntry>();
    const body = text.slice(4, trailerAt);
    const tokens = body.split(/\s+/).filter((t) => t.length > 0);
    let i = 0;
    while (i < tokens.length) {
      const start = Number(tokens[i]);
      const count = Number(tokens[i + 1]);
      if (!Number.isInteger(start) || !Number.isInteger(count)) throw damaged(`Bad xref subsection at ${offset}.`);
      i += 2;
      for (let k = 0; k < count; k++, i += 3) {
        const off = Number(tokens[i]);
        const gen = Number(tokens[i + 1]);
        const kind = tokens[i + 2];
        if (kind !== 'n' && kind !== 'f') throw damaged(`Bad xref entry in the table at byte ${offset}.`);
        if (!entries.has(start + k)) {
          entries.set(start + k, kind === 'n' ? { type: 'offset', offset: off, gen } : { type: 'free' });
        }
      }
    }
    const trailer = readTrailer(source, offset + trailerAt + 7, limit, offset);
    return { offset, kind: 'table', trailer, entries };
  }
}

/**
 * The trailer dictionary at `start`, read in a growing window: in a linearized file the newest table is near the
 * start, and reading from there to the end would load the whole document.
 */
function readTrailer(source: PdfSource, start: number, limit: number, tableOffset: number): PdfDict {
  for (let window = 4096; ; window *= 4) {
    const len = Math.min(window, limit - start);
    let trailer: PdfObject;
    try {
      trailer = new PdfParser(source.read(start, len), 0, start + len >= limit).parseValue();
    } catch (e) {
      if (e instanceof NeedMoreData && start + len < limit) continue;
      throw damaged(`The trailer after the cross-reference table at byte ${tableOffset} is damaged.`);
    }
    if (!(trailer instanceof PdfDict)) throw damaged(`The trailer at byte ${tableOffset} is not a dictionary.`);
    return trailer;
  }
}

function readStreamSection(source: PdfSource, offset: number, limit: number): XrefSection {
  const parsed = parseObjectAt(source, offset, limit);
  const dict = parsed.value;
  if (!(dict instanceof PdfDict) || parsed.streamDataStart === undefined) {
    throw damaged(`startxref/Prev points at object ${parsed.num} (byte ${offset}), which is not an xref stream.`);
  }
  const length = dict.get('Length');
  if (typeof length !== 'number') throw damaged(`The xref stream at byte ${offset} has no direct /Length.`);
  const data = decodeStreamData(dict, source.read(offset + parsed.streamDataStart, length));
  const w = dict.get('W');
  if (!Array.isArray(w) || w.length !== 3) throw damaged(`The xref stream at byte ${offset} has no valid /W.`);
  const [w0, w1, w2] = w.map(Number) as [number, number, number];
  const size = Number(dict.get('Size'));
  const index = (dict.get('Index') as PdfObject[] | undefined)?.map(Number) ?? [0, size];
  const entries = new Map<number, XrefEntry>();
  const rowLen = w0 + w1 + w2;
  const field = (pos: number, width: number, dflt: number): number => {
    if (width === 0) return dflt;
    let v = 0;
    for (let i = 0; i < width; i++) v = v * 256 + data[pos + i]!;
    return v;
  };
  let row = 0;
  for (let s = 0; s < index.length; s += 2) {
    const first = index[s]!;
    const count = index[s + 1]!;
    for (let k = 0; k < count; k++, row++) {
      const pos = row * rowLen;
      if (pos + rowLen > data.length) throw damaged(`The xref stream at byte ${offset} is shorter than its /Index.`);
      const type = field(pos, w0, 1);
      const a = field(pos + w0, w1, 0);
      const b = field(pos + w0 + w1, w2, 0);
      const entry: XrefEntry =
        type === 1
          ? { type: 'offset', offset: a, gen: b }
          : type === 2
            ? { type: 'compressed', stream: a, index: b }
            : { type: 'free' };
      entries.set(first + k, entry);
    }
  }
  return { offset, kind: 'stream', trailer: dict, entries, streamObject: parsed.num };
}

function readSection(source: PdfSource, offset: number, limit: number): XrefSection {
  if (!Number.isInteger(offset) || offset < 0 || offset >= limit) {
    throw damaged(`The cross-reference offset ${offset} lies outside the file (size ${limit}): wrong startxref.`);
  }
  const head = source.read(offset, 32).toString('latin1');
  if (head.startsWith('xref')) return readTable(source, offset, limit);
  if (/^\d+\s+\d+\s+obj/.test(head)) return readStreamSection(source, offset, limit);
  throw damaged(`startxref points to byte ${offset}, where there is no cross-reference section: wrong startxref.`);
}

/** Reads all sections, newest first. `limit` restricts reading to an earlier revision. */
export function readXrefChain(source: PdfSource, startxref: number, limit = source.size): XrefSection[] {
  const sections: XrefSection[] = [];
  const seen = new Set<number>();
  let next: number | undefined = startxref;
  while (next !== undefined) {
    if (seen.has(next)) throw damaged(`The cross-reference chain loops at byte ${next}.`);
    seen.add(next);
    let section: XrefSection;
    try {
      section = readSection(source, next, limit);
    } catch (e) {
      if (e instanceof AppError) throw e;
      throw damaged(`The cross-reference section at byte ${next} cannot be read (${(e as Error).message}).`);
    }
    const xrefStm = section.kind === 'table' ? section.trailer.get('XRefStm') : undefined;
    if (typeof xrefStm === 'number') {
      // Hybrid file: the stream's entries fill in objects the table lists as free [§7.5.8.4].
      const hybrid = readStreamSection(source, xrefStm, limit);
      for (const [num, entry] of hybrid.entries) {
        const current = section.entries.get(num);
        if (!current || current.type === 'free') section.entries.set(num, entry);
      }
    }
    sections.push(section);
    const prev = section.trailer.get('Prev');
    next = typeof prev === 'number' ? prev : undefined;
  }
  return sections;
}
