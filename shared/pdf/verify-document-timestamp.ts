/**
 * One document timestamp (/DocTimeStamp, ETSI.RFC3161) of `verifyPdf`: the token's TSA signature, its imprint
 * against the ByteRange digest, the TSA's chain (now, or at the token's own time once the TSA certificate has
 * expired) and the validation data for it that the document carries.
 */
import { describeCertificate } from '../crypto/certificate-info.js';
import { buildCertificatePath } from '../crypto/certificate-path.js';
import { digestName } from '../crypto/oids.js';
import { checkTimeStampToken, type TimeStampTokenCheck } from '../crypto/timestamp-token.js';
import { checkChainsOffline } from './long-term/chain-revocation.js';
import type { FoundSignature } from './signature-fields.js';
import type { SignatureReport } from './verify-report.js';
import { poolWith, type SignatureContext, signerReport } from './verify-signature.js';

export function verifyDocumentTimestamp(
  sig: FoundSignature,
  index: number,
  digest: Buffer,
  ctx: Omit<SignatureContext, 'documentTimestamps'>,
): SignatureReport {
  const facts = ctx.revisionOf(sig);
  const problems = [...facts.problems];
  let token: TimeStampTokenCheck | undefined;
  try {
    token = checkTimeStampToken(sig.contents);
  } catch (error) {
    problems.push(`The document timestamp is damaged: ${(error as Error).message}.`);
  }
  const imprint = token?.info.hashedMessage.equals(digest) === true;
  if (token && !imprint)
    problems.push('The document was changed after the document timestamp: the imprint does not match.');
  if (token?.problem) problems.push(token.problem);
  const integrity = facts.rangeOk && token?.signatureValid === true && imprint && !token.problem;
  const tsa = token?.tsaCertificate;
  const genTime = token?.info.genTime ?? ctx.now;
  const expired = tsa !== undefined && describeCertificate(tsa).notAfter < ctx.now;
  const at = expired ? genTime : ctx.now;
  const pool = poolWith(ctx.pool, [...(token?.certificates ?? [])]);
  const roots = ctx.options.trustRoots;
  const path = tsa && roots ? buildCertificatePath(tsa, pool.certificates, roots, at) : undefined;
  const trusted = roots ? path?.trusted === true : undefined;
  if (trusted === false)
    problems.push(`the timestamp authority is not trusted${path?.problem ? `: ${path.problem}` : ''}`);
  const offline = checkChainsOffline(tsa ? [tsa] : [], pool, genTime);
  if (offline.revoked) problems.push('the timestamp authority certificate was revoked');
  return {
    index,
    fieldName: sig.fieldName,
    kind: 'document-timestamp',
    signer: signerReport(tsa ? describeCertificate(tsa) : undefined),
    signingTime: token?.info.genTime,
    subFilter: sig.subFilter,
    digestAlgorithm: token ? digestName(token.info.hashAlgorithm) : undefined,
    integrity,
    level: 'none',
    trusted,
    chain: path?.path ?? [],
    timestamp: token ? { time: token.info.genTime, valid: integrity } : undefined,
    validationTime: { time: at, basis: expired ? 'document-timestamp' : 'now' },
    validationData: { ...offline, completeForOffline: offline.chainsComplete && offline.revocationComplete },
    revision: facts.revision,
    totalRevisions: ctx.ends.length,
    coversWholeDocument: facts.coversWholeDocument,
    laterChanges: facts.laterChanges,
    problems,
    ok: integrity && facts.laterChanges.disallowed.length === 0 && trusted !== false && !offline.revoked,
  };
}
