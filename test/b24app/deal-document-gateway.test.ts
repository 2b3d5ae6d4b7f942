/**
 * The deal-file gateway in process, with the real REST client against the portal emulator: the PDF is found
 * (first file field holding one) and downloaded only from the portal's own origin — a link elsewhere is
 * refused before anything is sent; delivery replaces exactly that file and keeps the other files of a
 * multiple field; a `crm.item.update` whose answer is lost after it ran is read back and not applied twice,
 * one lost before it ran is sent again once; a file replaced by someone else meanwhile is not overwritten.
 * Several documents of one deal delivered together share one read-back and one update; a lost `batch`
 * carrying the updates of several deals is settled per deal by reading back, never by a blind repeat.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Bitrix24App } from '../../shared/bitrix24/bitrix24-app.js';
import { CallCoalescer } from '../../shared/bitrix24/call-coalescer.js';
import { DealReads } from '../../shared/bitrix24/deal-reads.js';
import { PortalGate } from '../../shared/bitrix24/portal-gate.js';
import type { DocumentRef } from '../../shared/domain/sign-request.js';
import { ErrorCode } from '../../shared/errors.js';
import { bitrix24DocumentGateway } from '../../worker/gateways/bitrix24-document-gateway.js';
import { B24Fixture, TEST_POLICY } from '../bitrix24/b24-fixture.js';
import { makePdf } from '../pipeline/make-pdfs.js';
import type { PortalHandle, RecordedRequest } from '../support/bitrix24-emulator/index.js';
import { batchCommands } from '../support/portal-request-tally.js';

/** The `method` calls for deal `dealId` the portal received, direct or inside batches. */
function callsFor(records: RecordedRequest[], method: string, dealId: number): number {
  const direct = records.filter((r) => r.method === method && Number(r.params.id) === dealId).length;
  const inBatch = records
    .filter((r) => r.method === 'batch')
    .flatMap(batchCommands)
    .filter(
      (c) => c.startsWith(`${method}?`) && new URLSearchParams(c.slice(method.length + 1)).get('id') === String(dealId),
    );
  return direct + inBatch.length;
}

const carriesUpdate = (params: Record<string, unknown>) =>
  Object.values((params.cmd ?? {}) as Record<string, string>).some((c) => c.startsWith('crm.item.update?'));

describe('Bitrix24 deal files: fetch and idempotent delivery', function () {
  this.timeout(60_000);
  const fx = new B24Fixture();
  let portal: PortalHandle;
  let b24: Bitrix24App;
  let pdf: Buffer;

  before(async () => {
    await fx.start({ portals: [{ domain: 'portal-a.bitrix24.test' }], timeoutHoldMs: 1500 });
    portal = fx.emulator.portal('portal-a.bitrix24.test');
    await fx.install(portal);
    const client = fx.client(portal, { timeoutMs: 700 });
    const calls = new CallCoalescer(client);
    b24 = {
      client,
      calls,
      deals: new DealReads(calls),
      gate: new PortalGate(),
      policy: TEST_POLICY,
      clientId: portal.clientId,
    };
    portal.addFileField('UF_CRM_ATTACHMENTS', { multiple: true });
    portal.addFileField('UF_CRM_SOLO', { multiple: false });
    pdf = await makePdf('Gateway', 1);
  });
  after(() => fx.close());

  const gateway = () =>
    bitrix24DocumentGateway({ b24, maxBytes: 10 * 1024 * 1024, logger: fx.logger, leases: fx.store.leases });
  const ref = (dealId: number, extra: Partial<DocumentRef> = {}): DocumentRef =>
    ({
      kind: 'bitrix24',
      memberId: portal.memberId,
      entityTypeId: 2,
      entityId: dealId,
      fieldCode: '',
      fileId: '',
      ...extra,
    }) as DocumentRef;
  const dealWith = (files: { name: string; bytes: Buffer }[]) =>
    portal.createDeal({ title: 'Gateway', files: { UF_CRM_ATTACHMENTS: files } }).id;
  const text = (name: string) => ({ name, bytes: Buffer.from(`${name}: not a PDF\n`) });

  it('finds the first file that holds a PDF and names it exactly', async () => {
    const dealId = dealWith([text('notes.txt'), { name: 'contract.pdf', bytes: pdf }, text('other.txt')]);
    const ids = portal.getDeal(dealId)!.files.UF_CRM_ATTACHMENTS!.map((f) => f.id);
    const { bytes, ref: resolved } = await gateway().fetchResolved!(ref(dealId));
    assert.ok(bytes.equals(pdf));
    assert.deepEqual(
      resolved,
      ref(dealId, { fieldCode: 'UF_CRM_ATTACHMENTS', fileId: String(ids[1]), fileName: 'contract.pdf' }),
    );
  });

  it('a signed file keeps a non-ASCII original name (Content-Disposition filename*)', async () => {
    if (!portal.state.userFields.has('UF_CRM_SINGLE')) portal.addFileField('UF_CRM_SINGLE', { multiple: false });
    const name = 'Договор №7 [итог].pdf';
    const dealId = portal.createDeal({ title: 'Named', files: { UF_CRM_SINGLE: [{ name, bytes: pdf }] } }).id;
    const { ref: resolved } = await gateway().fetchResolved!(ref(dealId, { fieldCode: 'UF_CRM_SINGLE' }));
    assert.equal((resolved as { fileName?: string }).fileName, name);
    await gateway().deliver(resolved, Buffer.concat([pdf, Buffer.from('\n% signed\n')]));
    assert.equal(portal.getDeal(dealId)!.files.UF_CRM_SINGLE![0]!.name, name);
  });

  it('refuses a download link that points outside the portal, before sending anything there', async () => {
    const hits: string[] = [];
    const elsewhere = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.end('%PDF-1.7 stolen');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    const port = (elsewhere.address() as AddressInfo).port;
    const dealId = dealWith([{ name: 'contract.pdf', bytes: pdf }]);
    try {
      for (const outside of [`http://127.0.0.1:${port}/rest/file.pdf?auth=x`, 'https://evil.example/file.pdf?auth=x']) {
        // A portal answer whose link leads elsewhere (a tampered or compromised answer).
        const calls = Object.create(b24.calls) as CallCoalescer;
        calls.call = (async (memberId: string, method: string, params?: Record<string, unknown>) => {
          const answer = (await b24.calls.call(memberId, method, params)) as { item: Record<string, unknown> };
          const files = answer.item.UF_CRM_ATTACHMENTS as { urlMachine: string }[];
          for (const file of files) file.urlMachine = outside;
          return answer;
        }) as CallCoalescer['call'];
        const tampered = bitrix24DocumentGateway({
          b24: { ...b24, calls, deals: new DealReads(calls) },
          maxBytes: 1 << 20,
          logger: fx.logger,
          leases: fx.store.leases,
        });
        await assert.rejects(tampered.fetch(ref(dealId)), (e: Error & { code?: string }) => {
          assert.equal(e.code, ErrorCode.B24_INVALID_PAYLOAD);
          assert.match(e.message, /not on the portal|not allowed/);
          return true;
        });
      }
      assert.deepEqual(hits, [], 'no request (and no token) went to the other host');
    } finally {
      elsewhere.close();
    }
  });

  it('delivery replaces the signed file in place and keeps the other files of a multiple field', async () => {
    const dealId = dealWith([text('a.txt'), { name: 'contract.pdf', bytes: pdf }, text('b.txt')]);
    const before = portal.getDeal(dealId)!.files.UF_CRM_ATTACHMENTS!;
    const { ref: resolved } = await gateway().fetchResolved!(ref(dealId));
    const signed = Buffer.concat([pdf, Buffer.from('\n% signed revision\n')]);
    const facts = await gateway().deliver(resolved, signed);
    const after = portal.getDeal(dealId)!.files.UF_CRM_ATTACHMENTS!;
    assert.equal((resolved as { fileName?: string }).fileName, 'contract.pdf', 'the name came with the download');
    assert.deepEqual(
      after.map((f) => f.name),
      ['a.txt', 'contract.pdf', 'b.txt'],
      'the signed file keeps the name people know',
    );
    assert.equal(after[0]!.id, before[0]!.id);
    assert.equal(after[2]!.id, before[2]!.id);
    assert.ok(after[1]!.bytes.equals(signed));
    assert.equal(facts.fileId, String(after[1]!.id));
    assert.ok(portal.fileDeleted(before[1]!.id));
  });

  it('a lost answer of an update that ran: read back, found by hash, not applied twice', async () => {
    const dealId = dealWith([{ name: 'contract.pdf', bytes: pdf }, text('keep.txt')]);
    const { ref: resolved } = await gateway().fetchResolved!(ref(dealId));
    const filesBefore = portal.state.files.size;
    portal.faults.nextCall('crm.item.update', 'timeout_after_execute');
    const signed = Buffer.concat([pdf, Buffer.from('\n% lost answer\n')]);
    const facts = await gateway().deliver(resolved, signed);
    const after = portal.getDeal(dealId)!.files.UF_CRM_ATTACHMENTS!;
    assert.equal(after.length, 2);
    assert.ok(after[0]!.bytes.equals(signed));
    assert.equal(facts.fileId, String(after[0]!.id));
    assert.equal(portal.state.files.size, filesBefore + 1, 'exactly one upload');
    const updates = portal.requests().filter((r) => r.method === 'crm.item.update' && Number(r.params.id) === dealId);
    assert.equal(updates.length, 1, 'the update was not sent again');
  });

  it('a lost answer of an update that did not run: sent again, once', async () => {
    const dealId = dealWith([{ name: 'contract.pdf', bytes: pdf }]);
    const { ref: resolved } = await gateway().fetchResolved!(ref(dealId));
    portal.faults.nextCall('crm.item.update', 'timeout');
    const signed = Buffer.concat([pdf, Buffer.from('\n% timed out\n')]);
    await gateway().deliver(resolved, signed);
    const after = portal.getDeal(dealId)!.files.UF_CRM_ATTACHMENTS!;
    assert.equal(after.length, 1);
    assert.ok(after[0]!.bytes.equals(signed));
    const updates = portal.requests().filter((r) => r.method === 'crm.item.update' && Number(r.params.id) === dealId);
    assert.deepEqual(
      updates.map((r) => r.status),
      [0, 200],
      'the dropped one (not run) and one more',
    );
  });

  it('several documents of one deal delivered together: one read-back, one update, each replaced in place', async () => {
    const [one, two, three] = await Promise.all([makePdf('One', 1), makePdf('Two', 1), makePdf('Three', 1)]);
    const dealId = portal.createDeal({
      title: 'Three documents',
      files: {
        UF_CRM_ATTACHMENTS: [{ name: 'one.pdf', bytes: one }, text('keep.txt'), { name: 'two.pdf', bytes: two }],
        UF_CRM_SOLO: [{ name: 'three.pdf', bytes: three }],
      },
    }).id;
    const before = portal.getDeal(dealId)!.files;
    const multiple = before.UF_CRM_ATTACHMENTS!;
    const refs = [
      ref(dealId, { fieldCode: 'UF_CRM_ATTACHMENTS', fileId: String(multiple[0]!.id), fileName: 'one.pdf' }),
      ref(dealId, { fieldCode: 'UF_CRM_ATTACHMENTS', fileId: String(multiple[2]!.id), fileName: 'two.pdf' }),
      ref(dealId, { fieldCode: 'UF_CRM_SOLO', fileId: String(before.UF_CRM_SOLO![0]!.id), fileName: 'three.pdf' }),
    ];
    const signed = [one, two, three].map((pdf, i) => Buffer.concat([pdf, Buffer.from(`\n% signed ${i}\n`)]));
    const mark = portal.requests().length;
    const g = gateway();
    const facts = await Promise.all(refs.map((r, i) => g.deliver(r, signed[i]!)));
    const records = portal.requests().slice(mark);
    assert.equal(callsFor(records, 'crm.item.get', dealId), 1, 'one read-back for the three');
    assert.equal(callsFor(records, 'crm.item.update', dealId), 1, 'one update for the three');
    const after = portal.getDeal(dealId)!.files;
    assert.deepEqual(
      after.UF_CRM_ATTACHMENTS!.map((f) => f.name),
      ['one.pdf', 'keep.txt', 'two.pdf'],
    );
    assert.ok(after.UF_CRM_ATTACHMENTS![0]!.bytes.equals(signed[0]!));
    assert.equal(after.UF_CRM_ATTACHMENTS![1]!.id, multiple[1]!.id, 'the other file is kept');
    assert.ok(after.UF_CRM_ATTACHMENTS![2]!.bytes.equals(signed[1]!));
    assert.ok(after.UF_CRM_SOLO![0]!.bytes.equals(signed[2]!));
    assert.deepEqual(
      facts.map((f) => f.fileId),
      [after.UF_CRM_ATTACHMENTS![0]!.id, after.UF_CRM_ATTACHMENTS![2]!.id, after.UF_CRM_SOLO![0]!.id].map(String),
    );
  });

  for (const kind of ['timeout_after_execute', 'timeout'] as const) {
    const ran = kind === 'timeout_after_execute';
    it(`a lost batch carrying the updates of two deals (${ran ? 'it ran' : 'it did not run'}): each read back, delivered once`, async () => {
      const deals = [dealWith([{ name: 'a.pdf', bytes: pdf }]), dealWith([{ name: 'b.pdf', bytes: pdf }])];
      const g = gateway();
      const resolved = await Promise.all(deals.map(async (id) => (await g.fetchResolved!(ref(id))).ref));
      const signed = deals.map((id) => Buffer.concat([pdf, Buffer.from(`\n% deal ${id}\n`)]));
      const filesBefore = portal.state.files.size;
      const mark = portal.requests().length;
      portal.faults.nextCall('batch', kind, carriesUpdate);
      const facts = await Promise.all(resolved.map((r, i) => g.deliver(r, signed[i]!)));
      const records = portal.requests().slice(mark);
      const lost = records.find((r) => r.method === 'batch' && r.fault === kind);
      assert.ok(
        lost && batchCommands(lost).filter((c) => c.startsWith('crm.item.update?')).length === 2,
        'both updates in the lost batch',
      );
      for (const [i, id] of deals.entries()) {
        const files = portal.getDeal(id)!.files.UF_CRM_ATTACHMENTS!;
        assert.equal(files.length, 1);
        assert.ok(files[0]!.bytes.equals(signed[i]!));
        assert.equal(facts[i]!.fileId, String(files[0]!.id));
        assert.equal(callsFor(records, 'crm.item.update', id), ran ? 1 : 2, ran ? 'not sent again' : 'sent again once');
      }
      assert.equal(portal.state.files.size, filesBefore + 2, 'exactly one upload a deal');
    });
  }

  it('a file replaced by someone else while signing is not overwritten (DOCUMENT_CHANGED)', async () => {
    const dealId = dealWith([{ name: 'contract.pdf', bytes: pdf }]);
    const { ref: resolved } = await gateway().fetchResolved!(ref(dealId));
    const other = await makePdf('Someone else', 1);
    await b24.client.call(portal.memberId, 'crm.item.update', {
      entityTypeId: 2,
      id: dealId,
      useOriginalUfNames: 'Y',
      fields: { UF_CRM_ATTACHMENTS: [['v2.pdf', other.toString('base64')]] },
    });
    await assert.rejects(gateway().deliver(resolved, Buffer.concat([pdf, Buffer.from('%x')])), {
      code: ErrorCode.DOCUMENT_CHANGED,
    });
    assert.ok(portal.getDeal(dealId)!.files.UF_CRM_ATTACHMENTS![0]!.bytes.equals(other), 'their file stays');
  });
});
