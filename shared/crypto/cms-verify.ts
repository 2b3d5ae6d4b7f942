/**
 * Verifies a detached CMS signature (ours or another product's) against the digest of the signed bytes and
 * reports what it found as plain values. It never throws for a damaged CMS: `integrity` is false and
 * `problems` says why.
 */
import { createHash } from 'node:crypto';
import { type CertificateInfo, describeCertificate } from './certificate-info.js';
import { buildCertificatePath, type CertificatePath } from './certificate-path.js';
import {
  attributeValue,
  type CmsSignerInfo,
  findSignerCertificate,
  parseSignedData,
  verifySignatureValue,
} from './cms-signed-data.js';
import { type DerElement, readOctetString, readOid } from './der.js';
import { digestName, OID } from './oids.js';
import { checkTimeStampToken, imprintMatches } from './timestamp-token.js';

/** Options of `verifyCmsSignature`. */
export interface CmsVerifyOptions {
  /** DER of the trusted root certificates; without them no chain is trusted. */
  trustRoots?: Buffer[];
  /** When to check certificate validity. @default the timestamp's genTime if it verifies, else now */
  at?: Date;
}

/** The signature timestamp (B-T) as found. */
export interface TimestampReport {
  readonly genTime: Date;
  /** The token's imprint is the hash of this signature's value. */
  readonly imprintMatches: boolean;
  /** The TSA's signature on the token verifies. */
  readonly signatureValid: boolean;
  readonly tsaSubject: string | undefined;
  /** The TSA certificate's path to `trustRoots`, at genTime. */
  readonly chain: CertificatePath;
}

/** What `verifyCmsSignature` found. */
export interface CmsVerifyReport {
  /** The message digest matches AND the signature over the signed attributes verifies with the signer's key. */
  integrity: boolean;
  /** Human-readable reasons for anything that is wrong (empty when all is well). */
  problems: string[];
  signerCertificate: Buffer | undefined;
  signer: CertificateInfo | undefined;
  certificates: Buffer[];
  /** Node name of the digest algorithm (`sha256`), or its OID when unknown. */
  digestAlgorithm: string | undefined;
  hasSigningCertificateV2: boolean;
  /** The ESS signing-certificate-v2 hash is the hash of the signer certificate. */
  signingCertificateV2Matches: boolean;
  hasSigningTime: boolean;
  contentTypeIsData: boolean;
  timestamp: TimestampReport | undefined;
  chain: CertificatePath;
}

/** The digests a signature's message digest may use; SHA-1 and SHA-224 are too weak to rely on today. */
export const CHECKED_DIGESTS: readonly string[] = ['sha256', 'sha384', 'sha512'];

/**
 * The Node digest name (`sha256`, `sha384`, `sha512`) the signer of `cms` hashed the signed bytes with, so the
 * caller can hash the /ByteRange with it before calling `verifyCmsSignature`. Falls back to `sha256` when the
 * CMS cannot be read or names a digest we do not check (the verifier then reports why).
 */
export function signedBytesDigestName(cms: Buffer): string {
  try {
    const name = digestName(parseSignedData(cms).signerInfos[0]?.digestAlgorithm ?? '');
    return name && CHECKED_DIGESTS.includes(name) ? name : 'sha256';
  } catch {
    return 'sha256';
  }
}

/**
 * Verifies `cms` (DER ContentInfo) against `signedBytesDigest`: the hash of the signed bytes with the signer's
 * digest algorithm (see `signedBytesDigestName`).
 */
export function verifyCmsSignature(
  cms: Buffer,
  signedBytesDigest: Buffer,
  options: CmsVerifyOptions = {},
): CmsVerifyReport {
  const report: CmsVerifyReport = {
    integrity: false,
    problems: [],
    signerCertificate: undefined,
    signer: undefined,
    certificates: [],
    digestAlgorithm: undefined,
    hasSigningCertificateV2: false,
    signingCertificateV2Matches: false,
    hasSigningTime: false,
    contentTypeIsData: false,
    timestamp: undefined,
    chain: { trusted: false, path: [], problem: 'The signature was not checked.' },
  };
  try {
    checkSignature(report, cms, signedBytesDigest, options);
  } catch (error) {
    report.integrity = false;
    report.problems.push(`The signature data is damaged: ${(error as Error).message}.`);
  }
  return report;
}

function checkSignature(report: CmsVerifyReport, cms: Buffer, digest: Buffer, options: CmsVerifyOptions): void {
  const signedData = parseSignedData(cms);
  report.certificates = signedData.certificates.map((c) => Buffer.from(c));
  const signerInfo = signedData.signerInfos[0];
  if (!signerInfo) throw new Error('the CMS has no SignerInfo');
  if (signedData.signerInfos.length > 1)
    report.problems.push('The CMS has several signers; only the first is checked.');
  report.digestAlgorithm = digestName(signerInfo.digestAlgorithm) ?? signerInfo.digestAlgorithm;
  if (!signedData.digestAlgorithms.includes(signerInfo.digestAlgorithm)) {
    report.problems.push('The signer digest algorithm is missing from SignedData.digestAlgorithms.');
  }
  const certificate = findSignerCertificate(signedData.certificates, signerInfo.sid);
  if (!certificate) throw new Error('the signer certificate is not in the CMS');
  report.signerCertificate = Buffer.from(certificate);
  report.signer = describeCertificate(certificate);
  const attributesOk = checkSignedAttributes(report, signerInfo, digest, certificate, signedData.contentType);
  const signatureOk = checkSignatureValue(report, signerInfo, certificate);
  report.integrity = attributesOk && signatureOk;

  const tokenValue = attributeValue(signerInfo.unsignedAttributes, OID.signatureTimeStampToken);
  if (tokenValue) report.timestamp = checkTimestamp(report, tokenValue, signerInfo.signature, options.trustRoots ?? []);
  const timestampTrusted = report.timestamp?.signatureValid && report.timestamp.imprintMatches;
  const at = options.at ?? (timestampTrusted ? report.timestamp!.genTime : new Date());
  report.chain = buildCertificatePath(certificate, signedData.certificates, options.trustRoots ?? [], at);
  if (report.chain.problem) report.problems.push(report.chain.problem);
}

/** content-type, message-digest, signing-certificate(-v2) and signing-time [RFC 5652 §11; RFC 5035]. */
function checkSignedAttributes(
  report: CmsVerifyReport,
  signerInfo: CmsSignerInfo,
  digest: Buffer,
  certificate: Buffer,
  eContentType: string,
): boolean {
  const attributes = signerInfo.signedAttributes;
  if (!signerInfo.signedAttributesDer) {
    report.problems.push(
      'The signature has no signed attributes; only signatures with signed attributes can be checked.',
    );
    return false;
  }
  const contentTypeEl = attributeValue(attributes, OID.contentType);
  const contentType = contentTypeEl ? readOid(contentTypeEl) : undefined;
  // The content-type attribute must repeat eContentType [RFC 5652 §5.3, §11.1].
  if (contentType !== eContentType) report.problems.push('The content-type attribute does not match eContentType.');
  report.contentTypeIsData = contentType === OID.data && eContentType === OID.data;
  report.hasSigningTime = attributes.some((a) => a.type === OID.signingTime);
  const essValue = attributeValue(attributes, OID.signingCertificateV2);
  report.hasSigningCertificateV2 = essValue !== undefined;
  if (essValue) {
    report.signingCertificateV2Matches = essCertHashMatches(essValue, certificate);
    if (!report.signingCertificateV2Matches) {
      report.problems.push(
        'The signing-certificate-v2 attribute names a different certificate than the signer certificate.',
      );
    }
  }
  const messageDigest = attributeValue(attributes, OID.messageDigest);
  if (!messageDigest) {
    report.problems.push('The signature has no message-digest attribute.');
    return false;
  }
  const hash = digestName(signerInfo.digestAlgorithm);
  if (!hash || !CHECKED_DIGESTS.includes(hash)) {
    report.problems.push(
      `The signature uses the digest ${report.digestAlgorithm}; only SHA-256, SHA-384 and SHA-512 signatures can be checked.`,
    );
    return false;
  }
  if (digest.length !== createHash(hash).digest().length) {
    report.problems.push(`The signed bytes were not hashed with the signature's digest ${hash}.`);
    return false;
  }
  if (!readOctetString(messageDigest).equals(digest)) {
    report.problems.push('The signed bytes were changed after signing: the message digest does not match.');
    return false;
  }
  return true;
}

/** ESSCertIDv2.certHash of the first certs entry; hashAlgorithm defaults to SHA-256 [RFC 5035 §4]. */
function essCertHashMatches(value: DerElement, certificate: Buffer): boolean {
  const essCertId = value.children()[0]?.children()[0];
  if (!essCertId) return false;
  const fields = essCertId.children();
  const hashOid = fields[0]?.tag === 0x30 ? readOid(fields[0].children()[0]!) : OID.sha256;
  const certHash = readOctetString(fields[0]?.tag === 0x30 ? fields[1]! : fields[0]!);
  const hash = digestName(hashOid);
  return hash !== undefined && createHash(hash).update(certificate).digest().equals(certHash);
}

function checkSignatureValue(report: CmsVerifyReport, signerInfo: CmsSignerInfo, certificate: Buffer): boolean {
  if (!signerInfo.signedAttributesDer) return false;
  try {
    if (verifySignatureValue(signerInfo, certificate, signerInfo.signedAttributesDer)) return true;
    report.problems.push('The signature value does not verify with the signer certificate.');
  } catch (error) {
    report.problems.push(`The signature value cannot be checked: ${(error as Error).message}.`);
  }
  return false;
}

/** The signature timestamp: its imprint must be the hash of the signature value [RFC 3161 App. A]. */
function checkTimestamp(
  report: CmsVerifyReport,
  value: DerElement,
  signature: Buffer,
  roots: Buffer[],
): TimestampReport | undefined {
  let token: ReturnType<typeof checkTimeStampToken>;
  try {
    token = checkTimeStampToken(value.encoded);
  } catch (error) {
    report.problems.push(`The signature timestamp is damaged: ${(error as Error).message}.`);
    return undefined;
  }
  const matches = imprintMatches(token.info, signature);
  if (!matches) report.problems.push('The signature timestamp was made for a different signature value.');
  if (token.problem) report.problems.push(token.problem);
  const tsa = token.tsaCertificate ? describeCertificate(token.tsaCertificate) : undefined;
  const chain: CertificatePath = token.tsaCertificate
    ? buildCertificatePath(token.tsaCertificate, token.certificates, roots, token.info.genTime)
    : { trusted: false, path: [], problem: 'The timestamp token does not contain the TSA certificate.' };
  if (chain.problem && token.tsaCertificate) report.problems.push(`Timestamp: ${chain.problem}`);
  return {
    genTime: token.info.genTime,
    imprintMatches: matches,
    signatureValid: token.signatureValid,
    tsaSubject: tsa?.subject,
    chain,
  };
}
