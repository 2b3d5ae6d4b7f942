/**
 * Reading pkcs11js errors: which CKR_* value a call returned, which of them mean "the session or the
 * token went away" (reconnect and try once more), and the TOKEN_FAILURE error for everything else.
 */
import pkcs11js from 'pkcs11js';
import { AppError, ErrorCode } from '../../errors.js';

/** The CKR_* return value carried by a pkcs11js `Pkcs11Error`, or undefined for anything else. */
export function ckrCode(error: unknown): number | undefined {
  return error instanceof pkcs11js.Pkcs11Error ? error.code : undefined;
}

/** The CKR_* name for messages (pkcs11js puts it in the message), e.g. `CKR_DEVICE_REMOVED`. */
export function ckrName(error: unknown): string {
  if (error instanceof pkcs11js.Pkcs11Error) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Return values after which the sessions are gone but a new slot lookup, session and login may work:
 * the USB device was pulled or re-plugged, or something closed our sessions or logged us out
 * (PKCS#11 v2.40, C_Logout and C_CloseAllSessions: they act on every session of the application).
 * The handle codes are here because SoftHSM2 and eTokens invalidate private-object handles on logout.
 */
const RECONNECT_CODES: ReadonlySet<number> = new Set([
  pkcs11js.CKR_DEVICE_REMOVED,
  pkcs11js.CKR_TOKEN_NOT_PRESENT,
  pkcs11js.CKR_SESSION_HANDLE_INVALID,
  pkcs11js.CKR_SESSION_CLOSED,
  pkcs11js.CKR_USER_NOT_LOGGED_IN,
  pkcs11js.CKR_KEY_HANDLE_INVALID,
  pkcs11js.CKR_OBJECT_HANDLE_INVALID,
]);

/** Whether dropping the sessions and finding the token again may cure this error. */
export function needsReconnect(error: unknown): boolean {
  const code = ckrCode(error);
  return code !== undefined && RECONNECT_CODES.has(code);
}

/** Wraps a failed PKCS#11 call as TOKEN_FAILURE naming the step and the token; AppErrors pass through. */
export function tokenFailure(error: unknown, step: string, token: string): AppError {
  if (error instanceof AppError) return error;
  return new AppError(ErrorCode.TOKEN_FAILURE, `PKCS#11 ${step} failed on ${token}: ${ckrName(error)}`, {
    cause: error,
    details: { step, ckr: ckrName(error) },
  });
}
