/**
 * Builds the CMS for a PAdES baseline signature (B-B, or B-T with a timestamp) [ETSI EN 319 142-1 §6.3,
 * ETSI EN 319 122-1 §5.2]: a detached `ContentInfo(SignedData)` over the SHA-256 of the ByteRange bytes, with
 * content-type, message-digest and ESS signing-certificate-v2 as signed attributes and no signing-time (the
 * claimed time lives in the signature dictionary's /M).
 */
import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { AppError, ErrorCode } from '../errors.js';
import { type CertificateInfo, describeCertificate } from './certificate-info.js';
import {
  explicit,
  implicit,
  integer,
  nullValue,
  octetString,
  oid,
  raw,
  readDer,
  sequence,
  setOf,
  Tag,
  tlv,
} from './der.js';
import { OID } from './oids.js';
import type { KeyAlgorithm, SigningKey } from './signing-key.js';

/** Options of `buildPadesSignature`. */
export interface PadesSignatureOptions {
  key: SigningKey;
  /** SHA-256 of the signed bytes (the two ByteRange parts), computed by the PDF engine. */
  documentDigest: Buffer;
  /**
   * Fetches an RFC 3161 TimeStampToken (DER ContentInfo) over the given signature value; when present the
   * signature becomes B-T. Typically `(value) => requestTimestamp(tsaUrl, value)`.
   */
  timestamp?: (signatureValue: Buffer) => Promise<Buffer>;
}

/** Builds the DER `ContentInfo(SignedData)` to place into the PDF signature's /Contents. */
export async function buildPadesSignature(options: PadesSignatureOptions): Promise<Buffer> {
  const { key, documentDigest } = options;
  if (documentDigest.length !== 32) {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `The document digest must be a 32-byte SHA-256 value, got ${documentDigest.length} bytes.`,
    );
  }
  const signer = describeCertificate(key.certificate);
  if (signer.keyAlgorithm?.kind !== key.algorithm.kind) {
    throw new AppError(
      ErrorCode.KEY_INVALID,
      `The key is ${key.algorithm.kind.toUpperCase()} but the certificate "${signer.subject}" holds a ${signer.publicKeyDescription} key.`,
    );
  }
  const signedAttributes = buildSignedAttributes(documentDigest, key.certificate, signer);
  const signature = await key.sign(signedAttributes);
  assertSignatureVerifies(signer, signedAttributes, signature);
  const unsignedAttributes = options.timestamp ? await timestampAttribute(options.timestamp, signature) : undefined;

  const signerInfo = sequence(
    integer(1), // version 1: sid is IssuerAndSerialNumber [RFC 5652 §5.3]
    sequence(raw(signer.issuerNameDer), tlv(Tag.INTEGER, signer.serialNumberContent)),
    digestAlgorithmSha256(),
    implicit(0, signedAttributes),
    signatureAlgorithm(key.algorithm),
    octetString(signature),
    ...(unsignedAttributes ? [implicit(1, unsignedAttributes)] : []),
  );
  const signedData = sequence(
    integer(1), // version 1: no attribute certificates, eContentType id-data [RFC 5652 §5.1]
    setOf([digestAlgorithmSha256()]),
    sequence(oid(OID.data)), // detached: no eContent [RFC 5652 §5.2]
    implicit(0, setOf([key.certificate, ...key.chain].map(raw))),
    setOf([signerInfo]),
  );
  return sequence(oid(OID.signedData), explicit(0, signedData));
}

/**
 * content-type, message-digest and signing-certificate-v2, DER-encoded as the SET OF that the signature covers
 * [RFC 5652 §5.4]. No signing-time: PAdES forbids it [ETSI EN 319 142-1 §5.4.3].
 */
function buildSignedAttributes(digest: Buffer, certificate: Buffer, signer: CertificateInfo): Buffer {
  const attribute = (type: string, value: Buffer) => sequence(oid(type), setOf([value]));
  return setOf([
    attribute(OID.contentType, oid(OID.data)),
    attribute(OID.messageDigest, octetString(digest)),
    attribute(OID.signingCertificateV2, signingCertificateV2(certificate, signer)),
  ]);
}

/**
 * SigningCertificateV2 { certs SEQUENCE OF ESSCertIDv2 } with one ESSCertIDv2 { certHash, issuerSerial }.
 * hashAlgorithm is left out because SHA-256 is its DEFAULT and DER omits defaults [RFC 5035 §4, X.690 §11.5].
 */
function signingCertificateV2(certificate: Buffer, signer: CertificateInfo): Buffer {
  const certHash = createHash('sha256').update(certificate).digest();
  // IssuerSerial { issuer GeneralNames, serialNumber }; the Name goes in directoryName [4] (EXPLICIT: Name is a CHOICE).
  const issuerSerial = sequence(
    sequence(explicit(4, raw(signer.issuerNameDer))),
    tlv(Tag.INTEGER, signer.serialNumberContent),
  );
  return sequence(sequence(sequence(octetString(certHash), issuerSerial)));
}

/** sha256 with absent parameters, as RFC 5754 §2 asks generators to write it. */
function digestAlgorithmSha256(): Buffer {
  return sequence(oid(OID.sha256));
}

/** sha256WithRSAEncryption takes NULL parameters [RFC 4055 §5]; ecdsa-with-SHA256 none [RFC 5758 §3.2]. */
function signatureAlgorithm(algorithm: KeyAlgorithm): Buffer {
  return algorithm.kind === 'rsa'
    ? sequence(oid(OID.sha256WithRSAEncryption), nullValue())
    : sequence(oid(OID.ecdsaWithSHA256));
}

/**
 * A signature that does not verify would make a broken PDF; checking it costs well under a millisecond and
 * catches a key that does not belong to the certificate, or an ECDSA value returned as raw r||s instead of DER.
 */
/** Public keys by their SPKI (hex): a service signs with a few certificates, and importing a key costs ~0.3 ms. */
const publicKeys = new Map<string, KeyObject>();

function publicKeyOf(spki: Buffer): KeyObject {
  const id = spki.toString('hex');
  let key = publicKeys.get(id);
  if (!key) {
    if (publicKeys.size >= 64) publicKeys.clear();
    key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    publicKeys.set(id, key);
  }
  return key;
}

function assertSignatureVerifies(signer: CertificateInfo, signedAttributes: Buffer, signature: Buffer): void {
  const publicKey = publicKeyOf(signer.subjectPublicKeyInfo);
  let valid = false;
  try {
    valid = verify('sha256', signedAttributes, publicKey, signature);
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new AppError(
      ErrorCode.KEY_INVALID,
      `The signature made by the key does not verify with the certificate "${signer.subject}": the key does not ` +
        'belong to this certificate, or (ECDSA) the value is not a DER Ecdsa-Sig-Value.',
    );
  }
}

/** unsignedAttrs with id-aa-signatureTimeStampToken over the signature value [RFC 3161 App. A]. */
async function timestampAttribute(fetchToken: (value: Buffer) => Promise<Buffer>, signature: Buffer): Promise<Buffer> {
  const token = await fetchToken(signature);
  let complete = false;
  try {
    const element = readDer(token);
    complete = element.tag === Tag.SEQUENCE && element.end === token.length;
  } catch {
    complete = false;
  }
  if (!complete) {
    throw new AppError(
      ErrorCode.TSA_BAD_RESPONSE,
      'The timestamp token is not one DER ContentInfo; it cannot be embedded.',
    );
  }
  return setOf([sequence(oid(OID.signatureTimeStampToken), setOf([token]))]);
}

/** Bytes reserved for a timestamp token: TSTInfo, the TSA's signature and its certificate chain. */
const TIMESTAMP_ALLOWANCE = 16 * 1024;

/**
 * A safe upper bound for the DER size of `buildPadesSignature`'s result, for the /Contents placeholder
 * (which holds it hex-encoded: twice as many characters). The timestamp part is a fixed allowance.
 */
export function estimateSignatureSize(key: SigningKey, withTimestamp: boolean): number {
  const signer = describeCertificate(key.certificate);
  const certificates = [key.certificate, ...key.chain].reduce((sum, der) => sum + der.length, 0);
  // RSA: one modulus-sized block; ECDSA P-256: SEQUENCE of two INTEGERs of at most 33 bytes each.
  const signature = key.algorithm.kind === 'rsa' ? Math.ceil(key.algorithm.bits / 8) + 5 : 72 + 2;
  // issuer and serial appear twice (sid, ESSCertIDv2); 1024 bytes cover OIDs, hashes and headers.
  const identifiers = 2 * (signer.issuerNameDer.length + signer.serialNumberContent.length + 8);
  return certificates + signature + identifiers + 1024 + (withTimestamp ? TIMESTAMP_ALLOWANCE : 0);
}
