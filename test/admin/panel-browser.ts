/**
 * Driving the control panel in Chromium, for the panel's browser tests: axe-core (WCAG 2.1 AA) on a page or
 * a frame, screenshots in test/artifacts, waiting for a result while failing AT ONCE with the panel's own
 * error message when an action was refused (so a refused code reads "Error: …", not a 30 s timeout), the
 * operator's sign-in with the first-time authenticator set-up, and the tour of every page in both
 * languages and at 375 px.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as OTPAuth from 'otpauth';
import type { Frame, Locator, Page } from 'playwright-core';
import { ARTIFACTS } from '../b24ui/b24ui-fixture.js';

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The panel's pages, by their hash route. */
export const PANEL_ROUTES = ['accounts', 'certificates', 'sign-log', 'requests', 'tokens', 'portals'] as const;

/** Runs axe-core on the page or frame; asserts no WCAG 2.1 A/AA violation. */
export async function axe(target: Page | Frame, name: string): Promise<void> {
  // Evaluated through the DevTools protocol: the page's CSP (script-src 'self') stays as it is.
  await target.evaluate(AXE_SOURCE);
  const violations = await target.evaluate(async () => {
    const w = window as unknown as {
      axe: { run(o: unknown): Promise<{ violations: { id: string; nodes: { target: unknown }[] }[] }> };
    };
    const r = await w.axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => `${v.id} (${v.nodes.map((n) => JSON.stringify(n.target)).join(' ')})`);
  });
  assert.deepEqual(violations, [], `axe on ${name}`);
}

/**
 * A screenshot of the whole panel. In a portal's frame the panel scrolls inside the iframe, and Chromium's
 * full-page capture leaves a cross-site (out-of-process) frame blank: the viewport is made as tall as the
 * frame's content for the shot instead.
 */
export async function shoot(page: Page, name: string, frame?: Frame): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `panel-${name}.png`);
  if (!frame) {
    await page.screenshot({ path: file, fullPage: true });
    return;
  }
  const viewport = page.viewportSize() ?? { width: 1100, height: 900 };
  const height = await frame.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: viewport.width, height: Math.max(viewport.height, height) });
  try {
    await page.screenshot({ path: file });
  } finally {
    await page.setViewportSize(viewport);
  }
}

/**
 * Waits until `wanted` is visible (or attached: an `<option>` never counts as visible); if the panel shows an error message first, fails with that message.
 * Generous time: the machine may be busy, and a refusal ends the wait early anyway.
 */
export async function settle(
  root: Page | Frame,
  wanted: Locator,
  options: { timeout?: number; state?: 'visible' | 'attached' } = {},
): Promise<void> {
  const error = root.locator('#message.error');
  await wanted
    .or(error)
    .first()
    .waitFor({ timeout: options.timeout ?? 60_000, state: options.state ?? 'visible' });
  if (await error.isVisible()) {
    assert.fail(`the panel answered with an error instead: ${await error.textContent()}`);
  }
}

/** An authenticator app and the last time step it showed a code for (the service refuses a used step). */
export interface Authenticator {
  totp: OTPAuth.TOTP;
  lastStep: number;
}

/**
 * The code of the current time step, or of the next one when the current one was used already: the
 * service looks one step back and one forward, and a code of the step BEFORE now would run out at the next
 * step boundary while the form is on its way (on a busy machine that is often).
 */
export function nextCode(app: Authenticator): string {
  app.lastStep = Math.max(app.lastStep + 1, Math.floor(Date.now() / 30_000));
  return app.totp.generate({ timestamp: app.lastStep * 30_000 });
}

/** The enrollment link in a mail's text, which must point at `baseUrl` (the service's PUBLIC_BASE_URL). */
export function enrollmentLinkIn(text: string | undefined, baseUrl: string): string {
  const link = /(http:\/\/\S+\/enroll\/[A-Za-z0-9_-]+\?lang=(?:en|ru))/.exec(text ?? '')?.[1];
  if (!link?.startsWith(`${baseUrl}/enroll/`))
    assert.fail(`the e-mail holds no enrollment link to ${baseUrl}: ${text}`);
  return link;
}

/**
 * Enrolls from the enrollment link as the person does: asks for the key, reads it as text, enters the first
 * code; fails with the page's error.
 */
export async function enrollFromLink(page: Page, link: string): Promise<Authenticator> {
  await page.goto(link);
  await page.locator('#enroll-reveal').click();
  const key = ((await page.locator('#otp-key').textContent()) ?? '').replace(/\s/g, '');
  const app = { totp: new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(key) }), lastStep: 0 };
  await page.locator('#otp-code').fill(nextCode(app));
  await page.locator('#otp-submit').click();
  const done = page.locator('#enroll-done');
  await done.or(page.locator('#enroll-error')).first().waitFor({ timeout: 60_000 });
  if (!(await done.isVisible()))
    assert.fail(`enrollment refused: ${await page.locator('#enroll-error').textContent()}`);
  return app;
}

/**
 * Signs an operator in for the first time at `${baseUrl}/admin`: login and password, the QR code and the
 * key, the first code; returns the operator's authenticator.
 */
export async function firstSignIn(
  page: Page,
  baseUrl: string,
  login: string,
  password: string,
): Promise<Authenticator> {
  await page.goto(`${baseUrl}/admin?lang=en`);
  await page.getByLabel('Login').fill(login);
  await page.getByLabel('Password').fill(password);
  await axe(page, 'sign-in');
  await shoot(page, 'sign-in-en');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await settle(page, page.locator('#setup-qr'));
  const key = ((await page.locator('#setup-key').textContent()) ?? '').replace(/\s/g, '');
  const app = { totp: new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(key) }), lastStep: 0 };
  await axe(page, 'totp set-up');
  await shoot(page, 'totp-setup-en');
  await page.getByLabel('One-time code').fill(nextCode(app));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await settle(page, page.getByRole('heading', { name: 'Accounts' }));
  return app;
}

/** A page of the tour: its hash route, and the name of its screenshots (the route itself by default). */
export type TourPage = string | { route: string; name: string };

/**
 * Every page of the panel in English, then Russian (the language switch), then at 375 px: axe on each, a
 * screenshot of each, and no horizontal scrolling at 375 px. `open(route)` loads the English page; `panel`
 * gives the panel's frame when it runs inside Bitrix24's iframe.
 */
export async function tourPages(
  page: Page,
  options: {
    prefix: string;
    pages: readonly TourPage[];
    open(route: string): Promise<void>;
    panel?: () => Promise<Frame>;
  },
): Promise<void> {
  const panel = options.panel ?? (async () => page.mainFrame());
  for (const entry of options.pages) {
    const { route, name } = typeof entry === 'string' ? { route: entry, name: entry } : entry;
    const shot = `${options.prefix}${name}`;
    await page.setViewportSize({ width: 1100, height: 900 });
    await options.open(route);
    let frame = await panel();
    await settle(frame, frame.locator('main h1'));
    // In a portal's frame the shot is sized to the frame's content (see shoot).
    const framed = () => (options.panel ? frame : undefined);
    await axe(frame, `${shot} (en)`);
    await shoot(page, `${shot}-en`, framed());
    await frame.getByRole('button', { name: 'Русский' }).click();
    await frame.locator('html[lang="ru"]').waitFor();
    frame = await panel();
    await settle(frame, frame.locator('main h1'));
    await axe(frame, `${shot} (ru)`);
    await shoot(page, `${shot}-ru`, framed());
    await page.setViewportSize({ width: 375, height: 800 });
    await axe(frame, `${shot} (375 px)`);
    await shoot(page, `${shot}-375`, framed());
    const overflow = await frame.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    assert.ok(overflow <= 1, `${shot} fits 375 px (overflow ${overflow})`);
  }
}
