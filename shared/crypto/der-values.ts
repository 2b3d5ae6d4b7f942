/**
 * Typed values out of `DerElement`s: INTEGER, OBJECT IDENTIFIER, BOOLEAN, OCTET/BIT STRING, times and text
 * strings [X.690 §8]. Each checks the tag first and throws `DerError` with the field name on a mismatch.
 */
import { type DerElement, DerError, hexTag } from './der-reader.js';

/** Throws unless `element` has the identifier octet `tag`; `what` names the field for the message. */
export function expectTag(element: DerElement | undefined, tag: number, what: string): DerElement {
  if (!element) throw new DerError(`Missing ${what}`, -1);
  if (element.tag !== tag) {
    throw new DerError(`Expected ${what} (tag ${hexTag(tag)}) but found tag ${hexTag(element.tag)}`, element.start);
  }
  return element;
}

/** INTEGER → bigint (two's complement) [X.690 §8.3]. */
export function readInteger(element: DerElement): bigint {
  const bytes = expectTag(element, 0x02, 'INTEGER').content;
  if (bytes.length === 0) throw new DerError('Empty INTEGER', element.start);
  let value = BigInt(`0x${bytes.toString('hex')}`);
  if (bytes[0]! & 0x80) value -= 1n << BigInt(bytes.length * 8);
  return value;
}

/** INTEGER → number; throws when the value is not a safe integer. */
export function readSmallInteger(element: DerElement): number {
  const value = readInteger(element);
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new DerError('INTEGER too large', element.start);
  }
  return Number(value);
}

/** OBJECT IDENTIFIER → dotted string [X.690 §8.19]. */
export function readOid(element: DerElement): string {
  const bytes = expectTag(element, 0x06, 'OBJECT IDENTIFIER').content;
  if (bytes.length === 0 || bytes[bytes.length - 1]! & 0x80)
    throw new DerError('Malformed OBJECT IDENTIFIER', element.start);
  const arcs: bigint[] = [];
  let value = 0n;
  for (const b of bytes) {
    value = (value << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(value);
      value = 0n;
    }
  }
  const first = arcs.shift()!;
  const top = first < 40n ? 0n : first < 80n ? 1n : 2n;
  return [top, first - top * 40n, ...arcs].join('.');
}

/** BOOLEAN → boolean (any non-zero octet is TRUE in BER). */
export function readBoolean(element: DerElement): boolean {
  const bytes = expectTag(element, 0x01, 'BOOLEAN').content;
  if (bytes.length !== 1) throw new DerError('BOOLEAN must have one content octet', element.start);
  return bytes[0] !== 0;
}

/** OCTET STRING → its bytes; a BER constructed OCTET STRING is joined (the only case that copies). */
export function readOctetString(element: DerElement): Buffer {
  if (element.tag === 0x04) return element.content;
  expectTag(element, 0x24, 'OCTET STRING');
  return Buffer.concat(element.children().map(readOctetString));
}

/** BIT STRING → the unused-bit count and the bytes after it [X.690 §8.6]. */
export function readBitString(element: DerElement): { unusedBits: number; bytes: Buffer } {
  const content = expectTag(element, 0x03, 'BIT STRING').content;
  if (content.length === 0 || content[0]! > 7) throw new DerError('Malformed BIT STRING', element.start);
  return { unusedBits: content[0]!, bytes: content.subarray(1) };
}

/** UTCTime or GeneralizedTime → Date [X.680 §46, §47; RFC 5280 §4.1.2.5]. */
export function readTime(element: DerElement): Date {
  const text = element.content.toString('latin1');
  let match: RegExpExecArray | null = null;
  let year = 0;
  if (element.tag === 0x17) {
    match = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)?()(Z|[+-]\d{4})$/.exec(text);
    // Two-digit years: 50..99 are 19xx, 00..49 are 20xx [RFC 5280 §4.1.2.5.1].
    if (match) year = Number(match[1]) + (Number(match[1]) >= 50 ? 1900 : 2000);
  } else if (element.tag === 0x18) {
    match = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)?(\d\d)?(?:[.,](\d{1,9}))?(Z|[+-]\d{4})?$/.exec(text);
    if (match) year = Number(match[1]);
  } else {
    throw new DerError(
      `Expected a time (UTCTime or GeneralizedTime) but found tag ${hexTag(element.tag)}`,
      element.start,
    );
  }
  if (!match) throw new DerError(`Malformed time "${text}"`, element.start);
  const [month, day, hour, minute, second] = [2, 3, 4, 5, 6].map((i) => Number(match[i] ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const millis = Number(`0.${match[7] || '0'}`) * 1000;
  let time = Date.UTC(year, month - 1, day, hour, minute, second, Math.floor(millis));
  const zone = match[8];
  if (zone && zone !== 'Z')
    time -= (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3))) * 60_000;
  const check = new Date(Date.UTC(year, month - 1, day));
  if (month < 1 || month > 12 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 60) {
    throw new DerError(`Time out of range "${text}"`, element.start);
  }
  return new Date(time);
}

/** The ASN.1 text string types → string (UTF-8, BMP, Universal and the 8-bit ones). */
export function readString(element: DerElement): string {
  const bytes = element.content;
  switch (element.tag) {
    case 0x0c: // UTF8String
      return bytes.toString('utf8');
    case 0x12: // NumericString
    case 0x13: // PrintableString
    case 0x14: // TeletexString: in practice Latin-1
    case 0x16: // IA5String
    case 0x1a: // VisibleString
      return bytes.toString('latin1');
    case 0x1e: // BMPString: UTF-16 big-endian
      if (bytes.length % 2) throw new DerError('BMPString of odd length', element.start);
      return Buffer.from(bytes).swap16().toString('utf16le');
    case 0x1c: {
      // UniversalString: UTF-32 big-endian
      if (bytes.length % 4) throw new DerError('UniversalString length not a multiple of 4', element.start);
      const points: number[] = [];
      for (let i = 0; i < bytes.length; i += 4) points.push(bytes.readUInt32BE(i));
      if (points.some((p) => p > 0x10ffff))
        throw new DerError('UniversalString holds an invalid code point', element.start);
      return String.fromCodePoint(...points);
    }
    default:
      throw new DerError(`Expected a text string but found tag ${hexTag(element.tag)}`, element.start);
  }
}
