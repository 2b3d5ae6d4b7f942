/**
 * Panel sessions in the store: a random 256-bit id (only its SHA-256 is stored), an idle
 * limit (30 minutes since the last request) and an absolute one (12 hours since sign-in). A new id is
 * issued at every sign-in and at the step from TOTP set-up to signed-in, so an id planted before sign-in
 * is worth nothing (session fixation). Ending a session deletes it from the store: every instance sees it.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Principal } from '../domain/admin-principal.js';
import type { AdminSession, AdminSessionStage } from '../domain/admin-session.js';
import type { Store } from '../store/store-ports.js';

export const SESSION_IDLE_MINUTES = 30;
export const SESSION_ABSOLUTE_HOURS = 12;

export interface OpenedSession {
  /** The id for the cookie or header; exists only here and in the browser. */
  id: string;
  session: AdminSession;
}

export interface AdminSessionService {
  open(principal: Principal, stage: AdminSessionStage): Promise<OpenedSession>;
  /** The live session of `id` (moving its idle timer), or undefined when unknown, idle or over. */
  resolve(id: string | undefined): Promise<AdminSession | undefined>;
  end(id: string | undefined): Promise<void>;
}

export const sessionIdHash = (id: string) => createHash('sha256').update(id, 'utf8').digest('hex');

export function createAdminSessionService(deps: {
  store: Store;
  now?: () => Date;
  idleMinutes?: number;
  absoluteHours?: number;
}): AdminSessionService {
  const now = deps.now ?? (() => new Date());
  const idleMs = (deps.idleMinutes ?? SESSION_IDLE_MINUTES) * 60_000;
  const absoluteMs = (deps.absoluteHours ?? SESSION_ABSOLUTE_HOURS) * 3_600_000;
  const repo = deps.store.admin.sessions;
  return {
    async open(principal, stage) {
      const at = now();
      const id = randomBytes(32).toString('base64url');
      const session: AdminSession = {
        idHash: sessionIdHash(id),
        principal,
        stage,
        createdAt: at,
        lastSeenAt: at,
        // A TOTP set-up is a short step, not a session.
        expiresAt: new Date(at.getTime() + (stage === 'totp-setup' ? 10 * 60_000 : absoluteMs)),
      };
      await repo.create(session);
      // Housekeeping of sessions past their end; checks below never rely on it.
      await repo.deleteExpired(at);
      return { id, session };
    },
    async resolve(id) {
      if (!id || id.length > 200) return undefined;
      const idHash = sessionIdHash(id);
      const session = await repo.get(idHash);
      if (!session) return undefined;
      const at = now();
      if (at.getTime() >= session.expiresAt.getTime() || at.getTime() - session.lastSeenAt.getTime() >= idleMs) {
        await repo.delete(idHash);
        return undefined;
      }
      // Writing on every request would be a store write per click; a minute of slack is plenty for 30.
      if (at.getTime() - session.lastSeenAt.getTime() > 60_000) await repo.touch(idHash, at);
      return session;
    },
    async end(id) {
      if (id) await repo.delete(sessionIdHash(id));
    },
  };
}
