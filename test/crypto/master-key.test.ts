import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { generateMasterKeyBytes, MasterKey } from '../../shared/crypto/master-key.js';
import { AppError, ErrorCode } from '../../shared/errors.js';

function isAppError(code: ErrorCode, message?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof AppError, `expected AppError, got ${error}`);
    assert.equal(error.code, code);
    if (message) assert.match(error.message, message);
    return true;
  };
}

describe('MasterKey (AES-256-GCM envelopes)', () => {
  const bytes = generateMasterKeyBytes();
  const key = MasterKey.fromBytes(bytes);
  const secret = Buffer.from('-----BEGIN PRIVATE KEY----- pretend PKCS#8');

  it('names itself by the first 8 hex digits of SHA-256(key)', () => {
    assert.equal(key.keyId, createHash('sha256').update(bytes).digest('hex').slice(0, 8));
    assert.equal(MasterKey.fromBase64(bytes.toString('base64')).keyId, key.keyId);
  });

  it('seals into { keyId, iv, tag, ciphertext } and opens again with the same context', () => {
    const sealed = key.seal(secret, 'ctx/a');
    assert.deepEqual(Object.keys(sealed).sort(), ['ciphertext', 'iv', 'keyId', 'tag']);
    assert.equal(sealed.keyId, key.keyId);
    assert.equal(Buffer.from(sealed.iv, 'base64').length, 12);
    assert.equal(Buffer.from(sealed.tag, 'base64').length, 16);
    assert.ok(!Buffer.from(sealed.ciphertext, 'base64').includes(Buffer.from('PRIVATE KEY')));
    assert.deepEqual(key.open(sealed, 'ctx/a'), secret);
  });

  it('uses a fresh IV for every seal', () => {
    const ivs = new Set(Array.from({ length: 20 }, () => key.seal(secret, 'ctx').iv));
    assert.equal(ivs.size, 20);
  });

  it('refuses another master key, another context and tampered data with MASTER_KEY_INVALID', () => {
    const sealed = key.seal(secret, 'ctx/a');
    const other = MasterKey.fromBytes(generateMasterKeyBytes());
    assert.throws(() => other.open(sealed, 'ctx/a'), isAppError(ErrorCode.MASTER_KEY_INVALID, new RegExp(key.keyId)));
    assert.throws(() => key.open(sealed, 'ctx/b'), isAppError(ErrorCode.MASTER_KEY_INVALID));
    const flipped = Buffer.from(sealed.ciphertext, 'base64');
    flipped[0]! ^= 1;
    const tampered = { ...sealed, ciphertext: flipped.toString('base64') };
    assert.throws(() => key.open(tampered, 'ctx/a'), isAppError(ErrorCode.MASTER_KEY_INVALID));
  });

  it('rejects keys that are not 32 bytes of base64', () => {
    assert.throws(() => MasterKey.fromBytes(Buffer.alloc(16)), isAppError(ErrorCode.MASTER_KEY_INVALID, /32 bytes/));
    assert.throws(
      () => MasterKey.fromBase64('not base64!', 'X'),
      isAppError(ErrorCode.MASTER_KEY_INVALID, /^X is not base64/),
    );
    assert.throws(
      () => MasterKey.fromBase64(Buffer.alloc(31).toString('base64')),
      isAppError(ErrorCode.MASTER_KEY_INVALID),
    );
  });

  it('never shows the key bytes in JSON or inspection', () => {
    const hex = bytes.toString('hex');
    const b64 = bytes.toString('base64');
    for (const text of [JSON.stringify(key), String(key)]) {
      assert.ok(!text.includes(hex) && !text.includes(b64), text);
    }
  });
});
