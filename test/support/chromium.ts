/**
 * Headless Chromium for page tests: Debian's /usr/bin/chromium driven by playwright-core, with no
 * background network traffic. Fails with a clear message when it is missing. The profile is a new empty
 * user-data-dir: playwright's launch() refuses --user-data-dir and instead creates a fresh temporary
 * profile directory for every launch, deleting it on close.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export interface LaunchedChromium {
  browser: Browser;
  close(): Promise<void>;
}

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function requireChromium(): void {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install it with 'apt-get install -y chromium'`);
  }
}

export async function launchChromium(): Promise<LaunchedChromium> {
  requireChromium();
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  return {
    browser,
    close: () => browser.close(),
  };
}

/** A Chromium user profile (not an off-the-record context) with the person's cookie setting. */
export interface ChromiumProfile {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Chromium with a profile of its own in which third-party cookies are blocked or allowed, as a person sets
 * it at chrome://settings/cookies ("Block third-party cookies": the profile preference
 * `profile.cookie_controls_mode` 1, and the older `profile.block_third_party_cookies`). Set explicitly
 * rather than left to the build's default, which has changed between Chromium versions and differs for
 * off-the-record contexts.
 */
export async function launchChromiumProfile(options: {
  thirdPartyCookies: 'block' | 'allow';
}): Promise<ChromiumProfile> {
  requireChromium();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-chromium-'));
  const block = options.thirdPartyCookies === 'block';
  fs.mkdirSync(path.join(dir, 'Default'));
  fs.writeFileSync(
    path.join(dir, 'Default', 'Preferences'),
    JSON.stringify({ profile: { cookie_controls_mode: block ? 1 : 0, block_third_party_cookies: block } }),
  );
  const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: ARGS });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
