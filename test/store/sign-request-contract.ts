/** The sign request and blob parts of the store contract: round trips, compare-and-set, listing, atomic blobs. */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { rejectsWith, type StoreFixture } from './store-fixtures.js';

/** A complete request in `approved`; `overrides` replace top-level fields. */
export function makeSignRequest(overrides: Partial<SignRequest> = {}): SignRequest {
  const created = new Date('2025-03-01T10:00:00.250Z');
  return {
    id: crypto.randomUUID(),
    state: 'approved',
    version: 1,
    accountId: 'acc-1',
    certId: 'ab'.repeat(32),
    route: 'token:SignToken1',
    document: { kind: 'file', inputPath: '/srv/in/Договор №5.pdf', outputPath: '/srv/out/Договор №5.pdf' },
    placement: { page: 'last', position: 'bottom-right', visible: true },
    reason: 'Approved',
    otpRequired: true,
    steps: { authorize: { at: new Date('2025-03-01T10:00:00.100Z'), data: { otp: 'used' } } },
    createdAt: created,
    updatedAt: created,
    ...overrides,
  };
}

/** Registers the sign request tests on the contract's per-test store. */
export function describeSignRequestContract(fx: StoreFixture): void {
  describe('sign requests', () => {
    it('creates and reads back every field; unknown ids read as undefined; a taken id is refused', async () => {
      const plain = makeSignRequest();
      const full = makeSignRequest({
        state: 'delivered',
        document: { kind: 'bitrix24', memberId: 'm1', entityTypeId: 2, entityId: 42, fieldCode: 'UF_X', fileId: '900' },
        placement: { page: 3, position: 'top-left', visible: false },
        inputSha256: 'aa'.repeat(32),
        signedSha256: 'bb'.repeat(32),
        failure: { code: 'TOKEN_ABSENT', message: 'plug it in' },
        deadline: new Date('2025-03-02T10:00:00Z'),
        timeZone: 'Asia/Vladivostok',
        steps: {
          authorize: { at: new Date('2025-03-01T10:00:01Z'), data: { otp: 'disabled' } },
          fetch: { at: new Date('2025-03-01T10:00:02Z'), data: { sha256: 'aa', bytes: 1234 } },
          sign: { at: new Date('2025-03-01T10:00:03Z'), data: { sha256: 'bb', visible: false } },
        },
      });
      for (const r of [plain, full]) await fx.store.signRequests.create(r);
      assert.deepEqual(await fx.store.signRequests.get(plain.id), plain);
      assert.deepEqual(await fx.store.signRequests.get(full.id), full);
      assert.equal(await fx.store.signRequests.get('no-such-request'), undefined);
      await rejectsWith(fx.store.signRequests.create({ ...plain, state: 'failed' }), 'INVALID_ARGUMENT');
      assert.equal(
        (await fx.store.signRequests.get(plain.id))?.state,
        'approved',
        'the refused create changed nothing',
      );
    });

    it('update is compare-and-set on version and increments it', async () => {
      const r = makeSignRequest();
      await fx.store.signRequests.create(r);
      const at = new Date('2025-03-01T10:01:00Z');
      const signing = { ...r, state: 'signing' as const, updatedAt: at };
      assert.equal(await fx.store.signRequests.update(signing, 1), true);
      const stored = await fx.store.signRequests.get(r.id);
      assert.deepEqual(stored, { ...signing, version: 2 });
      assert.equal(await fx.store.signRequests.update({ ...r, state: 'failed' }, 1), false, 'a stale version loses');
      assert.equal((await fx.store.signRequests.get(r.id))?.state, 'signing');
      assert.equal(
        await fx.store.signRequests.update(makeSignRequest(), 1),
        false,
        'an unknown request is not created',
      );
    });

    it('of 20 concurrent updates from the same version exactly one wins', async () => {
      const r = makeSignRequest();
      await fx.store.signRequests.create(r);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => fx.store.signRequests.update({ ...r, reason: `writer ${i}` }, 1)),
      );
      assert.equal(results.filter(Boolean).length, 1);
      const winner = results.indexOf(true);
      const stored = await fx.store.signRequests.get(r.id);
      assert.equal(stored?.reason, `writer ${winner}`);
      assert.equal(stored?.version, 2);
    });

    it('lists newest first, filtered by state and account, bounded by limit', async () => {
      const at = (minute: number) => new Date(Date.UTC(2025, 2, 1, 10, minute));
      const rows = [
        makeSignRequest({ accountId: 'mary', state: 'completed', createdAt: at(1), updatedAt: at(1) }),
        makeSignRequest({ accountId: 'mary', state: 'approved', createdAt: at(2), updatedAt: at(2) }),
        makeSignRequest({ accountId: 'ivan', state: 'approved', createdAt: at(3), updatedAt: at(3) }),
        makeSignRequest({ accountId: 'mary', state: 'completed', createdAt: at(4), updatedAt: at(4) }),
      ];
      for (const r of rows) await fx.store.signRequests.create(r);
      const ids = (list: SignRequest[]) => list.map((r) => r.id);
      assert.deepEqual(ids(await fx.store.signRequests.list()), ids([rows[3]!, rows[2]!, rows[1]!, rows[0]!]));
      assert.deepEqual(ids(await fx.store.signRequests.list({ state: 'approved' })), ids([rows[2]!, rows[1]!]));
      assert.deepEqual(ids(await fx.store.signRequests.list({ accountId: 'mary', state: 'completed' })), [
        rows[3]!.id,
        rows[0]!.id,
      ]);
      assert.deepEqual(ids(await fx.store.signRequests.list({}, 2)), ids([rows[3]!, rows[2]!]));
      assert.deepEqual(await fx.store.signRequests.list({ accountId: 'nobody' }), []);
      assert.deepEqual(ids(await fx.store.signRequests.list({ state: 'approved', updatedBefore: at(3) })), [
        rows[1]!.id,
      ]);
      assert.deepEqual(ids(await fx.store.signRequests.list({ updatedBefore: at(1) })), []);
    });

    it('lists the requests of one batch, of one account, newest first', async () => {
      const at = (minute: number) => new Date(Date.UTC(2025, 2, 1, 11, minute));
      const rows = [
        makeSignRequest({ accountId: 'mary', batchId: 'b-1', createdAt: at(1), updatedAt: at(1) }),
        makeSignRequest({ accountId: 'mary', batchId: 'b-2', createdAt: at(2), updatedAt: at(2) }),
        makeSignRequest({ accountId: 'mary', batchId: 'b-1', state: 'completed', createdAt: at(3), updatedAt: at(3) }),
        makeSignRequest({ accountId: 'ivan', batchId: 'b-1', createdAt: at(4), updatedAt: at(4) }),
        makeSignRequest({ accountId: 'mary', createdAt: at(5), updatedAt: at(5) }),
      ];
      for (const r of rows) await fx.store.signRequests.create(r);
      const ids = (list: SignRequest[]) => list.map((r) => r.id);
      assert.deepEqual(ids(await fx.store.signRequests.list({ accountId: 'mary', batchId: 'b-1' })), [
        rows[2]!.id,
        rows[0]!.id,
      ]);
      assert.deepEqual(ids(await fx.store.signRequests.list({ batchId: 'b-1' })), ids([rows[3]!, rows[2]!, rows[0]!]));
      assert.deepEqual(await fx.store.signRequests.list({ accountId: 'mary', batchId: 'b-9' }), []);
      assert.equal((await fx.store.signRequests.get(rows[1]!.id))?.batchId, 'b-2', 'the batch id reads back');
    });
  });

  describe('blobs', () => {
    it('put, get, replace, delete; unknown keys read as undefined', async () => {
      const key = `req-${crypto.randomUUID()}.signed`;
      assert.equal(await fx.store.blobs.get(key), undefined);
      const first = crypto.randomBytes(300_000);
      await fx.store.blobs.put(key, first);
      assert.deepEqual(await fx.store.blobs.get(key), first);
      const second = Buffer.from('%PDF-1.7 replaced');
      await fx.store.blobs.put(key, second);
      assert.deepEqual(await fx.store.blobs.get(key), second);
      await fx.store.blobs.put('empty', Buffer.alloc(0));
      assert.deepEqual(await fx.store.blobs.get('empty'), Buffer.alloc(0));
      assert.equal(await fx.store.blobs.delete(key), true);
      assert.equal(await fx.store.blobs.delete(key), false);
      assert.equal(await fx.store.blobs.get(key), undefined);
    });

    it('lists every complete blob once, with when it was written; a deleted one is gone', async () => {
      const before = Date.now() - 2000;
      await fx.store.blobs.put('list-a', Buffer.from('a'));
      await fx.store.blobs.put('list-b', Buffer.from('b'));
      await fx.store.blobs.put('list-b', Buffer.from('b2'));
      await fx.store.blobs.delete('list-a');
      const listed: { key: string; writtenAt: Date }[] = [];
      for await (const blob of fx.store.blobs.list()) listed.push(blob);
      assert.deepEqual(
        listed.map((b) => b.key),
        ['list-b'],
      );
      assert.ok(listed[0]!.writtenAt.getTime() >= before && listed[0]!.writtenAt.getTime() <= Date.now() + 2000);
      assert.equal(await fx.store.blobs.removeLeftovers(new Date()), 0, 'complete blobs are no leftovers');
      assert.deepEqual(await fx.store.blobs.get('list-b'), Buffer.from('b2'));
    });

    it('refuses keys that could escape or hide (path separators, leading dot, empty, too long)', async () => {
      for (const key of ['../x', 'a/b', 'a\\b', '.hidden', '', 'x'.repeat(201), 'sp ace']) {
        await rejectsWith(fx.store.blobs.put(key, Buffer.from('x')), 'INVALID_ARGUMENT');
        await rejectsWith(fx.store.blobs.get(key), 'INVALID_ARGUMENT');
      }
    });

    it('readers during concurrent replacements see one whole version, never a mix', async () => {
      const key = 'contended';
      const versions = Array.from({ length: 6 }, (_, i) => Buffer.alloc(200_000, i + 1));
      await fx.store.blobs.put(key, versions[0]!);
      const reads: Buffer[] = [];
      await Promise.all([
        ...versions.map((v) => fx.store.blobs.put(key, v)),
        ...Array.from({ length: 12 }, async () => {
          const got = await fx.store.blobs.get(key);
          if (got) reads.push(got);
        }),
      ]);
      for (const got of reads)
        assert.ok(
          versions.some((v) => v.equals(got)),
          'a read returned a mixed or partial blob',
        );
      const last = await fx.store.blobs.get(key);
      assert.ok(last && versions.some((v) => v.equals(last)));
    });
  });
}
