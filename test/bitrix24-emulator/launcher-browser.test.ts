/**
 * The placement launcher in a real browser (headless Chromium): the page form-POSTs the placement into its
 * iframe, the app receives the documented query and body from the browser, and its answer shows in the frame;
 * an app that forbids framing stays blank, as it would inside Bitrix24.
 */
import assert from 'node:assert/strict';
import { type PortalEmulator, type PortalHandle, startPortalEmulator } from '../support/bitrix24-emulator/index.js';
import { type LaunchedChromium, launchChromium } from '../support/chromium.js';
import { type CaptureApp, startCaptureApp } from './capture-app.js';
import { callJson, resultOf, sleep } from './raw-http.js';

describe('Bitrix24 emulator: placement launcher in Chromium', () => {
  let emulator: PortalEmulator;
  let portal: PortalHandle;
  let app: CaptureApp;
  let chromium: LaunchedChromium;
  let mary: number;
  let dealId: number;

  before(async () => {
    chromium = await launchChromium();
    app = await startCaptureApp();
    emulator = await startPortalEmulator();
    portal = emulator.portal('portal-a.bitrix24.test');
    mary = portal.createUser({ name: 'Mary' }).id;
    dealId = portal.createDeal({ title: 'Contract' }).id;
    const auth = portal.issueTokens(1).accessToken;
    for (const path of ['/b24/sign', '/b24/deny']) {
      const bound = await callJson(portal.clientEndpoint, 'placement.bind', {
        auth,
        PLACEMENT: 'CRM_DEAL_DETAIL_TOOLBAR',
        HANDLER: `${app.origin}${path}`,
      });
      assert.equal(resultOf(bound), true);
    }
    app.answer('/b24/sign', 200, '<!doctype html><body><p id="dialog">Sign dialog</p></body>', {
      'Content-Type': 'text/html',
    });
    app.answer('/b24/deny', 200, '<!doctype html><body><p id="dialog">Hidden</p></body>', {
      'Content-Type': 'text/html',
      'X-Frame-Options': 'DENY',
    });
  });
  after(async () => {
    await chromium?.close();
    await emulator?.close();
    await app?.close();
  });

  it('loads the handler into the iframe by a browser form POST with the documented fields', async () => {
    const page = await chromium.browser.newPage();
    try {
      const url = emulator.placementLauncherUrl(portal, 'CRM_DEAL_DETAIL_TOOLBAR', mary, {
        dealId,
        handler: `${app.origin}/b24/sign`,
      });
      await page.goto(url);
      const frame = page.frameLocator('#app-frame');
      assert.equal(await frame.locator('#dialog').textContent({ timeout: 10_000 }), 'Sign dialog');
      const request = app.requests.filter((entry) => entry.url.startsWith('/b24/sign')).at(-1);
      assert.ok(request, 'the app got the POST');
      assert.equal(request.method, 'POST');
      assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
      const query = new URL(request.url, app.origin).searchParams;
      assert.equal(query.get('DOMAIN'), portal.domain);
      const body = new URLSearchParams(request.body);
      assert.equal(body.get('PLACEMENT'), 'CRM_DEAL_DETAIL_TOOLBAR');
      assert.deepEqual(JSON.parse(body.get('PLACEMENT_OPTIONS') ?? ''), { ID: String(dealId) });
      const me = resultOf(await callJson(portal.clientEndpoint, 'user.current', { auth: body.get('AUTH_ID') }));
      assert.equal((me as Record<string, unknown>).ID, String(mary));
    } finally {
      await page.close();
    }
  });

  it('leaves the frame empty when the app forbids framing', async () => {
    const page = await chromium.browser.newPage();
    try {
      const url = emulator.placementLauncherUrl(portal, 'CRM_DEAL_DETAIL_TOOLBAR', mary, {
        dealId,
        handler: `${app.origin}/b24/deny`,
      });
      await page.goto(url);
      const deadline = Date.now() + 10_000;
      while (!app.requests.some((entry) => entry.url.startsWith('/b24/deny')) && Date.now() < deadline) await sleep(50);
      assert.ok(
        app.requests.some((entry) => entry.url.startsWith('/b24/deny')),
        'the POST itself was sent',
      );
      // A framed page would render within milliseconds of its answer; give it ample time to (not) appear.
      await sleep(500);
      const frame = page.frames().find((candidate) => candidate.name() === 'app-frame');
      assert.ok(frame, 'the iframe exists');
      const texts = await frame.locator('#dialog').count();
      assert.equal(texts, 0, 'X-Frame-Options: DENY keeps the app out of the frame');
    } finally {
      await page.close();
    }
  });
});
