/**
 * Builds a certification path from a signer certificate to one of the given trust anchors, using the
 * certificates the CMS carries as intermediates [RFC 5280 §6, simplified: names, signatures, validity,
 * cA and keyCertSign; no revocation, policies or name constraints]. OpenSSL does the name/key-identifier match
 * (`X509Certificate.checkIssued`) and the signature check (`verify`).
 */
import { X509Certificate } from 'node:crypto';
import { type CertificateInfo, describeCertificate } from './certificate-info.js';

/** The outcome of path building. */
export interface CertificatePath {
  /** The path ends at a trust anchor and every certificate in it is valid at the checked time. */
  readonly trusted: boolean;
  /** Subject DNs from the signer to the last certificate found (the anchor when trusted). */
  readonly path: string[];
  /** Why the path is not trusted; undefined when it is. */
  readonly problem?: string;
}

/** Longest path we follow; real hierarchies are 2–4 deep, and this bounds loops in hostile input. */
const MAX_PATH_LENGTH = 8;

interface Candidate {
  readonly x509: X509Certificate;
  readonly info: CertificateInfo;
}

/** Builds and checks the path of `leaf` at `at`; never throws for bad input (it reports a problem instead). */
export function buildCertificatePath(
  leaf: Buffer,
  intermediates: readonly Buffer[],
  trustAnchors: readonly Buffer[],
  at: Date,
): CertificatePath {
  const anchors = trustAnchors.map(candidate).filter((c): c is Candidate => c !== undefined);
  const pool = intermediates.map(candidate).filter((c): c is Candidate => c !== undefined);
  const first = candidate(leaf);
  if (!first) return { trusted: false, path: [], problem: 'The signer certificate cannot be parsed.' };
  const path: Candidate[] = [first];
  for (let current: Candidate = first; ; ) {
    const problem = validityProblem(current.info, at) ?? (path.length > 1 ? issuerProblem(current.info) : undefined);
    const subjects = path.map((c) => c.info.subject);
    if (problem) return { trusted: false, path: subjects, problem };
    const self = current;
    if (anchors.some((a) => a.info.fingerprintSha256 === self.info.fingerprintSha256))
      return { trusted: true, path: subjects };
    const anchor = anchors.find((a) => issuedBy(self, a));
    if (anchor) {
      const anchorProblem = validityProblem(anchor.info, at);
      const full = [...subjects, anchor.info.subject];
      return anchorProblem ? { trusted: false, path: full, problem: anchorProblem } : { trusted: true, path: full };
    }
    const next: Candidate | undefined = pool.find((c) => !path.includes(c) && issuedBy(self, c));
    if (!next || path.length >= MAX_PATH_LENGTH) {
      const why = trustAnchors.length === 0 ? 'no trust anchors were given' : 'it does not lead to a trusted root';
      return {
        trusted: false,
        path: subjects,
        problem: `The certificate chain of "${path[0]!.info.subject}" is not trusted: ${why}.`,
      };
    }
    path.push(next);
    current = next;
  }
}

function candidate(der: Buffer): Candidate | undefined {
  try {
    return { x509: new X509Certificate(der), info: describeCertificate(der) };
  } catch {
    return undefined;
  }
}

function issuedBy(child: Candidate, issuer: Candidate): boolean {
  try {
    return child.x509.checkIssued(issuer.x509) && child.x509.verify(issuer.x509.publicKey);
  } catch {
    return false;
  }
}

function validityProblem(info: CertificateInfo, at: Date): string | undefined {
  if (at < info.notBefore)
    return `The certificate "${info.subject}" is not valid before ${info.notBefore.toISOString()} (checked at ${at.toISOString()}).`;
  if (at > info.notAfter)
    return `The certificate "${info.subject}" expired on ${info.notAfter.toISOString()} (checked at ${at.toISOString()}).`;
  return undefined;
}

/** An intermediate must be a CA allowed to sign certificates [RFC 5280 §4.2.1.3, §4.2.1.9]. */
function issuerProblem(info: CertificateInfo): string | undefined {
  if (!info.isCA) return `The certificate "${info.subject}" issued another certificate but is not a CA.`;
  if (info.keyUsage && !info.keyUsage.includes('keyCertSign')) {
    return `The CA certificate "${info.subject}" is not allowed to sign certificates (no keyCertSign).`;
  }
  return undefined;
}
