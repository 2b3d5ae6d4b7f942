/**
 * An API token for scripts: created by an operator (`signservice admin token create`), shown once, stored
 * only as its SHA-256, scoped read-only or admin and optionally to one portal, revocable.
 */
import type { ApiTokenScope } from './admin-principal.js';

export interface ApiToken {
  id: string;
  name: string;
  /** hex SHA-256 of the token text. */
  hash: string;
  scope: ApiTokenScope;
  /** Confines the token to one portal's data (like that portal's administrator); undefined = all. */
  memberId: string | undefined;
  createdAt: Date;
  createdBy: string;
  revokedAt: Date | undefined;
  lastUsedAt: Date | undefined;
}
