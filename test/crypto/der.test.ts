import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import {
  boolean,
  DerError,
  explicit,
  generalizedTime,
  implicit,
  integer,
  nullValue,
  octetString,
  oid,
  raw,
  readBoolean,
  readDer,
  readInteger,
  readOctetString,
  readOid,
  readString,
  readTime,
  sequence,
  setOf,
  utcTime,
  utf8String,
} from '../../shared/crypto/der.js';
import { createTestPki } from '../support/test-pki.js';

const hex = (b: Buffer) => b.toString('hex');

describe('DER encoder and reader', () => {
  it('encodes INTEGERs minimally with the right sign byte, and reads them back', () => {
    const cases: [bigint | number, string][] = [
      [0, '020100'],
      [1, '020101'],
      [127, '02017f'],
      [128, '02020080'],
      [256, '02020100'],
      [-1, '0201ff'],
      [-128, '020180'],
      [-129, '0202ff7f'],
      [2n ** 64n, '0209010000000000000000'],
    ];
    for (const [value, expected] of cases) {
      const encoded = integer(value);
      assert.equal(hex(encoded), expected, `integer(${value})`);
      assert.equal(readInteger(readDer(encoded)), BigInt(value));
    }
    // A Buffer is an unsigned magnitude: leading zeros dropped, 0x00 added before a high bit.
    assert.equal(hex(integer(Buffer.from('0000ff', 'hex'))), '020200ff');
    assert.equal(hex(integer(Buffer.alloc(0))), '020100');
    assert.throws(() => integer(2 ** 60), RangeError);
  });

  it('encodes OIDs, including large arcs, and reads them back', () => {
    for (const dotted of [
      '1.2.840.113549.1.7.2',
      '2.16.840.1.101.3.4.2.1',
      '0.9.2342.19200300.100.1.25',
      '2.999.3',
      '2.25.329800735698586629295641978511506172918',
    ]) {
      assert.equal(readOid(readDer(oid(dotted))), dotted);
    }
    assert.equal(hex(oid('1.2.840.113549.1.9.16.2.47')), '060b2a864886f70d010910022f');
    for (const bad of ['1', '3.1', '1.40', '1.2.', '1.02', 'a.b']) assert.throws(() => oid(bad), RangeError, bad);
  });

  it('sorts SET OF by encoding (X.690 §11.6) and builds lengths in long form', () => {
    const a = octetString(Buffer.from('bb', 'hex'));
    const b = integer(5);
    const c = octetString(Buffer.from('aa', 'hex'));
    assert.equal(hex(setOf([a, b, c])), '3109' + '020105' + '0401aa' + '0401bb');
    const big = octetString(Buffer.alloc(300, 1));
    assert.equal(hex(big.subarray(0, 4)), '0482012c');
    const element = readDer(sequence(big, nullValue(), boolean(true)));
    const [first, second, third] = element.children();
    assert.equal(first!.content.length, 300);
    assert.equal(second!.tag, 0x05);
    assert.equal(readBoolean(third!), true);
  });

  it('writes times as DER wants them and reads them back', () => {
    const date = new Date(Date.UTC(2025, 0, 2, 3, 4, 5));
    assert.equal(utcTime(date).subarray(2).toString(), '250102030405Z');
    assert.equal(generalizedTime(date).subarray(2).toString(), '20250102030405Z');
    assert.equal(
      generalizedTime(new Date(date.getTime() + 500))
        .subarray(2)
        .toString(),
      '20250102030405.5Z',
    );
    assert.equal(readTime(readDer(utcTime(date))).getTime(), date.getTime());
    assert.equal(readTime(readDer(generalizedTime(new Date(date.getTime() + 120)))).getTime(), date.getTime() + 120);
    assert.equal(readTime(readDer(Buffer.from('170d3439313233313233353935395a', 'hex'))).getUTCFullYear(), 2049);
    assert.equal(readTime(readDer(Buffer.from('170d3530303130313030303030305a', 'hex'))).getUTCFullYear(), 1950);
    assert.throws(() => utcTime(new Date(Date.UTC(2050, 0, 1))), RangeError);
    assert.throws(() => readTime(readDer(Buffer.from('170d3235313333313030303030305a', 'hex'))), DerError, 'month 13');
  });

  it('tags explicitly and implicitly', () => {
    const inner = integer(7);
    assert.equal(hex(explicit(0, inner)), 'a003020107');
    assert.equal(hex(implicit(1, setOf([inner]))), 'a103020107');
    assert.equal(hex(implicit(2, octetString(Buffer.from('01', 'hex')))), '820101');
    assert.throws(() => raw(Buffer.concat([inner, inner])), RangeError);
  });

  it('reads strings of every text type, keeping Cyrillic', () => {
    assert.equal(readString(readDer(utf8String('Мария Иванова'))), 'Мария Иванова');
    const bmp = Buffer.concat([Buffer.from([0x1e, 4]), Buffer.from([0x04, 0x1c, 0x04, 0x30])]);
    assert.equal(readString(readDer(bmp)), 'Ма');
    const universal = Buffer.concat([Buffer.from([0x1c, 4]), Buffer.from([0, 0, 0x04, 0x1c])]);
    assert.equal(readString(readDer(universal)), 'М');
    assert.throws(() => readString(readDer(integer(1))), DerError);
  });

  it('round-trips a real certificate without copying it', async () => {
    const pki = await createTestPki();
    const der = pki.identities.rsa2048.certDer;
    const element = readDer(der);
    assert.equal(element.end, der.length);
    const [tbs, algorithm, signature] = element.children();
    assert.equal(
      Buffer.concat([
        der.subarray(0, element.headerLength),
        tbs!.encoded,
        algorithm!.encoded,
        signature!.encoded,
      ]).equals(der),
      true,
    );
    assert.equal(tbs!.encoded.buffer, der.buffer, 'children are views into the input');
    assert.equal(sequence(tbs!.encoded, algorithm!.encoded, signature!.encoded).equals(der), true);
    assert.equal(new X509Certificate(fs.readFileSync(pki.identities.rsa2048.certPath)).raw.equals(der), true);
  });

  it('throws a DerError for truncated, oversized and non-DER input', () => {
    const bad: [string, RegExp][] = [
      ['', /end of data/],
      ['30', /no length/],
      ['3005020101', /claims 5 bytes but only 3 remain/],
      ['3081', /Truncated length/],
      ['308105', /Non-minimal/],
      ['30850100000000', /5 length octets/],
      ['3080020101 0000', /Indefinite length is not allowed/],
      ['0000', /end-of-contents/],
      ['1f', /Truncated tag/],
      ['1f8080808001', /Tag number too large/],
    ];
    for (const [input, message] of bad) {
      assert.throws(
        () => readDer(Buffer.from(input.replace(/ /g, ''), 'hex')).children(),
        (e: unknown) => {
          assert.ok(e instanceof DerError, `${input}: ${e}`);
          assert.match(e.message, message, input);
          return true;
        },
      );
    }
    // A child that overruns its parent is caught when the children are read.
    assert.throws(() => readDer(Buffer.from('3003020501', 'hex')).children(), /claims 5 bytes but only 1 remain/);
    assert.throws(() => readInteger(readDer(Buffer.from('0200', 'hex'))), /Empty INTEGER/);
    assert.throws(() => readOid(readDer(Buffer.from('060188', 'hex'))), /Malformed OBJECT IDENTIFIER/);
    assert.throws(() => readDer(Buffer.from('0101ff', 'hex')).children(), /primitive/);
  });

  it('accepts BER indefinite lengths and constructed OCTET STRINGs only when asked', () => {
    const ber = Buffer.from('3080 2480 0402abcd 0401ef 0000 020101 0000 ffff'.replace(/ /g, ''), 'hex');
    const element = readDer(ber, 0, { ber: true });
    assert.equal(element.end, ber.length - 2, 'trailing bytes are left to the caller');
    const [octets, number] = element.children();
    assert.equal(hex(readOctetString(octets!)), 'abcdef');
    assert.equal(readInteger(number!), 1n);
    assert.throws(() => readDer(Buffer.from('30800201', 'hex'), 0, { ber: true }), DerError);
    assert.throws(() => readDer(Buffer.from('3080020101', 'hex'), 0, { ber: true }), /Missing end-of-contents/);
    // Deep nesting ends with an error, not a stack overflow.
    const deep = Buffer.concat([Buffer.from('3080'.repeat(200), 'hex'), Buffer.from('0000'.repeat(200), 'hex')]);
    assert.throws(() => readDer(deep, 0, { ber: true }), /nested too deeply/);
  });

  it('never hangs or throws anything but DerError on random garbage', () => {
    let seed = 42;
    const next = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed & 0xff;
    };
    const walk = (e: ReturnType<typeof readDer>, depth: number): void => {
      if (e.constructed && depth < 20) for (const c of e.children()) walk(c, depth + 1);
    };
    for (let i = 0; i < 5000; i++) {
      const input = Buffer.from(Array.from({ length: 1 + (i % 40) }, next));
      for (const ber of [false, true]) {
        try {
          walk(readDer(input, 0, { ber }), 0);
        } catch (e) {
          assert.ok(e instanceof DerError, `unexpected ${e} for ${hex(input)}`);
        }
      }
    }
  });
});
