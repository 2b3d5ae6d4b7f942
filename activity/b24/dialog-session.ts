/**
 * The Sign dialog's session: the placement POST proved who the user is (application_token + `user.current`
 * with the posted AUTH_ID), and the page's script must call the API afterwards without cookies (the page
 * lives in a third-party iframe, where browsers drop cookies). So the page carries a short-lived signed
 * token binding the portal (member_id), the Bitrix24 user, the deal and the SignService account; the API
 * trusts nothing else the browser sends about who or which deal.
 */
import type { MasterKey } from '../../shared/crypto/master-key.js';
import { signToken, type TokenClaims, verifyToken } from '../../shared/crypto/signed-token.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { isLanguage, type Language } from '../../shared/i18n/messages.js';

/** What a dialog session proves. */
export interface DialogSession {
  memberId: string;
  /** The Bitrix24 user who opened the dialog (from `user.current`). */
  bitrixUserId: number;
  dealId: number;
  accountId: string;
  language: Language;
  /** The zone the signer's times are shown in, and the stamp's (date-time.ts `personTimeZone`). */
  timeZone?: string;
  /**
   * The files the dialog offered as PDFs (`fieldCode:fileId`): a call naming another one is refused before
   * its one-time code is checked, so a code is never spent on a file that cannot be signed.
   */
  pdfFiles: string[];
  expiresAt: Date;
}

/** The key of a deal file in `DialogSession.pdfFiles`. */
export const dialogFileKey = (fieldCode: string, fileId: string): string => `${fieldCode}:${fileId}`;

interface DialogClaims extends TokenClaims {
  v: 1;
  m: string;
  u: number;
  d: number;
  a: string;
  l: Language;
  z?: string;
  f: string[];
}

/** HKDF purpose of the session key. */
const PURPOSE = 'signservice/b24-dialog-session/v1';

/** How long a dialog stays usable after it was opened. */
export const DIALOG_SESSION_MINUTES = 30;

/** What the dialog's CSRF token is bound to, and the key of its long-poll limit: the session itself. */
export const dialogCsrfBinding = (sessionToken: string): string => `dialog:${sessionToken}`;

/** Issues and checks dialog sessions with a key derived from the master key. */
export interface DialogSessions {
  issue(session: Omit<DialogSession, 'expiresAt'>, now: Date): { token: string; expiresAt: Date };
  /** @throws AppError B24_FORBIDDEN for a forged, malformed or expired token. */
  verify(token: string | undefined, now: Date): DialogSession;
}

function wellFormed(c: Record<string, unknown>): boolean {
  return (
    c.v === 1 &&
    typeof c.m === 'string' &&
    Number.isSafeInteger(c.u) &&
    Number.isSafeInteger(c.d) &&
    typeof c.a === 'string' &&
    isLanguage(c.l) &&
    (c.z === undefined || typeof c.z === 'string') &&
    Array.isArray(c.f) &&
    c.f.every((f) => typeof f === 'string')
  );
}

/** Creates the issuer/checker. */
export function dialogSessions(masterKey: MasterKey, minutes = DIALOG_SESSION_MINUTES): DialogSessions {
  const key = masterKey.deriveKey(PURPOSE);
  return {
    issue(session, now) {
      const exp = Math.floor(now.getTime() / 1000) + minutes * 60;
      const claims: DialogClaims = {
        v: 1,
        m: session.memberId,
        u: session.bitrixUserId,
        d: session.dealId,
        a: session.accountId,
        l: session.language,
        ...(session.timeZone ? { z: session.timeZone } : {}),
        f: session.pdfFiles,
        exp,
      };
      return { token: signToken(key, claims), expiresAt: new Date(exp * 1000) };
    },
    verify(token, now) {
      const checked = verifyToken<DialogClaims>(key, token ?? '', now.getTime(), wellFormed);
      if (!checked.ok) {
        const why =
          checked.reason === 'expired'
            ? 'The Sign dialog was open too long; close it and open it again from the deal'
            : 'The Sign dialog session is not valid; close it and open it again from the deal';
        throw new AppError(ErrorCode.B24_FORBIDDEN, why, { details: { reason: checked.reason } });
      }
      const c = checked.claims;
      return {
        memberId: c.m,
        bitrixUserId: c.u,
        dealId: c.d,
        accountId: c.a,
        language: c.l,
        ...(c.z ? { timeZone: c.z } : {}),
        pdfFiles: c.f,
        expiresAt: new Date(c.exp * 1000),
      };
    },
  };
}
