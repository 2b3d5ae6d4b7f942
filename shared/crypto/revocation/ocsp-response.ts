/**
 * Reading and checking OCSP responses [RFC 6960 §4.2]: the status of one certificate, signed by its issuer or by
 * a responder the issuer authorised (a certificate it issued with id-kp-OCSPSigning, §4.2.2.2). Used when a
 * response is fetched for B-LT and when a verifier checks the responses embedded in a document.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { type CertificateInfo, describeCertificate } from '../certificate-info.js';
import { verifyAlgorithmSignature } from '../cms-signed-data.js';
import {
  type DerElement,
  DerError,
  expectTag,
  readBitString,
  readDer,
  readOctetString,
  readOid,
  readTime,
  Tag,
} from '../der.js';
import { OID } from '../oids.js';
import { type CertId, issuerHashes, parseCertId, publicKeyBits, sameSerial } from './ocsp-request.js';

/** The status of one certificate in a response. */
export interface OcspSingleResponse {
  readonly certId: CertId;
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly revocationTime: Date | undefined;
  /** CRLReason code [RFC 5280 §5.3.1], when given. */
  readonly revocationReason: number | undefined;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
}

/** A parsed OCSPResponse. */
export interface OcspResponse {
  /** OCSPResponseStatus: 0 successful, 1 malformedRequest, 2 internalError, 3 tryLater, 5 sigRequired, 6 unauthorized. */
  readonly responseStatus: number;
  readonly producedAt: Date | undefined;
  readonly responses: readonly OcspSingleResponse[];
  /** DER certificates the response carries (the delegated responder's). */
  readonly certificates: readonly Buffer[];
  /** byKey: SHA-1 of the responder's public key; byName: the DER Name. */
  readonly responderKeyHash: Buffer | undefined;
  readonly responderName: Buffer | undefined;
  /** The nonce extension's value, when the responder echoed one. */
  readonly nonceExtensionValue: Buffer | undefined;
  readonly signed:
    | { tbs: Buffer; algorithm: string; parameters: DerElement | undefined; signature: Buffer }
    | undefined;
}

const STATUS_NAMES: Readonly<Record<number, string>> = {
  1: 'malformedRequest',
  2: 'internalError',
  3: 'tryLater',
  5: 'sigRequired',
  6: 'unauthorized',
};

/** The name of a non-successful OCSPResponseStatus. */
export function ocspStatusName(status: number): string {
  return STATUS_NAMES[status] ?? `status ${status}`;
}

/** Parses an OCSPResponse; throws `DerError` when it is not one. */
export function parseOcspResponse(der: Buffer): OcspResponse {
  const root = expectTag(readDer(der, 0, { ber: true }), Tag.SEQUENCE, 'OCSPResponse');
  const [statusEl, bytesEl] = root.children();
  // OCSPResponseStatus is an ENUMERATED (tag 0x0a) of one octet.
  const responseStatus = expectTag(statusEl, 0x0a, 'responseStatus').content[0] ?? -1;
  const empty = {
    responseStatus,
    producedAt: undefined,
    responses: [],
    certificates: [],
    responderKeyHash: undefined,
    responderName: undefined,
    nonceExtensionValue: undefined,
    signed: undefined,
  };
  if (responseStatus !== 0) return empty;
  const [typeEl, responseEl] = expectTag(
    expectTag(bytesEl, 0xa0, 'responseBytes').children()[0],
    Tag.SEQUENCE,
    'ResponseBytes',
  ).children();
  if (readOid(typeEl!) !== OID.ocspBasic) throw new DerError('Not a basic OCSP response', typeEl!.start);
  const basicDer = readOctetString(responseEl!);
  const [tbsEl, algorithmEl, signatureEl, certsEl] = expectTag(
    readDer(basicDer, 0, { ber: true }),
    Tag.SEQUENCE,
    'BasicOCSPResponse',
  ).children();
  const tbs = expectTag(tbsEl, Tag.SEQUENCE, 'ResponseData').children();
  const fields = tbs[0]?.tag === 0xa0 ? tbs.slice(1) : tbs;
  const [responderEl, producedEl, responsesEl, extensionsEl] = fields;
  const [algorithmOid, parameters] = expectTag(algorithmEl, Tag.SEQUENCE, 'signatureAlgorithm').children();
  return {
    responseStatus,
    producedAt: readTime(producedEl!),
    responses: expectTag(responsesEl, Tag.SEQUENCE, 'responses').children().map(parseSingle),
    certificates: certsEl
      ? expectTag(certsEl, 0xa0, 'certs')
          .children()[0]!
          .children()
          .map((c) => Buffer.from(c.encoded))
      : [],
    responderKeyHash: responderEl!.tag === 0xa2 ? readOctetString(responderEl!.children()[0]!) : undefined,
    responderName: responderEl!.tag === 0xa1 ? responderEl!.children()[0]!.encoded : undefined,
    nonceExtensionValue: extensionValue(extensionsEl, OID.ocspNonce),
    signed: {
      tbs: tbsEl!.encoded,
      algorithm: readOid(algorithmOid!),
      parameters,
      signature: readBitString(signatureEl!).bytes,
    },
  };
}

function extensionValue(wrapper: DerElement | undefined, id: string): Buffer | undefined {
  if (wrapper?.tag !== 0xa1) return undefined;
  for (const extension of wrapper.children()[0]!.children()) {
    const parts = extension.children();
    if (readOid(parts[0]!) === id) return readOctetString(parts[parts.length - 1]!);
  }
  return undefined;
}

/** SingleResponse [RFC 6960 §4.2.1]; CertStatus good [0], revoked [1], unknown [2]. */
function parseSingle(element: DerElement): OcspSingleResponse {
  const [idEl, statusEl, thisUpdateEl, ...rest] = expectTag(element, Tag.SEQUENCE, 'SingleResponse').children();
  const nextEl = rest.find((e) => e.tag === 0xa0)?.children()[0];
  let status: OcspSingleResponse['status'] = 'unknown';
  let revocationTime: Date | undefined;
  let revocationReason: number | undefined;
  if (statusEl!.tag === 0x80) status = 'good';
  else if (statusEl!.tag === 0xa1) {
    status = 'revoked';
    const [timeEl, reasonEl] = statusEl!.children();
    revocationTime = readTime(timeEl!);
    const reason = reasonEl?.children()[0];
    if (reason) revocationReason = reason.content[0];
  } else if (statusEl!.tag !== 0x82) throw new DerError('Unknown CertStatus', statusEl!.start);
  return {
    certId: parseCertId(idEl),
    status,
    revocationTime,
    revocationReason,
    thisUpdate: readTime(thisUpdateEl!),
    nextUpdate: nextEl ? readTime(nextEl) : undefined,
  };
}

/** The outcome of `checkOcspResponse`. */
export interface OcspCheck {
  readonly single: OcspSingleResponse | undefined;
  /** The certificate that signed the response (the issuer or its delegated responder). */
  readonly signer: Buffer | undefined;
  /** Why the response cannot be used; undefined when it can. */
  readonly problem: string | undefined;
}

/**
 * Checks that `response` speaks about `certificate`, is signed by `issuer` or a responder it authorised, and
 * returns that certificate's SingleResponse. Never throws.
 */
export function checkOcspResponse(response: OcspResponse, certificate: CertificateInfo, issuerDer: Buffer): OcspCheck {
  const fail = (problem: string): OcspCheck => ({ single: undefined, signer: undefined, problem });
  if (response.responseStatus !== 0 || !response.signed) {
    return fail(`the OCSP responder answered ${ocspStatusName(response.responseStatus)}`);
  }
  const issuer = describeCertificate(issuerDer);
  const single = response.responses.find((r) => {
    const hashes = issuerHashes(issuer, r.certId.hashAlgorithm);
    return (
      hashes?.nameHash.equals(r.certId.issuerNameHash) === true &&
      hashes.keyHash.equals(r.certId.issuerKeyHash) &&
      sameSerial(r.certId.serialNumber, certificate.serialNumberContent)
    );
  });
  if (!single) return fail('the OCSP response does not cover this certificate');
  const signer = responseSigner(response, issuer, issuerDer);
  if (!signer) return fail('the OCSP response is signed neither by the issuer nor by a responder it authorised');
  try {
    const { tbs, algorithm, parameters, signature } = response.signed;
    const ok = verifyAlgorithmSignature(
      { algorithm, parameters },
      describeCertificate(signer).subjectPublicKeyInfo,
      tbs,
      signature,
    );
    if (!ok) return fail('the OCSP response signature does not verify');
  } catch (error) {
    return fail(`the OCSP response signature cannot be checked: ${(error as Error).message}`);
  }
  return { single, signer, problem: undefined };
}

/** The issuer itself, or a certificate in the response issued by it for OCSP signing [RFC 6960 §4.2.2.2]. */
function responseSigner(response: OcspResponse, issuer: CertificateInfo, issuerDer: Buffer): Buffer | undefined {
  const matches = (info: CertificateInfo) =>
    response.responderKeyHash
      ? createHash('sha1').update(publicKeyBits(info)).digest().equals(response.responderKeyHash)
      : response.responderName?.equals(info.subjectNameDer) === true;
  if (matches(issuer)) return issuerDer;
  const issuerX509 = new X509Certificate(issuerDer);
  for (const der of response.certificates) {
    try {
      const info = describeCertificate(der);
      const x509 = new X509Certificate(der);
      const authorised = info.extendedKeyUsage?.includes('OCSPSigning') ?? false;
      if (matches(info) && authorised && x509.checkIssued(issuerX509) && x509.verify(issuerX509.publicKey)) return der;
    } catch {
      // not a usable certificate: try the next one
    }
  }
  return undefined;
}
