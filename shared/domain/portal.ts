/**
 * A Bitrix24 portal that installed the app, keyed by its stable `member_id` (reference §1.2: the domain can
 * change, the member id does not). Secrets are never stored in clear: the OAuth token pair is sealed with
 * the master key (context `portal:<memberId>:tokens`), the application_token is kept only as its SHA-256.
 */
import type { EncryptedSecret } from './encrypted-secret.js';

export type PortalStatus = 'installed' | 'uninstalled';

/** The portal's OAuth tokens as stored. */
export interface PortalTokens {
  /** `{"accessToken","refreshToken"}` as JSON, sealed with context `portal:<memberId>:tokens`. */
  sealed: EncryptedSecret;
  /** When the access token expires (Bitrix24 issues them for an hour). */
  expiresAt: Date;
}

export interface Portal {
  memberId: string;
  /** Portal host, e.g. `example.bitrix24.com`. */
  domain: string;
  /** REST base, e.g. `https://example.bitrix24.com/rest/`. */
  clientEndpoint: string;
  /** OAuth server REST base, e.g. `https://oauth.bitrix.info/rest/`; tokens are refreshed there. */
  serverEndpoint: string;
  /** Comma-separated scopes granted to the app. */
  scope: string;
  /** The Bitrix24 user the stored tokens belong to (the installing administrator), when known. */
  userId: number | undefined;
  /**
   * The portal's language, lower case (`data[LANGUAGE_ID]` of the install or update event, `LANG` of the install
   * page): notices to people without an account language are written in it.
   */
  language: string | undefined;
  /** Absent once the app is uninstalled (the tokens are revoked then). */
  tokens: PortalTokens | undefined;
  /** SHA-256 (hex) of the application_token that inbound calls carry; absent once uninstalled. */
  applicationTokenHash: string | undefined;
  status: PortalStatus;
  /** When the current installation began (kept across ONAPPUPDATE and token refreshes). */
  installedAt: Date;
  updatedAt: Date;
  /** Compare-and-set counter, bumped by every write. */
  version: number;
}

/** What an install (ONAPPINSTALL, ONAPPUPDATE, the install page) writes. */
export interface PortalInstall {
  memberId: string;
  domain: string;
  clientEndpoint: string;
  serverEndpoint: string;
  scope: string;
  userId: number | undefined;
  /** Undefined keeps the stored language. */
  language: string | undefined;
  tokens: PortalTokens;
  applicationTokenHash: string;
  at: Date;
}

/** What a token refresh writes. */
export interface PortalTokenUpdate {
  tokens: PortalTokens;
  /** The OAuth server's latest `client_endpoint` / `server_endpoint` / `scope`, when it sent them. */
  clientEndpoint?: string;
  serverEndpoint?: string;
  scope?: string;
  at: Date;
}
