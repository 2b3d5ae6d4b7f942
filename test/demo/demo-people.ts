/**
 * What the people of the demo do, over HTTP exactly as their browsers would: Mary sets up her authenticator
 * from the enrollment page (the key read from the page, codes computed the way FreeOTP computes them), signs
 * from the Sign dialog (the placement POST Bitrix24 sends, then the dialog's own API calls), and Peter
 * approves a robot step on the approval page from the link in his e-mail.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { simpleParser } from 'mailparser';
import * as OTPAuth from 'otpauth';

/** An authenticator app: a code per 30-second step, never the same step twice. */
export class Authenticator {
  #lastStep = 0;
  constructor(private readonly totp: OTPAuth.TOTP) {}

  /** The code of the next unused step the service accepts now (RFC 6238 §5.2: ±1 step, no replay). */
  code(): string {
    const now = Math.floor(Date.now() / 30_000);
    this.#lastStep = Math.max(this.#lastStep + 1, now - 1);
    return this.totp.generate({ timestamp: this.#lastStep * 30_000 });
  }
}

function pick(html: string, pattern: RegExp, what: string): string {
  const found = pattern.exec(html)?.[1];
  if (!found) throw new Error(`the page has no ${what}`);
  return found.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=');
}

/** A form POST as a browser sends it from one of the service's pages: with the page's origin. */
function postForm(url: URL | string, form: Record<string, string>, init: RequestInit = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    ...init,
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(url).origin },
    body: new URLSearchParams(form),
  });
}

/**
 * Opens the enrollment link, presses "Show my key", reads the key like a person typing it into FreeOTP,
 * confirms with a code.
 */
export async function enrollLikeFreeOtp(link: string): Promise<Authenticator> {
  const landing = await (await fetch(link)).text();
  const reveal = new URL(pick(landing, /<form method="post" action="([^"]+)"/, 'key form'), link);
  const shown = await postForm(reveal, { csrf_token: pick(landing, /name="csrf_token" value="([^"]+)"/, 'token') });
  const page = await shown.text();
  const key = pick(page, /id="otp-key">([A-Z2-7 ]+)</, 'manual key').replace(/\s+/g, '');
  const formToken = pick(page, /name="form_token" value="([^"]+)"/, 'form token');
  const csrf = pick(page, /name="csrf_token" value="([^"]+)"/, 'CSRF token');
  const action = new URL(pick(page, /<form method="post" action="([^"]+)"/, 'form'), reveal);
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(key), algorithm: 'SHA1', digits: 6, period: 30 });
  const app = new Authenticator(totp);
  const answer = await postForm(action, { csrf_token: csrf, form_token: formToken, code: app.code() });
  const done = await answer.text();
  if (answer.status !== 200 || !done.includes('id="enroll-done"'))
    throw new Error(`enrollment failed (${answer.status})`);
  return app;
}

/** What the Sign dialog page offers, read from its HTML. */
export interface DialogPage {
  session: string;
  /** The page's CSRF token for its API calls. */
  csrf: string;
  files: string[];
  certificates: string[];
}

/** Reads the dialog page the placement POST answered. */
export function readDialogPage(html: string): DialogPage {
  const session = pick(html, /data-session="([^"]+)"/, 'dialog session');
  const csrf = pick(html, /data-csrf="([^"]+)"/, 'CSRF token');
  const options = (id: string) => {
    const select = new RegExp(`<select id="${id}"[^>]*>([\\s\\S]*?)</select>`).exec(html)?.[1] ?? '';
    return [...select.matchAll(/<option value="([^"]+)"/g)].map((m) => m[1] as string);
  };
  // The files are check boxes (one or several are signed with one code); the certificates a select.
  const files = [...html.matchAll(/<input type="checkbox" name="file" value="([^"]+)"/g)].map((m) => m[1] as string);
  return { session, csrf, files, certificates: options('sign-cert') };
}

/** Signs through the dialog's API and follows the request to its end; returns the final status. */
export async function signFromDialog(
  base: string,
  dialog: Pick<DialogPage, 'session' | 'csrf'>,
  body: Record<string, unknown>,
): Promise<{ id: string; state: string; failure?: { code: string; message: string }; signedFileUrl?: string }> {
  // What the dialog's script sends: the session, the page's CSRF token, and (the browser adds it) its origin.
  const headers = {
    'content-type': 'application/json',
    'x-dialog-session': dialog.session,
    'x-csrf-token': dialog.csrf,
    origin: new URL(base).origin,
  };
  const created = await fetch(`${base}/b24/dialog/sign`, { method: 'POST', headers, body: JSON.stringify(body) });
  const first = (await created.json()) as { id?: string; error?: { code: string; message: string } };
  if (created.status !== 202 || !first.id) throw new Error(`the dialog refused: ${JSON.stringify(first.error)}`);
  let state = 'approved';
  for (let i = 0; i < 100; i++) {
    const status = await fetch(`${base}/b24/dialog/status/${first.id}?after=${state}`, { headers });
    const s = (await status.json()) as { id: string; state: string; failure?: { code: string; message: string } };
    state = s.state;
    if (['completed', 'failed', 'rejected', 'expired'].includes(state)) return s;
  }
  throw new Error(`request ${first.id} did not finish`);
}

/** Waits for an e-mail to `to` in the outbox folder and returns its text part. */
export async function waitForMail(
  outbox: string,
  to: string,
  timeoutMs = 20_000,
): Promise<{ subject: string; text: string; file: string }> {
  const until = Date.now() + timeoutMs;
  const seen = new Set<string>();
  while (Date.now() < until) {
    const names = fs.existsSync(outbox) ? fs.readdirSync(outbox).filter((n) => n.endsWith('.eml')) : [];
    for (const name of names.filter((n) => !seen.has(n))) {
      seen.add(name);
      const file = path.join(outbox, name);
      const mail = await simpleParser(fs.readFileSync(file));
      const address = Array.isArray(mail.to) ? undefined : mail.to?.value[0]?.address;
      if (address === to) return { subject: mail.subject ?? '', text: mail.text ?? '', file };
    }
    await sleep(200);
  }
  throw new Error(`no e-mail to ${to} in ${outbox}`);
}

/** Opens the approval link, picks the preselected certificate, approves with a code. */
export async function approveOnPage(link: string, code: string): Promise<void> {
  const page = await (await fetch(link)).text();
  const cert = pick(page, /<option value="([^"]+)" selected>/, 'preselected certificate');
  const csrf = pick(page, /name="csrf_token" value="([^"]+)"/, 'CSRF token');
  const url = new URL(link);
  url.pathname = `${url.pathname}/approve`;
  const answer = await postForm(url, { csrf_token: csrf, cert, otp: code }, { redirect: 'manual' });
  if (answer.status !== 303) throw new Error(`the approval was refused (${answer.status})`);
}
