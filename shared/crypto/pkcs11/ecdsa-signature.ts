/**
 * CKM_ECDSA returns the signature as r || s, each the size of the curve order (PKCS#11 v2.40 Current
 * Mechanisms, CKM_ECDSA). CMS wants the DER `Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }`
 * [RFC 3279 §2.2.3]; this file converts between the two.
 */
import { AppError, ErrorCode } from '../../errors.js';

/**
 * Converts a raw r || s ECDSA signature into a DER Ecdsa-Sig-Value.
 * @throws AppError TOKEN_FAILURE when the input is empty or of odd length (not r || s).
 */
export function ecdsaRawToDer(raw: Buffer): Buffer {
  if (raw.length === 0 || raw.length % 2 !== 0) {
    throw new AppError(
      ErrorCode.TOKEN_FAILURE,
      `The token returned a ${raw.length}-byte ECDSA signature; expected r || s of two equal halves`,
    );
  }
  const half = raw.length / 2;
  const body = Buffer.concat([derInteger(raw.subarray(0, half)), derInteger(raw.subarray(half))]);
  return Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
}

/**
 * A DER INTEGER holding the unsigned big-endian `value`: leading zero bytes removed (minimal encoding,
 * X.690 §8.3.2), and one zero byte put back when the top bit is set, since INTEGER is two's complement
 * and r, s are positive (X.690 §8.3.3).
 */
function derInteger(value: Buffer): Buffer {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  let content = value.subarray(start);
  if ((content[0]! & 0x80) !== 0) content = Buffer.concat([Buffer.from([0]), content]);
  return Buffer.concat([Buffer.from([0x02]), derLength(content.length), content]);
}

/** DER definite length: short form below 128, long form with one or two length bytes (X.690 §8.1.3). */
function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  if (length < 0x100) return Buffer.from([0x81, length]);
  return Buffer.from([0x82, length >> 8, length & 0xff]);
}
