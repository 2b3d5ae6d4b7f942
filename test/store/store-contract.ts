/**
 * The store contract: one mocha suite that every adapter must pass (embedded SQLite always, MongoDB when
 * MONGO_URL is set). `adapter.open` must return a store over EMPTY storage on every call; the suite opens
 * one per test (with a fresh master key's store keys) and closes it afterwards, so tests never see each
 * other's data.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { EnrollmentLink } from '../../shared/domain/enrollment-link.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { describeAccountContract, describeOtpStateContract } from './account-contract.js';
import { describeAccountPortalContract } from './account-portal-contract.js';
import { describeAdminContract } from './admin-contract.js';
import { describeLeaseContract } from './lease-contract.js';
import { describePortalContract } from './portal-contract.js';
import { describeSignLogContract } from './sign-log-contract.js';
import { describeSignRequestContract } from './sign-request-contract.js';
import { fakeSecret, randomMasterKey, rejectsWith, type StoreAdapter, type StoreFixture } from './store-fixtures.js';
import { describeTransactionContract } from './transaction-contract.js';

function link(accountId: string, overrides: Partial<EnrollmentLink> = {}): EnrollmentLink {
  return {
    tokenHash: crypto.randomBytes(32).toString('hex'),
    accountId,
    createdAt: new Date('2025-03-01T10:00:00Z'),
    expiresAt: new Date('2025-03-01T11:00:00Z'),
    usedAt: undefined,
    pendingSecret: fakeSecret(),
    ...overrides,
  };
}

/** Registers the whole contract for one adapter. */
export function describeStoreContract(name: string, adapter: StoreAdapter): void {
  describe(`store contract: ${name}`, () => {
    const fx = {} as StoreFixture;
    beforeEach(async () => {
      fx.masterKey = randomMasterKey();
      const keys = storeKeysFor(fx.masterKey);
      fx.store = await adapter.open(keys);
      const store = fx.store;
      fx.writeLegacyEntries = (entries) => adapter.writeLegacyEntries(store, entries);
      fx.reopen = () => adapter.reopen(store, keys);
    });
    afterEach(async () => {
      await fx.store?.close();
    });

    describeAccountContract(fx);
    describeOtpStateContract(fx);
    describeAccountPortalContract(fx);
    describeEnrollmentContract(fx);
    describeGrantContract(fx);
    describeCertificateNameContract(fx);
    describeSignLogContract(fx);
    describeSignRequestContract(fx);
    describePortalContract(fx);
    describeLeaseContract(fx);
    describeAdminContract(fx);
    describeTransactionContract(fx);
  });
}

function describeEnrollmentContract(fx: StoreFixture): void {
  describe('enrollment links', () => {
    it('creates and reads back a link; an unknown token hash reads as undefined', async () => {
      const l = link('acc-1');
      await fx.store.enrollments.create(l);
      assert.deepEqual(await fx.store.enrollments.getByTokenHash(l.tokenHash), l);
      const plain = link('acc-1', { pendingSecret: undefined });
      await fx.store.enrollments.create(plain);
      assert.deepEqual(await fx.store.enrollments.getByTokenHash(plain.tokenHash), plain);
      assert.equal(await fx.store.enrollments.getByTokenHash('0'.repeat(64)), undefined);
      await rejectsWith(fx.store.enrollments.create(l), 'INVALID_ARGUMENT');
    });

    it('markUsed succeeds once, records the time, forgets the pending secret, and is false for unknown links', async () => {
      const l = link('acc-1');
      await fx.store.enrollments.create(l);
      assert.ok(
        (await fx.store.enrollments.getByTokenHash(l.tokenHash))?.pendingSecret,
        'fixture has a pending secret',
      );
      const at = new Date('2025-03-01T10:20:00Z');
      assert.equal(await fx.store.enrollments.markUsed(l.tokenHash, at), true);
      assert.equal(await fx.store.enrollments.markUsed(l.tokenHash, new Date('2025-03-01T10:21:00Z')), false);
      assert.deepEqual((await fx.store.enrollments.getByTokenHash(l.tokenHash))?.usedAt, at);
      assert.equal((await fx.store.enrollments.getByTokenHash(l.tokenHash))?.pendingSecret, undefined);
      assert.equal(await fx.store.enrollments.markUsed('f'.repeat(64), at), false);
    });

    it('markUsed: of 20 concurrent calls exactly one wins', async () => {
      const l = link('acc-1');
      await fx.store.enrollments.create(l);
      const at = new Date('2025-03-01T10:20:00Z');
      const results = await Promise.all(
        Array.from({ length: 20 }, () => fx.store.enrollments.markUsed(l.tokenHash, at)),
      );
      assert.equal(results.filter(Boolean).length, 1);
    });

    it('replacePendingSecret replaces the secret of an unused, unexpired link only', async () => {
      const l = link('acc-1', { pendingSecret: undefined });
      await fx.store.enrollments.create(l);
      const first = fakeSecret();
      const second = fakeSecret();
      const at = new Date('2025-03-01T10:10:00Z');
      assert.equal(await fx.store.enrollments.replacePendingSecret(l.tokenHash, first, at), true);
      assert.deepEqual((await fx.store.enrollments.getByTokenHash(l.tokenHash))?.pendingSecret, first);
      assert.equal(await fx.store.enrollments.replacePendingSecret(l.tokenHash, second, at), true);
      assert.deepEqual((await fx.store.enrollments.getByTokenHash(l.tokenHash))?.pendingSecret, second);
      assert.equal(await fx.store.enrollments.replacePendingSecret(l.tokenHash, first, l.expiresAt), false, 'expired');
      assert.equal(await fx.store.enrollments.markUsed(l.tokenHash, at), true);
      assert.equal(await fx.store.enrollments.replacePendingSecret(l.tokenHash, first, at), false, 'used');
      assert.equal((await fx.store.enrollments.getByTokenHash(l.tokenHash))?.pendingSecret, undefined);
      assert.equal(await fx.store.enrollments.replacePendingSecret('e'.repeat(64), first, at), false, 'unknown');
    });

    it('expireForAccount ends the unused links of that account only', async () => {
      const at = new Date('2025-03-01T10:30:00Z');
      const open1 = link('acc-A');
      const open2 = link('acc-A', { expiresAt: new Date('2025-03-01T11:15:00Z') });
      const early = link('acc-A', { expiresAt: new Date('2025-03-01T10:10:00Z') });
      const used = link('acc-A', { usedAt: new Date('2025-03-01T10:05:00Z') });
      const other = link('acc-B');
      for (const l of [open1, open2, early, used, other]) await fx.store.enrollments.create(l);
      await fx.store.enrollments.expireForAccount('acc-A', at);
      const get = (l: EnrollmentLink) => fx.store.enrollments.getByTokenHash(l.tokenHash);
      assert.deepEqual((await get(open1))?.expiresAt, at);
      assert.deepEqual((await get(open2))?.expiresAt, at);
      assert.deepEqual(await get(early), early, 'a link expiring earlier keeps its time');
      assert.deepEqual(await get(used), used, 'a used link is left as it is');
      assert.deepEqual(await get(other), other, "another account's link is untouched");
    });
  });
}

function describeGrantContract(fx: StoreFixture): void {
  describe('certificate grants', () => {
    const g = (accountId: string, certId: string, isDefault: boolean, minute: number) => ({
      accountId,
      certId,
      isDefault,
      grantedAt: new Date(Date.UTC(2025, 2, 1, 9, minute)),
    });

    it('grants, switches the default, updates, lists per account and per certificate, revokes', async () => {
      const grants = fx.store.grants;
      await grants.grant(g('mary', 'cert-1', true, 1));
      await grants.grant(g('mary', 'cert-2', true, 2));
      await grants.grant(g('mary', 'cert-3', false, 3));
      await grants.grant(g('ivan', 'cert-1', true, 4));
      const defaults = async (id: string) =>
        (await grants.listForAccount(id)).filter((x) => x.isDefault).map((x) => x.certId);
      assert.deepEqual(await grants.listForAccount('mary'), [
        g('mary', 'cert-1', false, 1),
        g('mary', 'cert-2', true, 2),
        g('mary', 'cert-3', false, 3),
      ]);
      assert.deepEqual(await defaults('ivan'), ['cert-1'], "another account's default is independent");
      await grants.grant(g('mary', 'cert-3', true, 5));
      assert.deepEqual(await defaults('mary'), ['cert-3'], 're-granting updates the grant and moves the default');
      assert.equal((await grants.listForAccount('mary')).length, 3);
      assert.deepEqual(await grants.listForCertificate('cert-1'), [
        g('mary', 'cert-1', false, 1),
        g('ivan', 'cert-1', true, 4),
      ]);
      assert.equal(await grants.revoke('mary', 'cert-1'), true);
      assert.equal(await grants.revoke('mary', 'cert-1'), false);
      assert.deepEqual(await grants.listForCertificate('cert-1'), [g('ivan', 'cert-1', true, 4)]);
      assert.deepEqual(await grants.listForAccount('nobody'), []);
    });
  });
}

function describeCertificateNameContract(fx: StoreFixture): void {
  describe('certificate names', () => {
    it('names a certificate, renames it, lists the named ones by id, and forgets a removed name', async () => {
      const names = fx.store.certificateNames;
      assert.equal(await names.get('cert-b'), undefined);
      assert.deepEqual(await names.list(), []);
      const t1 = new Date('2025-03-01T09:00:00.000Z');
      const t2 = new Date('2025-03-01T09:05:00.000Z');
      await names.set('cert-b', 'Печать бухгалтерии', t1);
      await names.set('cert-a', 'Token 2 — contracts', t1);
      await names.set('cert-b', 'Печать бухгалтерии (2)', t2);
      assert.deepEqual(await names.get('cert-b'), { certId: 'cert-b', name: 'Печать бухгалтерии (2)', updatedAt: t2 });
      assert.deepEqual(
        (await names.list()).map((n) => [n.certId, n.name]),
        [
          ['cert-a', 'Token 2 — contracts'],
          ['cert-b', 'Печать бухгалтерии (2)'],
        ],
      );
      await names.set('cert-a', undefined, t2);
      await names.set('cert-unknown', undefined, t2);
      assert.equal(await names.get('cert-a'), undefined);
      assert.deepEqual(
        (await names.list()).map((n) => n.certId),
        ['cert-b'],
      );
    });
  });
}
