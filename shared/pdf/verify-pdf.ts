/**
 * Verifies every signature and document timestamp of a PDF: integrity (digest over /ByteRange and the CMS
 * signature or timestamp token), the PAdES baseline level reached (B-B, B-T, B-LT, B-LTA), trust against
 * given roots, revocation from the validation data the document carries (never fetched here), the time the
 * certificates were judged at, the revision each signature covers, and whether later revisions changed more
 * than signatures, form fields and validation data.
 */
import crypto from 'node:crypto';
import { signedBytesDigestName } from '../crypto/cms-verify.js';
import { digestName } from '../crypto/oids.js';
import { emptyValidationData, mergeValidationData } from '../crypto/revocation/validation-data.js';
import { checkTimeStampToken } from '../crypto/timestamp-token.js';
import { readDss } from './long-term/dss-increment.js';
import { isDocumentTimestamp } from './long-term/signature-certificates.js';
import { PdfDocument } from './pdf-document.js';
import type { PdfSource } from './pdf-source.js';
import { RangeHasher } from './range-hasher.js';
import { diffRevisions } from './revision-diff.js';
import { type FoundSignature, listSignatures } from './signature-fields.js';
import { verifyDocumentTimestamp } from './verify-document-timestamp.js';
import type { SignatureReport, VerifyOptions, VerifyReport } from './verify-report.js';
import { type SignatureContext, verifySignatureField } from './verify-signature.js';

export type { PadesLevel, SignatureReport, VerifyOptions, VerifyReport } from './verify-report.js';

/** Ends of the revisions: just past each %%EOF (and its EOL) that closes a cross-reference section. */
function revisionEnds(doc: PdfDocument): number[] {
  const ends = new Set<number>();
  for (const section of doc.sections) {
    for (let pos = section.offset, step = 64 * 1024; pos < doc.source.size; pos += step - 8) {
      const chunk = doc.source.read(pos, step);
      const at = chunk.indexOf('%%EOF', 0, 'latin1');
      if (at < 0) continue;
      let end = pos + at + 5;
      const tail = doc.source.read(end, 2);
      if (tail[0] === 0x0d) end++;
      if (tail[tail[0] === 0x0d ? 1 : 0] === 0x0a) end++;
      ends.add(end);
      break;
    }
  }
  return [...ends].sort((a, b) => a - b);
}

/** The hash a field's ByteRange is checked with: the signer's digest, or a timestamp token's imprint hash. */
function rangeDigestName(sig: FoundSignature): string {
  if (!isDocumentTimestamp(sig)) return signedBytesDigestName(sig.contents);
  try {
    return digestName(checkTimeStampToken(sig.contents).info.hashAlgorithm) ?? 'sha256';
  } catch {
    return 'sha256';
  }
}

/** 1-based revision where a DSS first appears, if any. */
function dssRevision(source: PdfSource, ends: number[]): number | undefined {
  for (const [i, end] of ends.entries()) {
    try {
      if (PdfDocument.open(source, end).catalog().has('DSS')) return i + 1;
    } catch {
      // an unreadable revision has no DSS we could use
    }
  }
  return undefined;
}

export function verifyPdf(source: PdfSource, options: VerifyOptions = {}): VerifyReport {
  const doc = PdfDocument.open(source);
  const sigs = listSignatures(doc);
  const hashers = sigs.map((s) => new RangeHasher(s.byteRange, crypto.createHash(rangeDigestName(s))));
  const chunk = 4 * 1024 * 1024;
  for (let offset = 0; offset < source.size; offset += chunk) {
    const data = source.read(offset, chunk);
    for (const h of hashers) h.update(data, offset);
  }
  const ends = revisionEnds(doc);
  const dss = readDss(doc);
  const pool = mergeValidationData(
    mergeValidationData(emptyValidationData(), dss),
    options.extraValidationData ?? emptyValidationData(),
  );
  const context: Omit<SignatureContext, 'documentTimestamps'> = {
    source,
    doc,
    ends,
    pool,
    dssRevision: dssRevision(source, ends),
    options,
    now: options.now ?? new Date(),
    revisionOf: (sig) => laterChangesOf(source, doc, ends, sig),
  };
  const reports: (SignatureReport | undefined)[] = sigs.map(() => undefined);
  // Document timestamps first: a signature whose certificate has expired is judged at their time.
  sigs.forEach((sig, i) => {
    if (isDocumentTimestamp(sig)) reports[i] = verifyDocumentTimestamp(sig, i + 1, hashers[i]!.digest(), context);
  });
  const documentTimestamps = reports.filter((r): r is SignatureReport => r !== undefined);
  sigs.forEach((sig, i) => {
    reports[i] ??= verifySignatureField(sig, i + 1, hashers[i]!.digest(), { ...context, documentTimestamps });
  });
  const signatures = reports as SignatureReport[];
  return {
    signatures,
    dss: {
      present: dss.certificates.length + dss.ocspResponses.length + dss.crls.length > 0,
      revision: context.dssRevision,
      certificates: dss.certificates.length,
      ocspResponses: dss.ocspResponses.length,
      crls: dss.crls.length,
    },
    revocationMode: options.revocation ?? 'soft-fail',
    allOk: signatures.length > 0 && signatures.every((s) => s.ok),
  };
}

/** The revision a field covers and what later revisions changed. */
export interface RevisionFacts {
  rangeOk: boolean;
  revision: number | undefined;
  coversWholeDocument: boolean;
  laterChanges: { allowed: string[]; disallowed: string[] };
  problems: string[];
}

function laterChangesOf(source: PdfSource, doc: PdfDocument, ends: number[], sig: FoundSignature): RevisionFacts {
  const problems: string[] = [];
  const [a = -1, b = 0, c = 0, d = 0] = sig.byteRange;
  const signedEnd = c + d;
  const rangeOk = sig.byteRange.length === 4 && a === 0 && b < c && signedEnd <= source.size;
  if (!rangeOk) problems.push('the /ByteRange is invalid');
  const revisionIndex = ends.indexOf(signedEnd);
  if (revisionIndex < 0) problems.push('the signed range does not end at the end of a revision');
  let laterChanges = { allowed: [] as string[], disallowed: [] as string[] };
  if (rangeOk && revisionIndex >= 0 && signedEnd < source.size) {
    try {
      laterChanges = diffRevisions(PdfDocument.open(source, signedEnd), doc);
    } catch (e) {
      laterChanges.disallowed.push(`the signed revision cannot be compared (${(e as Error).message})`);
    }
  }
  return {
    rangeOk,
    revision: revisionIndex >= 0 ? revisionIndex + 1 : undefined,
    coversWholeDocument: signedEnd === source.size,
    laterChanges,
    problems,
  };
}
