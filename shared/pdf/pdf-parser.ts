/**
 * A tokenizer and object parser for PDF syntax [ISO 32000-1 §7.2–7.3]. It works on a Buffer window;
 * when an object runs past the window's end it throws `NeedMoreData`, so callers that read from a file
 * can retry with a larger window instead of loading the whole document.
 */
import { PdfDict, PdfName, type PdfObject, PdfRef, PdfString } from './pdf-objects.js';

export class NeedMoreData extends Error {
  constructor() {
    super('PDF object extends past the end of the data read');
  }
}

export class PdfSyntaxError extends Error {}

const WS = new Uint8Array(256);
for (const c of [0, 9, 10, 12, 13, 32]) WS[c] = 1;
const DELIM = new Uint8Array(256);
for (const c of '()<>[]{}/%') DELIM[c.charCodeAt(0)] = 1;

/** The value of an indirect object; a stream's data is left in the file (offset returned). */
export interface ParsedIndirect {
  num: number;
  gen: number;
  value: PdfObject;
  /** For streams: absolute offset of the first data byte (relative to the window base + `base`). */
  streamDataStart?: number;
  end: number;
}

export class PdfParser {
  pos: number;
  constructor(
    readonly buf: Buffer,
    pos = 0,
    /** True when the buffer ends where the file ends: then running out is a syntax error. */
    readonly atEof = false,
  ) {
    this.pos = pos;
  }

  private more(): never {
    if (this.atEof) throw new PdfSyntaxError('unexpected end of file');
    throw new NeedMoreData();
  }

  skipWhitespace(): void {
    const b = this.buf;
    for (;;) {
      while (this.pos < b.length && WS[b[this.pos]!]) this.pos++;
      if (this.pos < b.length && b[this.pos] === 0x25 /* % */) {
        while (this.pos < b.length && b[this.pos] !== 10 && b[this.pos] !== 13) this.pos++;
        continue;
      }
      return;
    }
  }

  /** Reads a bare token (keyword or number) without consuming delimiters. */
  private word(): string {
    const b = this.buf;
    const start = this.pos;
    while (this.pos < b.length && !WS[b[this.pos]!] && !DELIM[b[this.pos]!]) this.pos++;
    if (this.pos >= b.length && !this.atEof) this.more();
    return b.toString('latin1', start, this.pos);
  }

  /** Peeks whether the next token is the given keyword (after whitespace). */
  peekKeyword(keyword: string): boolean {
    const save = this.pos;
    this.skipWhitespace();
    const ok = this.buf.toString('latin1', this.pos, this.pos + keyword.length) === keyword;
    const after = this.buf[this.pos + keyword.length];
    this.pos = save;
    return ok && (after === undefined || WS[after] === 1 || DELIM[after] === 1);
  }

  expectKeyword(keyword: string): void {
    this.skipWhitespace();
    if (this.pos >= this.buf.length) this.more();
    const w = this.word();
    if (w !== keyword) throw new PdfSyntaxError(`expected '${keyword}' but found '${w.slice(0, 20)}'`);
  }

  parseValue(): PdfObject {
    this.skipWhitespace();
    const b = this.buf;
    if (this.pos >= b.length) this.more();
    const c = b[this.pos]!;
    if (c === 0x2f /* / */) return this.parseName();
    if (c === 0x28 /* ( */) return this.parseLiteralString();
    if (c === 0x3c /* < */) {
      if (this.pos + 1 >= b.length) this.more();
      if (b[this.pos + 1] === 0x3c) return this.parseDict();
      return this.parseHexString();
    }
    if (c === 0x5b /* [ */) return this.parseArray();
    if (DELIM[c]) throw new PdfSyntaxError(`unexpected '${String.fromCharCode(c)}' at ${this.pos}`);
    const w = this.word();
    if (w === 'true') return true;
    if (w === 'false') return false;
    if (w === 'null') return null;
    const n = Number(w);
    if (w === '' || Number.isNaN(n)) throw new PdfSyntaxError(`unexpected token '${w.slice(0, 20)}'`);
    // An integer may start `num gen R`.
    if (/^\d+$/.test(w)) {
      const save = this.pos;
      try {
        this.skipWhitespace();
        const w2 = this.word();
        if (/^\d+$/.test(w2)) {
          this.skipWhitespace();
          if (this.buf[this.pos] === 0x52 /* R */) {
            const after = this.buf[this.pos + 1];
            if (after === undefined && !this.atEof) this.more();
            if (after === undefined || WS[after] || DELIM[after]) {
              this.pos++;
              return new PdfRef(n, Number(w2));
            }
          }
        }
      } catch (e) {
        if (e instanceof NeedMoreData) throw e;
      }
      this.pos = save;
    }
    return n;
  }

  private parseName(): PdfName {
    const b = this.buf;
    this.pos++;
    const start = this.pos;
    while (this.pos < b.length && !WS[b[this.pos]!] && !DELIM[b[this.pos]!]) this.pos++;
    if (this.pos >= b.length && !this.atEof) this.more();
    const raw = b.toString('latin1', start, this.pos);
    const decoded = raw.includes('#')
      ? raw.replace(/#([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)))
      : raw;
    return new PdfName(decoded);
  }

  private parseLiteralString(): PdfString {
    const b = this.buf;
    this.pos++;
    const out: number[] = [];
    let depth = 1;
    for (;;) {
      if (this.pos >= b.length) this.more();
      const c = b[this.pos++]!;
      if (c === 0x5c /* \ */) {
        if (this.pos >= b.length) this.more();
        const e = b[this.pos++]!;
        const simple: Record<number, number> = { 110: 10, 114: 13, 116: 9, 98: 8, 102: 12, 40: 40, 41: 41, 92: 92 };
        if (simple[e] !== undefined) out.push(simple[e]);
        else if (e >= 0x30 && e <= 0x37) {
          let v = e - 0x30;
          for (let i = 0; i < 2 && this.pos < b.length && b[this.pos]! >= 0x30 && b[this.pos]! <= 0x37; i++) {
            v = v * 8 + (b[this.pos++]! - 0x30);
          }
          out.push(v & 0xff);
        } else if (e === 13) {
          if (b[this.pos] === 10) this.pos++;
        } else if (e !== 10) out.push(e);
      } else if (c === 0x28) {
        depth++;
        out.push(c);
      } else if (c === 0x29) {
        if (--depth === 0) break;
        out.push(c);
      } else out.push(c);
    }
    return new PdfString(Buffer.from(out));
  }

  private parseHexString(): PdfString {
    const b = this.buf;
    const end = b.indexOf(0x3e /* > */, this.pos);
    if (end < 0) this.more();
    const hex = b.toString('latin1', this.pos + 1, end).replace(/[^0-9a-fA-F]/g, '');
    this.pos = end + 1;
    return new PdfString(Buffer.from(hex.length % 2 ? `${hex}0` : hex, 'hex'), true);
  }

  private parseArray(): PdfObject[] {
    this.pos++;
    const out: PdfObject[] = [];
    for (;;) {
      this.skipWhitespace();
      if (this.pos >= this.buf.length) this.more();
      if (this.buf[this.pos] === 0x5d /* ] */) {
        this.pos++;
        return out;
      }
      out.push(this.parseValue());
    }
  }

  private parseDict(): PdfDict {
    this.pos += 2;
    const dict = new PdfDict();
    for (;;) {
      this.skipWhitespace();
      if (this.pos + 1 >= this.buf.length) this.more();
      if (this.buf[this.pos] === 0x3e && this.buf[this.pos + 1] === 0x3e) {
        this.pos += 2;
        return dict;
      }
      const key = this.parseValue();
      if (!(key instanceof PdfName)) throw new PdfSyntaxError(`dictionary key is not a name at ${this.pos}`);
      dict.set(key.name, this.parseValue());
    }
  }

  /** Parses `num gen obj value [stream] ... ` at the current position. */
  parseIndirect(): ParsedIndirect {
    this.skipWhitespace();
    const num = this.parseValue();
    const gen = this.parseValue();
    if (typeof num !== 'number' || typeof gen !== 'number') throw new PdfSyntaxError('expected an object header');
    this.expectKeyword('obj');
    const value = this.parseValue();
    if (value instanceof PdfDict && this.peekKeyword('stream')) {
      this.skipWhitespace();
      this.pos += 6;
      // The keyword is followed by CRLF or LF [§7.3.8.1]; tolerate a lone CR.
      if (this.buf[this.pos] === 13) this.pos++;
      if (this.buf[this.pos] === 10) this.pos++;
      return { num, gen, value, streamDataStart: this.pos, end: this.pos };
    }
    return { num, gen, value, end: this.pos };
  }
}
