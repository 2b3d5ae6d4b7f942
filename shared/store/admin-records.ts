/**
 * Operators, panel sessions and API tokens as plain JSON (dates as ISO text) and back: the embedded store
 * keeps them as JSON bodies next to the columns it indexes. One place for both directions, so a field
 * added to a record cannot be forgotten on the way back.
 */
import type { AdminSession } from '../domain/admin-session.js';
import type { ApiToken } from '../domain/api-token.js';
import type { Operator } from '../domain/operator.js';

type Json = Record<string, unknown>;

const date = (v: unknown): Date | undefined => (typeof v === 'string' ? new Date(v) : undefined);
const required = (v: unknown): Date => date(v) ?? new Date(Number.NaN);

export function operatorToJson(o: Operator): string {
  return JSON.stringify(o);
}

export function operatorFromJson(text: string): Operator {
  const j = JSON.parse(text) as Json;
  const totp = j.totp as Json | undefined;
  return {
    login: j.login as string,
    passwordHash: j.passwordHash as string,
    totp: totp
      ? {
          secret: totp.secret as NonNullable<Operator['totp']>['secret'],
          confirmedAt: date(totp.confirmedAt),
          lastStep: totp.lastStep as number,
        }
      : undefined,
    failures: ((j.failures as string[] | undefined) ?? []).map((f) => new Date(f)),
    lockedUntil: date(j.lockedUntil),
    createdAt: required(j.createdAt),
    updatedAt: required(j.updatedAt),
  };
}

export function sessionToJson(s: AdminSession): string {
  return JSON.stringify(s);
}

export function sessionFromJson(text: string): AdminSession {
  const j = JSON.parse(text) as Json;
  return {
    idHash: j.idHash as string,
    principal: j.principal as AdminSession['principal'],
    stage: j.stage === 'totp-setup' ? 'totp-setup' : 'active',
    createdAt: required(j.createdAt),
    lastSeenAt: required(j.lastSeenAt),
    expiresAt: required(j.expiresAt),
  };
}

export function apiTokenToJson(t: ApiToken): string {
  return JSON.stringify(t);
}

export function apiTokenFromJson(text: string): ApiToken {
  const j = JSON.parse(text) as Json;
  return {
    id: j.id as string,
    name: j.name as string,
    hash: j.hash as string,
    scope: j.scope === 'admin' ? 'admin' : 'read',
    memberId: typeof j.memberId === 'string' ? j.memberId : undefined,
    createdAt: required(j.createdAt),
    createdBy: j.createdBy as string,
    revokedAt: date(j.revokedAt),
    lastUsedAt: date(j.lastUsedAt),
  };
}
