/**
 * Notice traffic travels in `batch`: when several signature requests are due at once, the worker's notice
 * sweep reads their deals (`crm.item.get`) and people (`user.get`) together, so the portal sees a few batch
 * requests instead of one request per lookup (Bitrix24 allows 2 requests a second per portal, reference
 * §1.7). Counted with the emulator's request log: every HTTP request the portal received for the notices.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { makePdf } from '../pipeline/make-pdfs.js';
import type { PortalHandle, RecordedRequest } from '../support/bitrix24-emulator/index.js';
import { B24AppFixture, type PortalSigner, waitingRobotRequest } from './b24app-fixture.js';

const NOTICES = 12;

function waitingRequest(portal: PortalHandle, signer: PortalSigner, dealId: number, i: number): SignRequest {
  const createdAt = new Date();
  const deadline = new Date(createdAt.getTime() + 48 * 3_600_000);
  const key = `batching-${createdAt.getTime()}-${i}`;
  return waitingRobotRequest(portal, { accountId: signer.account.id, userId: signer.userId }, dealId, {
    createdAt,
    deadline,
    key,
  });
}

/** Lookups as the portal saw them: single REST requests, and commands inside batch requests. */
function count(records: RecordedRequest[]) {
  const batches = records.filter((r) => r.method === 'batch');
  const commands = batches.flatMap((r) => Object.values((r.params.cmd ?? {}) as Record<string, string>));
  const inBatch = (method: string) => commands.filter((c) => c.startsWith(`${method}?`) || c === method).length;
  const single = (method: string) => records.filter((r) => r.method === method).length;
  return {
    requests: records.length,
    batches: batches.length,
    userGet: { single: single('user.get'), inBatch: inBatch('user.get') },
    itemGet: { single: single('crm.item.get'), inBatch: inBatch('crm.item.get') },
    notify: { single: single('im.notify.system.add'), inBatch: inBatch('im.notify.system.add') },
  };
}

describe('Bitrix24 notices travel in batch', function () {
  this.timeout(180_000);
  const fx = new B24AppFixture();
  let a: PortalHandle;

  before(async () => {
    await fx.start({
      emulator: {
        portals: [{ domain: 'portal-a.bitrix24.test' }, { domain: 'portal-ru.bitrix24.test', languageId: 'ru' }],
      },
    });
    a = fx.emulator.portal('portal-a.bitrix24.test');
    await fx.install(a);
  });
  after(() => fx.stop());

  it(`${NOTICES} signature requests due at once: their deals and people are read in batches`, async () => {
    const signers: PortalSigner[] = [];
    for (let i = 0; i < NOTICES; i++) signers.push(await fx.signer(a, `batch${i}`, { otpDisabled: true }));
    const pdf = await makePdf('Batch', 1);
    const deals = signers.map((_, i) => fx.deal(a, `Batch-${i}`, pdf));
    const requests = signers.map((s, i) => waitingRequest(a, s, deals[i] as number, i));
    const start = a.requests().length;
    await Promise.all(requests.map((r) => fx.store.signRequests.create(r)));
    const sent = () => a.notifications().filter((n) => requests.some((r) => n.tag === `signservice|${r.id}|requested`));
    const deadline = Date.now() + 60_000;
    while (sent().length < NOTICES && Date.now() < deadline) await sleep(100);
    assert.equal(sent().length, NOTICES, 'every signer was notified');
    await sleep(1500); // a pass still running would show now
    const figures = count(a.requests().slice(start));
    console.log(`      ${NOTICES} notices → ${JSON.stringify(figures)}`);
    const lookups = figures.userGet.single + figures.userGet.inBatch + figures.itemGet.single + figures.itemGet.inBatch;
    assert.ok(lookups >= NOTICES * 2, `the deals and people were read (${lookups} lookups)`);
    assert.ok(
      figures.userGet.single + figures.itemGet.single <= 4,
      `lookups travel in batch, not one request each: ${JSON.stringify(figures)}`,
    );
    assert.ok(figures.requests <= NOTICES / 2, `${figures.requests} portal requests for ${NOTICES} notices`);
  });

  it("writes to a signer without an account language in the portal's language (stored at install)", async () => {
    const ru = fx.emulator.portal('portal-ru.bitrix24.test');
    await fx.install(ru);
    assert.equal((await fx.store.portals.get(ru.memberId))?.language, 'ru', 'LANGUAGE_ID of ONAPPINSTALL');
    const signer = await fx.signer(ru, 'olga', { otpDisabled: true });
    assert.equal(signer.account.language, undefined);
    const request = waitingRequest(ru, signer, fx.deal(ru, 'Russian', await makePdf('Russian', 1)), 99);
    await fx.store.signRequests.create(request);
    const tag = `signservice|${request.id}|requested`;
    const deadline = Date.now() + 30_000;
    while (!ru.notifications().some((n) => n.tag === tag) && Date.now() < deadline) await sleep(100);
    const notice = ru.notifications().find((n) => n.tag === tag);
    assert.ok(notice, 'the signer was notified');
    assert.match(notice.message, /^Согласуйте и подпишите документ сделки «Russian/, notice.message);
  });
});
