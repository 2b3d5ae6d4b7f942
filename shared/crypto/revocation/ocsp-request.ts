/**
 * OCSP requests [RFC 6960 §4.1]: the CertID that names a certificate by its issuer's name and key hashes and
 * its serial, building a request (the client) and reading one (the responder, which also gets GET requests
 * and requests from openssl and other clients).
 */
import { createHash } from 'node:crypto';
import type { CertificateInfo } from '../certificate-info.js';
import {
  type DerElement,
  DerError,
  expectTag,
  explicit,
  nullValue,
  octetString,
  oid,
  readBitString,
  readDer,
  readOctetString,
  readOid,
  sequence,
  Tag,
  tlv,
} from '../der.js';
import { digestName, OID } from '../oids.js';

/** A CertID as sent or received. */
export interface CertId {
  /** OID of the hash of the issuer name and key. */
  readonly hashAlgorithm: string;
  readonly issuerNameHash: Buffer;
  readonly issuerKeyHash: Buffer;
  /** Content octets of the serial INTEGER. */
  readonly serialNumber: Buffer;
  /** The CertID's DER, echoed in the response. */
  readonly der: Buffer;
}

/** The subjectPublicKey BIT STRING's value: what issuerKeyHash hashes [RFC 6960 §4.1.1]. */
export function publicKeyBits(info: CertificateInfo): Buffer {
  const spki = readDer(info.subjectPublicKeyInfo);
  return readBitString(spki.children()[1]!).bytes;
}

/** The hashes a CertID made with `hashOid` would carry for `issuer`; undefined for a hash we do not know. */
export function issuerHashes(
  issuer: CertificateInfo,
  hashOid: string,
): { nameHash: Buffer; keyHash: Buffer } | undefined {
  const hash = digestName(hashOid);
  if (!hash) return undefined;
  return {
    nameHash: createHash(hash).update(issuer.subjectNameDer).digest(),
    keyHash: createHash(hash).update(publicKeyBits(issuer)).digest(),
  };
}

/** The CertID of `certificate` (SHA-1, as most clients and responders use it) [RFC 6960 §4.1.1]. */
export function certIdOf(certificate: CertificateInfo, issuer: CertificateInfo): CertId {
  const hashes = issuerHashes(issuer, OID.sha1)!;
  const der = sequence(
    sequence(oid(OID.sha1), nullValue()),
    octetString(hashes.nameHash),
    octetString(hashes.keyHash),
    tlv(Tag.INTEGER, certificate.serialNumberContent),
  );
  return parseCertId(readDer(der));
}

/** OCSPRequest for one CertID, with a nonce extension when given [RFC 6960 §4.1.1, §4.4.1]. */
export function buildOcspRequest(id: CertId, nonce?: Buffer): Buffer {
  const request = sequence(id.der);
  const extensions = nonce
    ? [explicit(2, sequence(sequence(oid(OID.ocspNonce), octetString(octetString(nonce)))))]
    : [];
  return sequence(sequence(sequence(request), ...extensions));
}

/** What a responder needs from a request. */
export interface ParsedOcspRequest {
  readonly certIds: readonly CertId[];
  /** The nonce extension's value (its extnValue content), to echo unchanged. */
  readonly nonceExtensionValue: Buffer | undefined;
}

/** Reads an OCSPRequest; throws `DerError` when it is not one. */
export function parseOcspRequest(der: Buffer): ParsedOcspRequest {
  const root = expectTag(readDer(der, 0, { ber: true }), Tag.SEQUENCE, 'OCSPRequest');
  if (root.end !== der.length) throw new DerError('bytes follow the OCSPRequest', root.end);
  const tbs = expectTag(root.children()[0], Tag.SEQUENCE, 'TBSRequest').children();
  const list = tbs.find((e) => e.tag === Tag.SEQUENCE);
  if (!list) throw new DerError('Missing requestList', root.start);
  const certIds = list
    .children()
    .map((request) => parseCertId(expectTag(request, Tag.SEQUENCE, 'Request').children()[0]));
  if (certIds.length === 0) throw new DerError('The requestList is empty', list.start);
  let nonceExtensionValue: Buffer | undefined;
  const extensions = tbs.find((e) => e.tag === 0xa2)?.children()[0];
  for (const extension of extensions?.children() ?? []) {
    const parts = extension.children();
    if (readOid(parts[0]!) === OID.ocspNonce) nonceExtensionValue = readOctetString(parts[parts.length - 1]!);
  }
  return { certIds, nonceExtensionValue };
}

/** CertID ::= SEQUENCE { hashAlgorithm, issuerNameHash, issuerKeyHash, serialNumber }. */
export function parseCertId(element: DerElement | undefined): CertId {
  const [algorithm, nameHash, keyHash, serial] = expectTag(element, Tag.SEQUENCE, 'CertID').children();
  return {
    hashAlgorithm: readOid(expectTag(algorithm, Tag.SEQUENCE, 'hashAlgorithm').children()[0]!),
    issuerNameHash: readOctetString(nameHash!),
    issuerKeyHash: readOctetString(keyHash!),
    serialNumber: expectTag(serial, Tag.INTEGER, 'serialNumber').content,
    der: element!.encoded,
  };
}

/** Two serials as values (a producer may keep a redundant leading zero octet). */
export function sameSerial(a: Buffer, b: Buffer): boolean {
  const strip = (x: Buffer) => {
    let i = 0;
    while (i < x.length - 1 && x[i] === 0) i++;
    return x.subarray(i);
  };
  return strip(a).equals(strip(b));
}
