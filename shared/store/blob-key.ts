/**
 * The keys both blob stores accept. The embedded store turns a key into a file name and MongoDB into a
 * GridFS filename, so a key is kept to characters that are safe as both: no path separators, no leading
 * dot (no hidden or temporary names, no '..'), nothing a shell or a file system would read specially.
 */
import { AppError, ErrorCode } from '../errors.js';

const BLOB_KEY = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

/**
 * The blob key of a request's signed bytes. The hash is part of the key: if two workers ever sign the same
 * request at once, each writes its own blob and only the one whose hash the request records is delivered.
 */
export function signedBlobKey(requestId: string, sha256: string): string {
  return `${requestId}.signed.${sha256}`;
}

/** The request and hash a signed blob's key names, or undefined for any other key. */
export function parseSignedBlobKey(key: string): { requestId: string; sha256: string } | undefined {
  const match = /^(.+)\.signed\.([0-9a-f]{64})$/.exec(key);
  return match ? { requestId: match[1] as string, sha256: match[2] as string } : undefined;
}

/** Whether `name` is a valid blob key (a file in the embedded blob directory that is not a temporary one). */
export function isBlobKey(name: string): boolean {
  return BLOB_KEY.test(name);
}

/** Throws INVALID_ARGUMENT unless `key` is 1–200 characters of letters, digits, '.', '_', '-', not starting with '.'. */
export function assertBlobKey(key: string): void {
  if (typeof key !== 'string' || !isBlobKey(key)) {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `Blob key ${JSON.stringify(key)} is invalid: use 1–200 letters, digits, '.', '_' or '-', not starting with '.'`,
    );
  }
}
