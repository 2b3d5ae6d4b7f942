/**
 * Generating an issued certificate's key on a PKCS#11 token, so it never exists outside the token: the
 * key pair is made with C_GenerateKeyPair (private key sensitive and non-extractable), the CA certifies
 * its public key, and the certificate is written next to it with the same CKA_ID — the pairing convention
 * (PKCS#11 v2.40, CKA_ID of certificate and key objects) that `Pkcs11Token.listCertificates` reads back.
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import type { PKCS11, Template } from 'pkcs11js';
import pkcs11js from 'pkcs11js';
import { describeCertificate } from '../certificate-info.js';
import { readDer, Tag, tlv } from '../der.js';
import { tokenFailure } from '../pkcs11/pkcs11-error.js';
import { loadPkcs11Module } from '../pkcs11/pkcs11-module.js';
import type { Pkcs11Token } from '../pkcs11/pkcs11-token.js';
import type { Pkcs11TokenConfig } from '../pkcs11/token-config.js';
import { findTokenSlot } from '../pkcs11/token-slot.js';
import type { CaKeyType } from './ca-key-types.js';
import type { ExternalKeyPair } from './issue-certificate.js';

/** DER namedCurve OID of P-256 [RFC 5480 §2.1.1.1], as CKA_EC_PARAMS holds it. */
const P256_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');

/**
 * Generates a key pair on the token (logging in first; a wrong PIN fails once, as `Pkcs11Token.login`).
 * `label` becomes the CKA_LABEL of the keys and, later, of the certificate.
 * @throws AppError TOKEN_* for login and token failures.
 */
export async function generateTokenKeyPair(
  token: Pkcs11Token,
  config: Pkcs11TokenConfig,
  keyType: CaKeyType,
  label: string,
): Promise<ExternalKeyPair> {
  token.login();
  const { p11 } = loadPkcs11Module(config.modulePath);
  const slot = findTokenSlot(p11, config.modulePath, config.token);
  const id = randomBytes(8);
  const run = <T>(step: string, fn: (session: Buffer) => Promise<T> | T) =>
    withSession(p11, slot.slot, step, token.name, fn);
  const handles = await run('C_GenerateKeyPair', (s) =>
    p11.C_GenerateKeyPairAsync(s, mechanism(keyType), publicTemplate(keyType, id, label), privateTemplate(id, label)),
  );
  let certificate: Buffer | undefined;
  // Removes what this call created, so a failed issue leaves no orphan key or certificate on the token.
  const discard = () =>
    run('C_DestroyObject', (s) => {
      for (const handle of [certificate, handles.privateKey, handles.publicKey])
        if (handle) p11.C_DestroyObject(s, handle);
    });
  let spki: Buffer;
  try {
    spki = await run('reading the public key', (s) => readSpki(p11, s, handles.publicKey, keyType));
  } catch (error) {
    await discard().catch(() => undefined);
    throw error;
  }
  return {
    keyType,
    spki,
    location: {
      kind: 'token',
      modulePath: config.modulePath,
      tokenLabel: slot.label,
      tokenSerial: slot.serial,
      ckaId: id.toString('hex'),
    },
    storeCertificate: (der) =>
      run('C_CreateObject', (s) => {
        certificate = p11.C_CreateObject(s, certificateTemplate(der, id, label));
      }),
    discard,
  };
}

/** Runs `fn` on a fresh R/W session; the user login is per application, so the session is logged in. */
async function withSession<T>(
  p11: PKCS11,
  slot: Buffer,
  step: string,
  tokenName: string,
  fn: (session: Buffer) => Promise<T> | T,
): Promise<T> {
  let session: Buffer | undefined;
  try {
    session = p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    return await fn(session);
  } catch (error) {
    throw tokenFailure(error, step, tokenName);
  } finally {
    try {
      if (session) p11.C_CloseSession(session);
    } catch {
      // the session is gone already; the step's own error (if any) is what matters
    }
  }
}

function mechanism(keyType: CaKeyType): { mechanism: number } {
  return { mechanism: keyType === 'ec-p256' ? pkcs11js.CKM_EC_KEY_PAIR_GEN : pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN };
}

function publicTemplate(keyType: CaKeyType, id: Buffer, label: string): Template {
  const common: Template = [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_VERIFY, value: true },
    { type: pkcs11js.CKA_ID, value: id },
    { type: pkcs11js.CKA_LABEL, value: label },
  ];
  if (keyType === 'ec-p256') {
    return [
      ...common,
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_EC },
      { type: pkcs11js.CKA_EC_PARAMS, value: P256_PARAMS },
    ];
  }
  return [
    ...common,
    { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA },
    { type: pkcs11js.CKA_MODULUS_BITS, value: keyType === 'rsa3072' ? 3072 : 2048 },
    { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
  ];
}

/** A private key that only signs and never leaves the token (CKA_SENSITIVE, not CKA_EXTRACTABLE). */
function privateTemplate(id: Buffer, label: string): Template {
  return [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: false },
    { type: pkcs11js.CKA_SIGN, value: true },
    { type: pkcs11js.CKA_ID, value: id },
    { type: pkcs11js.CKA_LABEL, value: label },
  ];
}

/** SubjectPublicKeyInfo DER of a token public key, built through a JWK [RFC 7518 §6.2, §6.3]. */
function readSpki(p11: PKCS11, session: Buffer, key: Buffer, keyType: CaKeyType): Buffer {
  const b64url = (b: Buffer) => b.toString('base64url');
  if (keyType === 'ec-p256') {
    const [point] = p11.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_EC_POINT }]);
    // CKA_EC_POINT is the DER OCTET STRING of the uncompressed point (PKCS#11 v2.40 Current Mechanisms, EC public key objects); some modules
    // return the bare point.
    const raw = point!.value.length === 65 ? point!.value : readDer(point!.value).content;
    if (raw.length !== 65 || raw[0] !== 0x04) throw new Error('the token returned an unexpected EC point');
    const jwk = { kty: 'EC', crv: 'P-256', x: b64url(raw.subarray(1, 33)), y: b64url(raw.subarray(33)) };
    return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' });
  }
  const [n, e] = p11.C_GetAttributeValue(session, key, [
    { type: pkcs11js.CKA_MODULUS },
    { type: pkcs11js.CKA_PUBLIC_EXPONENT },
  ]);
  const jwk = { kty: 'RSA', n: b64url(n!.value), e: b64url(e!.value) };
  return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' });
}

/** A CKO_CERTIFICATE object with the attributes PKCS#11 v2.40 lists for X.509 public key certificate objects. */
function certificateTemplate(der: Buffer, id: Buffer, label: string): Template {
  const info = describeCertificate(der);
  return [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
    { type: pkcs11js.CKA_CERTIFICATE_TYPE, value: pkcs11js.CKC_X_509 },
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_PRIVATE, value: false },
    { type: pkcs11js.CKA_ID, value: id },
    { type: pkcs11js.CKA_LABEL, value: label },
    { type: pkcs11js.CKA_SUBJECT, value: info.subjectNameDer },
    { type: pkcs11js.CKA_ISSUER, value: info.issuerNameDer },
    { type: pkcs11js.CKA_SERIAL_NUMBER, value: tlv(Tag.INTEGER, info.serialNumberContent) },
    { type: pkcs11js.CKA_VALUE, value: der },
  ];
}
