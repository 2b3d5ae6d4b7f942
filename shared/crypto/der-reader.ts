/**
 * A small, zero-copy DER reader [X.690 §8, §10]. `readDer` parses one element header and hands back views
 * (`subarray`) into the caller's buffer; children are parsed only when asked for. Every read is bounds-checked
 * against the enclosing element, and each step consumes at least two bytes, so malformed input ends in a
 * `DerError` and never in an endless loop.
 */

/** Thrown for malformed or unexpected ASN.1; callers turn it into an `AppError` with their own code. */
export class DerError extends Error {
  /** Byte offset (in the buffer given to `readDer`) where the problem was found. */
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`${message} (at byte ${offset})`);
    this.name = 'DerError';
    this.offset = offset;
  }
}

/** Options of `readDer`. */
export interface ReadOptions {
  /**
   * Also accept BER forms that other signing products emit in CMS: indefinite lengths (constructed elements
   * only) and non-minimal length octets.
   * @default false
   */
  ber?: boolean;
}

/** Nesting bound for indefinite-length scanning, which is the only recursive part of the reader. */
const MAX_DEPTH = 64;

/** One parsed element: its header, and where its content lies in `input` (nothing is copied). */
export class DerElement {
  constructor(
    /** The buffer given to `readDer` (shared, not copied). */
    readonly input: Buffer,
    /** Offset of the identifier octet. */
    readonly start: number,
    /** The first identifier octet: class bits, constructed bit and (for tag numbers < 31) the number. */
    readonly tag: number,
    /** The tag number, also for the multi-byte form. */
    readonly tagNumber: number,
    readonly constructed: boolean,
    /** Bytes of identifier and length octets. */
    readonly headerLength: number,
    readonly contentStart: number,
    readonly contentEnd: number,
    /** Offset after the element (after the end-of-contents octets for an indefinite length). */
    readonly end: number,
    private readonly options: ReadOptions,
    private readonly depth: number,
  ) {}

  /** The content octets (a view). */
  get content(): Buffer {
    return this.input.subarray(this.contentStart, this.contentEnd);
  }

  /** The whole element, header included (a view). */
  get encoded(): Buffer {
    return this.input.subarray(this.start, this.end);
  }

  /** The class of the tag: 0 universal, 1 application, 2 context-specific, 3 private. */
  get tagClass(): number {
    return this.tag >> 6;
  }

  /** Parses the content of a constructed element into its elements. */
  children(): DerElement[] {
    if (!this.constructed)
      throw new DerError(`Element with tag ${hexTag(this.tag)} is primitive, not constructed`, this.start);
    const out: DerElement[] = [];
    for (let pos = this.contentStart; pos < this.contentEnd; ) {
      const child = readAt(this.input, pos, this.contentEnd, this.options, this.depth + 1);
      out.push(child);
      pos = child.end;
    }
    return out;
  }
}

/**
 * Reads the element that starts at `offset`. Bytes after it are ignored (a PDF /Contents value is padded with
 * zeros after the CMS); compare `element.end` with the buffer length when trailing data is an error.
 */
export function readDer(input: Buffer, offset = 0, options: ReadOptions = {}): DerElement {
  if (!Number.isInteger(offset) || offset < 0) throw new DerError('Offset must be a non-negative integer', offset);
  return readAt(input, offset, input.length, options, 0);
}

function readAt(input: Buffer, start: number, limit: number, options: ReadOptions, depth: number): DerElement {
  if (start >= limit) throw new DerError('Unexpected end of data where a tag was expected', start);
  const tag = input[start]!;
  if (tag === 0) throw new DerError('Unexpected end-of-contents octets', start);
  const constructed = (tag & 0x20) !== 0;
  let pos = start + 1;
  let tagNumber = tag & 0x1f;
  if (tagNumber === 0x1f) {
    // High tag number form [X.690 §8.1.2.4]: base-128 digits, bounded so the number stays a safe integer.
    tagNumber = 0;
    for (let digits = 0; ; digits++) {
      if (pos >= limit) throw new DerError('Truncated tag number', start);
      if (digits === 4) throw new DerError('Tag number too large', start);
      const b = input[pos++]!;
      tagNumber = tagNumber * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }
  if (pos >= limit) throw new DerError(`Truncated element with tag ${hexTag(tag)}: no length octets`, start);
  const first = input[pos++]!;
  let length: number | undefined;
  if (first < 0x80) {
    length = first;
  } else if (first === 0x80) {
    if (!options.ber) throw new DerError('Indefinite length is not allowed in DER', start);
    if (!constructed) throw new DerError('Indefinite length on a primitive element', start);
  } else {
    const count = first & 0x7f;
    if (count > 4) throw new DerError(`Length with ${count} length octets is not supported`, start);
    if (pos + count > limit) throw new DerError('Truncated length octets', start);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + input[pos++]!;
    // DER demands the shortest form [X.690 §10.1].
    if (!options.ber && (length < 0x80 || input[pos - count] === 0)) {
      throw new DerError('Non-minimal length encoding is not allowed in DER', start);
    }
  }
  const headerLength = pos - start;
  if (length !== undefined) {
    if (length > limit - pos) {
      throw new DerError(
        `Element with tag ${hexTag(tag)} claims ${length} bytes but only ${limit - pos} remain`,
        start,
      );
    }
    const end = pos + length;
    return new DerElement(input, start, tag, tagNumber, constructed, headerLength, pos, end, end, options, depth);
  }
  if (depth >= MAX_DEPTH) throw new DerError('Indefinite-length elements nested too deeply', start);
  const eoc = findEndOfContents(input, pos, limit, options, depth + 1);
  return new DerElement(input, start, tag, tagNumber, constructed, headerLength, pos, eoc, eoc + 2, options, depth);
}

/** Skips the elements of an indefinite-length content and returns the offset of its end-of-contents octets. */
function findEndOfContents(input: Buffer, pos: number, limit: number, options: ReadOptions, depth: number): number {
  while (pos < limit) {
    if (input[pos] === 0) {
      if (pos + 1 < limit && input[pos + 1] === 0) return pos;
      throw new DerError('Malformed end-of-contents octets', pos);
    }
    pos = readAt(input, pos, limit, options, depth).end;
  }
  throw new DerError('Missing end-of-contents octets of an indefinite-length element', pos);
}

/** `0x30`-style rendering of a tag for messages. */
export function hexTag(tag: number): string {
  return `0x${tag.toString(16).padStart(2, '0')}`;
}
