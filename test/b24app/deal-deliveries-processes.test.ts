/**
 * Deliveries to one deal from two worker processes at the same moment (real child processes over one
 * embedded store file, each with its own REST client and gateway, against the portal emulator). Without the
 * store's lease both would read the multiple file field, each would send an update built from its read, and
 * the second update would delete the first one's new file (reference §6.2: a file id missing from the list
 * deletes that file) — a signed document lost although its delivery reported success. The portal answers
 * slowly here, so both processes' reads are in flight together: every signed file must still end up on the
 * deal, each where its original was, the other files kept.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { DocumentRef } from '../../shared/domain/sign-request.js';
import { dealDeliveriesLease } from '../../worker/bitrix24/deal-deliveries.js';
import { B24Fixture } from '../bitrix24/b24-fixture.js';
import { makePdf } from '../pipeline/make-pdfs.js';
import type { PortalHandle } from '../support/bitrix24-emulator/index.js';
import { runDeliveryProcesses } from './delivery-process.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const FIELD = 'UF_CRM_ATTACHMENTS';

describe('deal deliveries across worker processes (the store lease)', function () {
  this.timeout(120_000);
  const fx = new B24Fixture();
  let portal: PortalHandle;

  before(async () => {
    await fx.start({ portals: [{ domain: 'portal-a.bitrix24.test' }] });
    portal = fx.emulator.portal('portal-a.bitrix24.test');
    await fx.install(portal);
    portal.addFileField(FIELD, { multiple: true });
  });
  after(() => fx.close());

  it('two processes delivering different documents of one multiple field at once: every signed file is on the deal', async () => {
    const keep = { name: 'keep.txt', bytes: Buffer.from('not signed, kept\n') };
    const deals: { id: number; originals: Buffer[] }[] = [];
    for (let n = 0; n < 3; n++) {
      const originals = await Promise.all([makePdf(`Deal ${n} first`, 1), makePdf(`Deal ${n} second`, 1)]);
      const files = [
        { name: 'first.pdf', bytes: originals[0] as Buffer },
        keep,
        { name: 'second.pdf', bytes: originals[1] as Buffer },
      ];
      deals.push({ id: portal.createDeal({ title: `Two workers ${n}`, files: { [FIELD]: files } }).id, originals });
    }
    const signedOf = (deal: number, doc: number) =>
      Buffer.concat([deals[deal]?.originals[doc] as Buffer, Buffer.from(`\n% signed by worker ${doc}\n`)]);
    const refOf = (deal: number, doc: number): DocumentRef => {
      const { id } = deals[deal] as { id: number };
      const file = portal.getDeal(id)?.files[FIELD]?.[doc === 0 ? 0 : 2];
      assert.ok(file);
      return {
        kind: 'bitrix24',
        memberId: portal.memberId,
        entityTypeId: 2,
        entityId: id,
        fieldCode: FIELD,
        fileId: String(file.id),
        fileName: file.name,
      } as DocumentRef;
    };
    const before = deals.map((d) => portal.getDeal(d.id)?.files[FIELD]?.map((f) => f.id) ?? []);
    // Process `doc` delivers document `doc` of every deal; both start together and both reads are slow.
    portal.setLatency(1500);
    let results: Awaited<ReturnType<typeof runDeliveryProcesses>>;
    try {
      results = await runDeliveryProcesses(
        fx.dir,
        [0, 1].map((doc) => ({
          storeFile: fx.storeFile,
          masterKey: fx.masterKeyBytes.toString('base64'),
          app: { clientId: portal.clientId, clientSecret: portal.clientSecret },
          deliveries: deals.map((_, deal) => ({ ref: refOf(deal, doc), signed: signedOf(deal, doc) })),
        })),
      );
    } finally {
      portal.setLatency(0);
    }

    for (const [n, deal] of deals.entries()) {
      const files = portal.getDeal(deal.id)?.files[FIELD] ?? [];
      assert.deepEqual(
        files.map((f) => sha256(f.bytes)).sort(),
        [signedOf(n, 0), keep.bytes, signedOf(n, 1)].map(sha256).sort(),
        `deal ${deal.id}: the field holds both signed files and the kept one`,
      );
      assert.deepEqual(
        files.map((f) => f.name),
        ['first.pdf', 'keep.txt', 'second.pdf'],
        'each signed file where its original was',
      );
      assert.equal(files[1]?.id, before[n]?.[1], 'the other file is the same file');
      for (const doc of [0, 1]) {
        const result = results[doc]?.[n];
        assert.ok(result && 'facts' in result, `worker ${doc}, deal ${deal.id}: ${JSON.stringify(result)}`);
        const delivered = files.find((f) => String(f.id) === result.facts.fileId);
        assert.ok(delivered, `worker ${doc}'s reported file ${result.facts.fileId} is on deal ${deal.id}`);
        assert.equal(sha256(delivered.bytes), sha256(signedOf(n, doc)));
      }
    }
    // Every lease was released (none left behind to block later deliveries).
    for (const deal of deals) {
      const name = dealDeliveriesLease(portal.memberId, deal.id);
      assert.equal(await fx.store.leases.acquire(name, 'test', 1000), true, `${name} is free`);
    }
  });
});
