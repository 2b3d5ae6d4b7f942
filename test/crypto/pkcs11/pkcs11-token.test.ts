import assert from 'node:assert/strict';
import { verify, X509Certificate } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { finalizeAllPkcs11Modules, loadPkcs11Module } from '../../../shared/crypto/pkcs11/pkcs11-module.js';
import { openToken, type Pkcs11Token } from '../../../shared/crypto/pkcs11/pkcs11-token.js';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import { createSoftHsmToken, type SoftHsmIdentitySpec, type SoftHsmToken } from '../../support/softhsm.js';

const LABEL = 'SignService shared token';
const PIN = '246810';
const KEY_TYPES = ['rsa2048', 'rsa3072', 'ecP256'] as const;
/** 12 identities, RSA 2048 / RSA 3072 / EC P-256 mixed, like a shared eToken. */
const SIGNERS: SoftHsmIdentitySpec[] = Array.from({ length: 12 }, (_, i) => ({
  id: (0xa0 + i).toString(16),
  keyType: KEY_TYPES[i % 3]!,
  cn: `Signer ${i + 1}`,
}));
const UNPAIRED: SoftHsmIdentitySpec = {
  id: 'c0ffee',
  keyType: 'rsa2048',
  cn: 'Certificate without key',
  withKey: false,
};
const EXPIRED: SoftHsmIdentitySpec = { id: 'dead', keyType: 'ecP256', cn: 'Expired signer', expired: true };

function isAppError(code: ErrorCode) {
  return (error: unknown) => error instanceof AppError && error.code === code;
}

function verifies(certificate: Buffer, data: Buffer, signature: Buffer): boolean {
  // Node's verify takes RSA PKCS#1 v1.5 and DER ECDSA signatures by default: the formats CMS uses.
  return verify('sha256', data, new X509Certificate(certificate).publicKey, signature);
}

/** Records the mechanism of every C_SignInit on the real module (the call still goes through). */
function recordSignInits(modulePath: string): { mechanisms: number[]; restore(): void } {
  const p11 = loadPkcs11Module(modulePath).p11;
  const original = p11.C_SignInit;
  const mechanisms: number[] = [];
  p11.C_SignInit = function (session, mechanism, key) {
    mechanisms.push(mechanism.mechanism);
    return original.call(this, session, mechanism, key);
  };
  const restore = () => {
    p11.C_SignInit = original;
  };
  return { mechanisms, restore };
}

let token_: SoftHsmToken;
let token: Pkcs11Token;
let provisioningMs = 0;

describe('Pkcs11Token on a SoftHSM2 token with 12 certificates', () => {
  before(async () => {
    const started = Date.now();
    token_ = await createSoftHsmToken({ label: LABEL, pin: PIN, identities: [...SIGNERS, UNPAIRED, EXPIRED] });
    provisioningMs = Date.now() - started;
    token = await openToken({ modulePath: token_.modulePath, token: { label: LABEL }, pin: PIN });
  });

  after(async () => {
    token?.close();
    finalizeAllPkcs11Modules();
    await token_?.cleanup();
  });

  it('was provisioned (14 keys and certificates, NSS DB) in under 30 s', () => {
    console.log(`      SoftHSM2 token with 14 identities made in ${provisioningMs} ms`);
    assert.ok(provisioningMs < 30_000, `provisioning took ${provisioningMs} ms`);
  });

  it('lists every certificate, paired with its key by CKA_ID, with key type and size from the key', () => {
    const listed = token.listCertificates();
    assert.equal(listed.length, 14);
    for (const [i, spec] of SIGNERS.entries()) {
      const cert = listed.find((c) => c.id === spec.id);
      assert.ok(cert, `certificate ${spec.id} is not listed`);
      assert.equal(cert.label, spec.cn);
      assert.equal(cert.hasPrivateKey, true, `certificate ${spec.id} is not paired`);
      assert.deepEqual(cert.certificate, token_.identities[i]!.certDer);
      assert.match(cert.subject, new RegExp(`CN=${spec.cn}`));
      const expected =
        spec.keyType === 'ecP256'
          ? { kind: 'ec', curve: 'P-256', bits: 256 }
          : { kind: 'rsa', bits: spec.keyType === 'rsa2048' ? 2048 : 3072 };
      assert.deepEqual(cert.key, expected);
    }
    const unpaired = listed.find((c) => c.id === UNPAIRED.id);
    assert.equal(unpaired?.hasPrivateKey, false);
    assert.equal(unpaired?.key, undefined);
  });

  it('signs with each of the 12 keys, and each signature verifies with the certificate public key', async () => {
    for (const spec of SIGNERS) {
      const key = token.signingKey(spec.id);
      const data = Buffer.from(`signed attributes of a CMS for ${spec.cn}`);
      const signature = await key.sign(data);
      assert.ok(verifies(key.certificate, data, signature), `signature of ${spec.id} (${spec.keyType}) fails`);
      assert.equal(key.algorithm.kind, spec.keyType === 'ecP256' ? 'ec' : 'rsa');
      if (spec.keyType === 'ecP256') assert.equal(signature[0], 0x30, 'ECDSA signature is not a DER SEQUENCE');
      else assert.equal(signature.length, spec.keyType === 'rsa2048' ? 256 : 384);
      assert.ok(!verifies(key.certificate, Buffer.from('other data'), signature), 'verifies for other data');
    }
  });

  it('passes the chain through to the signing key', () => {
    const key = token.signingKey(SIGNERS[0]!.id, [token_.caCertDer]);
    assert.deepEqual(key.chain, [token_.caCertDer]);
    assert.deepEqual(token.signingKey(SIGNERS[0]!.id).chain, []);
  });

  it('refuses a certificate without a key, an unknown CKA_ID and a malformed one', () => {
    assert.throws(() => token.signingKey(UNPAIRED.id), isAppError(ErrorCode.TOKEN_KEY_MISSING));
    assert.throws(() => token.signingKey('0badc0de'), isAppError(ErrorCode.TOKEN_KEY_MISSING));
    assert.throws(() => token.signingKey('xyz'), isAppError(ErrorCode.INVALID_ARGUMENT));
  });

  it('uses CKM_SHA256_RSA_PKCS when listed, and the forced CKM_RSA_PKCS + DigestInfo path gives identical bytes', async () => {
    const fallbackToken = await openToken(
      { modulePath: token_.modulePath, token: { label: LABEL }, pin: PIN },
      { rsaMechanism: 'rsa-pkcs' },
    );
    const recorder = recordSignInits(token_.modulePath);
    try {
      for (const spec of SIGNERS.filter((s) => s.keyType !== 'ecP256')) {
        const data = Buffer.from(`deterministic PKCS#1 v1.5 for ${spec.id}`);
        const combined = await token.signingKey(spec.id).sign(data);
        const fallback = await fallbackToken.signingKey(spec.id).sign(data);
        assert.deepEqual(fallback, combined, `outputs differ for ${spec.id}`);
      }
      const pair = [pkcs11js.CKM_SHA256_RSA_PKCS, pkcs11js.CKM_RSA_PKCS];
      assert.deepEqual(
        recorder.mechanisms,
        Array.from({ length: 8 }).flatMap(() => pair),
      );
    } finally {
      recorder.restore();
      fallbackToken.close();
    }
  });

  it('falls back to CKM_RSA_PKCS when the token does not list CKM_SHA256_RSA_PKCS, asking once', async () => {
    // Only the mechanism list is altered (SoftHSM2 lists the combined mechanism; an old eToken may not);
    // the signatures are still made and verified for real.
    const p11 = loadPkcs11Module(token_.modulePath).p11;
    const original = p11.C_GetMechanismList;
    let asked = 0;
    p11.C_GetMechanismList = function (slot) {
      asked++;
      return original.call(this, slot).filter((m) => m !== pkcs11js.CKM_SHA256_RSA_PKCS);
    };
    const recorder = recordSignInits(token_.modulePath);
    const oldToken = await openToken({ modulePath: token_.modulePath, token: { label: LABEL }, pin: PIN });
    try {
      const rsa = SIGNERS.filter((s) => s.keyType !== 'ecP256');
      for (const spec of [...rsa, ...rsa]) {
        const key = oldToken.signingKey(spec.id);
        const data = Buffer.from(`fallback ${spec.id}`);
        assert.ok(verifies(key.certificate, data, await key.sign(data)));
      }
      assert.equal(asked, 1, 'C_GetMechanismList must be asked once per token');
      assert.ok(recorder.mechanisms.length === 16 && recorder.mechanisms.every((m) => m === pkcs11js.CKM_RSA_PKCS));
    } finally {
      p11.C_GetMechanismList = original;
      recorder.restore();
      oldToken.close();
    }
  });

  it('reports health: present, logged in, PIN flags, and the expired certificate', () => {
    const health = token.health();
    assert.equal(health.present, true);
    assert.equal(health.loggedIn, true);
    assert.equal(health.pinLow || health.pinLocked || health.pinFinalTry, false);
    assert.equal(health.label, LABEL);
    assert.match(health.serial, /^[0-9a-f]{16}$/);
    assert.equal(health.certificates.length, 14);
    const expired = health.certificates.filter((c) => c.expired).map((c) => c.id);
    assert.deepEqual(expired, [EXPIRED.id]);
    assert.ok(health.certificates.every((c) => c.notAfter instanceof Date));
  });

  it('recovers when its sessions are closed under it: re-finds the token, logs in again, retries once', async () => {
    const module = loadPkcs11Module(token_.modulePath);
    const spec = SIGNERS[1]!;
    const key = token.signingKey(spec.id);
    await key.sign(Buffer.from('warm up the session pool'));
    const slot = module.p11.C_GetSlotList(true).find((s) => module.p11.C_GetTokenInfo(s).label.trim() === LABEL)!;
    // What a USB removal or another library's C_CloseAllSessions does: every session is gone, and with
    // them the login (PKCS#11 v2.40 C_CloseAllSessions).
    module.p11.C_CloseAllSessions(slot);
    assert.equal(token.health().loggedIn, false);
    const original = module.p11.C_Login;
    let logins = 0;
    module.p11.C_Login = function (session, userType, pin) {
      logins++;
      return original.call(this, session, userType, pin);
    };
    try {
      const data = Buffer.from('after the sessions vanished');
      const signatures = await Promise.all([0, 1, 2, 3].map(() => key.sign(data)));
      for (const signature of signatures) assert.ok(verifies(key.certificate, data, signature));
      assert.equal(logins, 1, 'four failed signatures must reconnect and log in once');
      assert.equal(token.health().loggedIn, true);
      assert.equal(token.listCertificates().length, 14);
    } finally {
      module.p11.C_Login = original;
    }
  });

  it('fails cleanly after close()', async () => {
    const other = await openToken({ modulePath: token_.modulePath, token: { label: LABEL }, pin: PIN });
    const key = other.signingKey(SIGNERS[2]!.id);
    other.close();
    await assert.rejects(key.sign(Buffer.from('x')), isAppError(ErrorCode.TOKEN_FAILURE));
    assert.throws(() => other.listCertificates(), isAppError(ErrorCode.TOKEN_FAILURE));
    // The shared login of this process belongs to `token` too; closing another object must not end it.
    const data = Buffer.from('still signing');
    const mine = token.signingKey(SIGNERS[2]!.id);
    assert.ok(verifies(mine.certificate, data, await mine.sign(data)));
  });
});
