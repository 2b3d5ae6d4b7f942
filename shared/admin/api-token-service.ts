/**
 * API tokens for scripts: `ss_` + 256 random bits, shown once at creation, stored as SHA-256 (a token has
 * full entropy, so a fast hash is enough to make a stolen database useless), scoped read-only or admin and
 * optionally to one portal, revocable. The configured ADMIN_TOKEN (if any) is one more admin token whose
 * text lives in the environment, for provisioning before any operator exists.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { ApiTokenScope, Principal } from '../domain/admin-principal.js';
import type { ApiToken } from '../domain/api-token.js';
import { AppError, ErrorCode } from '../errors.js';
import type { Store } from '../store/store-ports.js';

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const apiTokenHash = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export interface ApiTokenService {
  create(options: { name: string; scope: ApiTokenScope; memberId?: string; createdBy: string }): Promise<{
    token: string;
    record: ApiToken;
  }>;
  list(): Promise<ApiToken[]>;
  revoke(idOrName: string): Promise<void>;
  /** The principal of a bearer token, or undefined for an unknown or revoked one. */
  authenticate(text: string): Promise<Principal | undefined>;
}

export function createApiTokenService(deps: {
  store: Store;
  /** config.adminToken */
  envToken?: string | undefined;
  now?: () => Date;
}): ApiTokenService {
  const now = deps.now ?? (() => new Date());
  const repo = deps.store.admin.apiTokens;
  const envHash = deps.envToken ? Buffer.from(apiTokenHash(deps.envToken), 'hex') : undefined;
  return {
    async create({ name, scope, memberId, createdBy }) {
      if (!NAME_PATTERN.test(name)) {
        throw new AppError(
          ErrorCode.INVALID_ARGUMENT,
          `'${name}' is not a token name: use letters, digits, '.', '_', '-'`,
        );
      }
      const token = `ss_${randomBytes(32).toString('base64url')}`;
      const record: ApiToken = {
        id: randomUUID(),
        name,
        hash: apiTokenHash(token),
        scope,
        memberId,
        createdAt: now(),
        createdBy,
        revokedAt: undefined,
        lastUsedAt: undefined,
      };
      await repo.create(record);
      return { token, record };
    },
    list: () => repo.list(),
    async revoke(idOrName) {
      if (!(await repo.revoke(idOrName, now()))) {
        throw new AppError(ErrorCode.INVALID_ARGUMENT, `There is no live API token '${idOrName}'`);
      }
    },
    async authenticate(text) {
      if (!text || text.length > 200) return undefined;
      const hash = apiTokenHash(text);
      if (envHash && timingSafeEqual(Buffer.from(hash, 'hex'), envHash)) {
        return { kind: 'token', tokenId: 'ADMIN_TOKEN', name: 'ADMIN_TOKEN', scope: 'admin' };
      }
      // Looked up by its hash: the comparison happens on a value the caller cannot steer byte by byte.
      const record = await repo.getByHash(hash);
      if (!record || record.revokedAt) return undefined;
      const at = now();
      if (!record.lastUsedAt || at.getTime() - record.lastUsedAt.getTime() > 60_000) await repo.touch(record.id, at);
      return {
        kind: 'token',
        tokenId: record.id,
        name: record.name,
        scope: record.scope,
        ...(record.memberId ? { memberId: record.memberId } : {}),
      };
    },
  };
}
