/**
 * The PDF object model used by the engine's reader and incremental writer [ISO 32000-1 §7.3].
 * Numbers are JS numbers, booleans and null are themselves; everything else is a small class so
 * that serialisation is exact and type checks are cheap.
 */
export class PdfName {
  constructor(readonly name: string) {}
}

/** A string's bytes after escape decoding; `hex` remembers the original form for faithful rewriting. */
export class PdfString {
  constructor(
    readonly bytes: Buffer,
    readonly hex = false,
  ) {}
  /** Text strings are PDFDocEncoding or UTF-16BE with a BOM [§7.9.2.2]. */
  text(): string {
    const b = this.bytes;
    if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return b.subarray(2).swap16().toString('utf16le');
    return b.toString('latin1');
  }
  static fromText(text: string): PdfString {
    // eslint-disable-next-line no-control-regex
    if (/^[\x20-\x7e]*$/.test(text)) return new PdfString(Buffer.from(text, 'latin1'));
    const utf16 = Buffer.from(text, 'utf16le').swap16();
    return new PdfString(Buffer.concat([Buffer.from([0xfe, 0xff]), utf16]), true);
  }
}

export class PdfRef {
  constructor(
    readonly num: number,
    readonly gen: number,
  ) {}
  get key(): string {
    return `${this.num} ${this.gen}`;
  }
}

export type PdfArray = PdfObject[];

export class PdfDict {
  readonly map: Map<string, PdfObject>;
  constructor(entries?: Iterable<[string, PdfObject]>) {
    this.map = new Map(entries);
  }
  get(key: string): PdfObject | undefined {
    return this.map.get(key);
  }
  set(key: string, value: PdfObject): this {
    this.map.set(key, value);
    return this;
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
  delete(key: string): void {
    this.map.delete(key);
  }
  clone(): PdfDict {
    return new PdfDict(this.map);
  }
}

/** A stream: its dictionary and the still-encoded bytes between `stream` and `endstream`. */
export class PdfStream {
  constructor(
    readonly dict: PdfDict,
    readonly data: Buffer,
  ) {}
}

/** Bytes written verbatim (used for the signature placeholder, whose offsets we must know). */
export class PdfRaw {
  constructor(readonly bytes: Buffer) {}
}

export type PdfObject =
  | null
  | boolean
  | number
  | PdfName
  | PdfString
  | PdfRef
  | PdfArray
  | PdfDict
  | PdfStream
  | PdfRaw;

export const name = (n: string): PdfName => new PdfName(n);

export function isName(o: PdfObject | undefined, n?: string): o is PdfName {
  return o instanceof PdfName && (n === undefined || o.name === n);
}

export function isDict(o: PdfObject | undefined): o is PdfDict {
  return o instanceof PdfDict;
}

export function isNumber(o: PdfObject | undefined): o is number {
  return typeof o === 'number';
}
