/**
 * A document timestamp (PAdES B-LTA) [ETSI EN 319 142-1 §5.4.3]: one incremental update with an invisible
 * field whose value is a /DocTimeStamp dictionary (/SubFilter /ETSI.RFC3161); its /Contents is the RFC 3161
 * token over the SHA-256 of the ByteRange, which covers everything before it, the DSS included.
 */
import crypto from 'node:crypto';
import { AppError, ErrorCode } from '../../errors.js';
import { PdfDocument } from '../pdf-document.js';
import { BufferSource } from '../pdf-source.js';
import { fillByteRange, prepareSignatureIncrement } from '../prepare-signature.js';
import { RangeHasher } from '../range-hasher.js';

/** Room for a token: TSTInfo, the TSA's signature and its certificate chain. */
const TOKEN_CAPACITY = 16 * 1024;

/** Asks a TSA for a token over a SHA-256 digest (e.g. `(d) => requestTimestampForDigest(url, d)`). */
export type DigestTimestamper = (sha256: Buffer) => Promise<Buffer>;

/** Appends a document timestamp to `input`; returns the new bytes (`input` is a prefix) and the field name. */
export async function appendDocumentTimestamp(
  input: Buffer,
  timestamp: DigestTimestamper,
): Promise<{ bytes: Buffer; fieldName: string; sha256: string }> {
  const doc = PdfDocument.open(new BufferSource(input));
  const prepared = prepareSignatureIncrement(
    doc,
    {
      kind: 'document-timestamp',
      signingTime: new Date(),
      placeholderSize: TOKEN_CAPACITY,
      page: 'first',
      appearance: { kind: 'invisible' },
    },
    input.length > 0 ? input[input.length - 1]! : 0x0a,
  );
  const byteRange = fillByteRange(prepared, input.length);
  // One pass over the input serves both the ByteRange digest and the output's own SHA-256.
  const inputHash = crypto.createHash('sha256').update(input);
  const hasher = new RangeHasher(byteRange, inputHash.copy(), input.length);
  hasher.update(prepared.bytes, input.length);
  const token = await timestamp(hasher.digest());
  const capacity = (prepared.contentsEnd - prepared.contentsStart - 2) / 2;
  if (token.length > capacity) {
    throw new AppError(
      ErrorCode.PDF_PLACEHOLDER_TOO_SMALL,
      `The document timestamp token (${token.length} bytes) does not fit the reserved space (${capacity} bytes).`,
    );
  }
  prepared.bytes.write(token.toString('hex'), prepared.contentsStart + 1, 'latin1');
  const sha256 = inputHash.update(prepared.bytes).digest('hex');
  return { bytes: Buffer.concat([input, prepared.bytes]), fieldName: prepared.fieldName, sha256 };
}
