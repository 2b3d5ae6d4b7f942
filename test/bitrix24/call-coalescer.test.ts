/**
 * The call coalescer against the portal emulator: calls of several callers travel in one `batch` request and
 * each caller gets its own result or error; a batch whose answer is lost is settled per command as the
 * single call would be — the repeatable calls go again (once more), every other caller gets
 * B24_OUTCOME_UNKNOWN and its write is not sent again (whether it ran or not: the caller reads back); file
 * uploads ride in batches up to the byte limit.
 */
import assert from 'node:assert/strict';
import { CallCoalescer } from '../../shared/bitrix24/call-coalescer.js';
import { type AppError, ErrorCode } from '../../shared/errors.js';
import { rejectsWith } from '../store/store-fixtures.js';
import type { PortalHandle } from '../support/bitrix24-emulator/index.js';
import { batchCommands } from '../support/portal-request-tally.js';
import { B24Fixture } from './b24-fixture.js';

describe('Bitrix24 call coalescer: batches, and lost batches settled per command', function () {
  this.timeout(60_000);
  const fx = new B24Fixture();
  let a: PortalHandle;

  before(async () => {
    await fx.start({ portals: [{ domain: 'portal-a.bitrix24.test' }], timeoutHoldMs: 1500 });
    a = fx.emulator.portal('portal-a.bitrix24.test');
    await fx.install(a);
  });
  after(() => fx.close());
  afterEach(() => a.faults.clear());

  const coalescer = (options: { maxBatchBytes?: number } = {}) =>
    new CallCoalescer(fx.client(a, { timeoutMs: 700 }), { busyLingerMs: 50, ...options });
  const batchesSince = (mark: number) =>
    a
      .requests()
      .slice(mark)
      .filter((r) => r.method === 'batch');
  const comment = (dealId: number, text: string) => ({
    fields: { ENTITY_ID: dealId, ENTITY_TYPE: 'deal', COMMENT: text },
  });

  it("several callers' calls go as one batch request; each gets its own result or error", async () => {
    const calls = coalescer();
    const deal = a.createDeal({ title: 'Together' });
    const mark = a.requests().length;
    const [read, missing, added] = await Promise.allSettled([
      calls.call<{ item: { title: string } }>(a.memberId, 'crm.item.get', { entityTypeId: 2, id: deal.id }),
      calls.call(a.memberId, 'crm.item.get', { entityTypeId: 2, id: 987_654 }),
      calls.call(a.memberId, 'crm.timeline.comment.add', comment(deal.id, 'Signed'), { repeatable: true }),
    ]);
    assert.equal(read.status === 'fulfilled' && read.value.item.title, 'Together');
    assert.ok(missing.status === 'rejected' && (missing.reason as AppError).code === ErrorCode.B24_METHOD_FAILED);
    assert.equal((missing.reason as AppError).details?.method, 'crm.item.get');
    assert.ok(added.status === 'fulfilled');
    assert.equal(a.requests().length - mark, 1, 'one request for the portal');
    assert.equal(batchCommands(batchesSince(mark)[0]!).length, 3);
  });

  for (const kind of ['timeout_after_execute', 'timeout'] as const) {
    const ran = kind === 'timeout_after_execute';
    it(`a lost batch (${ran ? 'it ran' : 'it did not run'}): reads and repeatable writes go again, the update is B24_OUTCOME_UNKNOWN and not sent again`, async () => {
      const calls = coalescer();
      const deal = a.createDeal({ title: 'Before' });
      const mark = a.requests().length;
      a.faults.nextCall('batch', kind);
      const [read, added, update] = await Promise.allSettled([
        calls.call<{ item: { id: number } }>(a.memberId, 'crm.item.get', { entityTypeId: 2, id: deal.id }),
        calls.call(a.memberId, 'crm.timeline.comment.add', comment(deal.id, 'Signed'), { repeatable: true }),
        calls.call(a.memberId, 'crm.item.update', { entityTypeId: 2, id: deal.id, fields: { title: 'After' } }),
      ]);
      assert.equal(read.status === 'fulfilled' && read.value.item.id, deal.id);
      assert.equal(added.status, 'fulfilled');
      assert.equal(update.status, 'rejected');
      const lost = (update as PromiseRejectedResult).reason as AppError;
      assert.equal(lost.code, ErrorCode.B24_OUTCOME_UNKNOWN);
      assert.equal(lost.details?.method, 'crm.item.update', 'the error names the caller’s own method');
      assert.match(lost.message, /may have taken effect/);
      const batches = batchesSince(mark);
      assert.equal(batches.length, 2, 'the lost batch and one more');
      const second = batchCommands(batches[1]!).map((c) => c.split('?')[0]);
      assert.deepEqual(second.sort(), ['crm.item.get', 'crm.timeline.comment.add'], 'the update was not sent again');
      assert.equal(a.getDeal(deal.id)?.title, ran ? 'After' : 'Before');
      // A repeated comment is the documented price of never missing one (README "Idempotency of the writes").
      assert.equal(a.timeline(deal.id).length, ran ? 2 : 1);
    });
  }

  it('a batch of reads only is repeated whole by the client after a lost answer', async () => {
    const calls = coalescer();
    const deal = a.createDeal({ title: 'Reads' });
    const mark = a.requests().length;
    a.faults.nextCall('batch', 'timeout');
    const results = await Promise.all([
      calls.call<{ item: { id: number } }>(a.memberId, 'crm.item.get', { entityTypeId: 2, id: deal.id }),
      calls.call<unknown[]>(a.memberId, 'user.get', { FILTER: { ID: 1 } }),
    ]);
    assert.equal(results[0].item.id, deal.id);
    assert.equal(batchesSince(mark).length, 2);
  });

  it('uploads travel in batches that stay within the byte limit', async () => {
    const maxBatchBytes = 300 * 1024;
    const calls = coalescer({ maxBatchBytes });
    const file = Buffer.alloc(100 * 1024, 7);
    assert.ok(calls.carriesFile(file.length) && !calls.carriesFile(120 * 1024));
    a.addFileField('UF_CRM_COALESCED', { multiple: false });
    const deals = Array.from({ length: 4 }, (_, i) => a.createDeal({ title: `Upload ${i}` }).id);
    const mark = a.requests().length;
    await Promise.all(
      deals.map((id, i) =>
        calls.call(a.memberId, 'crm.item.update', {
          entityTypeId: 2,
          id,
          useOriginalUfNames: 'Y',
          fields: { UF_CRM_COALESCED: [`signed-${i}.pdf`, file.toString('base64')] },
        }),
      ),
    );
    const batches = batchesSince(mark);
    assert.equal(batches.length, 2, 'two uploads a batch');
    for (const batch of batches) {
      const bytes = batchCommands(batch).reduce((sum, c) => sum + c.length, 0);
      assert.ok(bytes <= maxBatchBytes, `${bytes} bytes in one batch`);
    }
    for (const id of deals) assert.ok(a.getDeal(id)?.files.UF_CRM_COALESCED?.[0]?.bytes.equals(file));
  });

  it('a batch refused before it ran (QUERY_LIMIT_EXCEEDED, expired_token) goes again whole: each write lands once', async () => {
    const calls = coalescer();
    const deals = [a.createDeal({ title: 'One' }).id, a.createDeal({ title: 'Two' }).id];
    const mark = a.requests().length;
    a.faults.nextCall('batch', 'query_limit');
    a.faults.nextCall('batch', 'expired_token');
    await Promise.all(
      deals.map((id) =>
        calls.call(a.memberId, 'crm.item.update', { entityTypeId: 2, id, fields: { title: `Done ${id}` } }),
      ),
    );
    for (const id of deals) assert.equal(a.getDeal(id)?.title, `Done ${id}`);
    assert.deepEqual(
      batchesSince(mark).map((r) => r.error ?? r.status),
      ['QUERY_LIMIT_EXCEEDED', 'expired_token', 200],
    );
    await rejectsWith(calls.call(a.memberId, 'no.such.method', {}), ErrorCode.B24_METHOD_FAILED);
  });
});
