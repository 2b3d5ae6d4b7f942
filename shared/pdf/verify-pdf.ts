/**
 * Verifies every signature of a PDF: integrity (digest over /ByteRange and the CMS signature), the
 * PAdES baseline level reached, trust against given roots, the revision each signature covers, and
 * whether later revisions changed more than signature fields and their widgets.
 */
import crypto from 'node:crypto';
import { signedBytesDigestName, verifyCmsSignature } from '../crypto/cms-verify.js';
import { fromPdfDate } from './pdf-date.js';
import { PdfDocument } from './pdf-document.js';
import type { PdfSource } from './pdf-source.js';
import { RangeHasher } from './range-hasher.js';
import { diffRevisions } from './revision-diff.js';
import { listSignatures } from './signature-fields.js';

export type PadesLevel = 'B-B' | 'B-T' | 'none';

export interface SignatureReport {
  /** 1-based, in field order. */
  index: number;
  fieldName: string;
  signer: { subject: string; commonName: string | undefined; serialNumber: string; issuer: string } | undefined;
  /** /M of the signature dictionary. */
  signingTime: Date | undefined;
  subFilter: string | undefined;
  /** Digest over the byte range matches and the CMS signature verifies. */
  integrity: boolean;
  level: PadesLevel;
  /** undefined when no trust roots were given. */
  trusted: boolean | undefined;
  chain: string[];
  timestamp: { time: Date; valid: boolean } | undefined;
  /** 1-based revision the signature covers, and the number of revisions. */
  revision: number | undefined;
  totalRevisions: number;
  coversWholeDocument: boolean;
  /** Changes made by later revisions. */
  laterChanges: { allowed: string[]; disallowed: string[] };
  problems: string[];
  /** integrity, no disallowed later change, and (with roots) trusted. */
  ok: boolean;
}

export interface VerifyReport {
  signatures: SignatureReport[];
  allOk: boolean;
}

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

export function verifyPdf(source: PdfSource, options: { trustRoots?: Buffer[] } = {}): VerifyReport {
  const doc = PdfDocument.open(source);
  const sigs = listSignatures(doc);
  const hashers = sigs.map((s) => new RangeHasher(s.byteRange, crypto.createHash(signedBytesDigestName(s.contents))));
  const chunk = 4 * 1024 * 1024;
  for (let offset = 0; offset < source.size; offset += chunk) {
    const data = source.read(offset, chunk);
    for (const h of hashers) h.update(data, offset);
  }
  const ends = revisionEnds(doc);
  const signatures = sigs.map((sig, i): SignatureReport => {
    const problems: string[] = [];
    const [a = -1, b = 0, c = 0, d = 0] = sig.byteRange;
    const signedEnd = c + d;
    const rangeOk = sig.byteRange.length === 4 && a === 0 && b < c && signedEnd <= source.size;
    if (!rangeOk) problems.push('the /ByteRange is invalid');
    const cms = verifyCmsSignature(sig.contents, hashers[i]!.digest(), {
      ...(options.trustRoots ? { trustRoots: options.trustRoots } : {}),
    });
    problems.push(...cms.problems);
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
    const integrity = rangeOk && cms.integrity;
    const padesBase =
      sig.subFilter === 'ETSI.CAdES.detached' &&
      cms.hasSigningCertificateV2 &&
      !cms.hasSigningTime &&
      cms.contentTypeIsData &&
      sig.signingTime !== undefined;
    const tsValid = cms.timestamp ? cms.timestamp.imprintMatches && cms.timestamp.signatureValid : false;
    const trusted = options.trustRoots ? cms.chain.trusted : undefined;
    if (trusted === false)
      problems.push(`the certificate is not trusted${cms.chain.problem ? `: ${cms.chain.problem}` : ''}`);
    return {
      index: i + 1,
      fieldName: sig.fieldName,
      signer: cms.signer
        ? {
            subject: cms.signer.subject,
            commonName: cms.signer.subjectCommonName,
            serialNumber: cms.signer.serialNumber,
            issuer: cms.signer.issuer,
          }
        : undefined,
      signingTime: sig.signingTime ? fromPdfDate(sig.signingTime) : undefined,
      subFilter: sig.subFilter,
      integrity,
      level: integrity && padesBase ? (tsValid ? 'B-T' : 'B-B') : 'none',
      trusted,
      chain: cms.chain.path,
      timestamp: cms.timestamp ? { time: cms.timestamp.genTime, valid: tsValid } : undefined,
      revision: revisionIndex >= 0 ? revisionIndex + 1 : undefined,
      totalRevisions: ends.length,
      coversWholeDocument: signedEnd === source.size,
      laterChanges,
      problems,
      ok: integrity && laterChanges.disallowed.length === 0 && trusted !== false,
    };
  });
  return { signatures, allOk: signatures.length > 0 && signatures.every((s) => s.ok) };
}
