/**
 * A signer with the longest texts a stamp has to fit: a 60-character Cyrillic name (subject CN) issued by a CA
 * whose CN has 90 characters. openssl refuses a CN over 64 characters (RFC 5280's ub-common-name), which real
 * CAs do not always respect, so the certificates are made with @peculiar/x509, as the internal CA makes its own.
 */
import { webcrypto } from 'node:crypto';
import { loadX509 } from '../../../shared/crypto/internal-ca/x509-library.js';
import type { SigningKey } from '../../../shared/crypto/signing-key.js';
import { loadPemKey } from '../../../shared/crypto/software-key.js';

export const LONG_NAME = 'Александра Константиновна Преображенская-Долгорукова-Щедрина';
export const LONG_ISSUER = 'Удостоверяющий центр Общества с ограниченной ответственностью «Северо-Западная Энергетика»';

const RSA: RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
};
const DAY = 86_400_000;

function pem(label: string, der: ArrayBuffer): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

let pending: Promise<SigningKey> | undefined;

/** The long-name signer's key (made once per process), valid from a year ago for two years. */
export function longNameSigner(): Promise<SigningKey> {
  pending ??= makeSigner();
  return pending;
}

async function makeSigner(): Promise<SigningKey> {
  if ([...LONG_NAME].length !== 60 || [...LONG_ISSUER].length !== 90)
    throw new Error('the fixture names changed length');
  const x509 = await loadX509();
  const subtle = webcrypto.subtle;
  const [caKeys, signerKeys] = (await Promise.all([
    subtle.generateKey(RSA, true, ['sign', 'verify']),
    subtle.generateKey(RSA, true, ['sign', 'verify']),
  ])) as [CryptoKeyPair, CryptoKeyPair];
  const now = Date.now();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: new x509.Name([{ CN: [LONG_ISSUER] }]),
    notBefore: new Date(now - 400 * DAY),
    notAfter: new Date(now + 3000 * DAY),
    keys: caKeys,
    signingAlgorithm: RSA,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const signer = await x509.X509CertificateGenerator.create({
    serialNumber: '7a3f09c41e5b28d6',
    subject: new x509.Name([{ CN: [LONG_NAME] }, { C: ['RU'] }]),
    issuer: ca.subjectName,
    notBefore: new Date(now - 365 * DAY),
    notAfter: new Date(now + 730 * DAY),
    publicKey: signerKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: RSA,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation, true),
    ],
  });
  const keyPem = pem('PRIVATE KEY', await subtle.exportKey('pkcs8', signerKeys.privateKey));
  return loadPemKey(keyPem, signer.toString('pem'), ca.toString('pem'));
}
