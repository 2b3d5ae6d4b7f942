import { AppError, ErrorCode } from '../../errors.js';

/**
 * The error for a font we cannot read or subset. The stamp font ships with the product (it is not user
 * input), so a broken one is a deployment problem: INTERNAL, with the reason for the log.
 */
export function fontError(reason: string): AppError {
  return new AppError(ErrorCode.INTERNAL, `Cannot use the stamp font: ${reason}`);
}
