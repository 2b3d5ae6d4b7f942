/**
 * The control panel as Bitrix24 shows it, for the in-Bitrix24 browser test: the app's frame on the portal's
 * page, a cookie probe run in that frame, admin API calls made from it as the panel's script makes them
 * (session header, CSRF token), and the admin operations listed from the OpenAPI document (which the
 * security test proves equal to the router).
 */
import assert from 'node:assert/strict';
import type { Frame, Page } from 'playwright-core';

export type Operation = { method: string; path: string; authority: string };
export type FrameAnswer = { status: number; text: string };

/** A cookie set in the frame as a third party would: unpartitioned, and partitioned (CHIPS) for control. */
export async function cookieProbe(frame: Frame): Promise<{ unpartitioned: boolean; partitioned: boolean }> {
  return frame.evaluate(() => {
    // biome-ignore lint/suspicious/noDocumentCookie: the probe is what any script in a third-party frame does
    document.cookie = 'probe-3p=1; SameSite=None; Secure; Path=/';
    // biome-ignore lint/suspicious/noDocumentCookie: the partitioned control of the same probe
    document.cookie = 'probe-chips=1; SameSite=None; Secure; Path=/; Partitioned';
    return {
      unpartitioned: document.cookie.includes('probe-3p=1'),
      partitioned: document.cookie.includes('probe-chips=1'),
    };
  });
}

/** Calls the admin API from the panel's frame, as its script does: the session header and CSRF token. */
export async function callFromFrame(frame: Frame, method: string, path: string, body?: unknown): Promise<FrameAnswer> {
  return frame.evaluate(
    async ({ method, path, body }) => {
      const panel = document.getElementById('panel') as HTMLElement;
      const headers: Record<string, string> = {
        Accept: 'application/json',
        'X-Panel-Session': panel.dataset.session ?? '',
      };
      const session = await fetch('/api/v1/session', { headers });
      headers['X-CSRF-Token'] = ((await session.json()) as { csrfToken?: string }).csrfToken ?? '';
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: r.status, text: await r.text() };
    },
    { method, path, body },
  );
}

/** The app's frame on the portal page, as drawn now. */
export async function openedFrame(page: Page): Promise<Frame> {
  const frame = page.frames().find((f) => new URL(f.url()).pathname === '/b24/app');
  assert.ok(frame, 'the app is in the portal’s frame');
  return frame;
}

/** Opens the emulator's launcher of the app page; returns the app's frame once the panel has drawn. */
export async function openAppPage(on: Page, launcherUrl: string): Promise<Frame> {
  await on.goto(launcherUrl);
  await on.frameLocator('#app-frame').locator('main h1').waitFor({ timeout: 60_000 });
  return openedFrame(on);
}

/** The admin API's operations, from the service's OpenAPI document. */
export async function adminOperations(serviceUrl: string): Promise<Operation[]> {
  const doc = (await (await fetch(`${serviceUrl}/api/v1/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { 'x-authority': string }>>;
  };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, authority: op['x-authority'] })),
  );
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
