/**
 * The name an administrator gives a certificate ("Печать бухгалтерии", "Token 2 — contracts"), so that
 * people can tell apart certificates whose subjects read the same (ten certificates of one person on a
 * shared token). Keyed by the inventory id (SHA-256 of the DER); the certificate itself lives on a token or
 * in the internal CA, never in the store.
 */
export interface CertificateName {
  certId: string;
  /** 1–80 characters, trimmed. */
  name: string;
  updatedAt: Date;
}

/** The longest display name the panel and the CLI accept. */
export const CERTIFICATE_NAME_MAX = 80;
