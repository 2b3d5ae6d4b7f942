/**
 * Refusals a signer corrects on the page that was refused (another code, another certificate, a reason): the
 * approval page and the batch confirmation show the page again with the reason instead of an error page.
 */
import { ErrorCode } from '../../shared/errors.js';

export const CORRECTABLE_REFUSALS: ReadonlySet<string> = new Set<string>([
  ErrorCode.OTP_INVALID,
  ErrorCode.OTP_REPLAYED,
  ErrorCode.OTP_LOCKED,
  ErrorCode.CERT_EXPIRED,
  ErrorCode.CERT_REVOKED,
  ErrorCode.CERT_NOT_YET_VALID,
  ErrorCode.CERT_UNKNOWN,
  ErrorCode.GRANT_MISSING,
  ErrorCode.INVALID_ARGUMENT,
]);
