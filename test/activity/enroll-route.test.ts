/**
 * The enrollment routes over real HTTP (the Koa app on a random port, the real embedded store, a fake
 * clock): headers, languages, the error pages, the key made only on the page's POST (a new one each time),
 * CSRF (token + Origin) and form handling, and what the logs contain.
 */
import assert from 'node:assert/strict';
import * as OTPAuth from 'otpauth';
import { createApp } from '../../activity/app.js';
import { createLogger } from '../../shared/logger.js';
import { enrollmentTokenHash } from '../../shared/otp/enrollment-link-token.js';
import type { Store } from '../../shared/store/store-ports.js';
import { codeAt, createOtpFixture, type OtpFixture } from '../support/otp-fixture.js';
import { type ServedApp, serveAppFor } from '../support/serve-app.js';

const CONFIG = {
  otp: { issuer: 'SignService Test', lockoutFailures: 5, lockoutWindowMinutes: 15, lockoutMinutes: 15 },
  enrollmentLinkMinutes: 60,
  defaultLanguage: 'ru' as const,
};

describe('enrollment page routes', () => {
  let fx: OtpFixture;
  let served: ServedApp;
  let logs: string[];

  async function start(store: Store = fx.store) {
    served = await serveAppFor((url) =>
      createApp({
        config: { ...CONFIG, publicBaseUrl: url },
        store,
        masterKey: fx.masterKey,
        now: fx.now,
        logger: createLogger({ level: 'debug', sink: (l) => logs.push(l) }),
      }),
    );
  }

  async function newLink(login = 'mary') {
    const account = await fx.addAccount({ login });
    const link = await fx.enrollment.createLink({ account });
    return { account, link, path: `/enroll/${link.token}` };
  }

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${served.url}${path}`, { headers });
  /** A form POST as our page sends it: from the app's own origin (override `origin` to forge one). */
  const post = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${served.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: served.url, ...headers },
      body: new URLSearchParams(form).toString(),
    });
  const csrfOf = (html: string) => {
    const token = /name="csrf_token" value="([^"]+)"/.exec(html)?.[1];
    assert.ok(token, 'the page carries its CSRF token');
    return token;
  };

  /** Opens the link and asks for the key, as the person does: the key page's HTML. */
  async function revealKey(path: string): Promise<string> {
    const landing = await (await get(path)).text();
    const res = await post(`${path}/key?lang=en`, { csrf_token: csrfOf(landing) });
    assert.equal(res.status, 200);
    return res.text();
  }

  /** The hidden form values and the TOTP behind the page's key. */
  function readForm(html: string) {
    const formToken = /name="form_token" value="([^"]+)"/.exec(html)?.[1];
    const key = /id="otp-key">([A-Z2-7 ]+)</.exec(html)?.[1];
    assert.ok(formToken && key, 'the page has the form token and the key');
    const secret = OTPAuth.Secret.fromBase32(key.replace(/ /g, ''));
    return { formToken, csrf: csrfOf(html), totp: new OTPAuth.TOTP({ secret }) };
  }

  beforeEach(async () => {
    fx = await createOtpFixture();
    logs = [];
  });
  afterEach(async () => {
    await served?.close();
    await fx.close();
  });

  it('serves the page with strict security headers, no caching, and the CSP nonce on the style', async () => {
    await start();
    const { path } = await newLink();
    const res = await get(path);
    assert.equal(res.status, 200);
    const html = await res.text();
    const csp = res.headers.get('content-security-policy') ?? '';
    const nonce = /style-src 'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce, csp);
    assert.ok(html.includes(`<style nonce="${nonce}">`));
    for (const part of [
      "default-src 'none'",
      "img-src 'self' data:",
      "form-action 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ]) {
      assert.ok(csp.includes(part), `CSP has ${part}`);
    }
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('cache-control'), 'no-store, max-age=0');
    assert.equal(res.headers.get('referrer-policy'), 'same-origin');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.match(res.headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
    assert.ok(!/<script/i.test(html));
    const key = await revealKey(path);
    assert.match(key, /<img class="qr" id="otp-qr" src="data:image\/png;base64,/);
    assert.ok(!/<script/i.test(key));
  });

  it('opening the link (a mail scanner) reveals no key and makes none; each press makes a new one', async () => {
    await start();
    const { path, link } = await newLink();
    const pending = async () =>
      (await fx.store.enrollments.getByTokenHash(enrollmentTokenHash(link.token)))?.pendingSecret;
    for (let i = 0; i < 3; i++) {
      const html = await (await get(`${path}?lang=en`)).text();
      assert.ok(!html.includes('otpauth') && !html.includes('data:image') && !html.includes('otp-key'));
      assert.match(html, /id="enroll-reveal"/);
    }
    assert.equal(await pending(), undefined, 'no secret exists after three GETs');
    const first = readForm(await revealKey(path));
    const second = readForm(await revealKey(path));
    assert.notEqual(first.totp.secret.base32, second.totp.secret.base32, 'a new key each time');
    // The first key's code no longer confirms: the newest key counts.
    const stale = await post(`${path}?lang=en`, {
      csrf_token: second.csrf,
      form_token: first.formToken,
      code: codeAt(first.totp, fx.now()),
    });
    assert.equal(stale.status, 400);
    assert.match(await stale.text(), /A newer key was shown for this link/);
    const done = await post(`${path}?lang=en`, {
      csrf_token: second.csrf,
      form_token: second.formToken,
      code: codeAt(second.totp, fx.now()),
    });
    assert.equal(done.status, 200);
  });

  it('attack: POSTs without the page’s CSRF token or from another origin change nothing', async () => {
    await start();
    const { path, link, account } = await newLink();
    const other = await newLink('john');
    const csrf = csrfOf(await (await get(path)).text());
    const otherCsrf = csrfOf(await (await get(other.path)).text());
    const refused = async (response: Response, why: RegExp) => {
      assert.equal(response.status, 403);
      assert.match(await response.text(), why);
    };
    const evil = 'https://evil.example';
    await refused(await post(`${path}/key`, { csrf_token: csrf }, { origin: evil }), /CSRF_REJECTED/);
    await refused(await post(`${path}/key`, { csrf_token: csrf }, { origin: 'null' }), /CSRF_REJECTED/);
    await refused(await post(`${path}/key`, {}), /CSRF_REJECTED/);
    await refused(await post(`${path}/key`, { csrf_token: otherCsrf }), /CSRF_REJECTED/);
    await refused(
      await post(`${path}/key`, { csrf_token: csrf }, { origin: '', referer: `${evil}/x` }),
      /CSRF_REJECTED/,
    );
    // Neither Origin nor Referer: refused (node's fetch sends no Origin when the header is removed).
    await refused(
      await fetch(`${served.url}${path}/key`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf_token: csrf }).toString(),
      }),
      /CSRF_REJECTED/,
    );
    assert.equal(
      (await fx.store.enrollments.getByTokenHash(enrollmentTokenHash(link.token)))?.pendingSecret,
      undefined,
    );
    // A Referer from our own origin stands in for a missing Origin.
    const viaReferer = await post(`${path}/key`, { csrf_token: csrf }, { origin: '', referer: `${served.url}${path}` });
    assert.equal(viaReferer.status, 200);
    const { formToken, totp } = readForm(await viaReferer.text());
    const forged = await post(path, { form_token: formToken, code: codeAt(totp, fx.now()) }, { origin: evil });
    await refused(forged, /CSRF_REJECTED/);
    assert.equal((await fx.store.accounts.get(account.id))?.otp, undefined, 'the account is not enrolled');
  });

  it('speaks the configured default, Accept-Language, or ?lang=', async () => {
    await start();
    const { path } = await newLink();
    assert.match(await (await get(path)).text(), /<html lang="ru">[\s\S]*Настройка одноразовых кодов/);
    assert.match(
      await (await get(path, { 'accept-language': 'en-US,en;q=0.9' })).text(),
      /<html lang="en">[\s\S]*Set up your one-time codes/,
    );
    assert.match(await (await get(`${path}?lang=ru`, { 'accept-language': 'en' })).text(), /<html lang="ru">/);
  });

  it('answers unknown, expired, replaced and unknown-path requests with clear pages (JSON under /api/)', async () => {
    await start();
    const unknown = await get(`/enroll/${'A'.repeat(43)}?lang=en`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers.get('cache-control'), 'no-store, max-age=0');
    assert.match(await unknown.text(), /Unknown link/);
    const { path } = await newLink();
    fx.advance(61 * 60_000);
    const expired = await get(path, { 'accept-language': 'ru' });
    assert.equal(expired.status, 410);
    assert.match(await expired.text(), /Срок действия ссылки истёк/);
    // A link a newer one replaced says so (and the newer link still works).
    const { account, path: older } = await newLink('replaced.user');
    const newer = await fx.enrollment.createLink({ account });
    for (const [lang, text] of [
      ['ru', /Ссылка заменена/],
      ['en', /This link was replaced/],
    ] as const) {
      const replaced = await get(`${older}?lang=${lang}`);
      assert.equal(replaced.status, 410);
      const html = await replaced.text();
      assert.match(html, text);
      assert.doesNotMatch(html, /истёк|expired/);
    }
    assert.equal((await get(`/enroll/${newer.token}`)).status, 200);
    const nowhere = await get('/nowhere?lang=en');
    assert.equal(nowhere.status, 404);
    assert.match(await nowhere.text(), /Page not found/);
    const api = await get('/api/nowhere');
    assert.equal(api.status, 404);
    assert.deepEqual(await api.json(), { error: { code: 'NOT_FOUND', message: 'not found' } });
  });

  it('re-shows the same key on a wrong code, rejects foreign forms, and completes with the right code', async () => {
    await start();
    const { path, account } = await newLink();
    const { formToken, csrf, totp } = readForm(await revealKey(path));

    const wrong = await post(`${path}?lang=en`, {
      csrf_token: csrf,
      form_token: formToken,
      code: codeAt(totp, fx.now(), 9),
    });
    assert.equal(wrong.status, 401);
    const wrongHtml = await wrong.text();
    assert.match(wrongHtml, /role="alert" id="enroll-error">That code does not match/);
    assert.ok(wrongHtml.includes('id="otp-qr"'), 'the form is shown again');
    assert.equal(readForm(wrongHtml).totp.secret.base32, totp.secret.base32, 'with the same key');

    const forged = await post(path, { csrf_token: csrf, form_token: 'x'.repeat(43), code: codeAt(totp, fx.now()) });
    assert.equal(forged.status, 400);

    const notForm = await fetch(`${served.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: served.url },
      body: '{}',
    });
    assert.equal(notForm.status, 400);
    const huge = await post(path, { csrf_token: csrf, form_token: formToken, code: '1'.repeat(10_000) });
    assert.equal(huge.status, 400);

    const done = await post(`${path}?lang=en`, {
      csrf_token: csrf,
      form_token: formToken,
      code: codeAt(totp, fx.now()),
    });
    assert.equal(done.status, 200);
    assert.equal(done.headers.get('cache-control'), 'no-store, max-age=0');
    const doneHtml = await done.text();
    assert.match(doneHtml, /id="enroll-done"/);
    assert.ok(!doneHtml.includes('data:image') && !doneHtml.includes(totp.secret.base32.slice(0, 8)));
    assert.ok((await fx.store.accounts.get(account.id))?.otp);

    const again = await get(`${path}?lang=en`);
    assert.equal(again.status, 410);
    const againHtml = await again.text();
    assert.match(againHtml, /This link was used already/);
    assert.ok(!againHtml.includes('data:image') && !againHtml.includes('form_token'));
    const repost = await post(path, { csrf_token: csrf, form_token: formToken, code: codeAt(totp, fx.now(), 1) });
    assert.equal(repost.status, 410);
    const revealAgain = await post(`${path}/key`, { csrf_token: csrf });
    assert.equal(revealAgain.status, 410);
    assert.ok(!(await revealAgain.text()).includes('data:image'));
  });

  it('hides unexpected errors behind a generic page and logs them, never with the link token', async () => {
    const failing: Store = {
      ...fx.store,
      enrollments: {
        ...fx.store.enrollments,
        getByTokenHash: async () => {
          throw new Error('disk on fire at /var/lib/secret-path');
        },
      },
    };
    await start(failing);
    const { path, link } = await newLink();
    const res = await get(`${path}?lang=en`);
    assert.equal(res.status, 500);
    const html = await res.text();
    assert.match(html, /Something went wrong/);
    assert.ok(!html.includes('disk on fire'));
    assert.ok(
      logs.some((l) => l.includes('disk on fire')),
      'the cause is logged',
    );
    assert.ok(logs.length > 0 && logs.every((l) => !l.includes(link.token)), 'no log line holds the token');
  });
});
