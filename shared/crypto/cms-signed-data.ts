/**
 * Reads a CMS `ContentInfo(SignedData)` [RFC 5652 §3, §5] into plain values, and checks a SignerInfo's
 * signature. Used for our own PAdES signatures, for RFC 3161 tokens (which are SignedData too) and for
 * signatures made by other products, so the reader accepts BER (indefinite lengths) as well as DER.
 */
import { constants, createPublicKey, verify } from 'node:crypto';
import { describeCertificate } from './certificate-info.js';
import {
  type DerElement,
  DerError,
  expectTag,
  readDer,
  readOctetString,
  readOid,
  readSmallInteger,
  Tag,
} from './der.js';
import { digestName, OID } from './oids.js';

/** One attribute: its type and the elements of its SET OF values. */
export interface CmsAttribute {
  readonly type: string;
  readonly values: readonly DerElement[];
}

/** The signer identifier [RFC 5652 §5.3]. */
export type SignerIdentifier =
  | { readonly issuer: Buffer; readonly serialNumber: Buffer }
  | { readonly subjectKeyIdentifier: Buffer };

/** A parsed SignerInfo [RFC 5652 §5.3]. */
export interface CmsSignerInfo {
  readonly sid: SignerIdentifier;
  readonly digestAlgorithm: string;
  /** The signed attributes re-tagged as SET OF (0x31): the bytes the signature covers [RFC 5652 §5.4]. */
  readonly signedAttributesDer: Buffer | undefined;
  readonly signedAttributes: readonly CmsAttribute[];
  readonly signatureAlgorithm: string;
  readonly signatureParameters: DerElement | undefined;
  readonly signature: Buffer;
  readonly unsignedAttributes: readonly CmsAttribute[];
}

/** A parsed SignedData. */
export interface CmsSignedData {
  readonly digestAlgorithms: readonly string[];
  readonly contentType: string;
  /** The encapsulated content; undefined for a detached signature. */
  readonly content: Buffer | undefined;
  /** DER of each X.509 certificate in `certificates` (other certificate choices are skipped). */
  readonly certificates: readonly Buffer[];
  readonly signerInfos: readonly CmsSignerInfo[];
}

/** Parses `ContentInfo(SignedData)`; throws `DerError` with a specific message when the structure is wrong. */
export function parseSignedData(contentInfo: Buffer): CmsSignedData {
  const root = expectTag(readDer(contentInfo, 0, { ber: true }), Tag.SEQUENCE, 'ContentInfo');
  const [typeEl, wrapper] = root.children();
  const type = readOid(expectTag(typeEl, Tag.OID, 'contentType'));
  if (type !== OID.signedData) throw new DerError(`The CMS holds ${type}, not SignedData`, typeEl!.start);
  const signedData = expectTag(expectTag(wrapper, 0xa0, 'content [0]').children()[0], Tag.SEQUENCE, 'SignedData');
  const parts = signedData.children();
  // CMSVersion of SignedData is 1, 3, 4 or 5 [RFC 5652 §5.1].
  if (![1, 3, 4, 5].includes(readSmallInteger(expectTag(parts[0], Tag.INTEGER, 'version')))) {
    throw new DerError('Unsupported SignedData version', parts[0]!.start);
  }
  let index = 1;
  const digestAlgorithms = expectTag(parts[index++], Tag.SET, 'digestAlgorithms')
    .children()
    .map((a) => readOid(expectTag(a, Tag.SEQUENCE, 'AlgorithmIdentifier').children()[0]!));
  const [eTypeEl, eContentEl] = expectTag(parts[index++], Tag.SEQUENCE, 'encapContentInfo').children();
  const content = eContentEl ? readOctetString(expectTag(eContentEl, 0xa0, 'eContent [0]').children()[0]!) : undefined;
  let certificates: Buffer[] = [];
  if (parts[index]?.tag === 0xa0) {
    certificates = parts[index++]!.children()
      .filter((c) => c.tag === Tag.SEQUENCE)
      .map((c) => c.encoded);
  }
  if (parts[index]?.tag === 0xa1) index++; // crls: not used
  const signerInfos = expectTag(parts[index], Tag.SET, 'signerInfos').children().map(parseSignerInfo);
  return { digestAlgorithms, contentType: readOid(eTypeEl!), content, certificates, signerInfos };
}

function parseSignerInfo(element: DerElement): CmsSignerInfo {
  const parts = expectTag(element, Tag.SEQUENCE, 'SignerInfo').children();
  const version = readSmallInteger(expectTag(parts[0], Tag.INTEGER, 'SignerInfo version'));
  const sidEl = parts[1]!;
  // version 1 goes with IssuerAndSerialNumber, 3 with SubjectKeyIdentifier [RFC 5652 §5.3].
  if (version !== (sidEl.tag === Tag.SEQUENCE ? 1 : 3))
    throw new DerError('SignerInfo version does not match its sid', parts[0]!.start);
  let sid: SignerIdentifier;
  if (sidEl.tag === Tag.SEQUENCE) {
    const [issuer, serial] = sidEl.children();
    sid = { issuer: issuer!.encoded, serialNumber: expectTag(serial, Tag.INTEGER, 'serialNumber').content };
  } else {
    sid = { subjectKeyIdentifier: expectTag(sidEl, 0x80, 'subjectKeyIdentifier [0]').content };
  }
  const digestAlgorithm = readOid(expectTag(parts[2], Tag.SEQUENCE, 'digestAlgorithm').children()[0]!);
  let index = 3;
  let signedAttributesDer: Buffer | undefined;
  let signedAttributes: CmsAttribute[] = [];
  if (parts[index]?.tag === 0xa0) {
    const attrs = parts[index++]!;
    // The signature covers the DER of the SET OF, i.e. the stored [0] IMPLICIT bytes with tag 0x31.
    signedAttributesDer = Buffer.from(attrs.encoded);
    signedAttributesDer[0] = Tag.SET;
    signedAttributes = parseAttributes(attrs);
  }
  const [algorithmEl, parametersEl] = expectTag(parts[index++], Tag.SEQUENCE, 'signatureAlgorithm').children();
  const signature = readOctetString(expectTag(parts[index++], Tag.OCTET_STRING, 'signature'));
  const unsignedAttributes = parts[index]?.tag === 0xa1 ? parseAttributes(parts[index]!) : [];
  return {
    sid,
    digestAlgorithm,
    signedAttributesDer,
    signedAttributes,
    signatureAlgorithm: readOid(algorithmEl!),
    signatureParameters: parametersEl,
    signature,
    unsignedAttributes,
  };
}

function parseAttributes(container: DerElement): CmsAttribute[] {
  return container.children().map((attribute) => {
    const [typeEl, valuesEl] = expectTag(attribute, Tag.SEQUENCE, 'Attribute').children();
    return { type: readOid(typeEl!), values: expectTag(valuesEl, Tag.SET, 'attrValues').children() };
  });
}

/** The single value of an attribute, or undefined when absent; throws when it has several values. */
export function attributeValue(attributes: readonly CmsAttribute[], type: string): DerElement | undefined {
  const found = attributes.filter((a) => a.type === type);
  if (found.length === 0) return undefined;
  if (found.length > 1 || found[0]!.values.length !== 1) {
    // RFC 5652 §5.3: content-type and message-digest must be single-valued, and appear once.
    throw new DerError(`Attribute ${type} must occur once with one value`, found[0]!.values[0]?.start ?? -1);
  }
  return found[0]!.values[0];
}

/** The certificate named by a SignerInfo's sid, from a list of DER certificates. */
export function findSignerCertificate(certificates: readonly Buffer[], sid: SignerIdentifier): Buffer | undefined {
  return certificates.find((der) => {
    try {
      const info = describeCertificate(der);
      if ('subjectKeyIdentifier' in sid) return info.subjectKeyIdentifier?.equals(sid.subjectKeyIdentifier) ?? false;
      return info.issuerNameDer.equals(sid.issuer) && sameInteger(info.serialNumberContent, sid.serialNumber);
    } catch {
      return false;
    }
  });
}

/** Serial numbers compared as values: some producers keep a redundant leading zero octet. */
function sameInteger(a: Buffer, b: Buffer): boolean {
  const strip = (x: Buffer) =>
    x.subarray(
      Math.max(
        0,
        x.findIndex((byte) => byte !== 0),
      ),
    );
  return a.equals(b) || strip(a).equals(strip(b));
}

const SIGNATURE_DIGESTS: Readonly<Record<string, string>> = {
  [OID.sha1WithRSAEncryption]: 'sha1',
  [OID.sha224WithRSAEncryption]: 'sha224',
  [OID.sha256WithRSAEncryption]: 'sha256',
  [OID.sha384WithRSAEncryption]: 'sha384',
  [OID.sha512WithRSAEncryption]: 'sha512',
  [OID.ecdsaWithSHA1]: 'sha1',
  [OID.ecdsaWithSHA224]: 'sha224',
  [OID.ecdsaWithSHA256]: 'sha256',
  [OID.ecdsaWithSHA384]: 'sha384',
  [OID.ecdsaWithSHA512]: 'sha512',
};

/**
 * Verifies `signature` over `data` with the public key of `certificate`, for the signature algorithm named in
 * a SignerInfo. `rsaEncryption` / `id-ecPublicKey` as signature algorithm take the hash from `digestAlgorithm`
 * [RFC 3370 §3.2, RFC 5753 §7.1.3]. Throws for algorithms we do not know.
 */
export function verifySignatureValue(signerInfo: CmsSignerInfo, certificate: Buffer, data: Buffer): boolean {
  return verifyAlgorithmSignature(
    {
      algorithm: signerInfo.signatureAlgorithm,
      parameters: signerInfo.signatureParameters,
      digestAlgorithm: signerInfo.digestAlgorithm,
    },
    describeCertificate(certificate).subjectPublicKeyInfo,
    data,
    signerInfo.signature,
  );
}

/** A signature algorithm as an AlgorithmIdentifier names it, with the CMS digest for the bare key OIDs. */
export interface SignatureAlgorithm {
  readonly algorithm: string;
  readonly parameters: DerElement | undefined;
  /** Needed only for `rsaEncryption` / `id-ecPublicKey` as the signature algorithm (CMS). */
  readonly digestAlgorithm?: string;
}

/**
 * Verifies `signature` over `data` with a SubjectPublicKeyInfo, for an X.509-style signature algorithm
 * (certificates, CRLs, OCSP responses, CMS). Throws for algorithms we do not know.
 */
export function verifyAlgorithmSignature(
  signatureAlgorithm: SignatureAlgorithm,
  spki: Buffer,
  data: Buffer,
  signature: Buffer,
): boolean {
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  const { algorithm } = signatureAlgorithm;
  if (algorithm === OID.ed25519) return verify(null, data, key, signature);
  if (algorithm === OID.rsassaPss) {
    const { hash, saltLength } = pssParameters(signatureAlgorithm.parameters);
    return verify(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, signature);
  }
  const hash =
    algorithm === OID.rsaEncryption || algorithm === OID.ecPublicKey
      ? digestName(signatureAlgorithm.digestAlgorithm ?? '')
      : SIGNATURE_DIGESTS[algorithm];
  if (!hash) {
    throw new Error(
      `unsupported signature algorithm ${algorithm} with digest ${signatureAlgorithm.digestAlgorithm ?? 'none'}`,
    );
  }
  return verify(hash, data, key, signature);
}

/** RSASSA-PSS-params: hash [0] (default SHA-1) and saltLength [2] (default 20) [RFC 4055 §3.1]. */
function pssParameters(parameters: DerElement | undefined): { hash: string; saltLength: number } {
  let hash = 'sha1';
  let saltLength = 20;
  for (const field of parameters?.tag === Tag.SEQUENCE ? parameters.children() : []) {
    const inner = field.children()[0]!;
    if (field.tag === 0xa0) {
      const name = digestName(readOid(inner.children()[0]!));
      if (!name) throw new Error('unsupported RSASSA-PSS hash');
      hash = name;
    } else if (field.tag === 0xa2) {
      saltLength = readSmallInteger(inner);
    }
  }
  return { hash, saltLength };
}
