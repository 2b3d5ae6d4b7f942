/**
 * Gathering the validation data of PAdES B-LT [ETSI EN 319 142-1 §5.4, §6.3]: for each certificate a signature
 * relies on (the signer's chain and the timestamp authority's), every certificate up to the root and, for each
 * certificate that names a revocation source, an OCSP response (preferred: small and current) or else a CRL,
 * fetched and checked now. Nothing is made up: a source that fails makes the whole collection fail with the
 * reason, because a B-LT document without its revocation data would only pretend to be verifiable offline.
 */
import { AppError, ErrorCode } from '../../errors.js';
import { type CertificateInfo, describeCertificate } from '../certificate-info.js';
import { crlEntryOf, crlProblem, parseCrl } from './crl-reader.js';
import { chainOf, findIssuer, isSelfSigned } from './issuer-chain.js';
import { buildOcspRequest, certIdOf } from './ocsp-request.js';
import { checkOcspResponse, parseOcspResponse } from './ocsp-response.js';
import type { RevocationFetcher } from './revocation-fetcher.js';
import { revocationStatusAt } from './revocation-status.js';

/** DER items for a DSS (or one signature's VRI entry). */
export interface ValidationData {
  certificates: Buffer[];
  ocspResponses: Buffer[];
  crls: Buffer[];
}

export function emptyValidationData(): ValidationData {
  return { certificates: [], ocspResponses: [], crls: [] };
}

/** Adds `more` to `into`, skipping byte-identical items. */
export function mergeValidationData(into: ValidationData, more: ValidationData): ValidationData {
  const add = (list: Buffer[], items: Buffer[]) => {
    for (const item of items) if (!list.some((x) => x.equals(item))) list.push(item);
  };
  add(into.certificates, more.certificates);
  add(into.ocspResponses, more.ocspResponses);
  add(into.crls, more.crls);
  return into;
}

/** Whether a certificate needs revocation data: it names a source and is neither a root nor an OCSP no-check responder. */
export function needsRevocationData(info: CertificateInfo, der: Buffer): boolean {
  return (info.crlUrls.length > 0 || info.ocspUrls.length > 0) && !info.ocspNoCheck && !isSelfSigned(der);
}

export interface CollectOptions {
  fetcher: RevocationFetcher;
  /** @default () => new Date() */
  now?: () => Date;
  /**
   * Data the document holds already (an earlier DSS): a certificate whose status it proves for now is not
   * fetched again, so an archive renewal works after a CA stopped answering for its expired certificates.
   */
  existing?: ValidationData;
}

/**
 * The validation data for `leaves` (signer and TSA certificates), completing chains from `pool` and from the
 * caIssuers URLs.
 * @throws AppError REVOCATION_UNAVAILABLE (a source failed or answered unusably), CERT_REVOKED.
 */
export async function collectValidationData(
  leaves: readonly Buffer[],
  pool: readonly Buffer[],
  options: CollectOptions,
): Promise<ValidationData> {
  const data = emptyValidationData();
  const certificates = [...pool];
  for (const leaf of leaves) {
    const chain = await completeChain(leaf, certificates, options.fetcher);
    mergeValidationData(data, { certificates: chain, ocspResponses: [], crls: [] });
    for (let i = 0; i < chain.length; i++) {
      const der = chain[i]!;
      const info = describeCertificate(der);
      if (!needsRevocationData(info, der)) continue;
      const issuer = chain[i + 1];
      // After a certificate expired its status is frozen: evidence for its last day is as good as any.
      const now = (options.now ?? (() => new Date()))();
      const at = new Date(Math.min(now.getTime(), info.notAfter.getTime()));
      if (issuer && options.existing && revocationStatusAt(der, issuer, options.existing, at).status === 'good')
        continue;
      if (!issuer) {
        throw new AppError(
          ErrorCode.REVOCATION_UNAVAILABLE,
          `The issuer of "${info.subject}" is not known, so its revocation data cannot be checked.`,
        );
      }
      mergeValidationData(data, await revocationFor(info, issuer, options));
    }
  }
  return data;
}

/** The chain of `leaf`, fetching missing issuers from caIssuers URLs (added to `pool`). */
async function completeChain(leaf: Buffer, pool: Buffer[], fetcher: RevocationFetcher): Promise<Buffer[]> {
  for (let round = 0; round < 4; round++) {
    const chain = chainOf(leaf, pool);
    const top = chain[chain.length - 1]!;
    if (isSelfSigned(top)) return chain;
    const urls = describeCertificate(top).caIssuersUrls;
    let found = false;
    for (const url of urls) {
      const issuer = await fetcher.certificate(url).catch(() => undefined);
      if (issuer && findIssuer(top, [issuer])) {
        pool.push(issuer);
        found = true;
        break;
      }
    }
    if (!found) return chain;
  }
  return chainOf(leaf, pool);
}

/** An OCSP response, else a CRL, proving `certificate` is not revoked now. */
async function revocationFor(info: CertificateInfo, issuer: Buffer, options: CollectOptions): Promise<ValidationData> {
  const now = (options.now ?? (() => new Date()))();
  const problems: string[] = [];
  for (const url of info.ocspUrls) {
    try {
      const id = certIdOf(info, describeCertificate(issuer));
      // No nonce, as the RFC 5019 profile has it: the answer is then cacheable until its nextUpdate.
      const answer = await options.fetcher.ocsp(url, buildOcspRequest(id), id.der.toString('hex'));
      const check = checkOcspResponse(parseOcspResponse(answer), info, issuer);
      if (check.problem || !check.single) throw new Error(check.problem);
      if (check.single.status === 'unknown') throw new Error('the responder does not know the certificate');
      if (check.single.status === 'revoked') throw revoked(info, check.single.revocationTime);
      if (check.single.nextUpdate && check.single.nextUpdate < now) throw new Error('the answer is out of date');
      const signer = check.signer && !check.signer.equals(issuer) ? [check.signer] : [];
      return { certificates: signer, ocspResponses: [answer], crls: [] };
    } catch (error) {
      if (error instanceof AppError && error.code === ErrorCode.CERT_REVOKED) throw error;
      problems.push(`OCSP ${url}: ${(error as Error).message}`);
    }
  }
  for (const url of info.crlUrls) {
    try {
      const der = await options.fetcher.crl(url);
      const crl = parseCrl(der);
      const problem = crlProblem(crl, issuer);
      if (problem) throw new Error(problem);
      if (crl.nextUpdate && crl.nextUpdate < now) throw new Error('the CRL is out of date (nextUpdate has passed)');
      const entry = crlEntryOf(crl, info);
      if (entry) throw revoked(info, entry.revocationDate);
      return { certificates: [], ocspResponses: [], crls: [der] };
    } catch (error) {
      if (error instanceof AppError && error.code === ErrorCode.CERT_REVOKED) throw error;
      problems.push(`CRL ${url}: ${(error as Error).message}`);
    }
  }
  throw new AppError(
    ErrorCode.REVOCATION_UNAVAILABLE,
    `No revocation data for "${info.subject}" (serial ${info.serialNumber}): ${problems.join('; ')}`,
  );
}

function revoked(info: CertificateInfo, at: Date | undefined): AppError {
  return new AppError(
    ErrorCode.CERT_REVOKED,
    `The certificate "${info.subject}" (serial ${info.serialNumber}) was revoked${at ? ` on ${at.toISOString()}` : ''}.`,
  );
}
