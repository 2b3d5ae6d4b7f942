/**
 * How a delivery meets the deal's lease held by someone else (in process, the real REST client against the
 * portal emulator, the lease in the embedded store): a lease left by a worker that died is waited out and
 * taken over after its expiry; one held longer than the bounded wait fails the delivery with the transient
 * B24_UNAVAILABLE (the queue retries the job) without reading or writing the deal; the lease is released
 * after a delivery, also after a failed one.
 */
import assert from 'node:assert/strict';
import type { Bitrix24App } from '../../shared/bitrix24/bitrix24-app.js';
import { CallCoalescer } from '../../shared/bitrix24/call-coalescer.js';
import { DealReads } from '../../shared/bitrix24/deal-reads.js';
import { PortalGate } from '../../shared/bitrix24/portal-gate.js';
import { ErrorCode, errorOutcome } from '../../shared/errors.js';
import { DealDeliveries, type DealRef, dealDeliveriesLease } from '../../worker/bitrix24/deal-deliveries.js';
import { B24Fixture, TEST_POLICY } from '../bitrix24/b24-fixture.js';
import { makePdf } from '../pipeline/make-pdfs.js';
import type { PortalHandle } from '../support/bitrix24-emulator/index.js';

const FIELD = 'UF_CRM_ATTACHMENTS';

describe('deal deliveries: the lease held by another process', function () {
  this.timeout(60_000);
  const fx = new B24Fixture();
  let portal: PortalHandle;
  let b24: Bitrix24App;
  let pdf: Buffer;

  before(async () => {
    await fx.start({ portals: [{ domain: 'portal-a.bitrix24.test' }] });
    portal = fx.emulator.portal('portal-a.bitrix24.test');
    await fx.install(portal);
    const client = fx.client(portal);
    const calls = new CallCoalescer(client);
    b24 = {
      client,
      calls,
      deals: new DealReads(calls),
      gate: new PortalGate(),
      policy: TEST_POLICY,
      clientId: portal.clientId,
    };
    portal.addFileField(FIELD, { multiple: true });
    pdf = await makePdf('Lease', 1);
  });
  after(() => fx.close());

  const deliveries = (lease: { ttlMs?: number; waitMs?: number } = {}): DealDeliveries =>
    new DealDeliveries({
      b24,
      logger: fx.logger,
      leases: fx.store.leases,
      lease,
      download: async (_ref, file) => (await b24.client.downloadFile(portal.memberId, file.urlMachine)).bytes,
    });
  const dealWithPdf = () => {
    const id = portal.createDeal({ title: 'Lease', files: { [FIELD]: [{ name: 'contract.pdf', bytes: pdf }] } }).id;
    const file = portal.getDeal(id)?.files[FIELD]?.[0];
    assert.ok(file);
    const ref = {
      kind: 'bitrix24',
      memberId: portal.memberId,
      entityTypeId: 2,
      entityId: id,
      fieldCode: FIELD,
      fileId: String(file.id),
      fileName: file.name,
    } as DealRef;
    return { id, ref };
  };
  const dealCalls = (mark: number) =>
    portal
      .requests()
      .slice(mark)
      .filter((r) => r.kind === 'rest').length;

  it("a dead worker's lease is waited out and taken over once it expires", async () => {
    const { id, ref } = dealWithPdf();
    const name = dealDeliveriesLease(portal.memberId, id);
    assert.equal(await fx.store.leases.acquire(name, 'worker-that-died', 1500), true);
    const signed = Buffer.concat([pdf, Buffer.from('\n% after the takeover\n')]);
    const logs = fx.logs.length;
    const facts = await deliveries({ waitMs: 30_000 }).deliver(ref, signed);
    const files = portal.getDeal(id)?.files[FIELD] ?? [];
    assert.equal(files.length, 1);
    assert.ok(files[0]?.bytes.equals(signed));
    assert.equal(facts.fileId, String(files[0]?.id));
    assert.ok(
      fx.logs.slice(logs).some((l) => l.includes('another process is delivering to this deal')),
      'the delivery waited for the lease',
    );
    assert.equal(await fx.store.leases.acquire(name, 'next', 1000), true, 'released after the delivery');
  });

  it('a lease held past the bounded wait: B24_UNAVAILABLE (transient), the deal neither read nor changed', async () => {
    const { id, ref } = dealWithPdf();
    const name = dealDeliveriesLease(portal.memberId, id);
    assert.equal(await fx.store.leases.acquire(name, 'busy-worker', 60_000), true);
    const before = portal.getDeal(id)?.files[FIELD]?.map((f) => f.id);
    const mark = portal.requests().length;
    await assert.rejects(deliveries({ waitMs: 800 }).deliver(ref, Buffer.concat([pdf, Buffer.from('%x')])), (e) => {
      assert.equal((e as { code?: string }).code, ErrorCode.B24_UNAVAILABLE);
      assert.equal(errorOutcome(e).transient, true, 'the queue retries it');
      return true;
    });
    assert.equal(dealCalls(mark), 0, 'no read, no update while another process holds the deal');
    assert.deepEqual(
      portal.getDeal(id)?.files[FIELD]?.map((f) => f.id),
      before,
    );
    assert.equal(await fx.store.leases.acquire(name, 'other', 1000), false, "the holder's lease is untouched");
    await fx.store.leases.release(name, 'busy-worker');
  });

  it('the lease is released after a failed delivery too', async () => {
    const { id, ref } = dealWithPdf();
    const other = await makePdf('Someone else', 1);
    // Someone replaced the file meanwhile: the delivery fails (DOCUMENT_CHANGED) after its read-back.
    await b24.client.call(portal.memberId, 'crm.item.update', {
      entityTypeId: 2,
      id,
      useOriginalUfNames: 'Y',
      fields: { [FIELD]: [['v2.pdf', other.toString('base64')]] },
    });
    await assert.rejects(deliveries().deliver(ref, Buffer.concat([pdf, Buffer.from('%y')])), {
      code: ErrorCode.DOCUMENT_CHANGED,
    });
    const name = dealDeliveriesLease(portal.memberId, id);
    assert.equal(await fx.store.leases.acquire(name, 'next', 1000), true, 'free at once');
  });
});
