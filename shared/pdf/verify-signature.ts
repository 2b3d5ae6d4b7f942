/**
 * One PAdES (or other CMS) signature field of `verifyPdf`: the CMS check, the time its certificates are judged
 * at (now; a timestamp's time once a certificate has expired), revocation from the document's own validation
 * data at the signature's proof-of-existence time, and the baseline level it reaches.
 */
import type { CertificateInfo } from '../crypto/certificate-info.js';
import { describeCertificate } from '../crypto/certificate-info.js';
import { type CmsVerifyReport, verifyCmsSignature } from '../crypto/cms-verify.js';
import { chainOf } from '../crypto/revocation/issuer-chain.js';
import { emptyValidationData, mergeValidationData, type ValidationData } from '../crypto/revocation/validation-data.js';
import { checkChainsOffline } from './long-term/chain-revocation.js';
import { signatureCertificates } from './long-term/signature-certificates.js';
import { fromPdfDate } from './pdf-date.js';
import type { PdfDocument } from './pdf-document.js';
import type { PdfSource } from './pdf-source.js';
import type { FoundSignature } from './signature-fields.js';
import type { RevisionFacts } from './verify-pdf.js';
import type { PadesLevel, SignatureReport, SignerReport, VerifyOptions } from './verify-report.js';

/** What every field's check shares. */
export interface SignatureContext {
  source: PdfSource;
  doc: PdfDocument;
  ends: number[];
  /** The DSS plus any extra validation data. */
  pool: ValidationData;
  dssRevision: number | undefined;
  options: VerifyOptions;
  now: Date;
  revisionOf(sig: FoundSignature): RevisionFacts;
  /** The document timestamps, checked already. */
  documentTimestamps: SignatureReport[];
}

export function signerReport(info: CertificateInfo | undefined): SignerReport | undefined {
  if (!info) return undefined;
  return {
    subject: info.subject,
    commonName: info.subjectCommonName,
    organization: info.subjectOrganization,
    email: info.subjectEmail,
    serialNumber: info.serialNumber,
    issuer: info.issuer,
    notBefore: info.notBefore,
    notAfter: info.notAfter,
  };
}

/** With the document's data and the CMS's certificates. */
export function poolWith(base: ValidationData, certificates: Buffer[]): ValidationData {
  return mergeValidationData(mergeValidationData(emptyValidationData(), base), {
    certificates,
    ocspResponses: [],
    crls: [],
  });
}

export function verifySignatureField(
  sig: FoundSignature,
  index: number,
  digest: Buffer,
  ctx: SignatureContext,
): SignatureReport {
  const facts = ctx.revisionOf(sig);
  const problems = [...facts.problems];
  const roots = ctx.options.trustRoots ? { trustRoots: ctx.options.trustRoots } : {};
  const certificates = signatureCertificates(sig);
  const pool = poolWith(ctx.pool, certificates.pool);
  const atNow = verifyCmsSignature(sig.contents, digest, { ...roots, at: ctx.now });
  const tsValid = atNow.timestamp ? atNow.timestamp.imprintMatches && atNow.timestamp.signatureValid : false;
  // A later document timestamp also proves the signature existed at its time.
  const covering = ctx.documentTimestamps
    .filter((d) => d.integrity && d.timestamp && d.revision && facts.revision && d.revision > facts.revision)
    .sort((a, b) => a.timestamp!.time.getTime() - b.timestamp!.time.getTime())[0];
  const poe: SignatureReport['validationTime'] | undefined =
    tsValid && atNow.timestamp
      ? { time: atNow.timestamp.genTime, basis: 'signature-timestamp' }
      : covering
        ? { time: covering.timestamp!.time, basis: 'document-timestamp' }
        : undefined;
  const expiredNow =
    atNow.signerCertificate !== undefined &&
    chainOf(atNow.signerCertificate, pool.certificates).some((c) => describeCertificate(c).notAfter < ctx.now);
  const validationTime = expiredNow && poe ? poe : { time: ctx.now, basis: 'now' as const };
  const cms: CmsVerifyReport =
    validationTime.basis === 'now'
      ? atNow
      : verifyCmsSignature(sig.contents, digest, { ...roots, at: validationTime.time });
  problems.push(...cms.problems);
  const offline = checkChainsOffline(certificates.leaves, pool, poe?.time ?? ctx.now);
  const completeForOffline = offline.chainsComplete && offline.revocationComplete;
  const hardFail = ctx.options.revocation === 'hard-fail';
  if (offline.revoked) {
    const who = offline.certificates.filter((c) => c.status === 'revoked').map((c) => `"${c.subject}"`);
    problems.push(`revoked before ${offline.checkedAt.toISOString()}: ${who.join(', ')}`);
  }
  if (hardFail && !offline.revocationComplete)
    problems.push(`revocation not established: ${offline.missing.join('; ')}`);
  const integrity = facts.rangeOk && cms.integrity;
  const trusted = ctx.options.trustRoots ? cms.chain.trusted : undefined;
  if (trusted === false)
    problems.push(`the certificate is not trusted${cms.chain.problem ? `: ${cms.chain.problem}` : ''}`);
  const level = levelOf(
    sig,
    cms,
    integrity,
    tsValid || covering !== undefined,
    facts,
    completeForOffline && !offline.revoked,
    ctx,
  );
  return {
    index,
    fieldName: sig.fieldName,
    kind: 'signature',
    signer: signerReport(cms.signer),
    signingTime: sig.signingTime ? fromPdfDate(sig.signingTime) : undefined,
    subFilter: sig.subFilter,
    digestAlgorithm: cms.digestAlgorithm,
    integrity,
    level,
    trusted,
    chain: cms.chain.path,
    timestamp: cms.timestamp ? { time: cms.timestamp.genTime, valid: tsValid } : undefined,
    validationTime,
    validationData: { ...offline, completeForOffline },
    revision: facts.revision,
    totalRevisions: ctx.ends.length,
    coversWholeDocument: facts.coversWholeDocument,
    laterChanges: facts.laterChanges,
    problems,
    ok:
      integrity &&
      facts.laterChanges.disallowed.length === 0 &&
      trusted !== false &&
      !offline.revoked &&
      (!hardFail || offline.revocationComplete),
  };
}

/**
 * B-B: PAdES CMS (ETSI.CAdES.detached, signing-certificate-v2, no signing-time, /M); B-T: a valid timestamp;
 * B-LT: a DSS added after the signature that, with the CMS, validates it offline; B-LTA: a valid document
 * timestamp over that DSS [ETSI EN 319 142-1 §6; esig/dss PAdESBaselineRequirementsChecker].
 */
function levelOf(
  sig: FoundSignature,
  cms: CmsVerifyReport,
  integrity: boolean,
  timestamped: boolean,
  facts: RevisionFacts,
  validatesOffline: boolean,
  ctx: SignatureContext,
): PadesLevel {
  const padesBase =
    sig.subFilter === 'ETSI.CAdES.detached' &&
    cms.hasSigningCertificateV2 &&
    !cms.hasSigningTime &&
    cms.contentTypeIsData &&
    sig.signingTime !== undefined;
  if (!integrity || !padesBase) return 'none';
  if (!timestamped) return 'B-B';
  const dss = ctx.dssRevision;
  if (dss === undefined || facts.revision === undefined || dss <= facts.revision || !validatesOffline) return 'B-T';
  const archived = ctx.documentTimestamps.some((d) => d.integrity && d.trusted !== false && (d.revision ?? 0) > dss);
  return archived ? 'B-LTA' : 'B-LT';
}
