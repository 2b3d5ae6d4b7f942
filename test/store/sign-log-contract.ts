/**
 * The sign log part of the store contract: linear seq, links, hashes and keyed MACs, concurrency, time and
 * seq ranges. (Upgrades of old logs, checkpoints and the service key: sign-log-keyed-contract.ts.)
 */
import assert from 'node:assert/strict';
import { signLogEntryHash, verifySignLogChain } from '../../shared/audit/sign-log-chain.js';
import { SignLogKey } from '../../shared/audit/sign-log-key.js';
import type { SignLogInput } from '../../shared/domain/sign-log-entry.js';
import type { SignLogRange } from '../../shared/store/store-ports.js';
import { describeSignLogKeyedContract } from './sign-log-keyed-contract.js';
import { allEntries, logInput, randomMasterKey, rejectsWith, type StoreFixture } from './store-fixtures.js';

const day = (d: number, h = 12) => new Date(Date.UTC(2025, 2, d, h));

/** Registers the sign log tests on the contract's per-test store. */
export function describeSignLogContract(fx: StoreFixture): void {
  describe('sign log', () => {
    const key = () => SignLogKey.fromMasterKey(fx.masterKey);

    it('append assigns seq 1..n, links each entry to the previous one, seals it with its hash and chains its MAC', async () => {
      const full: SignLogInput = {
        time: day(1),
        action: 'signed',
        actor: { accountId: 'acc-1', login: 'mary', memberId: 'p1', userId: 7, role: 'signer' },
        document: { dealId: '42', fileId: '900', fileName: 'Договор №5.pdf', sha256Before: 'aa', sha256After: 'bb' },
        certificate: { id: 'f'.repeat(64), subject: 'CN=Mary', serialNumber: '01ab' },
        otp: 'used',
        requestId: 'req-1',
        outcome: 'ok',
        clientAddress: '10.0.0.5',
        details: { pages: 3, visible: true, position: 'bottom-right' },
      };
      const appended = [await fx.store.signLog.append(full)];
      for (let i = 2; i <= 5; i++) appended.push(await fx.store.signLog.append(logInput(day(i))));
      assert.deepEqual(
        appended.map((e) => e.seq),
        [1, 2, 3, 4, 5],
      );
      assert.equal(appended[0]!.prevHash, '');
      for (let i = 1; i < appended.length; i++) assert.equal(appended[i]!.prevHash, appended[i - 1]!.hash);
      for (const e of appended) assert.equal(e.hash, signLogEntryHash(e));
      for (const [i, e] of appended.entries()) {
        const prevMac = appended[i - 1]?.mac ?? '';
        assert.equal(
          e.mac,
          key().mac({ seq: e.seq, hash: e.hash, prevMac }),
          `entry ${e.seq}'s MAC chains ${prevMac || "''"}`,
        );
      }
      const { seq: _s, prevHash: _p, hash: _h, mac: _m, ...stored } = appended[0]!;
      assert.deepEqual(stored, full, 'every field of the input is kept');
      const listed = await allEntries(fx.store);
      assert.deepEqual(listed, appended, 'list returns exactly what append returned');
      const verdict = verifySignLogChain(listed, { key: key() });
      assert.deepEqual(verdict, { ok: true, entries: 5, lastHash: appended[4]!.hash, lastMac: appended[4]!.mac });
      assert.deepEqual(await fx.store.signLog.head(), appended[4], 'head is the last entry');
    });

    it('the MAC is keyed: another master key does not verify the chain, the public hashes still do', async () => {
      for (let d = 1; d <= 3; d++) await fx.store.signLog.append(logInput(day(d)));
      const listed = await allEntries(fx.store);
      const other = SignLogKey.fromMasterKey(randomMasterKey());
      const verdict = verifySignLogChain(listed, { key: other });
      assert.equal(verdict.ok, false);
      assert.equal(!verdict.ok && verdict.brokenSeq, 1);
      assert.match(!verdict.ok ? verdict.reason : '', /entry 1 was altered \(its MAC does not match/);
      assert.equal(verifySignLogChain(listed).ok, true, 'without a key only the public chain is checked');
    });

    it('append keeps only SignLogInput fields and refuses invalid input without appending', async () => {
      const sneaky = { ...logInput(day(1)), pin: '1234', secret: 'x' } as SignLogInput;
      const entry = await fx.store.signLog.append(sneaky);
      assert.equal('pin' in entry || 'secret' in entry, false);
      const bad: SignLogInput[] = [
        { ...logInput(day(2)), action: 'hacked' as never },
        { ...logInput(day(2)), time: new Date('nonsense') },
        { ...logInput(day(2)), outcome: 'maybe' as never },
        { ...logInput(day(2)), details: { ratio: Number.NaN } },
        { ...logInput(day(2)), details: { 'a.b': 1 } },
      ];
      for (const input of bad) await rejectsWith(fx.store.signLog.append(input), 'INVALID_ARGUMENT');
      const listed = await allEntries(fx.store);
      assert.equal(listed.length, 1);
      assert.equal('pin' in listed[0]! || 'secret' in listed[0]!, false);
    });

    it('50 concurrent appends still form one valid chain 1..50', async () => {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => fx.store.signLog.append(logInput(day(1), { requestId: `r${i}` }))),
      );
      assert.deepEqual(
        results.map((e) => e.seq).sort((a, b) => a - b),
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      const listed = await allEntries(fx.store);
      assert.deepEqual(verifySignLogChain(listed, { key: key() }), {
        ok: true,
        entries: 50,
        lastHash: listed[49]!.hash,
        lastMac: listed[49]!.mac,
      });
      assert.deepEqual(new Set(listed.map((e) => e.requestId)).size, 50, 'no entry lost or duplicated');
    });

    it('list with a time range returns [from, to) in seq order, from a first seq if given', async () => {
      // Appended out of time order on purpose: the log's order is seq, the range filters by time.
      for (const d of [3, 1, 4, 2, 5]) await fx.store.signLog.append(logInput(day(d), { requestId: `d${d}` }));
      const ids = async (range: SignLogRange) => (await allEntries(fx.store, range)).map((e) => e.requestId);
      assert.deepEqual(await ids({ from: day(2), to: day(4) }), ['d3', 'd2']);
      assert.deepEqual(await ids({ from: day(4) }), ['d4', 'd5']);
      assert.deepEqual(await ids({ to: day(2) }), ['d1']);
      assert.deepEqual(await ids({ from: day(2, 13), to: day(3) }), []);
      assert.deepEqual(await ids({}), ['d3', 'd1', 'd4', 'd2', 'd5']);
      assert.deepEqual(await ids({ fromSeq: 4 }), ['d2', 'd5'], 'fromSeq starts at that seq');
      assert.deepEqual(await ids({ fromSeq: 2, from: day(3) }), ['d4', 'd5'], 'both bounds apply');
    });

    it('appendOnce appends once per dedupe key and returns the existing entry afterwards', async () => {
      await fx.store.signLog.append(logInput(day(1), { requestId: 'plain' }));
      const first = await fx.store.signLog.appendOnce(logInput(day(2), { requestId: 'req-1' }), 'signed:req-1');
      assert.equal(first.seq, 2);
      const again = await fx.store.signLog.appendOnce(logInput(day(3), { requestId: 'req-1-retry' }), 'signed:req-1');
      assert.deepEqual(again, first, 'the second call returns the stored entry, not the new input');
      const other = await fx.store.signLog.appendOnce(logInput(day(3), { requestId: 'req-2' }), 'signed:req-2');
      assert.equal(other.seq, 3);
      await fx.store.signLog.append(logInput(day(4), { requestId: 'plain-2' }));
      const listed = await allEntries(fx.store);
      assert.deepEqual(
        listed.map((e) => e.requestId),
        ['plain', 'req-1', 'req-2', 'plain-2'],
      );
      assert.equal(
        verifySignLogChain(listed, { key: key() }).ok,
        true,
        'the dedupe key is not part of the hashed entry',
      );
      assert.equal('dedupeKey' in listed[1]!, false);
      await rejectsWith(fx.store.signLog.appendOnce(logInput(day(5)), ''), 'INVALID_ARGUMENT');
      await rejectsWith(fx.store.signLog.appendOnce(logInput(day(5)), 'has space'), 'INVALID_ARGUMENT');
    });

    it('appendOnce: 20 concurrent calls with one key (amid other appends) leave exactly one entry', async () => {
      const calls = Array.from({ length: 20 }, (_, i) =>
        i % 4 === 0
          ? fx.store.signLog.append(logInput(day(1), { requestId: `other-${i}` }))
          : fx.store.signLog.appendOnce(logInput(day(1), { requestId: 'contended' }), 'signed:contended'),
      );
      const results = await Promise.all(calls);
      const once = results.filter((e) => e.requestId === 'contended');
      assert.equal(new Set(once.map((e) => e.seq)).size, 1, 'every caller got the same entry');
      const listed = await allEntries(fx.store);
      assert.equal(listed.filter((e) => e.requestId === 'contended').length, 1);
      assert.equal(listed.length, 6);
      assert.equal(verifySignLogChain(listed, { key: key() }).ok, true);
    });

    it('list of an empty log yields nothing; head is undefined', async () => {
      assert.deepEqual(await allEntries(fx.store), []);
      assert.equal(await fx.store.signLog.head(), undefined);
      assert.deepEqual(verifySignLogChain([]), { ok: true, entries: 0, lastHash: '', lastMac: '' });
    });
  });
  describeSignLogKeyedContract(fx);
}
