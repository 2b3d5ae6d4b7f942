/**
 * Test support for the approval page over plain HTTP, as a browser on the page sends its requests (its
 * own origin, the page's CSRF token) and as an attacker would vary them: a robot step that waits for its
 * signer, the link the notices carry (minted exactly as the worker does), the page's form values, and the
 * form POSTs with every part overridable.
 */
import assert from 'node:assert/strict';
import { ROBOT_CODE } from '../../shared/bitrix24/robot-definition.js';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { approvalLinkExpiry, approvalToken, approvalUrl } from '../../shared/sign-requests/approval-link.js';
import type { B24AppFixture } from '../b24app/b24app-fixture.js';
import { makePdf } from '../pipeline/make-pdfs.js';
import type { PortalHandle } from '../support/bitrix24-emulator/index.js';

/** A robot step waiting for `signerUserId`: the deal, the request, its approval link and its event token. */
export interface WaitingStep {
  dealId: number;
  requestId: string;
  request: SignRequest;
  link: string;
  /** The step's `event_token`: its `bizproc.event.send` names it. */
  eventToken: string;
}

/**
 * Runs the robot on a new deal with a `pages`-page PDF (or the bytes of `file`) and waits until the request
 * waits for its signer.
 */
export async function waitingStep(
  fx: B24AppFixture,
  portal: PortalHandle,
  signerUserId: number,
  title: string,
  pages = 3,
  file?: Buffer,
): Promise<WaitingStep> {
  const dealId = fx.deal(portal, title, file ?? (await makePdf(title, pages)));
  const run = await fx.emulator.runRobot(portal, ROBOT_CODE, {
    dealId,
    properties: { signer: `user_${signerUserId}`, message: `Please sign ${title}`, deadline_hours: '48' },
  });
  assert.equal(run.response.status, 200, run.response.body);
  const requestId = fx.requestIdOf(portal, run);
  const request = await fx.waitFor(requestId, (r) => r.state === 'awaiting_signer');
  return { dealId, requestId, request, link: linkOf(fx, request), eventToken: run.eventToken };
}

/** The approval link of `request`, as the notices carry it. */
export function linkOf(fx: B24AppFixture, request: SignRequest): string {
  const token = approvalToken(fx.masterKey, {
    requestId: request.id,
    accountId: request.accountId,
    expiresAt: approvalLinkExpiry(request),
  });
  return approvalUrl(fx.baseUrl, token);
}

/** The page and what its forms carry. */
export async function openPage(link: string): Promise<{ status: number; html: string; csrf: string; cert: string }> {
  const response = await fetch(link);
  const html = await response.text();
  const csrf = /name="csrf_token" value="([^"]*)"/.exec(html)?.[1] ?? '';
  const cert = /<option value="([^"]+)" selected>/.exec(html)?.[1] ?? '';
  return { status: response.status, html, csrf, cert };
}

/**
 * A form POST to `<link>/<action>`; `headers` replace the page's own origin (an empty value drops it). A
 * field given as a list is sent once per value (the batch pages' `id` fields).
 */
export async function postForm(
  link: string,
  action: 'approve' | 'reject' | 'waiting/review' | 'waiting/sign',
  form: Record<string, string | string[]>,
  headers: Record<string, string> = {},
): Promise<Response> {
  const url = new URL(link);
  url.pathname = `${url.pathname}/${action}`;
  const sent: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', origin: url.origin };
  for (const [name, value] of Object.entries(headers)) {
    if (value === '') delete sent[name];
    else sent[name] = value;
  }
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) for (const v of [value].flat()) body.append(name, v);
  return fetch(url, { method: 'POST', redirect: 'manual', headers: sent, body });
}

/** GET `<link>/<path>` (document.pdf, page/N.png, status). */
export function getUnder(link: string, path: string): Promise<Response> {
  const url = new URL(link);
  url.pathname = `${url.pathname}/${path}`;
  url.search = '';
  return fetch(url);
}
