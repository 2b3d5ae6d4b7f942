/**
 * RFC 3161 client: asks a timestamp authority over HTTP for a token over SHA-256(data) and checks that the
 * answer belongs to this request (nonce, imprint) and is signed by a timestamping certificate.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AppError, ErrorCode } from '../errors.js';
import {
  boolean,
  type DerElement,
  expectTag,
  integer,
  nullValue,
  octetString,
  oid,
  readBitString,
  readDer,
  readInteger,
  readString,
  sequence,
  Tag,
} from './der.js';
import { OID } from './oids.js';
import { checkTimeStampToken } from './timestamp-token.js';

/** Options of `requestTimestamp`. */
export interface TimestampRequestOptions {
  /**
   * How long to wait for the whole answer.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * The fetch implementation (for proxies or tests).
   * @default globalThis.fetch
   */
  fetch?: typeof fetch;
}

/** Answers bigger than this are not timestamp responses. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

// PKIFailureInfo bits that say "try again later" [RFC 3161 §2.4.2].
const TRANSIENT_FAILURES = new Set([14 /* timeNotAvailable */, 25 /* systemFailure */]);
const FAILURE_NAMES: Readonly<Record<number, string>> = {
  0: 'badAlg',
  2: 'badRequest',
  5: 'badDataFormat',
  14: 'timeNotAvailable',
  15: 'unacceptedPolicy',
  16: 'unacceptedExtension',
  17: 'addInfoNotAvailable',
  25: 'systemFailure',
};

/**
 * Requests a TimeStampToken over SHA-256(`data`) from the TSA at `url` and returns the token DER (a
 * ContentInfo). Throws `AppError` TSA_UNAVAILABLE for network errors, timeouts, HTTP 5xx and "try later"
 * answers, and TSA_BAD_RESPONSE for answers that are malformed, refused or do not match the request.
 */
export async function requestTimestamp(
  url: string,
  data: Buffer,
  options: TimestampRequestOptions = {},
): Promise<Buffer> {
  return requestTimestampForDigest(url, createHash('sha256').update(data).digest(), options);
}

/**
 * Like `requestTimestamp` for a SHA-256 `digest` computed by the caller (a document timestamp hashes the
 * ByteRange of a file that may be large, in the same pass as the copy).
 */
export async function requestTimestampForDigest(
  url: string,
  digest: Buffer,
  options: TimestampRequestOptions = {},
): Promise<Buffer> {
  if (digest.length !== 32) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, `A SHA-256 digest has 32 bytes, not ${digest.length}.`);
  }
  const nonce = randomBytes(8);
  // TimeStampReq { version v1, messageImprint, nonce, certReq TRUE } [RFC 3161 §2.4.1]. The hash algorithm
  // carries NULL parameters as OpenSSL and BouncyCastle clients send them; some TSAs reject absent ones.
  const request = sequence(
    integer(1),
    sequence(sequence(oid(OID.sha256), nullValue()), octetString(digest)),
    integer(nonce),
    boolean(true),
  );
  const body = await post(url, request, options);
  return checkResponse(url, body, digest, BigInt(`0x${nonce.toString('hex')}`));
}

async function post(url: string, request: Buffer, options: TimestampRequestOptions): Promise<Buffer> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const doFetch = options.fetch ?? fetch;
  try {
    const response = await doFetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/timestamp-query', Accept: 'application/timestamp-reply' },
      body: new Uint8Array(request),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status >= 500) {
      throw new AppError(ErrorCode.TSA_UNAVAILABLE, `The timestamp authority ${url} answered HTTP ${response.status}.`);
    }
    if (!response.ok) {
      throw new AppError(
        ErrorCode.TSA_BAD_RESPONSE,
        `The timestamp authority ${url} refused the request with HTTP ${response.status}.`,
      );
    }
    const body = Buffer.from(await response.arrayBuffer());
    if (body.length > MAX_RESPONSE_BYTES) {
      throw new AppError(
        ErrorCode.TSA_BAD_RESPONSE,
        `The timestamp authority ${url} sent ${body.length} bytes; that is no timestamp response.`,
      );
    }
    return body;
  } catch (error) {
    if (error instanceof AppError) throw error;
    const name = (error as Error).name;
    const reason =
      name === 'TimeoutError' || name === 'AbortError'
        ? `did not answer within ${timeoutMs} ms`
        : `cannot be reached (${describeNetworkError(error)})`;
    throw new AppError(ErrorCode.TSA_UNAVAILABLE, `The timestamp authority ${url} ${reason}.`, { cause: error });
  }
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/** TimeStampResp { status PKIStatusInfo, timeStampToken OPTIONAL } [RFC 3161 §2.4.2]. */
function checkResponse(url: string, body: Buffer, digest: Buffer, nonce: bigint): Buffer {
  const bad = (why: string, cause?: unknown) =>
    new AppError(ErrorCode.TSA_BAD_RESPONSE, `The timestamp authority ${url} sent a bad answer: ${why}.`, { cause });
  let token: Buffer;
  try {
    const [statusEl, tokenEl] = expectTag(readDer(body, 0, { ber: true }), Tag.SEQUENCE, 'TimeStampResp').children();
    const [codeEl, ...details] = expectTag(statusEl, Tag.SEQUENCE, 'PKIStatusInfo').children();
    const status = readInteger(codeEl!);
    if (status !== 0n && status !== 1n) throw refusal(url, status, details);
    if (!tokenEl) throw bad('status granted but no token');
    token = Buffer.from(tokenEl.encoded);
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw bad((error as Error).message, error);
  }
  let check: ReturnType<typeof checkTimeStampToken>;
  try {
    check = checkTimeStampToken(token);
  } catch (error) {
    throw bad((error as Error).message, error);
  }
  if (check.info.nonce !== nonce) throw bad('the nonce does not match the request (an answer to another request?)');
  if (check.info.hashAlgorithm !== OID.sha256 || !check.info.hashedMessage.equals(digest)) {
    throw bad('the message imprint does not match the data sent');
  }
  if (!check.signatureValid || check.problem) throw bad(check.problem ?? 'the token signature does not verify');
  return token;
}

/** An AppError for a status other than granted: transient for "waiting" and "try later" failures. */
function refusal(url: string, status: bigint, details: readonly DerElement[]): AppError {
  const texts: string[] = [];
  const failures: number[] = [];
  for (const detail of details) {
    if (detail.tag === Tag.SEQUENCE) texts.push(...detail.children().map(readString));
    if (detail.tag === Tag.BIT_STRING) {
      const { bytes } = readBitString(detail);
      for (let bit = 0; bit < bytes.length * 8; bit++)
        if ((bytes[bit >> 3]! & (0x80 >> (bit & 7))) !== 0) failures.push(bit);
    }
  }
  const transient = status === 3n || failures.some((bit) => TRANSIENT_FAILURES.has(bit));
  const failureText = failures.map((bit) => FAILURE_NAMES[bit] ?? `bit ${bit}`).join(', ');
  const why = [`status ${status}`, failureText, ...texts].filter(Boolean).join('; ');
  return new AppError(
    transient ? ErrorCode.TSA_UNAVAILABLE : ErrorCode.TSA_BAD_RESPONSE,
    `The timestamp authority ${url} did not grant the timestamp (${why}).`,
    { details: { status: Number(status), failures } },
  );
}
