/**
 * Finding certificates and private keys on a token. A certificate and its key are paired by CKA_ID, the
 * convention of PKCS#11 v2.40 (CKA_ID of certificate and key objects) that softhsm2-util, pkcs11-tool and the SafeNet tools follow.
 * Private keys are private objects: they are only visible after C_Login.
 */
import { X509Certificate } from 'node:crypto';
import type { Attribute, PKCS11 } from 'pkcs11js';
import pkcs11js from 'pkcs11js';
import { needsReconnect } from './pkcs11-error.js';
import { readKeyInfo, type TokenKeyInfo } from './token-key-info.js';

/** An X.509 certificate object on the token. */
export interface TokenCertificateObject {
  /** CKA_ID as lower-case hex; the handle callers use to pick the signing key. */
  id: string;
  /** CKA_LABEL (UTF-8). */
  label: string;
  /** CKA_VALUE: the certificate DER. */
  certificate: Buffer;
  /** Subject DN as Node prints it; empty when the DER does not parse. */
  subject: string;
  /** End of validity; undefined when the DER does not parse. */
  notAfter: Date | undefined;
}

/** A certificate with what the token holds for it. */
export interface TokenCertificate extends TokenCertificateObject {
  /** Whether a CKO_PRIVATE_KEY with the same CKA_ID exists (seen while logged in). */
  hasPrivateKey: boolean;
  /** Type and size of that private key; undefined without a key (or if its attributes cannot be read). */
  key: TokenKeyInfo | undefined;
}

const X509_TEMPLATE: Attribute[] = [
  { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
  { type: pkcs11js.CKA_CERTIFICATE_TYPE, value: pkcs11js.CKC_X_509 },
];

/** Every X.509 certificate object visible in `session`, in token order. */
export function listCertificateObjects(p11: PKCS11, session: Buffer): TokenCertificateObject[] {
  return findObjects(p11, session, X509_TEMPLATE).map((handle) => readCertificate(p11, session, handle));
}

/** Every certificate, each paired with the private key of the same CKA_ID (if any). */
export function listTokenCertificates(p11: PKCS11, session: Buffer): TokenCertificate[] {
  const keys = new Map<string, Buffer>();
  for (const handle of findObjects(p11, session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }])) {
    const id = readAttribute(p11, session, handle, pkcs11js.CKA_ID).toString('hex');
    if (!keys.has(id)) keys.set(id, handle);
  }
  return listCertificateObjects(p11, session).map((cert) => {
    const key = keys.get(cert.id);
    return { ...cert, hasPrivateKey: key !== undefined, key: key && keyInfoOrUndefined(p11, session, key) };
  });
}

/** Key info for the inventory; a key whose attributes cannot be read is listed without type and size. */
function keyInfoOrUndefined(p11: PKCS11, session: Buffer, key: Buffer): TokenKeyInfo | undefined {
  try {
    return readKeyInfo(p11, session, key);
  } catch (error) {
    if (needsReconnect(error)) throw error; // the session is gone: the whole listing must be redone
    return undefined;
  }
}

/** The first X.509 certificate with this CKA_ID, or undefined. */
export function findCertificate(p11: PKCS11, session: Buffer, id: Buffer): TokenCertificateObject | undefined {
  const [handle] = findObjects(p11, session, [...X509_TEMPLATE, { type: pkcs11js.CKA_ID, value: id }], 1);
  return handle && readCertificate(p11, session, handle);
}

/** The handle of the first private key with this CKA_ID, or undefined (also when not logged in). */
export function findPrivateKey(p11: PKCS11, session: Buffer, id: Buffer): Buffer | undefined {
  const template = [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
    { type: pkcs11js.CKA_ID, value: id },
  ];
  return findObjects(p11, session, template, 1)[0];
}

/** C_FindObjectsInit / C_FindObjects / C_FindObjectsFinal, collecting up to `limit` handles. */
function findObjects(p11: PKCS11, session: Buffer, template: Attribute[], limit = Number.POSITIVE_INFINITY): Buffer[] {
  p11.C_FindObjectsInit(session, template);
  const handles: Buffer[] = [];
  try {
    while (handles.length < limit) {
      const batch = p11.C_FindObjects(session, Math.min(64, limit - handles.length));
      if (batch.length === 0) break;
      handles.push(...batch);
    }
  } catch (error) {
    try {
      p11.C_FindObjectsFinal(session);
    } catch {
      // the search failed already; report that error, not this one
    }
    throw error;
  }
  p11.C_FindObjectsFinal(session);
  return handles;
}

/**
 * Subject and expiry by certificate DER (hex). Every signature opens its key and so reads its certificate
 * object; parsing the same DER again each time cost ~0.3–1 ms of a worker's time per document. Bounded.
 */
const described = new Map<string, { subject: string; notAfter: Date | undefined }>();

function describe(certificate: Buffer): { subject: string; notAfter: Date | undefined } {
  const key = certificate.toString('hex');
  const known = described.get(key);
  if (known) return { subject: known.subject, notAfter: known.notAfter && new Date(known.notAfter) };
  let subject = '';
  let notAfter: Date | undefined;
  try {
    const x509 = new X509Certificate(certificate);
    subject = x509.subject;
    notAfter = new Date(x509.validTo);
  } catch {
    // A damaged certificate object stays in the inventory (the operator must see it) without dates.
  }
  if (described.size >= 256) described.clear();
  described.set(key, { subject, notAfter: notAfter && new Date(notAfter) });
  return { subject, notAfter };
}

function readCertificate(p11: PKCS11, session: Buffer, handle: Buffer): TokenCertificateObject {
  const [id, label, value] = p11.C_GetAttributeValue(session, handle, [
    { type: pkcs11js.CKA_ID },
    { type: pkcs11js.CKA_LABEL },
    { type: pkcs11js.CKA_VALUE },
  ]);
  const certificate = Buffer.from(value!.value);
  const { subject, notAfter } = describe(certificate);
  return { id: id!.value.toString('hex'), label: label!.value.toString('utf8'), certificate, subject, notAfter };
}

function readAttribute(p11: PKCS11, session: Buffer, handle: Buffer, type: number): Buffer {
  return p11.C_GetAttributeValue(session, handle, [{ type }])[0]!.value;
}
