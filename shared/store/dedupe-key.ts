/**
 * The dedupe keys of `SignLogRepository.appendOnce` ("signed:<requestId>"): short printable text, so the
 * same key is the same index entry in SQLite and MongoDB.
 */
import { AppError, ErrorCode } from '../errors.js';

const DEDUPE_KEY = /^[\x21-\x7e]{1,200}$/;

/** Throws INVALID_ARGUMENT unless `key` is 1–200 printable ASCII characters without spaces. */
export function assertDedupeKey(key: string): void {
  if (typeof key !== 'string' || !DEDUPE_KEY.test(key)) {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `Sign log dedupe key ${JSON.stringify(key)} is invalid: use 1–200 printable ASCII characters without spaces`,
    );
  }
}
