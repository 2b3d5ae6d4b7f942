/**
 * The admin ports' contract (operators, panel sessions, API tokens, settings), run by describeStoreContract
 * on every adapter: read-back, case-insensitive logins, counters and the TOTP step guard under concurrency.
 */
import assert from 'node:assert/strict';
import type { AdminSession } from '../../shared/domain/admin-session.js';
import type { ApiToken } from '../../shared/domain/api-token.js';
import type { Operator } from '../../shared/domain/operator.js';
import { fakeSecret, rejectsWith, type StoreFixture } from './store-fixtures.js';

const T = new Date('2025-03-01T10:00:00.000Z');

function operator(login: string): Operator {
  return {
    login,
    passwordHash: 'scrypt$32768$8$1$c2FsdA==$aGFzaA==',
    totp: { secret: fakeSecret(), confirmedAt: T, lastStep: 100 },
    failures: [],
    lockedUntil: undefined,
    createdAt: T,
    updatedAt: T,
  };
}

function token(name: string, overrides: Partial<ApiToken> = {}): ApiToken {
  return {
    id: `id-${name}-${Math.random()}`,
    name,
    hash: `${name}-${Math.random()}`.padEnd(64, '0'),
    scope: 'read',
    memberId: undefined,
    createdAt: T,
    createdBy: 'root',
    revokedAt: undefined,
    lastUsedAt: undefined,
    ...overrides,
  };
}

export function describeAdminContract(fx: StoreFixture): void {
  describe('admin: operators, sessions, API tokens, settings', () => {
    it('operators: create, read back case-insensitively, refuse a taken login, update', async () => {
      const ops = fx.store.admin.operators;
      const root = operator('Root');
      await ops.create(root);
      assert.deepEqual(await ops.get('root'), root);
      await rejectsWith(ops.create(operator('ROOT')), 'ACCOUNT_EXISTS');
      await ops.update({ ...root, totp: undefined });
      assert.equal((await ops.get('Root'))?.totp, undefined);
      assert.equal((await ops.list()).length, 1);
      await rejectsWith(ops.update(operator('nobody')), 'ACCOUNT_NOT_FOUND');
    });

    it('operators: failures counted within the window, lock and unlock, TOTP steps accepted once', async () => {
      const ops = fx.store.admin.operators;
      await ops.create(operator('ops'));
      const at = (m: number) => new Date(T.getTime() + m * 60_000);
      assert.equal(await ops.recordFailure('ops', at(0), at(-15)), 1);
      const counts = await Promise.all([1, 2, 3].map((m) => ops.recordFailure('ops', at(m), at(-15))));
      assert.equal(Math.max(...counts), 4, 'concurrent failures are all counted');
      assert.equal(await ops.recordFailure('ops', at(30), at(15)), 1, 'old failures drop out');
      await ops.setLockedUntil('ops', at(45));
      assert.deepEqual((await ops.get('ops'))?.lockedUntil, at(45));
      await ops.setLockedUntil('ops', undefined);
      assert.deepEqual((await ops.get('ops'))?.failures, []);
      const wins = await Promise.all(Array.from({ length: 10 }, () => ops.acceptTotpStep('ops', 101)));
      assert.equal(wins.filter(Boolean).length, 1);
      assert.equal(await ops.acceptTotpStep('ops', 100), false);
    });

    it('sessions: create, get, touch, delete, expire', async () => {
      const repo = fx.store.admin.sessions;
      const s: AdminSession = {
        idHash: 'a'.repeat(64),
        principal: { kind: 'portal-admin', memberId: 'm1', userId: 7, name: 'Ann' },
        stage: 'active',
        createdAt: T,
        lastSeenAt: T,
        expiresAt: new Date(T.getTime() + 3_600_000),
      };
      await repo.create(s);
      assert.deepEqual(await repo.get(s.idHash), s);
      const later = new Date(T.getTime() + 60_000);
      await repo.touch(s.idHash, later);
      assert.deepEqual((await repo.get(s.idHash))?.lastSeenAt, later);
      assert.equal(await repo.deleteExpired(new Date(T.getTime() + 7_200_000)), 1);
      assert.equal(await repo.get(s.idHash), undefined);
      await repo.create(s);
      assert.equal(await repo.delete(s.idHash), true);
      assert.equal(await repo.delete(s.idHash), false);
    });

    it('API tokens: one live token per name, found by hash, revoked by id or name', async () => {
      const repo = fx.store.admin.apiTokens;
      const a = token('hr-sync', { scope: 'admin', memberId: 'm1' });
      await repo.create(a);
      assert.deepEqual(await repo.getByHash(a.hash), a);
      await rejectsWith(repo.create(token('hr-sync')), 'ACCOUNT_EXISTS');
      assert.equal(await repo.revoke('hr-sync', T), true);
      assert.equal(await repo.revoke(a.id, T), false, 'already revoked');
      assert.deepEqual((await repo.getByHash(a.hash))?.revokedAt, T);
      const b = token('hr-sync');
      await repo.create(b);
      await repo.touch(b.id, T);
      assert.deepEqual((await repo.getByHash(b.hash))?.lastUsedAt, T);
      assert.equal((await repo.list()).length, 2);
    });

    it('settings: JSON values by key', async () => {
      assert.equal(await fx.store.admin.settings.get('x'), undefined);
      await fx.store.admin.settings.set('x', { a: true });
      await fx.store.admin.settings.set('x', { a: false, b: 2 });
      assert.deepEqual(await fx.store.admin.settings.get('x'), { a: false, b: 2 });
    });
  });
}
