/**
 * The link a signer gets for a robot step (by e-mail and Bitrix24 notification): `<base>/b24/approve/<token>`,
 * where the token binds the sign request and the signer's account and expires at the robot's deadline.
 * Stateless (HMAC with a key derived from the master key), so the worker that sends the notice and any
 * activity instance that opens the page agree without sharing anything but the master key. An expired
 * token still names its request, so the page can show how the request ended instead of a bare error.
 */
import type { MasterKey } from '../crypto/master-key.js';
import { signToken, type TokenClaims, verifyToken } from '../crypto/signed-token.js';
import { AppError, ErrorCode } from '../errors.js';

/** HKDF purpose of the link key. */
const PURPOSE = 'signservice/approval-link/v1';

/** When a request names no deadline, its link still stops working after this long. */
export const DEFAULT_APPROVAL_DAYS = 14;

interface ApprovalClaims extends TokenClaims {
  v: 1;
  r: string;
  a: string;
}

/** What a link names. */
export interface ApprovalLink {
  requestId: string;
  accountId: string;
  expiresAt: Date;
  /** False once the deadline has passed: the page shows the outcome only. */
  usable: boolean;
}

/** When the link of a request stops working: its deadline, else DEFAULT_APPROVAL_DAYS after creation. */
export function approvalLinkExpiry(request: { deadline?: Date; createdAt: Date }): Date {
  return request.deadline ?? new Date(request.createdAt.getTime() + DEFAULT_APPROVAL_DAYS * 86_400_000);
}

/** The token for `requestId` / `accountId`, valid until `expiresAt`. */
export function approvalToken(
  masterKey: MasterKey,
  link: { requestId: string; accountId: string; expiresAt: Date },
): string {
  const claims: ApprovalClaims = {
    v: 1,
    r: link.requestId,
    a: link.accountId,
    exp: Math.ceil(link.expiresAt.getTime() / 1000),
  };
  return signToken(masterKey.deriveKey(PURPOSE), claims);
}

/** The absolute URL of the approval page for a token (`publicBaseUrl` without a trailing slash). */
export function approvalUrl(publicBaseUrl: string, token: string, language?: string): string {
  const url = `${publicBaseUrl.replace(/\/+$/, '')}/b24/approve/${token}`;
  return language ? `${url}?lang=${language}` : url;
}

/**
 * Reads a token.
 * @throws AppError SIGN_REQUEST_NOT_FOUND for a forged or malformed token (it names no request we made).
 */
export function readApprovalToken(masterKey: MasterKey, token: string, now: Date): ApprovalLink {
  const checked = verifyToken<ApprovalClaims>(
    masterKey.deriveKey(PURPOSE),
    token,
    now.getTime(),
    (c) => c.v === 1 && typeof c.r === 'string' && typeof c.a === 'string',
  );
  if (!checked.ok && checked.reason !== 'expired') {
    throw new AppError(
      ErrorCode.SIGN_REQUEST_NOT_FOUND,
      'This approval link is not valid; open it again from the e-mail or the Bitrix24 notification',
    );
  }
  const { r, a, exp } = checked.claims;
  return { requestId: r, accountId: a, expiresAt: new Date(exp * 1000), usable: checked.ok };
}
