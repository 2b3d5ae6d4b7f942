/**
 * Reads what SignService needs from an X.509 certificate [RFC 5280 §4.1] with our own DER reader: names for
 * people, dates, the key algorithm, and the raw issuer Name and serial that CMS structures copy verbatim.
 */
import { createHash } from 'node:crypto';
import { AppError, ErrorCode } from '../errors.js';
import {
  type DerElement,
  expectTag,
  readBitString,
  readBoolean,
  readDer,
  readOctetString,
  readOid,
  readTime,
  Tag,
} from './der.js';
import { nameValue, parseName } from './distinguished-name.js';
import { OID } from './oids.js';
import type { KeyAlgorithm } from './signing-key.js';

/** What `describeCertificate` reports. */
export interface CertificateInfo {
  /** Subject DN, RFC 4514 style (`CN=Mary Smith,O=Test Company`). */
  readonly subject: string;
  /** Issuer DN, RFC 4514 style. */
  readonly issuer: string;
  readonly subjectCommonName: string | undefined;
  readonly subjectOrganization: string | undefined;
  /** The emailAddress of the subject DN, else the first rfc822Name of subjectAltName. */
  readonly subjectEmail: string | undefined;
  /** Serial number as upper-case hex, without a sign byte. */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The key as SignService can sign with it; undefined for other keys (see `publicKeyDescription`). */
  readonly keyAlgorithm: KeyAlgorithm | undefined;
  /** Human-readable key type, e.g. `RSA 2048`, `EC P-256`, `EC P-384`, `EC 1.3.132.0.10`, `Ed25519`. */
  readonly publicKeyDescription: string;
  /** SHA-256 over the certificate DER, upper-case hex. */
  readonly fingerprintSha256: string;
  /** DER of the issuer Name, as needed for IssuerAndSerialNumber and ESSCertIDv2 [RFC 5652 §10.2.4]. */
  readonly issuerNameDer: Buffer;
  /** DER of the subject Name. */
  readonly subjectNameDer: Buffer;
  /** Content octets of the serialNumber INTEGER, exactly as encoded. */
  readonly serialNumberContent: Buffer;
  /** DER of SubjectPublicKeyInfo. */
  readonly subjectPublicKeyInfo: Buffer;
  readonly subjectKeyIdentifier: Buffer | undefined;
  /** Key usage bit names (`digitalSignature`, `nonRepudiation`, ...); undefined when the extension is absent. */
  readonly keyUsage: readonly string[] | undefined;
  /** Extended key usage names (`timeStamping`, ...) or dotted OIDs; undefined when the extension is absent. */
  readonly extendedKeyUsage: readonly string[] | undefined;
  readonly extendedKeyUsageCritical: boolean;
  /** basicConstraints cA. */
  readonly isCA: boolean;
  /** URIs of the CRL distribution points' full names [RFC 5280 §4.2.1.13]. */
  readonly crlUrls: readonly string[];
  /** AIA id-ad-ocsp URIs [RFC 5280 §4.2.2.1]. */
  readonly ocspUrls: readonly string[];
  /** AIA id-ad-caIssuers URIs: where the issuer's certificate is published. */
  readonly caIssuersUrls: readonly string[];
  /** id-pkix-ocsp-nocheck: a delegated OCSP responder whose own status is not checked [RFC 6960 §4.2.2.2.1]. */
  readonly ocspNoCheck: boolean;
  /** authorityKeyIdentifier keyIdentifier, when present. */
  readonly authorityKeyIdentifier: Buffer | undefined;
  /** The subject Name equals the issuer Name (a root or another self-issued certificate). */
  readonly selfIssued: boolean;
}

const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

const EKU_NAMES: Readonly<Record<string, string>> = {
  [OID.kpServerAuth]: 'serverAuth',
  [OID.kpClientAuth]: 'clientAuth',
  [OID.kpCodeSigning]: 'codeSigning',
  [OID.kpEmailProtection]: 'emailProtection',
  [OID.kpTimeStamping]: 'timeStamping',
  [OID.kpOcspSigning]: 'OCSPSigning',
};

type Extensions = {
  -readonly [K in
    | 'keyUsage'
    | 'extendedKeyUsage'
    | 'extendedKeyUsageCritical'
    | 'isCA'
    | 'subjectKeyIdentifier'
    | 'crlUrls'
    | 'ocspUrls'
    | 'caIssuersUrls'
    | 'ocspNoCheck'
    | 'authorityKeyIdentifier']: CertificateInfo[K];
} & { sanEmail: string | undefined };

/** Describes a DER certificate; throws `AppError` KEY_INVALID when it cannot be parsed. */
export function describeCertificate(der: Buffer): CertificateInfo {
  try {
    return parseCertificate(der);
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError(ErrorCode.KEY_INVALID, `The certificate cannot be parsed: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function parseCertificate(der: Buffer): CertificateInfo {
  const certificate = expectTag(readDer(der), Tag.SEQUENCE, 'Certificate');
  if (certificate.end !== der.length) throw new Error('bytes follow the certificate');
  const tbs = expectTag(certificate.children()[0], Tag.SEQUENCE, 'TBSCertificate').children();
  // version [0] EXPLICIT is optional (v1 certificates) [RFC 5280 §4.1.2.1].
  const fields = tbs[0]?.tag === 0xa0 ? tbs.slice(1) : tbs;
  const [serialEl, , issuerEl, validityEl, subjectEl, spkiEl, ...rest] = fields;
  const serial = expectTag(serialEl, Tag.INTEGER, 'serialNumber').content;
  const issuer = parseName(expectTag(issuerEl, Tag.SEQUENCE, 'issuer'));
  const subject = parseName(expectTag(subjectEl, Tag.SEQUENCE, 'subject'));
  const [notBefore, notAfter] = expectTag(validityEl, Tag.SEQUENCE, 'validity').children().map(readTime);
  if (!notBefore || !notAfter) throw new Error('validity needs notBefore and notAfter');
  const spki = expectTag(spkiEl, Tag.SEQUENCE, 'subjectPublicKeyInfo');
  const key = describeKey(spki);
  const extensions = parseExtensions(rest.find((e) => e.tag === 0xa3));
  return {
    subject: subject.text,
    issuer: issuer.text,
    subjectCommonName: nameValue(subject, OID.commonName),
    subjectOrganization: nameValue(subject, OID.organizationName),
    subjectEmail: nameValue(subject, OID.emailAddress) ?? extensions.sanEmail,
    serialNumber: serialHex(serial),
    notBefore,
    notAfter,
    keyAlgorithm: key.algorithm,
    publicKeyDescription: key.description,
    fingerprintSha256: createHash('sha256').update(der).digest('hex').toUpperCase(),
    issuerNameDer: issuerEl!.encoded,
    subjectNameDer: subjectEl!.encoded,
    serialNumberContent: serial,
    subjectPublicKeyInfo: spki.encoded,
    subjectKeyIdentifier: extensions.subjectKeyIdentifier,
    keyUsage: extensions.keyUsage,
    extendedKeyUsage: extensions.extendedKeyUsage,
    extendedKeyUsageCritical: extensions.extendedKeyUsageCritical,
    isCA: extensions.isCA,
    crlUrls: extensions.crlUrls,
    ocspUrls: extensions.ocspUrls,
    caIssuersUrls: extensions.caIssuersUrls,
    ocspNoCheck: extensions.ocspNoCheck,
    authorityKeyIdentifier: extensions.authorityKeyIdentifier,
    selfIssued: issuerEl!.encoded.equals(subjectEl!.encoded),
  };
}

function serialHex(content: Buffer): string {
  const magnitude = content.length > 1 && content[0] === 0 ? content.subarray(1) : content;
  return magnitude.toString('hex').toUpperCase();
}

const CURVE_NAMES: Readonly<Record<string, string>> = { [OID.secp384r1]: 'P-384', [OID.secp521r1]: 'P-521' };

/** Key type from SubjectPublicKeyInfo [RFC 3279 §2.3.1, RFC 5480 §2]. */
function describeKey(spki: DerElement): { algorithm: KeyAlgorithm | undefined; description: string } {
  const [algorithmEl, keyEl] = spki.children();
  const [oidEl, paramsEl] = expectTag(algorithmEl, Tag.SEQUENCE, 'AlgorithmIdentifier').children();
  const keyOid = readOid(oidEl!);
  if (keyOid === OID.rsaEncryption) {
    const { bytes } = readBitString(keyEl!);
    const modulus = expectTag(readDer(bytes).children()[0], Tag.INTEGER, 'RSA modulus').content;
    let first = 0;
    while (first < modulus.length - 1 && modulus[first] === 0) first++;
    const bits = (modulus.length - first - 1) * 8 + (32 - Math.clz32(modulus[first]!));
    return { algorithm: { kind: 'rsa', bits }, description: `RSA ${bits}` };
  }
  if (keyOid === OID.ecPublicKey) {
    const curve = paramsEl?.tag === Tag.OID ? readOid(paramsEl) : 'explicit parameters';
    if (curve === OID.prime256v1)
      return { algorithm: { kind: 'ec', curve: 'P-256', bits: 256 }, description: 'EC P-256' };
    // Other curves verify (other products' signatures) but SignService does not sign with them.
    return { algorithm: undefined, description: `EC ${CURVE_NAMES[curve] ?? curve}` };
  }
  if (keyOid === OID.ed25519) return { algorithm: undefined, description: 'Ed25519' };
  if (keyOid === OID.rsassaPss) return { algorithm: undefined, description: 'RSASSA-PSS' };
  return { algorithm: undefined, description: keyOid };
}

/** The extensions we report [RFC 5280 §4.2.1.2, .3, .6, .9, .12]. */
function parseExtensions(wrapper: DerElement | undefined): Extensions {
  const found: Extensions = {
    keyUsage: undefined,
    extendedKeyUsage: undefined,
    extendedKeyUsageCritical: false,
    isCA: false,
    subjectKeyIdentifier: undefined,
    sanEmail: undefined,
    crlUrls: [],
    ocspUrls: [],
    caIssuersUrls: [],
    ocspNoCheck: false,
    authorityKeyIdentifier: undefined,
  };
  if (!wrapper) return found;
  for (const extension of expectTag(wrapper.children()[0], Tag.SEQUENCE, 'Extensions').children()) {
    const parts = extension.children();
    const id = readOid(parts[0]!);
    const critical = parts.length === 3 ? readBoolean(parts[1]!) : false;
    const value = readDer(readOctetString(parts[parts.length - 1]!));
    if (id === OID.keyUsage) {
      const { bytes } = readBitString(value);
      found.keyUsage = KEY_USAGE_BITS.filter((_, bit) => ((bytes[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0);
    } else if (id === OID.extKeyUsage) {
      found.extendedKeyUsage = value.children().map((p) => EKU_NAMES[readOid(p)] ?? readOid(p));
      found.extendedKeyUsageCritical = critical;
    } else if (id === OID.basicConstraints) {
      const first = value.children()[0];
      found.isCA = first?.tag === Tag.BOOLEAN ? readBoolean(first) : false;
    } else if (id === OID.subjectKeyIdentifier) {
      found.subjectKeyIdentifier = readOctetString(value);
    } else if (id === OID.subjectAltName) {
      // rfc822Name is [1] IMPLICIT IA5String.
      found.sanEmail = value
        .children()
        .find((n) => n.tag === 0x81)
        ?.content.toString('latin1');
    } else {
      readAccessExtension(found, id, value);
    }
  }
  return found;
}

/** uniformResourceIdentifier [6] IMPLICIT IA5String among GeneralNames [RFC 5280 §4.2.1.6]. */
const uris = (names: DerElement[]): string[] =>
  names.filter((n) => n.tag === 0x86).map((n) => n.content.toString('latin1'));

/** CRL distribution points, authority information access, ocsp-nocheck, authority key identifier. */
function readAccessExtension(found: Extensions, id: string, value: DerElement): void {
  if (id === OID.cRLDistributionPoints) {
    // DistributionPoint { distributionPoint [0] { fullName [0] GeneralNames } } [RFC 5280 §4.2.1.13]
    for (const point of value.children()) {
      const name = point
        .children()
        .find((c) => c.tag === 0xa0)
        ?.children()[0];
      if (name?.tag === 0xa0) found.crlUrls = [...found.crlUrls, ...uris(name.children())];
    }
  } else if (id === OID.authorityInfoAccess) {
    for (const description of value.children()) {
      const [method, location] = description.children();
      const uri = location ? uris([location]) : [];
      if (readOid(method!) === OID.adOcsp) found.ocspUrls = [...found.ocspUrls, ...uri];
      else if (readOid(method!) === OID.adCaIssuers) found.caIssuersUrls = [...found.caIssuersUrls, ...uri];
    }
  } else if (id === OID.ocspNoCheck) {
    found.ocspNoCheck = true;
  } else if (id === OID.authorityKeyIdentifier) {
    found.authorityKeyIdentifier = value.children().find((c) => c.tag === 0x80)?.content;
  }
}

/** Throws CERT_NOT_YET_VALID / CERT_EXPIRED unless `date` lies within the certificate's validity period. */
export function checkValidityAt(info: CertificateInfo, date: Date): void {
  const at = date.toISOString();
  if (date.getTime() < info.notBefore.getTime()) {
    throw new AppError(
      ErrorCode.CERT_NOT_YET_VALID,
      `The certificate "${info.subject}" is not valid before ${info.notBefore.toISOString()} (checked at ${at}).`,
      { details: { subject: info.subject, notBefore: info.notBefore.toISOString(), at } },
    );
  }
  if (date.getTime() > info.notAfter.getTime()) {
    throw new AppError(
      ErrorCode.CERT_EXPIRED,
      `The certificate "${info.subject}" expired on ${info.notAfter.toISOString()} (checked at ${at}).`,
      { details: { subject: info.subject, notAfter: info.notAfter.toISOString(), at } },
    );
  }
}
