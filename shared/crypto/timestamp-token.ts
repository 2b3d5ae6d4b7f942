/**
 * RFC 3161 TimeStampToken: a SignedData whose content is TSTInfo [RFC 3161 §2.4.2]. `checkTimeStampToken`
 * parses it and checks the TSA's signature; `imprintMatches` checks what was timestamped.
 */
import { createHash } from 'node:crypto';
import { describeCertificate } from './certificate-info.js';
import {
  attributeValue,
  type CmsSignerInfo,
  findSignerCertificate,
  parseSignedData,
  verifySignatureValue,
} from './cms-signed-data.js';
import { DerError, expectTag, readDer, readInteger, readOctetString, readOid, readTime, Tag } from './der.js';
import { digestName, OID } from './oids.js';

/** The fields of TSTInfo we use. */
export interface TstInfo {
  readonly policy: string;
  /** OID of the messageImprint hash algorithm. */
  readonly hashAlgorithm: string;
  readonly hashedMessage: Buffer;
  readonly serialNumber: bigint;
  readonly genTime: Date;
  readonly nonce: bigint | undefined;
}

/** What `checkTimeStampToken` found. */
export interface TimeStampTokenCheck {
  readonly info: TstInfo;
  /** The TSA's signature verifies and its message digest matches the TSTInfo. */
  readonly signatureValid: boolean;
  /** Why the token is not acceptable (signature, digest, TSA certificate); undefined when it is. */
  readonly problem: string | undefined;
  /** DER of the TSA's certificate, when the token carries it. */
  readonly tsaCertificate: Buffer | undefined;
  /** DER of all certificates in the token. */
  readonly certificates: readonly Buffer[];
}

/** Parses and checks a TimeStampToken (DER ContentInfo); throws `DerError` when it cannot be parsed at all. */
export function checkTimeStampToken(token: Buffer): TimeStampTokenCheck {
  const signedData = parseSignedData(token);
  if (signedData.contentType !== OID.tstInfo || !signedData.content) {
    throw new DerError(`The timestamp token holds ${signedData.contentType}, not TSTInfo`, 0);
  }
  const info = parseTstInfo(signedData.content);
  const signerInfo = signedData.signerInfos[0];
  if (!signerInfo || signedData.signerInfos.length !== 1) {
    throw new DerError('A timestamp token must have exactly one SignerInfo', 0);
  }
  const tsaCertificate = findSignerCertificate(signedData.certificates, signerInfo.sid);
  const base = { info, tsaCertificate, certificates: signedData.certificates };
  if (!tsaCertificate) {
    return { ...base, signatureValid: false, problem: 'The timestamp token does not contain the TSA certificate.' };
  }
  const signatureProblem = checkTokenSignature(signerInfo, tsaCertificate, signedData.content);
  if (signatureProblem) return { ...base, signatureValid: false, problem: signatureProblem };
  const tsa = describeCertificate(tsaCertificate);
  // The TSA certificate must have exactly one, critical, extended key usage: timeStamping [RFC 3161 §2.3].
  const ekuOk =
    tsa.extendedKeyUsageCritical && tsa.extendedKeyUsage?.length === 1 && tsa.extendedKeyUsage[0] === 'timeStamping';
  const problem = ekuOk
    ? undefined
    : `The TSA certificate "${tsa.subject}" lacks the critical timeStamping extended key usage (RFC 3161 §2.3).`;
  return { ...base, signatureValid: true, problem };
}

function checkTokenSignature(signerInfo: CmsSignerInfo, certificate: Buffer, content: Buffer): string | undefined {
  const hash = digestName(signerInfo.digestAlgorithm);
  if (!hash) return `The timestamp token uses the unknown digest ${signerInfo.digestAlgorithm}.`;
  if (!signerInfo.signedAttributesDer) return 'The timestamp token has no signed attributes.';
  // RFC 5652 §5.3: with signed attributes, content-type must equal eContentType and message-digest the content.
  const contentType = attributeValue(signerInfo.signedAttributes, OID.contentType);
  const digest = attributeValue(signerInfo.signedAttributes, OID.messageDigest);
  if (!contentType || readOid(contentType) !== OID.tstInfo)
    return 'The timestamp token content-type attribute is wrong.';
  if (!digest || !readOctetString(digest).equals(createHash(hash).update(content).digest())) {
    return 'The timestamp token message digest does not match its TSTInfo.';
  }
  try {
    if (verifySignatureValue(signerInfo, certificate, signerInfo.signedAttributesDer)) return undefined;
    return 'The TSA signature on the timestamp token does not verify.';
  } catch (error) {
    return `The TSA signature cannot be checked: ${(error as Error).message}.`;
  }
}

/** TSTInfo [RFC 3161 §2.4.2]. */
function parseTstInfo(der: Buffer): TstInfo {
  const [versionEl, policyEl, imprintEl, serialEl, genTimeEl, ...optional] = expectTag(
    readDer(der, 0, { ber: true }),
    Tag.SEQUENCE,
    'TSTInfo',
  ).children();
  if (readInteger(versionEl!) !== 1n) throw new DerError('Unsupported TSTInfo version', versionEl!.start);
  const [algorithmEl, hashEl] = expectTag(imprintEl, Tag.SEQUENCE, 'messageImprint').children();
  // nonce is the only untagged INTEGER among the optional fields (accuracy is a SEQUENCE, ordering a BOOLEAN).
  const nonceEl = optional.find((e) => e.tag === Tag.INTEGER);
  return {
    policy: readOid(policyEl!),
    hashAlgorithm: readOid(expectTag(algorithmEl, Tag.SEQUENCE, 'hashAlgorithm').children()[0]!),
    hashedMessage: readOctetString(hashEl!),
    serialNumber: readInteger(serialEl!),
    genTime: readTime(expectTag(genTimeEl, Tag.GENERALIZED_TIME, 'genTime')),
    nonce: nonceEl ? readInteger(nonceEl) : undefined,
  };
}

/** Whether the token's messageImprint is the hash of `data` (with the token's own hash algorithm). */
export function imprintMatches(info: TstInfo, data: Buffer): boolean {
  const hash = digestName(info.hashAlgorithm);
  return hash !== undefined && createHash(hash).update(data).digest().equals(info.hashedMessage);
}
