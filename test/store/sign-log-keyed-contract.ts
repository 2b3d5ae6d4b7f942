/**
 * The keyed sign log's part of the store contract: upgrading a log of the old unkeyed format (and refusing
 * a broken one, or a keyed one whose MACs were stripped), checkpoints (numbering, races, timestamps added
 * once) and the service key (one per store, whoever wins a race), through `verifySignLog` end to end.
 */
import assert from 'node:assert/strict';
import { makeSignLogCheckpoint } from '../../shared/audit/make-sign-log-checkpoint.js';
import { verifySignLogChain } from '../../shared/audit/sign-log-chain.js';
import { signCheckpoint } from '../../shared/audit/sign-log-checkpoint-signature.js';
import { SignLogKey } from '../../shared/audit/sign-log-key.js';
import { ensureServiceKey } from '../../shared/audit/sign-log-service-key.js';
import { verifySignLog } from '../../shared/audit/verify-sign-log.js';
import {
  allEntries,
  legacyEntries,
  logInput,
  randomMasterKey,
  rejectsWith,
  type StoreFixture,
} from './store-fixtures.js';

const at = (minute: number) => new Date(Date.UTC(2025, 2, 1, 12, minute));

/** Registers the keyed sign log tests on the contract's per-test store. */
export function describeSignLogKeyedContract(fx: StoreFixture): void {
  const key = () => SignLogKey.fromMasterKey(fx.masterKey);

  describe('sign log: upgrading a log of the old unkeyed format', () => {
    it('an intact old log verifies as before, gets its MACs (hashes unchanged) and continues keyed', async () => {
      const old = legacyEntries(5);
      await fx.writeLegacyEntries(old);
      const before = await verifySignLog(fx.store, fx.masterKey);
      assert.equal(before.ok, true, JSON.stringify(before.problem));
      assert.equal(before.format, 'unkeyed');
      assert.equal(before.entries, 5);
      assert.deepEqual(await fx.store.signLog.upgrade(), { upgraded: 5 });
      const upgraded = await allEntries(fx.store);
      assert.deepEqual(
        upgraded.map(({ mac: _mac, ...entry }) => entry),
        old,
        'the entries and their hashes are untouched',
      );
      assert.equal(verifySignLogChain(upgraded, { key: key() }).ok, true, 'every entry has its MAC now');
      assert.deepEqual(await fx.store.signLog.upgrade(), { upgraded: 0 }, 'a second upgrade has nothing to do');
      const next = await fx.store.signLog.append(logInput(at(1)));
      assert.equal(next.seq, 6);
      assert.equal(next.prevHash, old[4]!.hash);
      const made = await makeSignLogCheckpoint({ store: fx.store, masterKey: fx.masterKey });
      assert.ok('made' in made && made.made.seq === 6);
      const after = await verifySignLog(fx.store, fx.masterKey);
      assert.equal(after.ok, true, JSON.stringify(after.problem));
      assert.equal(after.format, 'keyed');
      assert.deepEqual([after.entries, after.lastCheckpoint?.number, after.lastCheckpoint?.seq], [6, 1, 6]);
    });

    it('the first append to an old log upgrades it first', async () => {
      await fx.writeLegacyEntries(legacyEntries(3));
      const entry = await fx.store.signLog.append(logInput(at(1)));
      assert.equal(entry.seq, 4);
      assert.equal(verifySignLogChain(await allEntries(fx.store), { key: key() }).ok, true);
    });

    it('a broken old log is refused, by upgrade and append, naming the entry, and left as it was', async () => {
      await fx.writeLegacyEntries(legacyEntries(5, { seq: 3, login: 'mallory' }));
      const error = await rejectsWith(fx.store.signLog.upgrade(), 'SIGN_LOG_BROKEN');
      assert.equal(error.details?.signLogSeq, 3);
      assert.match(error.message, /broken at entry 3: entry 3 was altered/);
      await rejectsWith(fx.store.signLog.append(logInput(at(1))), 'SIGN_LOG_BROKEN');
      const entries = await allEntries(fx.store);
      assert.equal(entries.length, 5);
      assert.equal(entries.filter((e) => e.mac !== undefined).length, 0, 'no MAC was added');
      const report = await verifySignLog(fx.store, fx.masterKey);
      assert.deepEqual([report.ok, report.format, report.problem?.seq], [false, 'unkeyed', 3]);
    });

    it('entries without a MAC in a keyed log (a service key exists) are broken, not upgraded', async () => {
      await fx.writeLegacyEntries(legacyEntries(3));
      await fx.store.signLog.upgrade();
      await ensureServiceKey(fx.store.serviceKeys, fx.masterKey);
      // An entry appended past SignService, linked correctly but without a MAC (it cannot make one).
      await fx.writeLegacyEntries(legacyEntries(4).slice(3));
      const error = await rejectsWith(fx.store.signLog.upgrade(), 'SIGN_LOG_BROKEN');
      assert.match(error.message, /entry 4 has no MAC although this log is keyed/);
      const report = await verifySignLog(fx.store, fx.masterKey);
      assert.deepEqual([report.ok, report.problem?.seq], [false, 4]);
      assert.match(report.problem?.reason ?? '', /entry 4 has no MAC/);
    });
  });

  describe('sign log checkpoints and the service key', () => {
    it('numbers checkpoints 1..n, refuses one that does not advance, lists, and timestamps each once', async () => {
      const { key: service } = await ensureServiceKey(fx.store.serviceKeys, fx.masterKey);
      const cp = (seq: number, minute: number) => signCheckpoint(service, { seq, hash: `h${seq}` }, at(minute));
      const signed = cp(3, 1);
      const first = await fx.store.signLogCheckpoints.add(signed);
      assert.deepEqual(first, { ...signed, number: 1 });
      assert.equal(await fx.store.signLogCheckpoints.add(cp(3, 2)), undefined, 'the same head again');
      assert.equal(await fx.store.signLogCheckpoints.add(cp(2, 2)), undefined, 'an older head');
      const second = await fx.store.signLogCheckpoints.add(cp(7, 3));
      assert.equal(second?.number, 2);
      assert.deepEqual(await fx.store.signLogCheckpoints.list(), [first, second]);
      assert.deepEqual(await fx.store.signLogCheckpoints.last(), second);
      assert.deepEqual(await fx.store.signLogCheckpoints.untimestamped(10), [first, second]);
      assert.equal(await fx.store.signLogCheckpoints.setTimestamp(1, 'dG9rZW4='), true);
      assert.equal(await fx.store.signLogCheckpoints.setTimestamp(1, 'b3RoZXI='), false, 'never replaced');
      assert.equal(await fx.store.signLogCheckpoints.setTimestamp(9, 'dG9rZW4='), false, 'unknown checkpoint');
      assert.deepEqual(await fx.store.signLogCheckpoints.untimestamped(10), [second]);
      assert.equal((await fx.store.signLogCheckpoints.list())[0]?.timestamp, 'dG9rZW4=');
    });

    it('10 concurrent checkpoints of growing heads: unique numbers, seqs growing with them', async () => {
      const { key: service } = await ensureServiceKey(fx.store.serviceKeys, fx.masterKey);
      const made = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          fx.store.signLogCheckpoints.add(signCheckpoint(service, { seq: i + 1, hash: 'h' }, at(i))),
        ),
      );
      const stored = await fx.store.signLogCheckpoints.list();
      assert.deepEqual(
        stored.map((c) => c.number),
        stored.map((_, i) => i + 1),
      );
      for (let i = 1; i < stored.length; i++) assert.ok(stored[i]!.seq > stored[i - 1]!.seq, 'seqs grow');
      assert.equal(made.filter(Boolean).length, stored.length, 'every stored checkpoint was reported to its maker');
    });

    it('the service key is made once; a second make, or 5 at once, all get the first one', async () => {
      assert.equal(await fx.store.serviceKeys.get(), undefined);
      const first = await ensureServiceKey(fx.store.serviceKeys, fx.masterKey);
      assert.equal(first.created, true);
      const again = await ensureServiceKey(fx.store.serviceKeys, fx.masterKey);
      assert.deepEqual([again.created, again.key.certificateSha256], [false, first.key.certificateSha256]);
      const stored = await fx.store.serviceKeys.get();
      assert.equal(stored?.sealedKey.keyId, fx.masterKey.keyId, 'sealed under the master key');
      assert.match(first.key.certificate.subject, /CN=SignService sign-log/);
    });

    it('concurrent first uses agree on one service key', async () => {
      const keys = await Promise.all(
        Array.from({ length: 5 }, () => ensureServiceKey(fx.store.serviceKeys, fx.masterKey)),
      );
      assert.equal(new Set(keys.map((k) => k.key.certificateSha256)).size, 1);
      assert.equal(keys.filter((k) => k.created).length, 1);
    });

    it('verifySignLog: checkpoints verify; a checkpoint signed by another key is refused', async () => {
      for (let m = 1; m <= 4; m++) await fx.store.signLog.append(logInput(at(m)));
      await makeSignLogCheckpoint({ store: fx.store, masterKey: fx.masterKey });
      const ok = await verifySignLog(fx.store, fx.masterKey);
      assert.deepEqual([ok.ok, ok.lastCheckpoint?.seq, ok.afterLastCheckpoint], [true, 4, 0]);
      await fx.store.signLog.append(logInput(at(5)));
      const head = (await fx.store.signLog.head())!;
      const { key: foreign } = await ensureServiceKey(
        { get: async () => undefined, create: async (k) => k },
        randomMasterKey(),
      );
      await fx.store.signLogCheckpoints.add(signCheckpoint(foreign, head, at(6)));
      const report = await verifySignLog(fx.store, fx.masterKey);
      assert.deepEqual([report.ok, report.problem?.checkpoint, report.problem?.seq], [false, 2, 5]);
      assert.match(report.problem?.reason ?? '', /signed by another key .* it is forged/);
      await fx.store.signLog.append(logInput(at(7)));
      await rejectsWith(makeSignLogCheckpoint({ store: fx.store, masterKey: fx.masterKey }), 'SIGN_LOG_BROKEN');
    });
  });
}
