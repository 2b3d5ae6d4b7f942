/**
 * The internal CA's delegated OCSP responder certificate [RFC 6960 §4.2.2.2]: issued by the root for
 * id-kp-OCSPSigning only, with id-pkix-ocsp-nocheck (its own status is not checked, §4.2.2.2.1) and so
 * short-lived: 90 days, renewed once a third of that is left. Its EC P-256 key is generated in software and
 * sealed under the master key like the CA's other keys; the root key is opened only to issue it.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { describeCertificate } from '../certificate-info.js';
import type { MasterKey } from '../master-key.js';
import { OID } from '../oids.js';
import { generateCaKeyPair, signingAlgorithm } from './ca-key-types.js';
import { openRootSigner } from './ca-root.js';
import { randomSerialNumber } from './ca-serial.js';
import { type CaStore, OCSP_KEY_CONTEXT, type OcspSignerRecord } from './ca-store.js';
import { subjectName } from './ca-subject.js';
import { BACKDATE_MS } from './create-root.js';
import { loadX509 } from './x509-library.js';

/** Validity of a responder certificate. */
const VALIDITY_DAYS = 90;
const DAY = 86_400_000;

/** The responder, ready to sign answers. */
export interface OcspSigner {
  certificate: Buffer;
  key: KeyObject;
  keyType: OcspSignerRecord['keyType'];
}

/**
 * The stored responder, issued (again) when missing or due for renewal.
 * @throws AppError CA_NOT_INITIALIZED, MASTER_KEY_INVALID.
 */
export async function ensureOcspSigner(store: CaStore, masterKey: MasterKey, now = new Date()): Promise<OcspSigner> {
  let record = await store.loadOcspSigner();
  if (!record || renewalDue(record.certificate, now)) {
    record = await issueOcspSigner(store, masterKey, now);
    await store.saveOcspSigner(record);
  }
  const pkcs8 = masterKey.open(record.key, OCSP_KEY_CONTEXT);
  try {
    return {
      certificate: record.certificate,
      key: createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }),
      keyType: record.keyType,
    };
  } finally {
    pkcs8.fill(0);
  }
}

function renewalDue(certificate: Buffer, now: Date): boolean {
  const { notBefore, notAfter } = describeCertificate(certificate);
  const life = notAfter.getTime() - notBefore.getTime();
  return notAfter.getTime() - now.getTime() < life / 3 || now < notBefore;
}

/** Issues a responder certificate for a fresh key (not stored yet). */
export async function issueOcspSigner(store: CaStore, masterKey: MasterKey, now: Date): Promise<OcspSignerRecord> {
  const root = await openRootSigner(store, masterKey);
  const x509 = await loadX509();
  const { keys, pkcs8 } = await generateCaKeyPair('ec-p256');
  try {
    const notAfter = Math.min(now.getTime() + VALIDITY_DAYS * DAY, root.certificate.notAfter.getTime());
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerialNumber(),
      subject: new x509.Name(responderSubject(root.record.certificate)),
      issuer: root.certificate.subjectName,
      notBefore: new Date(Math.max(now.getTime() - BACKDATE_MS, root.certificate.notBefore.getTime())),
      notAfter: new Date(notAfter),
      publicKey: keys.publicKey,
      signingKey: root.key,
      signingAlgorithm: signingAlgorithm(root.record.keyType),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([OID.kpOcspSigning], true),
        // id-pkix-ocsp-nocheck's value is NULL [RFC 6960 §4.2.2.2.1].
        new x509.Extension(OID.ocspNoCheck, false, new Uint8Array([0x05, 0x00])),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        new x509.AuthorityKeyIdentifierExtension(root.keyIdentifier),
      ],
    });
    return {
      certificate: Buffer.from(certificate.rawData),
      keyType: 'ec-p256',
      key: masterKey.seal(pkcs8, OCSP_KEY_CONTEXT),
      createdAt: now.toISOString(),
    };
  } finally {
    pkcs8.fill(0);
  }
}

/** "<root CN> OCSP Responder", in the root's organisation. */
function responderSubject(rootDer: Buffer) {
  const root = describeCertificate(rootDer);
  const commonName = `${root.subjectCommonName ?? 'Internal CA'} OCSP Responder`.slice(0, 64);
  return subjectName({ commonName, ...(root.subjectOrganization ? { organization: root.subjectOrganization } : {}) });
}
