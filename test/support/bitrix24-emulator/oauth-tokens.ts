/**
 * The OAuth server's token state. Access tokens live 1 hour, refresh tokens 180 days, authorization codes
 * 30 seconds [bitrix24.md §1.5, doc `settings/oauth/index.md`]. Every refresh returns a NEW refresh token and
 * the old one stops working (`invalid_grant`): the docs say "retain it instead of the previous one" and b24jssdk
 * coalesces refreshes "to avoid OAuth refresh-token reuse errors" [bitrix24.md §1.5]. An access token issued
 * before a refresh stays valid until it expires [UNCONFIRMED; nothing says refresh revokes it].
 */
import { randomBytes } from 'node:crypto';

/** One issued token pair and what it grants. */
export interface AccessGrant {
  accessToken: string;
  refreshToken: string;
  memberId: string;
  userId: number;
  clientId: string;
  scope: string[];
  /** Unix ms. */
  expiresAtMs: number;
  /** Set by forced expiry (tests, the `expired_token` fault) before the natural expiry. */
  forcedExpired: boolean;
}

/** Lifetimes, in milliseconds. */
export interface TokenLifetimes {
  accessMs: number;
  refreshMs: number;
  codeMs: number;
}

interface RefreshRecord {
  grant: AccessGrant;
  expiresAtMs: number;
  /** Replaced by a newer refresh token, or revoked on uninstall. */
  spent: boolean;
}

interface CodeRecord {
  memberId: string;
  userId: number;
  clientId: string;
  scope: string[];
  expiresAtMs: number;
  used: boolean;
}

/** Access tokens look like the 64-hex-digit tokens in the docs' examples. */
function newToken(): string {
  return randomBytes(32).toString('hex');
}

/** All tokens of all portals (one OAuth server serves them all, as oauth.bitrix.info does). */
export class TokenStore {
  readonly #access = new Map<string, AccessGrant>();
  readonly #refresh = new Map<string, RefreshRecord>();
  readonly #codes = new Map<string, CodeRecord>();

  constructor(
    private readonly lifetimes: TokenLifetimes,
    private readonly now: () => number,
  ) {}

  /** Issues a fresh pair for a user of a portal. */
  issue(memberId: string, userId: number, clientId: string, scope: string[]): AccessGrant {
    const grant: AccessGrant = {
      accessToken: newToken(),
      refreshToken: newToken(),
      memberId,
      userId,
      clientId,
      scope: [...scope],
      expiresAtMs: this.now() + this.lifetimes.accessMs,
      forcedExpired: false,
    };
    this.#access.set(grant.accessToken, grant);
    this.#refresh.set(grant.refreshToken, { grant, expiresAtMs: this.now() + this.lifetimes.refreshMs, spent: false });
    return grant;
  }

  /** The grant of an access token and whether it has expired; undefined for a token never issued. */
  lookup(accessToken: string): { grant: AccessGrant; expired: boolean } | undefined {
    const grant = this.#access.get(accessToken);
    if (grant === undefined) return undefined;
    return { grant, expired: grant.forcedExpired || grant.expiresAtMs <= this.now() };
  }

  /** Rotates a refresh token; `invalid_grant` for an unknown, spent, expired or other-client token. */
  refresh(refreshToken: string, clientId: string): AccessGrant | 'invalid_grant' {
    const record = this.#refresh.get(refreshToken);
    if (record === undefined || record.spent || record.expiresAtMs <= this.now()) return 'invalid_grant';
    if (record.grant.clientId !== clientId) return 'invalid_grant';
    record.spent = true;
    const { memberId, userId, scope } = record.grant;
    return this.issue(memberId, userId, clientId, scope);
  }

  /** A one-time authorization code (full OAuth flow, step 2). */
  issueCode(memberId: string, userId: number, clientId: string, scope: string[]): string {
    const code = randomBytes(16).toString('hex');
    this.#codes.set(code, {
      memberId,
      userId,
      clientId,
      scope: [...scope],
      expiresAtMs: this.now() + this.lifetimes.codeMs,
      used: false,
    });
    return code;
  }

  /** Exchanges a code for the first token pair; each code works once, within its 30 seconds. */
  redeemCode(code: string, clientId: string): AccessGrant | 'invalid_grant' {
    const record = this.#codes.get(code);
    if (record === undefined || record.used || record.expiresAtMs <= this.now()) return 'invalid_grant';
    if (record.clientId !== clientId) return 'invalid_grant';
    record.used = true;
    return this.issue(record.memberId, record.userId, clientId, record.scope);
  }

  /** Marks one access token expired. */
  expire(accessToken: string): void {
    const grant = this.#access.get(accessToken);
    if (grant !== undefined) grant.forcedExpired = true;
  }

  /** Marks every access token of a portal expired (refresh tokens keep working). */
  expireAll(memberId: string): void {
    for (const grant of this.#access.values()) if (grant.memberId === memberId) grant.forcedExpired = true;
  }

  /** Uninstall: every token of the portal's app stops working, refresh tokens included. */
  revokeAll(memberId: string): void {
    for (const [token, grant] of this.#access) if (grant.memberId === memberId) this.#access.delete(token);
    for (const record of this.#refresh.values()) if (record.grant.memberId === memberId) record.spent = true;
  }
}
