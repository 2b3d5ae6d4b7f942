/**
 * Reading and checking X.509 CRLs [RFC 5280 §5]: issuer, thisUpdate/nextUpdate, the revoked serials with date
 * and reason, and the issuer's signature. Used for B-LT (fetched CRLs) and by the verifier (embedded CRLs).
 */
import { type CertificateInfo, describeCertificate } from '../certificate-info.js';
import { verifyAlgorithmSignature } from '../cms-signed-data.js';
import { type DerElement, expectTag, readBitString, readDer, readOctetString, readOid, readTime, Tag } from '../der.js';
import { OID } from '../oids.js';
import { sameSerial } from './ocsp-request.js';

/** One revoked certificate. */
export interface CrlEntry {
  readonly serialNumber: Buffer;
  readonly revocationDate: Date;
  /** CRLReason code, when given. */
  readonly reason: number | undefined;
}

/** A parsed CRL. */
export interface Crl {
  readonly der: Buffer;
  readonly issuerNameDer: Buffer;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  readonly entries: readonly CrlEntry[];
  readonly signed: { tbs: Buffer; algorithm: string; parameters: DerElement | undefined; signature: Buffer };
}

/** Parses a DER CertificateList; throws `DerError` when it is not one. */
export function parseCrl(der: Buffer): Crl {
  const root = expectTag(readDer(der), Tag.SEQUENCE, 'CertificateList');
  const [tbsEl, algorithmEl, signatureEl] = root.children();
  const tbs = expectTag(tbsEl, Tag.SEQUENCE, 'TBSCertList').children();
  const fields = tbs[0]?.tag === Tag.INTEGER ? tbs.slice(1) : tbs; // version is optional (v1)
  const [, issuerEl, thisUpdateEl, ...rest] = fields;
  const nextEl =
    rest[0] && (rest[0].tag === Tag.UTC_TIME || rest[0].tag === Tag.GENERALIZED_TIME) ? rest[0] : undefined;
  const revokedEl = rest.find((e) => e.tag === Tag.SEQUENCE);
  const [algorithmOid, parameters] = expectTag(algorithmEl, Tag.SEQUENCE, 'signatureAlgorithm').children();
  return {
    der: root.encoded,
    issuerNameDer: expectTag(issuerEl, Tag.SEQUENCE, 'issuer').encoded,
    thisUpdate: readTime(thisUpdateEl!),
    nextUpdate: nextEl ? readTime(nextEl) : undefined,
    entries: revokedEl ? revokedEl.children().map(parseEntry) : [],
    signed: {
      tbs: tbsEl!.encoded,
      algorithm: readOid(algorithmOid!),
      parameters,
      signature: readBitString(signatureEl!).bytes,
    },
  };
}

function parseEntry(element: DerElement): CrlEntry {
  const [serialEl, dateEl, extensionsEl] = element.children();
  let reason: number | undefined;
  for (const extension of extensionsEl?.children() ?? []) {
    const parts = extension.children();
    if (readOid(parts[0]!) === OID.cRLReason) reason = readDer(readOctetString(parts[parts.length - 1]!)).content[0];
  }
  return {
    serialNumber: expectTag(serialEl, Tag.INTEGER, 'userCertificate').content,
    revocationDate: readTime(dateEl!),
    reason,
  };
}

/** Why `crl` cannot be used for certificates of `issuerDer`; undefined when it can. Never throws. */
export function crlProblem(crl: Crl, issuerDer: Buffer): string | undefined {
  const issuer = describeCertificate(issuerDer);
  if (!crl.issuerNameDer.equals(issuer.subjectNameDer)) return 'the CRL was issued by another CA';
  if (issuer.keyUsage && !issuer.keyUsage.includes('cRLSign')) return `"${issuer.subject}" may not sign CRLs`;
  try {
    const { tbs, algorithm, parameters, signature } = crl.signed;
    if (!verifyAlgorithmSignature({ algorithm, parameters }, issuer.subjectPublicKeyInfo, tbs, signature)) {
      return 'the CRL signature does not verify with its issuer';
    }
  } catch (error) {
    return `the CRL signature cannot be checked: ${(error as Error).message}`;
  }
  return undefined;
}

/** The entry of `certificate` in `crl`, if it is listed. */
export function crlEntryOf(crl: Crl, certificate: CertificateInfo): CrlEntry | undefined {
  return crl.entries.find((e) => sameSerial(e.serialNumber, certificate.serialNumberContent));
}
