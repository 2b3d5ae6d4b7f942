/**
 * A panel session, kept in the store so that any activity instance behind a load balancer can check it
 * and sign-out ends it everywhere. Only the SHA-256 of the session id is stored. The standalone panel
 * carries the id in an HttpOnly cookie; the panel inside Bitrix24 (a third-party frame, where browsers may
 * drop cookies) carries it in a request header set by the page's script.
 */
import type { Principal } from './admin-principal.js';

/** `totp-setup`: password was right, the operator still has to confirm a first code. */
export type AdminSessionStage = 'totp-setup' | 'active';

export interface AdminSession {
  /** hex SHA-256 of the random session id. */
  idHash: string;
  principal: Principal;
  stage: AdminSessionStage;
  createdAt: Date;
  lastSeenAt: Date;
  /** Absolute end (12 h after sign-in); the idle limit (30 min) is checked against lastSeenAt. */
  expiresAt: Date;
}
