/**
 * One entry of the tamper-evident sign log: append-only, each entry carries the public SHA-256 of the
 * previous one (anyone can check the structure) and a MAC under a key derived from the master key that
 * chains the previous entry's MAC (only the master key's holder can write a valid entry), so editing,
 * deleting or reordering an entry breaks the chain at that entry. Signed checkpoints of the head
 * (sign-log-checkpoint.ts) anchor the public chain for verifiers without the master key.
 */
export const SIGN_LOG_ACTIONS = [
  'signed',
  'signed_without_otp',
  'rejected',
  'failed',
  'otp_failed',
  'locked',
  'unlocked',
  'enrolled',
  'link_created',
  'account_created',
  'account_updated',
  'otp_disabled',
  'otp_enabled',
  'granted',
  'revoked',
  'certificate_issued',
  'certificate_revoked',
  'certificate_named',
  // Administration (the control panel, the admin API, the CLI):
  'ca_created',
  'otp_reset',
  'request_retried',
  'settings_changed',
  'portal_reregistered',
  'api_token_created',
  'api_token_revoked',
  // Bitrix24 binding (an administrator's install or update, a confirmed uninstall) and refused claims.
  'portal_bound',
  'portal_unbound',
  'portal_bind_refused',
  'portal_unbind_refused',
  'robot_call_refused',
] as const;
export type SignLogAction = (typeof SIGN_LOG_ACTIONS)[number];

export interface SignLogActor {
  accountId?: string;
  login?: string;
  /** Bitrix24 portal member_id and user id, when the action came through Bitrix24. */
  memberId?: string;
  userId?: number;
  /** 'admin', 'cli', 'system' when not a signer. */
  role?: string;
}

export interface SignLogDocument {
  dealId?: string;
  fileId?: string;
  fileName?: string;
  sha256Before?: string;
  sha256After?: string;
}

export interface SignLogCertificate {
  id: string;
  subject: string;
  serialNumber: string;
}

/** What a caller appends; the store adds `seq`, `prevHash`, `hash` and `mac`. */
export interface SignLogInput {
  time: Date;
  action: SignLogAction;
  actor: SignLogActor;
  document?: SignLogDocument;
  certificate?: SignLogCertificate;
  otp?: 'used' | 'disabled';
  requestId?: string;
  outcome: 'ok' | 'error';
  clientAddress?: string;
  /** Free-form details (never secrets). */
  details?: Record<string, string | number | boolean>;
}

export interface SignLogEntry extends SignLogInput {
  /** 1, 2, 3 … without gaps. */
  seq: number;
  /** hex SHA-256 of the previous entry ('' for the first). */
  prevHash: string;
  /** hex SHA-256 over the canonical JSON of this entry without `hash` and `mac`. */
  hash: string;
  /**
   * hex HMAC-SHA256 under the sign log key (sign-log-key.ts) over the previous entry's MAC and this
   * entry's hash. Absent only on entries written before the keyed chain existed and not yet upgraded.
   */
  mac?: string;
}
