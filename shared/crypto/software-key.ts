/**
 * Software keys: a PKCS#12 file or a PEM key + certificate, turned into a `SigningKey` that signs with a Node
 * `KeyObject` parsed once. node-forge is only used to open PKCS#12 (PBES2/AES, PBKDF2-HMAC-SHA256, SHA-256
 * MAC of OpenSSL 3, and the legacy RC2/3DES ones) and is imported lazily, because it costs ~60 ms at start-up.
 */
import { createPrivateKey, createPublicKey, type KeyObject, sign, X509Certificate } from 'node:crypto';
import { AppError, ErrorCode } from '../errors.js';
import { readModernPkcs12 } from './pkcs12-reader.js';
import type { KeyAlgorithm, SigningKey } from './signing-key.js';

class SoftwareSigningKey implements SigningKey {
  constructor(
    readonly certificate: Buffer,
    readonly chain: readonly Buffer[],
    readonly algorithm: KeyAlgorithm,
    private readonly key: KeyObject,
  ) {}

  /** SHA-256 + RSA PKCS#1 v1.5 or ECDSA (DER, Node's default encoding), off the main thread. */
  sign(data: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      sign('sha256', data, this.key, (error, signature) => (error ? reject(error) : resolve(signature)));
    });
  }
}

/**
 * Opens a PKCS#12 file. The certificate whose public key matches the private key is the signer; the other
 * certificates become the chain, issuer first. Throws KEY_BAD_PASSWORD, KEY_INVALID or KEY_UNSUPPORTED.
 */
export async function loadPkcs12(bytes: Buffer, password: string): Promise<SigningKey> {
  const { keys, certificates } = await openPkcs12(bytes, password);
  if (keys.length === 0) throw new AppError(ErrorCode.KEY_INVALID, 'The PKCS#12 file contains no private key.');
  const parsed = keys.map((der) => toPrivateKey(() => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })));
  for (const key of parsed) {
    const certificate = certificates.find((c) => publicKeyMatches(key, c));
    if (certificate)
      return makeKey(
        key,
        certificate,
        certificates.filter((c) => c !== certificate),
      );
  }
  throw new AppError(ErrorCode.KEY_INVALID, 'The PKCS#12 file contains no certificate for its private key.');
}

/** A PEM key and certificate (the certificate file may also hold the chain after it). Throws KEY_INVALID / KEY_UNSUPPORTED. */
export function loadPemKey(keyPem: string | Buffer, certPem: string | Buffer, chainPem?: string | Buffer): SigningKey {
  // OpenSSL 3 answers an encrypted key without passphrase with "interrupted or cancelled"; say what it is.
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(keyPem.toString())) {
    throw new AppError(
      ErrorCode.KEY_INVALID,
      'The private key PEM is encrypted; decrypt it first (openssl pkey -in KEY -out PLAIN).',
    );
  }
  const key = toPrivateKey(() => createPrivateKey(keyPem));
  const [certificate, ...rest] = pemCertificates(certPem, 'certificate');
  const chain = [...rest, ...(chainPem === undefined ? [] : pemCertificates(chainPem, 'chain'))];
  if (!certificate) throw new AppError(ErrorCode.KEY_INVALID, 'The certificate PEM contains no certificate.');
  if (!publicKeyMatches(key, certificate)) {
    throw new AppError(
      ErrorCode.KEY_INVALID,
      `The private key does not belong to the certificate "${subjectOf(certificate)}".`,
    );
  }
  return makeKey(key, certificate, chain);
}

function makeKey(key: KeyObject, certificate: Buffer, others: Buffer[]): SigningKey {
  return new SoftwareSigningKey(certificate, orderChain(certificate, others), keyAlgorithm(key), key);
}

/** RSA of at least 2048 bits or EC P-256; anything else is KEY_UNSUPPORTED. */
function keyAlgorithm(key: KeyObject): KeyAlgorithm {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits < 2048)
      throw new AppError(ErrorCode.KEY_UNSUPPORTED, `RSA keys of ${bits} bits are too weak; use 2048 bits or more.`);
    return { kind: 'rsa', bits };
  }
  if (type === 'ec' && details.namedCurve === 'prime256v1') return { kind: 'ec', curve: 'P-256', bits: 256 };
  const what = type === 'ec' ? `EC ${details.namedCurve}` : String(type);
  throw new AppError(
    ErrorCode.KEY_UNSUPPORTED,
    `The key type ${what} is not supported; use RSA (2048 bits or more) or EC P-256.`,
  );
}

function toPrivateKey(parse: () => KeyObject): KeyObject {
  let key: KeyObject;
  try {
    key = parse();
  } catch (error) {
    throw new AppError(ErrorCode.KEY_INVALID, `The private key cannot be read: ${(error as Error).message}`, {
      cause: error,
    });
  }
  keyAlgorithm(key);
  return key;
}

function publicKeyMatches(key: KeyObject, certificate: Buffer): boolean {
  try {
    const fromKey = createPublicKey(key).export({ type: 'spki', format: 'der' });
    return new X509Certificate(certificate).publicKey.export({ type: 'spki', format: 'der' }).equals(fromKey);
  } catch {
    return false;
  }
}

/** Orders `others` as the path upwards from `leaf` (issuer first, root last); unrelated ones follow. */
function orderChain(leaf: Buffer, others: readonly Buffer[]): Buffer[] {
  const parsed = others.map((der) => ({ der, x509: tryX509(der) }));
  const ordered: Buffer[] = [];
  let current = tryX509(leaf);
  while (current && !(current.issuer === current.subject && current.checkIssued(current))) {
    const child: X509Certificate = current;
    const issuer = parsed.find((p) => p.x509 && !ordered.includes(p.der) && child.checkIssued(p.x509));
    if (!issuer) break;
    ordered.push(issuer.der);
    current = issuer.x509;
  }
  return [...ordered, ...others.filter((der) => !ordered.includes(der))];
}

function tryX509(der: Buffer): X509Certificate | undefined {
  try {
    return new X509Certificate(der);
  } catch {
    return undefined;
  }
}

function subjectOf(certificate: Buffer): string {
  return tryX509(certificate)?.subject.replace(/\n/g, ', ') ?? 'unreadable certificate';
}

function pemCertificates(pem: string | Buffer, what: string): Buffer[] {
  const blocks = pem.toString().match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => {
    try {
      return new X509Certificate(block).raw;
    } catch (error) {
      throw new AppError(
        ErrorCode.KEY_INVALID,
        `The ${what} PEM holds a certificate that cannot be read: ${(error as Error).message}`,
      );
    }
  });
}

/** Decrypts the PKCS#12 (natively when it uses PBES2, else with node-forge) and returns the keys (PKCS#8 DER) and certificates (DER). */
async function openPkcs12(bytes: Buffer, password: string): Promise<{ keys: Buffer[]; certificates: Buffer[] }> {
  const modern = readModernPkcs12(bytes, password);
  if (modern) return modern;
  const { default: forge } = await import('node-forge');
  type Asn1 = ReturnType<typeof forge.asn1.fromDer>;
  let p12: ReturnType<typeof forge.pkcs12.pkcs12FromAsn1>;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(bytes.toString('binary')));
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, password);
  } catch (error) {
    const message = (error as Error).message;
    // forge reports a wrong password as a failed MAC, or (files without MAC) as an undecryptable key bag.
    if (/password/i.test(message))
      throw new AppError(ErrorCode.KEY_BAD_PASSWORD, 'The PKCS#12 password is wrong', { cause: error });
    throw new AppError(ErrorCode.KEY_INVALID, `The PKCS#12 file cannot be read: ${message}`, { cause: error });
  }
  const toBuffer = (asn1: Asn1) => Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
  const keys: Buffer[] = [];
  const certificates: Buffer[] = [];
  for (const safe of p12.safeContents) {
    for (const bag of safe.safeBags) {
      const raw = (bag as { asn1?: Asn1 }).asn1;
      if (bag.type === forge.pki.oids.certBag) {
        // forge parses RSA certificates; others come back as raw ASN.1.
        if (bag.cert) certificates.push(toBuffer(forge.pki.certificateToAsn1(bag.cert)));
        else if (raw) certificates.push(toBuffer(raw));
      } else if (bag.type === forge.pki.oids.keyBag || bag.type === forge.pki.oids.pkcs8ShroudedKeyBag) {
        if (bag.key) keys.push(toBuffer(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key))));
        else if (raw) keys.push(toBuffer(raw));
      }
    }
  }
  return { keys, certificates };
}
