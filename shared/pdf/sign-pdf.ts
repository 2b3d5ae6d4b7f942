/**
 * Signs a PDF: one incremental update with a PAdES (ETSI.CAdES.detached) signature. A file is copied by the
 * kernel into a temporary output file and read once, in chunks, for the new signature's digest, the output's
 * digest and the digests of all existing signatures; the CMS is then written into the placeholder and the
 * temporary file made durable and renamed over the output. Nothing is left behind on any error.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { checkValidityAt, describeCertificate } from '../crypto/certificate-info.js';
import { signedBytesDigestName, verifyCmsSignature } from '../crypto/cms-verify.js';
import { buildPadesSignature, estimateSignatureSize } from '../crypto/pades-cms.js';
import type { SigningKey } from '../crypto/signing-key.js';
import { AppError, ErrorCode } from '../errors.js';
import { StagedOutput } from '../fs/staged-output.js';
import { PdfDocument } from './pdf-document.js';
import { BufferSource, FileSource, type PdfSource } from './pdf-source.js';
import { fillByteRange, type PageSelector, prepareSignatureIncrement } from './prepare-signature.js';
import { RangeHasher } from './range-hasher.js';
import { listSignatures } from './signature-fields.js';
import { type StampStyle, stampDrawer } from './stamp/draw-stamp.js';
import type { StampImage } from './stamp/stamp-image.js';
import type { StampPosition } from './stamp/stamp-placement.js';
import type { StampLanguage } from './stamp/stamp-text.js';
import { checkTimeZone } from './stamp/stamp-time.js';
import { parseTrueType, type TrueTypeFont } from './stamp/truetype-font.js';

export { STAMP_STYLES, type StampStyle } from './stamp/draw-stamp.js';

export interface SignPdfOptions {
  key: SigningKey;
  /** @default now */
  signingTime?: Date;
  /**
   * IANA time zone of the signer ("Europe/Moscow"): the stamp shows the signing time there, with its UTC offset,
   * and /M carries the same local time and offset. @default the process's zone (TZ, else the system's)
   * @throws AppError INVALID_ARGUMENT for a zone Intl does not know
   */
  timeZone?: string;
  /** @default 'last' */
  page?: PageSelector;
  /** @default 'bottom-right' */
  position?: StampPosition;
  /** @default true */
  visible?: boolean;
  /** Name shown on the stamp and in /Name. @default the certificate's subject CN */
  name?: string;
  reason?: string;
  location?: string;
  contactInfo?: string;
  image?: StampImage;
  /** @default 'en' ('ru' with the ru-esign style) */
  lang?: StampLanguage;
  /**
   * `default`: name, time, certificate, issuer; `ru-esign`: the Russian convention (stamp-ru-esign.ts).
   * @default 'default'
   */
  stampStyle?: StampStyle;
  /** Marks the stamp "internal use" (certificates of the company's internal CA). */
  internalUse?: boolean;
  /** RFC 3161 timestamp over the signature value (PAdES B-T). */
  timestamp?: (signatureValue: Buffer) => Promise<Buffer>;
  /** Sign even when an existing signature does not verify. @default false */
  allowInvalidExisting?: boolean;
  /**
   * signPdfBuffer only: a SHA-256 state that has consumed exactly the input bytes (the caller hashed them when
   * it read them). The engine continues copies of it, so the input is not hashed a second time; the state
   * itself is left as it is. Wrong bytes in it would make a signature that does not verify: only pass the
   * state from the very pass over these bytes.
   */
  inputHash?: crypto.Hash;
}

export interface SignPdfResult {
  fieldName: string;
  /** 1-based. */
  pageNumber: number;
  rect: [number, number, number, number];
  byteRange: number[];
  signingTime: Date;
  /** The canonical IANA name of the zone the stamp and /M use. */
  timeZone: string;
  existingSignatures: number;
  outputSize: number;
  /** SHA-256 of the signed output. */
  sha256: string;
}

let defaultFont: TrueTypeFont | undefined;

function loadDefaultFont(): TrueTypeFont {
  if (!defaultFont) {
    const file = createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
    defaultFont = parseTrueType(fs.readFileSync(file));
  }
  return defaultFont;
}

interface Plan {
  doc: PdfDocument;
  prepared: ReturnType<typeof prepareSignatureIncrement>;
  byteRange: number[];
  existing: { hasher: RangeHasher; sig: ReturnType<typeof listSignatures>[number] }[];
  signingTime: Date;
  timeZone: string;
}

function plan(source: PdfSource, options: SignPdfOptions): Plan {
  const timeZone = checkTimeZone(options.timeZone);
  const doc = PdfDocument.open(source);
  const signingTime = options.signingTime ?? new Date();
  const cert = describeCertificate(options.key.certificate);
  checkValidityAt(cert, signingTime);
  const existing = listSignatures(doc).map((sig) => ({
    sig,
    hasher: new RangeHasher(sig.byteRange, crypto.createHash(signedBytesDigestName(sig.contents))),
  }));
  const signerName = options.name ?? cert.subjectCommonName ?? cert.subject;
  const style = options.stampStyle ?? 'default';
  const prepared = prepareSignatureIncrement(
    doc,
    {
      signingTime,
      timeZone,
      placeholderSize: estimateSignatureSize(options.key, options.timestamp !== undefined),
      page: options.page ?? 'last',
      name: signerName,
      ...(options.reason ? { reason: options.reason } : {}),
      ...(options.location ? { location: options.location } : {}),
      ...(options.contactInfo ? { contactInfo: options.contactInfo } : {}),
      appearance:
        options.visible === false
          ? { kind: 'invisible' }
          : {
              kind: 'drawn',
              draw: stampDrawer({
                style,
                position: options.position ?? 'bottom-right',
                font: loadDefaultFont(),
                lang: options.lang ?? (style === 'ru-esign' ? 'ru' : 'en'),
                signerName,
                certificate: cert,
                signingTime,
                timeZone,
                ...(options.reason ? { reason: options.reason } : {}),
                ...(options.internalUse ? { internalUse: true } : {}),
                ...(options.image && style === 'default' ? { image: options.image } : {}),
              }),
            },
    },
    source.size > 0 ? source.read(source.size - 1, 1)[0]! : 0x0a,
  );
  const byteRange = fillByteRange(prepared, source.size);
  return { doc, prepared, byteRange, existing, signingTime, timeZone };
}

/** Refuses to endorse a document whose existing signatures no longer verify (unless allowed). */
function checkExisting(p: Plan, inputSize: number, allowInvalid: boolean): void {
  p.existing.forEach(({ sig, hasher }, i) => {
    const inside = hasher.reach <= inputSize && sig.byteRange[0] === 0;
    const report = inside ? verifyCmsSignature(sig.contents, hasher.digest(), {}) : undefined;
    if (!report?.integrity && !allowInvalid) {
      const who = report?.signer?.subjectCommonName ? `, signed by ${report.signer.subjectCommonName}` : '';
      // The verifier's first problem is the real reason (changed bytes, an unsupported digest, a damaged CMS).
      const why = report ? (report.problems[0] ?? 'it does not verify.') : 'its /ByteRange lies outside the file.';
      throw new AppError(
        ErrorCode.PDF_EXISTING_SIGNATURE_INVALID,
        `Existing signature ${i + 1} (field ${sig.fieldName}${who}) does not verify: ${why} ` +
          'Signing would endorse a document whose earlier signature is broken; use --allow-invalid-existing to sign anyway.',
      );
    }
  });
}

async function makeCms(p: Plan, digest: Buffer, options: SignPdfOptions): Promise<string> {
  const cms = await buildPadesSignature({
    key: options.key,
    documentDigest: digest,
    ...(options.timestamp ? { timestamp: options.timestamp } : {}),
  });
  const capacity = (p.prepared.contentsEnd - p.prepared.contentsStart - 2) / 2;
  if (cms.length > capacity) {
    throw new AppError(
      ErrorCode.PDF_PLACEHOLDER_TOO_SMALL,
      `The signature (${cms.length} bytes) does not fit the reserved space (${capacity} bytes); nothing was written.`,
    );
  }
  return cms.toString('hex');
}

/**
 * Signs `inputPath` into `outputPath` (written atomically and durably; never created on error). The kernel copies
 * the input into the output's temporary file; everything else (parsing, hashing) reads that copy, so the signature
 * covers exactly the bytes that end up in the output, whatever happens to the input meanwhile.
 */
export async function signPdfFile(
  inputPath: string,
  outputPath: string,
  options: SignPdfOptions,
): Promise<SignPdfResult> {
  const output = await StagedOutput.copyOf(inputPath, outputPath);
  try {
    const source = new FileSource(output.fd);
    const p = plan(source, options);
    output.flushInBackground();
    // One read of the copied bytes: the input lies wholly inside the first signed range, and the output is
    // input + update, so one SHA-256 state over the input serves both the signature's digest and the output's.
    const inputHash = crypto.createHash('sha256');
    source.scan((chunk, offset) => {
      inputHash.update(chunk);
      for (const e of p.existing) e.hasher.update(chunk, offset);
    });
    const main = new RangeHasher(p.byteRange, inputHash.copy(), source.size);
    main.update(p.prepared.bytes, source.size);
    checkExisting(p, source.size, options.allowInvalidExisting ?? false);
    const hex = await makeCms(p, main.digest(), options);
    p.prepared.bytes.write(hex, p.prepared.contentsStart + 1, 'latin1');
    output.write(p.prepared.bytes, source.size);
    await output.commit();
    const sha256 = inputHash.update(p.prepared.bytes).digest('hex');
    return result(p, source.size + p.prepared.bytes.length, sha256, options);
  } catch (e) {
    await output.discard();
    throw e;
  }
}

/** Signs a document held in memory; returns the signed bytes (the input is a prefix of them). */
export async function signPdfBuffer(
  input: Buffer,
  options: SignPdfOptions,
): Promise<{ bytes: Buffer; result: SignPdfResult }> {
  const source = new BufferSource(input);
  const p = plan(source, options);
  // The input lies wholly inside the first signed range, and the output is input + update: hash the input once
  // and continue two copies of that state (SHA-256 costs ~1-5 ms/MB, depending on the CPU's SHA extensions),
  // or continue the caller's state over the input (options.inputHash) without hashing it at all.
  const inputHash = options.inputHash?.copy() ?? crypto.createHash('sha256').update(input);
  const main = new RangeHasher(p.byteRange, inputHash.copy(), input.length);
  for (const e of p.existing) e.hasher.update(input, 0);
  main.update(p.prepared.bytes, input.length);
  checkExisting(p, input.length, options.allowInvalidExisting ?? false);
  const hex = await makeCms(p, main.digest(), options);
  p.prepared.bytes.write(hex, p.prepared.contentsStart + 1, 'latin1');
  const bytes = Buffer.concat([input, p.prepared.bytes]);
  const sha256 = inputHash.update(p.prepared.bytes).digest('hex');
  return { bytes, result: result(p, bytes.length, sha256, options) };
}

function result(p: Plan, outputSize: number, sha256: string, _options: SignPdfOptions): SignPdfResult {
  return {
    fieldName: p.prepared.fieldName,
    pageNumber: p.prepared.pageIndex + 1,
    rect: p.prepared.rect,
    byteRange: p.byteRange,
    signingTime: p.signingTime,
    timeZone: p.timeZone,
    existingSignatures: p.existing.length,
    outputSize,
    sha256,
  };
}
