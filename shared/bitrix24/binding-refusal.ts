/**
 * Why a claim made to the app in a portal's name was not honoured — an install, update or install page that
 * does not prove a portal administrator acts, an uninstall the portal does not confirm, a robot call the
 * portal does not know. The reason travels as `details.reason` of a B24_FORBIDDEN AppError, so the route
 * answers 403 and the warning log line and the sign-log entry name it (never a token).
 */
import { AppError, ErrorCode } from '../errors.js';

export type RefusalReason =
  /** The OAuth server does not know the posted access token (or refused to say). */
  | 'token_not_confirmed'
  /** The token belongs to another portal than the posted member_id. */
  | 'other_portal'
  /** The token belongs to another app than ours (B24_CLIENT_ID). */
  | 'other_app'
  /** The token's user is not an administrator of the portal (`profile.ADMIN` false). */
  | 'not_admin'
  /** The portal names another user than the OAuth server does. */
  | 'user_mismatch'
  /** An install page of an app that is installed already: not an installation, so nothing to bind. */
  | 'install_finished'
  /** The endpoints in the payload are not acceptable (B24_ALLOW_LOOPBACK, B24_OAUTH_HOSTS, https). */
  | 'bad_endpoint'
  /** An uninstall while the portal still answers the app's tokens and says it is installed. */
  | 'still_installed'
  /** A robot call the portal does not confirm (robot-claims.ts says which part). */
  | 'robot_unconfirmed';

/** A refusal with its reason. */
export function refusal(reason: RefusalReason, message: string, details: Record<string, unknown> = {}): AppError {
  return new AppError(ErrorCode.B24_FORBIDDEN, message, { details: { ...details, reason } });
}

/** The reason of a refusal, or undefined for other errors. */
export function refusalReason(error: unknown): RefusalReason | undefined {
  if (!(error instanceof AppError) || error.code !== ErrorCode.B24_FORBIDDEN) return undefined;
  const reason = error.details?.reason;
  return typeof reason === 'string' ? (reason as RefusalReason) : undefined;
}
