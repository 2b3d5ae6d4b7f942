/**
 * Minimal DER encoder [X.690 §8, §10, §11] for the structures we build by hand (CMS SignedData, RFC 3161
 * requests). Every helper returns the complete encoding of one element as a Buffer, so structures compose by
 * nesting calls. The reader (`der-reader.ts`) and the value readers (`der-values.ts`) are re-exported here, so
 * users import everything DER from this module.
 */
import { readDer } from './der-reader.js';

export * from './der-reader.js';
export * from './der-values.js';

/** Universal identifier octets used by the structures we build and read. */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Length octets in the definite, shortest form [X.690 §10.1]. */
function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One element from an identifier octet (tag number < 31) and its content octets. */
export function tlv(tag: number, content: Buffer): Buffer {
  if (!Number.isInteger(tag) || tag < 1 || tag > 0xff || (tag & 0x1f) === 0x1f) {
    throw new RangeError(`Unsupported DER tag ${tag}`);
  }
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

/** SEQUENCE of already-encoded elements, in the given order. */
export function sequence(...items: Buffer[]): Buffer {
  return tlv(Tag.SEQUENCE, Buffer.concat(items));
}

/**
 * SET OF already-encoded elements, sorted as DER requires: ascending by their encodings compared as octet
 * strings [X.690 §11.6]. The CMS signature covers this encoding of the signed attributes [RFC 5652 §5.4].
 */
export function setOf(items: readonly Buffer[]): Buffer {
  return tlv(Tag.SET, Buffer.concat([...items].sort(Buffer.compare)));
}

/**
 * INTEGER [X.690 §8.3]. A Buffer is taken as an unsigned big-endian magnitude (a serial number, a nonce); a
 * bigint or number may be negative. The encoding is minimal, with a 0x00 sign byte where needed.
 */
export function integer(value: bigint | number | Buffer): Buffer {
  if (Buffer.isBuffer(value)) return tlv(Tag.INTEGER, unsignedContent(value));
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError(`Not a safe integer: ${value}`);
  return tlv(Tag.INTEGER, twosComplement(BigInt(value)));
}

function unsignedContent(magnitude: Buffer): Buffer {
  let first = 0;
  while (first < magnitude.length - 1 && magnitude[first] === 0) first++;
  const trimmed = magnitude.subarray(first);
  if (trimmed.length === 0) return Buffer.from([0]);
  return trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
}

function twosComplement(value: bigint): Buffer {
  const bytes: number[] = [];
  let rest = value;
  // Emit low bytes until the remaining value is pure sign extension of the top byte emitted.
  do {
    bytes.unshift(Number(rest & 0xffn));
    rest >>= 8n;
  } while (!((rest === 0n && (bytes[0]! & 0x80) === 0) || (rest === -1n && (bytes[0]! & 0x80) !== 0)));
  return Buffer.from(bytes);
}

/** OBJECT IDENTIFIER from dotted notation [X.690 §8.19]; arcs may exceed 2^53 (e.g. 2.25.<UUID>). */
export function oid(dotted: string): Buffer {
  if (!/^[0-2](\.(0|[1-9]\d*))+$/.test(dotted)) throw new RangeError(`Not an object identifier: "${dotted}"`);
  const arcs = dotted.split('.').map((arc) => BigInt(arc));
  if (arcs[0]! < 2n && arcs[1]! >= 40n) throw new RangeError(`Second arc must be below 40 in "${dotted}"`);
  const bytes: number[] = [];
  for (const arc of [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]) {
    const digits = [Number(arc & 0x7fn)];
    for (let rest = arc >> 7n; rest > 0n; rest >>= 7n) digits.unshift(Number(rest & 0x7fn) | 0x80);
    bytes.push(...digits);
  }
  return tlv(Tag.OID, Buffer.from(bytes));
}

/** OCTET STRING. */
export function octetString(content: Buffer): Buffer {
  return tlv(Tag.OCTET_STRING, content);
}

/** NULL. */
export function nullValue(): Buffer {
  return Buffer.from([Tag.NULL, 0]);
}

/** BOOLEAN; DER encodes TRUE as 0xFF [X.690 §11.1]. */
export function boolean(value: boolean): Buffer {
  return Buffer.from([Tag.BOOLEAN, 1, value ? 0xff : 0]);
}

/** UTF8String. */
export function utf8String(text: string): Buffer {
  return tlv(Tag.UTF8_STRING, Buffer.from(text, 'utf8'));
}

/** UTCTime `YYMMDDHHMMSSZ` for 1950..2049 [X.690 §11.8, RFC 5280 §4.1.2.5.1]. */
export function utcTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 2049) throw new RangeError(`UTCTime cannot hold the year ${year}`);
  return tlv(Tag.UTC_TIME, Buffer.from(`${timeDigits(date).slice(2)}Z`, 'latin1'));
}

/** GeneralizedTime `YYYYMMDDHHMMSS[.fff]Z`; DER drops trailing zeros of the fraction [X.690 §11.7]. */
export function generalizedTime(date: Date): Buffer {
  const millis = date.getUTCMilliseconds();
  const fraction = millis ? `.${String(millis).padStart(3, '0').replace(/0+$/, '')}` : '';
  return tlv(Tag.GENERALIZED_TIME, Buffer.from(`${timeDigits(date)}${fraction}Z`, 'latin1'));
}

function timeDigits(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('Invalid date');
  const two = (n: number) => String(n).padStart(2, '0');
  return `${String(date.getUTCFullYear()).padStart(4, '0')}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}`;
}

/** `[n] EXPLICIT`: a constructed context-specific element wrapping one encoded element. */
export function explicit(tagNumber: number, inner: Buffer): Buffer {
  return tlv(0xa0 | contextNumber(tagNumber), inner);
}

/**
 * `[n] IMPLICIT`: re-tags an encoded element as context-specific, keeping its constructed bit and content
 * (e.g. the signed attributes, encoded as SET OF for signing, are stored as `[0] IMPLICIT` [RFC 5652 §5.3]).
 */
export function implicit(tagNumber: number, encoded: Buffer): Buffer {
  const element = readDer(encoded);
  if (element.end !== encoded.length || (element.tag & 0x1f) === 0x1f)
    throw new RangeError('implicit() needs one element');
  const retagged = Buffer.from(encoded);
  retagged[0] = 0x80 | (element.tag & 0x20) | contextNumber(tagNumber);
  return retagged;
}

function contextNumber(tagNumber: number): number {
  if (!Number.isInteger(tagNumber) || tagNumber < 0 || tagNumber > 30)
    throw new RangeError(`Bad context tag [${tagNumber}]`);
  return tagNumber;
}

/** Passes through an element encoded elsewhere (a certificate, a Name), after checking it is exactly one element. */
export function raw(encoded: Buffer): Buffer {
  if (readDer(encoded).end !== encoded.length) throw new RangeError('raw() input has bytes after the element');
  return encoded;
}
