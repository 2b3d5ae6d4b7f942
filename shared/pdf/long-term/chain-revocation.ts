/**
 * The offline check of B-LT: for the certificates a signature relies on, is every chain complete up to a
 * self-signed root, and does the validation data at hand (DSS, CMS) prove each certificate's revocation
 * status at the given time? A certificate that names no revocation source, a root and an OCSP no-check
 * responder need none (pyHanko's "hard-fail" checks what a certificate declares).
 */
import { describeCertificate } from '../../crypto/certificate-info.js';
import { chainOf, isSelfSigned } from '../../crypto/revocation/issuer-chain.js';
import { revocationStatusAt } from '../../crypto/revocation/revocation-status.js';
import { needsRevocationData, type ValidationData } from '../../crypto/revocation/validation-data.js';

/** One certificate's revocation status in the report. */
export interface CertificateRevocation {
  subject: string;
  serialNumber: string;
  /** `not-required`: no source named (or a root / no-check responder). */
  status: 'good' | 'revoked' | 'unknown' | 'not-required';
  source: 'ocsp' | 'crl' | undefined;
  revocationTime: Date | undefined;
}

/** What `checkChainsOffline` found. */
export interface OfflineCheck {
  /** When revocation was checked (the proof-of-existence time of the signature). */
  checkedAt: Date;
  certificates: CertificateRevocation[];
  /** Every chain ends at a self-signed root present in the data. */
  chainsComplete: boolean;
  /** Every certificate that needs revocation data has usable data. */
  revocationComplete: boolean;
  /** Some certificate was revoked before `checkedAt`. */
  revoked: boolean;
  /** Human-readable gaps, for the report. */
  missing: string[];
}

/** Checks the chains of `leaves` against `data` at `at`. */
export function checkChainsOffline(leaves: readonly Buffer[], data: ValidationData, at: Date): OfflineCheck {
  const certificates: CertificateRevocation[] = [];
  const missing: string[] = [];
  let chainsComplete = true;
  for (const leaf of leaves) {
    const chain = chainOf(leaf, data.certificates);
    const top = chain[chain.length - 1]!;
    if (!isSelfSigned(top)) {
      chainsComplete = false;
      missing.push(`the issuer certificate of "${describeCertificate(top).subject}"`);
    }
    chain.forEach((der, i) => {
      const info = describeCertificate(der);
      if (certificates.some((c) => c.serialNumber === info.serialNumber && c.subject === info.subject)) return;
      const entry: CertificateRevocation = {
        subject: info.subject,
        serialNumber: info.serialNumber,
        status: 'not-required',
        source: undefined,
        revocationTime: undefined,
      };
      const issuer = chain[i + 1];
      if (needsRevocationData(info, der)) {
        const evidence = issuer ? revocationStatusAt(der, issuer, data, at) : undefined;
        entry.status = evidence?.status ?? 'unknown';
        entry.source = evidence?.source;
        entry.revocationTime = evidence?.revocationTime;
        if (entry.status === 'unknown') missing.push(`revocation data for "${info.subject}" at ${at.toISOString()}`);
      }
      certificates.push(entry);
    });
  }
  return {
    checkedAt: at,
    certificates,
    chainsComplete,
    revocationComplete: certificates.every((c) => c.status !== 'unknown'),
    revoked: certificates.some((c) => c.status === 'revoked'),
    missing,
  };
}
