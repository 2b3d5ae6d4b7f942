/**
 * Parked jobs in the control panel, against the real embedded store and job queue: jobs are parked by the
 * queue's own path (a consumer whose handler fails for good, and a message no worker can read), then
 * GET /api/v1/requests/parked lists each with its reason, route, attempts and request for operators and
 * unscoped tokens, while a portal administrator and a portal-scoped token see only the jobs of their own
 * portal's requests — never another portal's, never one naming no request. The Requests page's link to a
 * request (`?id=`) answers only a request the caller may see. In Chromium, the Requests page shows the
 * "Parked jobs" table and its links lead to the request; axe-core and 375 px in English and Russian.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { TSignJobV1 } from '../../shared/messages/sign-job.js';
import { INTERNAL_ROUTE } from '../../shared/signing/sign-route.js';
import { waitFor } from '../queue/support/wait-for.js';
import { type LaunchedChromium, launchChromium } from '../support/chromium.js';
import { AdminFixture, type Caller } from './admin-fixture.js';
import { axe, firstSignIn, settle, tourPages } from './panel-browser.js';

type Parked = {
  messageId: string;
  route: string;
  reason: string;
  attempts: number;
  parkedAt: string;
  requestId: string | null;
  requestState: string | null;
  account: string | null;
};

/** An approved file request of `accountId`, as `signservice request submit` stores it. */
function approvedRequest(accountId: string, at: Date): SignRequest {
  return {
    id: randomUUID(),
    state: 'approved',
    version: 1,
    accountId,
    certId: 'c'.repeat(64),
    route: INTERNAL_ROUTE,
    document: { kind: 'file', inputPath: '/tmp/in.pdf', outputPath: '/tmp/out.pdf' },
    placement: { page: 'last', position: 'bottom-right', visible: true },
    otpRequired: false,
    steps: {},
    createdAt: at,
    updatedAt: at,
  };
}

describe('control panel API: parked jobs (embedded store and queue, real HTTP)', function () {
  this.timeout(120_000);
  const fx = new AdminFixture();
  let root: Caller;
  const requestOf: Record<string, SignRequest> = {};
  let chromium: LaunchedChromium | undefined;

  /** A portal administrator's panel session (what the Bitrix24 app page opens). */
  async function portalAdmin(memberId: string): Promise<Caller> {
    const opened = await fx.panel.api.deps.sessions.open(
      { kind: 'portal-admin', memberId, userId: 1, name: `Admin ${memberId}` },
      'active',
    );
    const caller = fx.caller({ session: opened.id });
    caller.csrf = fx.panel.api.deps.csrfTokenFor(opened.id);
    return caller;
  }

  async function parkedFor(caller: Caller): Promise<Parked[]> {
    const answer = await caller.call('GET', '/api/v1/requests/parked');
    assert.equal(answer.status, 200, answer.text);
    return (answer.body as { parked: Parked[] }).parked;
  }

  before(async () => {
    await fx.start();
    root = (await fx.operator('parking-operator')).caller;
    for (const [memberId, login, userId] of [
      ['portal-A', 'anna', 7],
      ['portal-B', 'boris', 8],
    ] as const) {
      const created = await root.call('POST', '/api/v1/accounts', { login, memberId, bitrixUserId: userId });
      assert.equal(created.status, 201, created.text);
      const request = approvedRequest((created.body as { id: string }).id, fx.now());
      await fx.store.signRequests.create(request);
      requestOf[login] = request;
      const job: TSignJobV1 = { type: 'sign-request', version: 1, requestId: request.id, route: INTERNAL_ROUTE };
      await fx.queue.publish(INTERNAL_ROUTE, job, { messageId: request.id });
    }
    await fx.queue.publishRaw(INTERNAL_ROUTE, '{"type":"sign-request", version: 1', { messageId: 'poison-not-json' });
    // The queue's own park path: a handler that fails for good parks its job at once, with the error's message.
    const consumer = await fx.queue.consume([INTERNAL_ROUTE], async () => {
      throw new AppError(ErrorCode.PDF_NOT_PDF, 'The document is not a PDF');
    });
    try {
      await waitFor('three jobs parked', async () => (await fx.queue.depth(INTERNAL_ROUTE)).parked === 3, 30_000);
    } finally {
      await consumer.close();
    }
  });
  after(async () => {
    await chromium?.close();
    await fx.stop();
  });

  it('an operator sees every parked job with its reason, route, attempts and request', async () => {
    const parked = await parkedFor(root);
    assert.equal(parked.length, 3, JSON.stringify(parked));
    const byId = new Map(parked.map((p) => [p.messageId, p]));
    for (const login of ['anna', 'boris']) {
      const request = requestOf[login]!;
      const job = byId.get(request.id);
      assert.ok(job, `${login}'s job is listed`);
      assert.deepEqual(
        { route: job.route, reason: job.reason, attempts: job.attempts, requestId: job.requestId },
        { route: INTERNAL_ROUTE, reason: 'The document is not a PDF', attempts: 1, requestId: request.id },
      );
      assert.equal(job.account, login);
      assert.equal(job.requestState, 'approved', 'no worker ran here to fail it');
      assert.ok(Math.abs(Date.parse(job.parkedAt) - Date.now()) < 120_000, `parked just now: ${job.parkedAt}`);
    }
    const poison = byId.get('poison-not-json');
    assert.ok(poison);
    assert.match(poison.reason, /message body is not JSON/);
    assert.deepEqual([poison.requestId, poison.requestState, poison.account], [null, null, null]);
  });

  it('an unscoped read-only token sees them all; a portal-scoped token only its portal’s', async () => {
    const token = async (body: object) => {
      const created = await root.call('POST', '/api/v1/api-tokens', { scope: 'read', ...body });
      assert.equal(created.status, 201, created.text);
      return fx.caller({ bearer: (created.body as { token: string }).token });
    };
    assert.equal((await parkedFor(await token({ name: 'monitoring' }))).length, 3);
    const scoped = await parkedFor(await token({ name: 'portal-b-sync', memberId: 'portal-B' }));
    assert.deepEqual(
      scoped.map((p) => [p.requestId, p.account]),
      [[requestOf.boris!.id, 'boris']],
    );
  });

  it('a portal administrator sees only their portal’s parked jobs, never another’s nor one without a request', async () => {
    const adminA = await portalAdmin('portal-A');
    const seenByA = await adminA.call('GET', '/api/v1/requests/parked');
    const parked = (seenByA.body as { parked: Parked[] }).parked;
    assert.deepEqual(
      parked.map((p) => [p.requestId, p.account]),
      [[requestOf.anna!.id, 'anna']],
    );
    for (const foreign of [requestOf.boris!.id, 'boris', 'poison-not-json', 'not JSON']) {
      assert.ok(!seenByA.text.includes(foreign), `portal A's administrator sees ${foreign}: ${seenByA.text}`);
    }
    const adminC = await portalAdmin('portal-C');
    assert.deepEqual(await parkedFor(adminC), [], 'a portal with no requests sees no parked job');
  });

  it('the link to a request (?id=) answers only a request the caller may see', async () => {
    const adminA = await portalAdmin('portal-A');
    const own = await adminA.call('GET', `/api/v1/requests?id=${requestOf.anna!.id}`);
    assert.deepEqual(
      (own.body as { requests: { id: string }[] }).requests.map((r) => r.id),
      [requestOf.anna!.id],
    );
    const foreign = await adminA.call('GET', `/api/v1/requests?id=${requestOf.boris!.id}`);
    assert.equal(foreign.status, 200);
    assert.deepEqual((foreign.body as { requests: unknown[] }).requests, [], 'B’s request is not A’s to see');
    const nobody = await adminA.call('GET', `/api/v1/requests?id=${randomUUID()}`);
    assert.deepEqual((nobody.body as { requests: unknown[] }).requests, []);
    const both = await root.call('GET', `/api/v1/requests?id=${requestOf.boris!.id}&state=failed`);
    assert.deepEqual((both.body as { requests: unknown[] }).requests, [], 'the state filter still applies');
  });

  it('an ordinary portal user gets 403', async () => {
    const opened = await fx.panel.api.deps.sessions.open(
      { kind: 'portal-user', memberId: 'portal-A', userId: 7, name: 'Anna' },
      'active',
    );
    const user = fx.caller({ session: opened.id });
    assert.equal((await user.call('GET', '/api/v1/requests/parked')).status, 403);
  });

  it('the Requests page shows the parked jobs and links each to its request (en, ru, 375 px, axe)', async () => {
    const password = 'correct horse battery staple';
    await fx.panel.api.deps.operators.add({ login: 'page-operator', password });
    chromium = await launchChromium();
    const page = await chromium.browser.newPage({ viewport: { width: 1100, height: 900 } });
    await firstSignIn(page, fx.url, 'page-operator', password);
    await page.getByRole('navigation').getByRole('link', { name: 'Requests' }).click();
    const parked = page.getByRole('region', { name: 'Parked jobs' });
    await settle(page, parked);
    // Parked | Route | Reason | Attempts | Request
    const rows = await parked
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent).slice(1)));
    const anna = requestOf.anna!.id.slice(0, 8);
    const boris = requestOf.boris!.id.slice(0, 8);
    assert.equal(rows.length, 3, JSON.stringify(rows));
    const byRequest = new Map(rows.map((r) => [r[3], r]));
    for (const id of [anna, boris]) {
      const request = `Request ${id}: approved`;
      assert.deepEqual(byRequest.get(request), ['internal', 'The document is not a PDF', '1', request]);
    }
    const poison = byRequest.get('—');
    assert.deepEqual([poison?.[0], poison?.[2]], ['internal', '1']);
    assert.match(poison?.[1] ?? '', /^message body is not JSON/);

    await parked.getByRole('link', { name: `Request ${anna}: approved` }).click();
    await settle(page, page.getByRole('link', { name: 'All requests' }));
    const shown = await page
      .getByRole('region', { name: 'Requests' })
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => tr.querySelectorAll('td')[1]?.textContent));
    assert.deepEqual(shown, ['anna'], 'the link shows that one request');
    await axe(page, 'one request');
    await page.getByRole('link', { name: 'All requests' }).click();
    await settle(page, page.getByLabel('State'));

    await tourPages(page, {
      prefix: 'parked-',
      pages: ['requests'],
      open: async (route) => {
        await page.goto(`${fx.url}/admin?lang=en&page=${route}#/${route}`);
      },
    });
  });
});
