/**
 * What a batch may name: one one-time code signs at most BATCH_MAX_DOCUMENTS documents at once (the
 * approval page's list, the Sign dialog, the CLI), each named once.
 */
import { AppError, ErrorCode } from '../errors.js';

/** The distinct ids of `ids`, in their first order. */
export function distinctIds(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

/** @throws AppError BATCH_TOO_LARGE when `count` is 0 or above `max`. */
export function checkBatchSize(count: number, max: number): void {
  if (count === 0) throw new AppError(ErrorCode.BATCH_TOO_LARGE, 'Choose at least one document to sign');
  if (count > max) {
    throw new AppError(
      ErrorCode.BATCH_TOO_LARGE,
      `${count} documents were chosen; one code signs at most ${max} at once (BATCH_MAX_DOCUMENTS)`,
      { details: { max, count } },
    );
  }
}
