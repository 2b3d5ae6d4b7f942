/** The Bitrix24 portal part of the store contract: install/update/uninstall, token compare-and-set, refresh leases. */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { PortalInstall } from '../../shared/domain/portal.js';
import { fakeSecret, type StoreFixture } from './store-fixtures.js';

/** A complete install record for a fresh member id; `overrides` replace top-level fields. */
export function makePortalInstall(overrides: Partial<PortalInstall> = {}): PortalInstall {
  return {
    memberId: crypto.randomBytes(16).toString('hex'),
    domain: 'example.bitrix24.com',
    clientEndpoint: 'https://example.bitrix24.com/rest/',
    serverEndpoint: 'https://oauth.bitrix.info/rest/',
    scope: 'crm,bizproc,placement,user_basic',
    userId: 1,
    language: 'ru',
    tokens: { sealed: fakeSecret(), expiresAt: new Date('2025-03-01T11:00:00Z') },
    applicationTokenHash: crypto.randomBytes(32).toString('hex'),
    at: new Date('2025-03-01T10:00:00.123Z'),
    ...overrides,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Registers the portal tests on the contract's per-test store. */
export function describePortalContract(fx: StoreFixture): void {
  describe('bitrix24 portals', () => {
    it('upsert creates version 1 and reads back every field; unknown member ids read as undefined', async () => {
      const install = makePortalInstall();
      const stored = await fx.store.portals.upsert(install);
      const { at, ...fields } = install;
      const expected = { ...fields, status: 'installed', installedAt: at, updatedAt: at, version: 1 };
      assert.deepEqual(stored, expected);
      assert.deepEqual(await fx.store.portals.get(install.memberId), expected);
      assert.equal(await fx.store.portals.get('no-such-member'), undefined);
      const anonymous = makePortalInstall({ userId: undefined, language: undefined });
      const stored2 = await fx.store.portals.upsert(anonymous);
      assert.equal(stored2.userId, undefined);
      assert.equal(stored2.language, undefined);
    });

    it("keeps the portal's language when an install or update does not bring one", async () => {
      const first = makePortalInstall({ language: 'ru' });
      await fx.store.portals.upsert(first);
      const update = makePortalInstall({ memberId: first.memberId, language: undefined });
      assert.equal((await fx.store.portals.upsert(update)).language, 'ru');
      const english = makePortalInstall({ memberId: first.memberId, language: 'en' });
      assert.equal((await fx.store.portals.upsert(english)).language, 'en');
      assert.equal((await fx.store.portals.get(first.memberId))?.language, 'en');
    });

    it('a reinstall replaces tokens and endpoints, bumps the version and keeps installedAt', async () => {
      const first = makePortalInstall();
      await fx.store.portals.upsert(first);
      const again = makePortalInstall({
        memberId: first.memberId,
        domain: 'renamed.bitrix24.com',
        clientEndpoint: 'https://renamed.bitrix24.com/rest/',
        at: new Date('2025-04-01T00:00:00Z'),
      });
      const stored = await fx.store.portals.upsert(again);
      assert.equal(stored.version, 2);
      assert.deepEqual(stored.installedAt, first.at);
      assert.deepEqual(stored.updatedAt, again.at);
      assert.equal(stored.domain, 'renamed.bitrix24.com');
      assert.deepEqual(stored.tokens, again.tokens);
      assert.equal(stored.applicationTokenHash, again.applicationTokenHash);
    });

    it('updateTokens is compare-and-set on version, optional endpoints, installed portals only', async () => {
      const install = makePortalInstall();
      await fx.store.portals.upsert(install);
      const tokens = { sealed: fakeSecret(), expiresAt: new Date('2025-03-01T12:00:00Z') };
      const at = new Date('2025-03-01T11:00:01Z');
      assert.equal(await fx.store.portals.updateTokens(install.memberId, { tokens, at }, 1), true);
      let stored = await fx.store.portals.get(install.memberId);
      assert.equal(stored?.version, 2);
      assert.deepEqual(stored?.tokens, tokens);
      assert.deepEqual(stored?.updatedAt, at);
      assert.equal(stored?.clientEndpoint, install.clientEndpoint, 'an absent endpoint is kept');
      assert.equal(await fx.store.portals.updateTokens(install.memberId, { tokens, at }, 1), false, 'stale version');
      const moved = {
        tokens,
        at,
        clientEndpoint: 'https://new.example.com/rest/',
        scope: 'crm',
        serverEndpoint: 'https://oauth.bitrix24.tech/rest/',
      };
      assert.equal(await fx.store.portals.updateTokens(install.memberId, moved, 2), true);
      stored = await fx.store.portals.get(install.memberId);
      assert.equal(stored?.clientEndpoint, 'https://new.example.com/rest/');
      assert.equal(stored?.serverEndpoint, 'https://oauth.bitrix24.tech/rest/');
      assert.equal(stored?.scope, 'crm');
      assert.equal(await fx.store.portals.updateTokens('no-such-portal', { tokens, at }, 1), false);
      await fx.store.portals.markUninstalled(install.memberId, at);
      assert.equal(await fx.store.portals.updateTokens(install.memberId, { tokens, at }, 4), false, 'uninstalled');
    });

    it('of 20 concurrent token updates from the same version exactly one wins', async () => {
      const install = makePortalInstall();
      await fx.store.portals.upsert(install);
      const updates = Array.from({ length: 20 }, (_, i) => ({
        tokens: { sealed: fakeSecret(), expiresAt: new Date(Date.UTC(2025, 2, 1, 12, i)) },
        at: new Date(),
      }));
      const results = await Promise.all(updates.map((u) => fx.store.portals.updateTokens(install.memberId, u, 1)));
      assert.equal(results.filter(Boolean).length, 1);
      const stored = await fx.store.portals.get(install.memberId);
      assert.deepEqual(stored?.tokens, updates[results.indexOf(true)]?.tokens);
      assert.equal(stored?.version, 2);
    });

    it('markUninstalled drops the secrets (purge deletes the record); a reinstall starts a new installation', async () => {
      const install = makePortalInstall();
      await fx.store.portals.upsert(install);
      const at = new Date('2025-05-01T00:00:00Z');
      assert.equal(await fx.store.portals.markUninstalled(install.memberId, at), true);
      const stored = await fx.store.portals.get(install.memberId);
      assert.equal(stored?.status, 'uninstalled');
      assert.equal(stored?.tokens, undefined);
      assert.equal(stored?.applicationTokenHash, undefined);
      assert.equal(stored?.version, 2);
      assert.deepEqual(stored?.updatedAt, at);
      const back = await fx.store.portals.upsert(
        makePortalInstall({ memberId: install.memberId, at: new Date('2025-06-01T00:00:00Z') }),
      );
      assert.equal(back.status, 'installed');
      assert.deepEqual(back.installedAt, new Date('2025-06-01T00:00:00Z'));
      assert.equal(back.version, 3);
      assert.equal(await fx.store.portals.markUninstalled(install.memberId, at, true), true);
      assert.equal(await fx.store.portals.get(install.memberId), undefined);
      assert.equal(await fx.store.portals.markUninstalled(install.memberId, at), false);
    });

    it('the refresh lease: one holder, re-entrant for its owner, released only by it, taken over after expiry', async () => {
      const portals = fx.store.portals;
      const id = 'member-lock-1';
      assert.equal(await portals.acquireRefreshLock(id, 'A', 60_000), true);
      assert.equal(await portals.acquireRefreshLock(id, 'B', 60_000), false);
      assert.equal(await portals.acquireRefreshLock(id, 'A', 60_000), true, 'the owner may extend');
      assert.equal(await portals.acquireRefreshLock('member-lock-2', 'B', 60_000), true, 'leases are per portal');
      await portals.releaseRefreshLock(id, 'B');
      assert.equal(await portals.acquireRefreshLock(id, 'B', 60_000), false, 'B cannot release the lease of A');
      await portals.releaseRefreshLock(id, 'A');
      assert.equal(await portals.acquireRefreshLock(id, 'B', 200), true, 'free after release');
      await sleep(450);
      assert.equal(await portals.acquireRefreshLock(id, 'C', 60_000), true, 'an expired lease is taken over');
      await portals.releaseRefreshLock(id, 'B');
      assert.equal(await portals.acquireRefreshLock(id, 'D', 60_000), false, 'the late release of B freed nothing');
    });

    it('of 20 concurrent lease requests from different owners exactly one succeeds', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => fx.store.portals.acquireRefreshLock('member-race', `owner-${i}`, 60_000)),
      );
      assert.equal(results.filter(Boolean).length, 1);
    });
  });
}
