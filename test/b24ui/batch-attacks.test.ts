/**
 * What one code may sign from "Waiting for me", tried as an attacker would, against the running service
 * (child process), two emulated portals, RabbitMQ and a SoftHSM2 token, over plain HTTP as a browser on the
 * page sends it:
 *
 * - the list shows only the link's signer's waiting requests on the link's portal;
 * - a batch cannot include another signer's request or a request of another portal: forged ids on the
 *   review step are refused (nothing shown), forged into the sign POST they are refused (nothing signed),
 *   and the code they carried stays unused;
 * - the confirmation step's list is bound to the code's submission: a request that arrives after the list
 *   was shown is not signed, not even when added to the POST;
 * - a code cannot be replayed for a second batch;
 * - the review and sign POSTs need the page's CSRF token and Origin, like the single approve;
 * - a batch over BATCH_MAX_DOCUMENTS is refused.
 */
import assert from 'node:assert/strict';
import { waitingRobotRequest } from '../b24app/b24app-fixture.js';
import type { PortalHandle } from '../support/bitrix24-emulator/index.js';
import { postForm, waitingStep } from './approval-calls.js';
import { B24UiFixture, type UiSigner } from './b24ui-fixture.js';

/** The "Waiting for me" page of a link: its CSRF token and the ids it offers. */
async function openList(link: string): Promise<{ status: number; html: string; csrf: string; ids: string[] }> {
  const url = new URL(link);
  url.pathname = `${url.pathname}/waiting`;
  const response = await fetch(url);
  const html = await response.text();
  return {
    status: response.status,
    html,
    csrf: /name="csrf_token" value="([^"]*)"/.exec(html)?.[1] ?? '',
    ids: [...html.matchAll(/name="id" value="([^"]+)"/g)].map((m) => m[1] as string),
  };
}

/** The confirmation step's review token, listed ids and preselected certificate. */
function confirmation(html: string): { review: string; ids: string[]; cert: string } {
  return {
    review: /name="review" value="([^"]*)"/.exec(html)?.[1] ?? '',
    ids: [...html.matchAll(/type="hidden" name="id" value="([^"]+)"/g)].map((m) => m[1] as string),
    cert: /<option value="([^"]+)" selected>/.exec(html)?.[1] ?? '',
  };
}

describe('What one code may sign from "Waiting for me": forged ids, late arrivals, replay, CSRF, cap', function () {
  this.timeout(300_000);
  const fx = new B24UiFixture();
  let portalA: PortalHandle;
  let portalB: PortalHandle;
  const signers: Record<string, UiSigner> = {};

  before(async () => {
    await fx.startUi({ BATCH_MAX_DOCUMENTS: '3' });
    portalA = fx.emulator.portal('portal-a.bitrix24.test');
    portalB = fx.emulator.addPortal({ domain: 'portal-b.bitrix24.test' });
    await fx.install(portalA);
    await fx.install(portalB);
    // One signer per test: each types one or two codes, well inside the ±1 step window.
    for (const login of ['anna', 'carl', 'dora', 'erik', 'fay']) {
      signers[login] = await fx.uiSigner(portalA, login, { accountLanguage: 'en' });
    }
    signers.bob = await fx.uiSigner(portalB, 'bob', { accountLanguage: 'en' });
  });
  after(async () => {
    await fx.stopUi();
  });

  const state = async (id: string) => (await fx.store.signRequests.get(id))?.state;
  const review = (link: string, csrf: string, ids: string[], headers: Record<string, string> = {}) =>
    postForm(link, 'waiting/review', { csrf_token: csrf, id: ids }, headers);
  const sign = (link: string, form: Record<string, string | string[]>, headers: Record<string, string> = {}) =>
    postForm(link, 'waiting/sign', form, headers);

  it('forged ids: another signer’s or another portal’s request refuses the batch, signs nothing, spends no code', async () => {
    const anna = signers.anna!;
    const [a1, a2] = [
      await waitingStep(fx, portalA, anna.userId, 'Anna one', 1),
      await waitingStep(fx, portalA, anna.userId, 'Anna two', 1),
    ];
    const carls = await waitingStep(fx, portalA, signers.carl!.userId, 'Carl own', 1);
    const bobs = await waitingStep(fx, portalB, signers.bob!.userId, 'Bob on B', 1);
    // Anna's account named on a request of portal B (as if that portal had claimed her): not hers to list.
    const now = new Date();
    const foreign = waitingRobotRequest(portalB, { accountId: anna.account.id, userId: anna.userId }, 1, {
      createdAt: now,
      deadline: new Date(now.getTime() + 3_600_000),
      key: 'anna-on-b',
    });
    await fx.store.signRequests.create(foreign);

    const list = await openList(a1.link);
    assert.equal(list.status, 200);
    assert.deepEqual(list.ids.sort(), [a1.requestId, a2.requestId].sort(), 'only her own, on her portal');
    for (const forged of [carls.requestId, bobs.requestId, foreign.id, 'no-such-request']) {
      const refused = await review(a1.link, list.csrf, [a1.requestId, forged]);
      assert.equal(refused.status, 404, forged);
      assert.doesNotMatch(await refused.text(), /name="review"/, 'no confirmation for a forged list');
    }
    const step = await review(a1.link, list.csrf, [a1.requestId, a2.requestId]);
    assert.equal(step.status, 200);
    const { review: token, ids, cert } = confirmation(await step.text());
    assert.deepEqual(ids.sort(), [a1.requestId, a2.requestId].sort());
    const code = anna.code();
    for (const forged of [carls.requestId, bobs.requestId, foreign.id]) {
      const refused = await sign(a1.link, {
        csrf_token: list.csrf,
        review: token,
        id: [...ids, forged],
        cert,
        otp: code,
      });
      assert.equal(refused.status, 409, forged);
      assert.match(await refused.text(), /list has changed/i);
    }
    // Carl's own confirmation, replayed on Anna's link with her ids: another signer's, refused.
    const carlList = await openList(carls.link);
    const carlStep = confirmation(await (await review(carls.link, carlList.csrf, [carls.requestId])).text());
    const swapped = await sign(a1.link, {
      csrf_token: list.csrf,
      review: carlStep.review,
      id: carlStep.ids,
      otp: code,
    });
    assert.equal(swapped.status, 409);
    for (const id of [a1.requestId, a2.requestId, carls.requestId, bobs.requestId, foreign.id]) {
      assert.equal(await state(id), 'awaiting_signer', `${id} untouched`);
    }
    // The genuine confirmation with the same code: the refusals never used it.
    const genuine = await sign(a1.link, { csrf_token: list.csrf, review: token, id: ids, cert, otp: code });
    assert.equal(genuine.status, 303, await genuine.text());
    assert.match(genuine.headers.get('location') ?? '', /\/batch\/[0-9a-f-]{36}\?lang=en$/);
    await Promise.all([a1, a2].map((w) => fx.waitFor(w.requestId, (r) => r.state === 'completed')));
    assert.equal(await state(carls.requestId), 'awaiting_signer');
  });

  it('a request that arrives after the list was shown is not signed, not even when added to the POST', async () => {
    const dora = signers.dora!;
    const d1 = await waitingStep(fx, portalA, dora.userId, 'Dora one', 1);
    const d2 = await waitingStep(fx, portalA, dora.userId, 'Dora two', 1);
    const list = await openList(d1.link);
    const shown = confirmation(await (await review(d1.link, list.csrf, list.ids)).text());
    assert.deepEqual(shown.ids.sort(), [d1.requestId, d2.requestId].sort());
    const late = await waitingStep(fx, portalA, dora.userId, 'Dora late', 1);
    const code = dora.code();
    const added = await sign(d1.link, {
      csrf_token: list.csrf,
      review: shown.review,
      id: [...shown.ids, late.requestId],
      otp: code,
    });
    assert.equal(added.status, 409);
    const done = await sign(d1.link, { csrf_token: list.csrf, review: shown.review, id: shown.ids, otp: code });
    assert.equal(done.status, 303, await done.text());
    await Promise.all([d1, d2].map((w) => fx.waitFor(w.requestId, (r) => r.state === 'completed')));
    assert.equal(await state(late.requestId), 'awaiting_signer', 'the late one waits for its own decision');
    assert.deepEqual((await openList(d1.link)).ids, [late.requestId], 'and is the only one listed now');
  });

  it('a code cannot be replayed for a second batch', async () => {
    const erik = signers.erik!;
    const first = await waitingStep(fx, portalA, erik.userId, 'Erik first', 1);
    const list = await openList(first.link);
    const step = confirmation(await (await review(first.link, list.csrf, list.ids)).text());
    const code = erik.code();
    const signed = await sign(first.link, { csrf_token: list.csrf, review: step.review, id: step.ids, otp: code });
    assert.equal(signed.status, 303);
    const second = await waitingStep(fx, portalA, erik.userId, 'Erik second', 1);
    const again = await openList(second.link);
    const next = confirmation(await (await review(second.link, again.csrf, again.ids)).text());
    assert.deepEqual(next.ids, [second.requestId]);
    const replayed = await sign(second.link, { csrf_token: again.csrf, review: next.review, id: next.ids, otp: code });
    assert.equal(replayed.status, 401);
    const page = await replayed.text();
    assert.match(page, /This code was used already/);
    assert.match(page, /name="review"/, 'the confirmation stays, for the next code');
    assert.equal(await state(second.requestId), 'awaiting_signer');
    await fx.waitFor(first.requestId, (r) => r.state === 'completed');
  });

  it('the review and sign POSTs need the page’s CSRF token and Origin; more than BATCH_MAX_DOCUMENTS is refused', async () => {
    const fay = signers.fay!;
    const steps = [];
    for (let i = 1; i <= 4; i++) steps.push(await waitingStep(fx, portalA, fay.userId, `Fay ${i}`, 1));
    const link = steps[0]!.link;
    const list = await openList(link);
    const otherCsrf = (await openList(steps[1]!.link)).csrf;
    assert.equal(list.ids.length, 4);
    assert.match(list.html, /One code signs at most 3 documents at once/);
    const tooMany = await review(link, list.csrf, list.ids);
    assert.equal(tooMany.status, 400);
    assert.match(await tooMany.text(), /choose at most 3/);
    const ids = list.ids.slice(0, 3);
    const step = confirmation(await (await review(link, list.csrf, ids)).text());
    const code = fay.code();
    const evil = { origin: 'https://evil.example' };
    const forms = { review: step.review, id: step.ids, otp: code };
    const refused: [string, Response][] = [
      ['review, foreign origin', await review(link, list.csrf, ids, evil)],
      ['review, no token', await review(link, '', ids)],
      ['review, token of another link', await review(link, otherCsrf, ids)],
      ['sign, foreign origin', await sign(link, { ...forms, csrf_token: list.csrf }, evil)],
      ['sign, Origin null', await sign(link, { ...forms, csrf_token: list.csrf }, { origin: 'null' })],
      ['sign, no Origin or Referer', await sign(link, { ...forms, csrf_token: list.csrf }, { origin: '' })],
      ['sign, no token', await sign(link, forms)],
      ['sign, token of another link', await sign(link, { ...forms, csrf_token: otherCsrf })],
    ];
    for (const [what, response] of refused) {
      assert.equal(response.status, 403, what);
      assert.match(await response.text(), /CSRF_REJECTED/, what);
    }
    for (const s of steps) assert.equal(await state(s.requestId), 'awaiting_signer');
    const genuine = await sign(link, { ...forms, csrf_token: list.csrf });
    assert.equal(genuine.status, 303, await genuine.text());
    await Promise.all(steps.slice(0, 3).map((s) => fx.waitFor(s.requestId, (r) => r.state === 'completed')));
    assert.equal(await state(steps[3]!.requestId), 'awaiting_signer');
  });
});
