/**
 * The revocation status of one certificate at one time, from validation data at hand (a DSS, a CMS) and
 * nothing else — the offline check of B-LT [ETSI EN 319 102-1 §5.2.5, simplified]. An OCSP response or CRL
 * counts for time `at` when it was current then (`at` ≤ nextUpdate) or was issued at or after `at` (it then
 * proves the status at `at`: a revocation before `at` would show with its date).
 */
import { type CertificateInfo, describeCertificate } from '../certificate-info.js';
import { crlEntryOf, crlProblem, parseCrl } from './crl-reader.js';
import { checkOcspResponse, parseOcspResponse } from './ocsp-response.js';
import type { ValidationData } from './validation-data.js';

/** What the data says about a certificate at a time. */
export interface RevocationEvidence {
  /** `unknown`: no usable response or CRL for that time. */
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly source: 'ocsp' | 'crl' | undefined;
  readonly revocationTime: Date | undefined;
  /** When the evidence was issued (OCSP thisUpdate / CRL thisUpdate). */
  readonly issuedAt: Date | undefined;
}

const UNKNOWN: RevocationEvidence = {
  status: 'unknown',
  source: undefined,
  revocationTime: undefined,
  issuedAt: undefined,
};

function usableAt(thisUpdate: Date, nextUpdate: Date | undefined, at: Date): boolean {
  return thisUpdate.getTime() >= at.getTime() || (nextUpdate !== undefined && at.getTime() <= nextUpdate.getTime());
}

/** The status of `certificate` (issued by `issuer`) at `at`, from `data`; OCSP is preferred over CRLs. */
export function revocationStatusAt(
  certificate: Buffer,
  issuer: Buffer,
  data: Pick<ValidationData, 'ocspResponses' | 'crls'>,
  at: Date,
): RevocationEvidence {
  const info = describeCertificate(certificate);
  return fromOcsp(info, issuer, data.ocspResponses, at) ?? fromCrls(info, issuer, data.crls, at) ?? UNKNOWN;
}

function fromOcsp(
  info: CertificateInfo,
  issuer: Buffer,
  responses: Buffer[],
  at: Date,
): RevocationEvidence | undefined {
  for (const der of responses) {
    let check: ReturnType<typeof checkOcspResponse>;
    try {
      check = checkOcspResponse(parseOcspResponse(der), info, issuer);
    } catch {
      continue;
    }
    const single = check.single;
    if (check.problem || !single || single.status === 'unknown') continue;
    if (!usableAt(single.thisUpdate, single.nextUpdate, at)) continue;
    const revoked = single.status === 'revoked' && single.revocationTime !== undefined && single.revocationTime <= at;
    return {
      status: revoked ? 'revoked' : 'good',
      source: 'ocsp',
      revocationTime: single.revocationTime,
      issuedAt: single.thisUpdate,
    };
  }
  return undefined;
}

function fromCrls(info: CertificateInfo, issuer: Buffer, crls: Buffer[], at: Date): RevocationEvidence | undefined {
  for (const der of crls) {
    let crl: ReturnType<typeof parseCrl>;
    try {
      crl = parseCrl(der);
    } catch {
      continue;
    }
    if (crlProblem(crl, issuer) || !usableAt(crl.thisUpdate, crl.nextUpdate, at)) continue;
    const entry = crlEntryOf(crl, info);
    const revoked = entry !== undefined && entry.revocationDate <= at;
    return {
      status: revoked ? 'revoked' : 'good',
      source: 'crl',
      revocationTime: entry?.revocationDate,
      issuedAt: crl.thisUpdate,
    };
  }
  return undefined;
}
