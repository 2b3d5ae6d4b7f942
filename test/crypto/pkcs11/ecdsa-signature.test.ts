import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { ecdsaRawToDer } from '../../../shared/crypto/pkcs11/ecdsa-signature.js';
import { AppError, ErrorCode } from '../../../shared/errors.js';

describe('ecdsaRawToDer', () => {
  it('matches the DER that OpenSSL makes for the same signature, over many signatures', () => {
    // Node signs with OpenSSL; 'ieee-p1363' is the raw r || s that CKM_ECDSA returns. About 1 in 2 has a
    // high bit in r or s, and about 1 in 128 a leading zero byte. A fixed 500 missed the zero byte about once
    // in 50 runs (e^-3.9); signing on until both cases were seen (at least 500, at most 5,000) misses it with
    // probability e^-39, and every signature is still checked.
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    let sawPadding = 0;
    let sawShort = 0;
    for (let i = 0; i < 5000 && (i < 500 || sawPadding === 0 || sawShort === 0); i++) {
      const data = Buffer.from(`message ${i}`);
      const raw = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      const der = ecdsaRawToDer(raw);
      assert.ok(verify('sha256', data, publicKey, der), `signature ${i} does not verify as DER`);
      if (raw[0]! >= 0x80 || raw[32]! >= 0x80) sawPadding++;
      if (raw[0] === 0 || raw[32] === 0) sawShort++;
    }
    assert.ok(sawPadding > 0 && sawShort > 0, `cases not covered: high bit ${sawPadding}, leading zero ${sawShort}`);
  });

  it('adds a zero byte when the top bit is set and strips leading zero bytes', () => {
    const r = Buffer.alloc(32, 0);
    r[31] = 0x05; // r = 5: 31 leading zero bytes
    const s = Buffer.alloc(32, 0xff); // top bit set: needs a 0x00 in front
    const der = ecdsaRawToDer(Buffer.concat([r, s]));
    const expected = Buffer.concat([
      Buffer.from([0x30, 3 + 35, 0x02, 0x01, 0x05, 0x02, 0x21, 0x00]),
      Buffer.alloc(32, 0xff),
    ]);
    assert.deepEqual(der, expected);
  });

  it('encodes zero as one zero byte and uses the long length form for P-521 sizes', () => {
    assert.deepEqual(ecdsaRawToDer(Buffer.alloc(64)), Buffer.from('3006020100020100', 'hex'));
    const der = ecdsaRawToDer(Buffer.alloc(132, 0xff)); // P-521: 66-byte halves, 2 x (2 + 67) = 138 > 127
    assert.deepEqual(der.subarray(0, 3), Buffer.from([0x30, 0x81, 138]));
    assert.equal(der.length, 141);
  });

  it('rejects empty and odd-length input with TOKEN_FAILURE', () => {
    for (const bad of [Buffer.alloc(0), Buffer.alloc(63)]) {
      assert.throws(
        () => ecdsaRawToDer(bad),
        (error) => error instanceof AppError && error.code === ErrorCode.TOKEN_FAILURE,
      );
    }
  });
});
