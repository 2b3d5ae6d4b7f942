/**
 * Raising a signed PDF to PAdES B-LT or B-LTA, or renewing its archive timestamp, with incremental updates
 * only (the input stays a byte prefix of the output): a DSS update with the chains and revocation data of
 * every signature and timestamp in the document, then — for B-LTA — a document timestamp over all of it.
 * Used right after signing (`sign --level`) and on its own (`extend`) years later.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { RevocationFetcher } from '../../crypto/revocation/revocation-fetcher.js';
import {
  collectValidationData,
  emptyValidationData,
  mergeValidationData,
  type ValidationData,
} from '../../crypto/revocation/validation-data.js';
import { AppError, ErrorCode } from '../../errors.js';
import { fileIoError } from '../../fs/file-error.js';
import { writeFileDurably } from '../../fs/write-file-durably.js';
import { PdfDocument } from '../pdf-document.js';
import { PdfString } from '../pdf-objects.js';
import { BufferSource } from '../pdf-source.js';
import { listSignatures } from '../signature-fields.js';
import { appendDocumentTimestamp, type DigestTimestamper } from './document-timestamp.js';
import { buildDssIncrement, readDss, vriKey } from './dss-increment.js';
import { signatureCertificates } from './signature-certificates.js';

/** The levels that add validation data after the signature. */
export type LongTermLevel = 'B-LT' | 'B-LTA';

export interface ExtendOptions {
  level: LongTermLevel;
  fetcher: RevocationFetcher;
  /** Required for B-LTA. */
  timestamp?: DigestTimestamper;
  /** @default () => new Date() */
  now?: () => Date;
}

export interface ExtendResult {
  bytes: Buffer;
  /** SHA-256 of `bytes`, lower-case hex. */
  sha256: string;
  /** Items the new DSS added (existing ones are not counted). */
  added: { certificates: number; ocspResponses: number; crls: number };
  /** The new document timestamp's field (B-LTA). */
  documentTimestamp: string | undefined;
}

/**
 * Appends the DSS (and for B-LTA a document timestamp) to a signed document held in memory.
 * @throws AppError PDF_NOT_SIGNED, REVOCATION_UNAVAILABLE, CERT_REVOKED, TSA_*, and the PDF reader's errors.
 */
export async function extendPdfBuffer(input: Buffer, options: ExtendOptions): Promise<ExtendResult> {
  if (options.level === 'B-LTA' && !options.timestamp) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, 'B-LTA needs a timestamp authority for the document timestamp.');
  }
  const doc = PdfDocument.open(new BufferSource(input));
  const signatures = listSignatures(doc);
  if (signatures.length === 0) throw new AppError(ErrorCode.PDF_NOT_SIGNED, 'The document has no signature to extend.');
  const existing = readDss(doc);
  const all = emptyValidationData();
  const vri = new Map<string, ValidationData>();
  for (const sig of signatures) {
    const { leaves, pool } = signatureCertificates(sig);
    const data = await collectValidationData(leaves, [...pool, ...existing.certificates], {
      fetcher: options.fetcher,
      existing,
      ...(options.now ? { now: options.now } : {}),
    });
    mergeValidationData(all, data);
    const raw = doc.resolve(sig.sigDict.get('Contents'));
    if (raw instanceof PdfString) vri.set(vriKey(raw.bytes), data);
  }
  const added = {
    certificates: all.certificates.filter((c) => !existing.certificates.some((e) => e.equals(c))).length,
    ocspResponses: all.ocspResponses.filter((c) => !existing.ocspResponses.some((e) => e.equals(c))).length,
    crls: all.crls.filter((c) => !existing.crls.some((e) => e.equals(c))).length,
  };
  const dss = buildDssIncrement(doc, all, vri, input[input.length - 1] ?? 0x0a);
  const bytes: Buffer = Buffer.concat([input, dss]);
  if (options.level === 'B-LTA') {
    const stamped = await appendDocumentTimestamp(bytes, options.timestamp!);
    return { bytes: stamped.bytes, sha256: stamped.sha256, added, documentTimestamp: stamped.fieldName };
  }
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex'), added, documentTimestamp: undefined };
}

/** `extendPdfBuffer` from a file to a file, written atomically (`outputPath` may be `inputPath`). */
export async function extendPdfFile(
  inputPath: string,
  outputPath: string,
  options: ExtendOptions,
): Promise<ExtendResult> {
  let input: Buffer;
  try {
    input = await fs.readFile(inputPath);
  } catch (e) {
    throw fileIoError('read', inputPath, e);
  }
  const result = await extendPdfBuffer(input, options);
  try {
    await writeFileDurably(path.resolve(outputPath), result.bytes, { mode: 0o644 });
  } catch (e) {
    throw fileIoError('write', outputPath, e);
  }
  return result;
}
