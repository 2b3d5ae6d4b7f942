/**
 * The approval page of a robot step, at the link the signer gets by e-mail and Bitrix24 notification
 * (shared/sign-requests/approval-link.ts: bound to the request and the signer's account, valid until the
 * step's deadline). GET shows the deal, the workflow's message, a preview of the pages and two forms:
 * approve & sign (certificate, one-time code) or reject with a reason and the one-time code — every decision
 * needs the code. Both are plain form POSTs carrying the page's CSRF token, checked with their Origin
 * (csrf-guard.ts), answered by a redirect to the page (post/redirect/get), or by the page again with the
 * reason when the code or the certificate was refused. A request that is no longer waiting, or whose link
 * has expired, shows its outcome only: its document and page images answer 410 and are never fetched again.
 * The status route is a long poll under the per-link and total limits (poll-slots.ts). Framing is allowed
 * for the portal's origins, so the page works inside Bitrix24 and from the e-mail alike.
 */
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { SIGN_REQUEST_STATES, type SignRequest } from '../../shared/domain/sign-request.js';
import { AppError, ErrorCode, errorOutcome } from '../../shared/errors.js';
import { messagesFor } from '../../shared/i18n/messages.js';
import { approveSignRequest, rejectSignRequest } from '../../shared/sign-requests/approve-sign-request.js';
import { approvalDocuments } from '../b24/approval-documents.js';
import { type ApprovalPage, approvalPage, zoneOf } from '../b24/approval-page.js';
import type { B24UiDeps } from '../b24/b24-ui-deps.js';
import { CORRECTABLE_REFUSALS } from '../b24/correctable-refusals.js';
import { dialogErrorText } from '../b24/dialog-error-text.js';
import { openApprovalLink } from '../b24/open-approval-link.js';
import { approvalCsrfBinding, isOpen, type OpenedLink } from '../b24/opened-link.js';
import { clientGone, waitForStateChange } from '../b24/request-long-poll.js';
import { csrfGuard } from '../middleware/csrf-guard.js';
import { formBody } from '../middleware/form-body.js';

/** The link, refused with APPROVAL_CLOSED (410) once it may show only the outcome. */
async function openForDocument(deps: B24UiDeps, ctx: Context): Promise<OpenedLink> {
  const opened = await openApprovalLink(deps, ctx);
  if (!isOpen(opened)) {
    throw new AppError(
      ErrorCode.APPROVAL_CLOSED,
      'This request was decided or has expired; its approval link shows only the outcome',
    );
  }
  return opened;
}

/** Re-shows the page with the reason when the signer can correct the answer; rethrows anything else. */
async function showCorrectable(
  deps: B24UiDeps,
  page: ApprovalPage,
  ctx: Context,
  opened: OpenedLink,
  error: unknown,
  form: 'approve' | 'reject',
) {
  if (!(error instanceof AppError && CORRECTABLE_REFUSALS.has(error.code))) throw error;
  const current = (await deps.store.signRequests.get(opened.request.id)) ?? opened.request;
  const zone = zoneOf(deps, current, await deps.store.accounts.get(current.accountId));
  const button = messagesFor(opened.language).approval[form];
  await page.render(ctx, { ...opened, request: current }, 1, {
    text: dialogErrorText(opened.language, error, zone, button),
    form,
  });
  ctx.status = errorOutcome(error).http;
}

/** The approval routes. */
export function approvalRoutes(deps: B24UiDeps): Router {
  const router = new Router({ prefix: '/b24/approve/:token' });
  const docs = approvalDocuments(deps);
  const page = approvalPage(deps, docs);
  const guard = csrfGuard({
    tokens: deps.csrf,
    origin: deps.origin,
    binding: (ctx) => approvalCsrfBinding(ctx.params.token as string),
  });
  const actor = (request: SignRequest) => ({
    role: 'signer',
    ...(request.robot ? { memberId: request.robot.memberId, userId: request.robot.signerUserId } : {}),
  });
  const back = (ctx: Context, opened: OpenedLink) => {
    ctx.status = 303;
    ctx.redirect(`../${encodeURIComponent(opened.token)}?lang=${opened.language}`);
  };

  router.get('/', async function showApproval(ctx) {
    await page.render(ctx, await openApprovalLink(deps, ctx), 0);
  });

  router.post('/approve', formBody(), guard, async function approve(ctx) {
    const opened = await openApprovalLink(deps, ctx);
    const form = ctx.state.form as URLSearchParams;
    try {
      await approveSignRequest({
        store: deps.store,
        queue: deps.queue,
        keys: deps.keys,
        authorizer: deps.authorizer,
        requestId: opened.request.id,
        otp: form.get('otp') ?? undefined,
        ...(form.get('cert') ? { certId: form.get('cert') as string } : {}),
        actor: actor(opened.request),
        clientAddress: ctx.ip,
        now: deps.now,
      });
    } catch (error) {
      await showCorrectable(deps, page, ctx, opened, error, 'approve');
      return;
    }
    back(ctx, opened);
  });

  router.post('/reject', formBody(), guard, async function reject(ctx) {
    const opened = await openApprovalLink(deps, ctx);
    const form = ctx.state.form as URLSearchParams;
    try {
      await rejectSignRequest({
        store: deps.store,
        queue: deps.queue,
        requestId: opened.request.id,
        reason: form.get('reason') ?? '',
        actor: actor(opened.request),
        now: deps.now,
        authorization: { authorizer: deps.authorizer, otp: form.get('otp') ?? undefined, clientAddress: ctx.ip },
      });
    } catch (error) {
      await showCorrectable(deps, page, ctx, opened, error, 'reject');
      return;
    }
    back(ctx, opened);
  });

  router.get('/status', async function approvalStatus(ctx) {
    const opened = await openApprovalLink(deps, ctx);
    const after = typeof ctx.query.after === 'string' ? ctx.query.after : undefined;
    if (after === undefined || !(SIGN_REQUEST_STATES as readonly string[]).includes(after)) {
      ctx.body = { state: opened.request.state };
      return;
    }
    const release = deps.polls.acquire(approvalCsrfBinding(opened.token));
    try {
      const load = async () => (await deps.store.signRequests.get(opened.request.id)) ?? opened.request;
      ctx.body = { state: (await waitForStateChange(load, after, clientGone(ctx))).state };
    } finally {
      release();
    }
  });

  router.get('/document.pdf', async function downloadDocument(ctx) {
    const { request } = await openForDocument(deps, ctx);
    const bytes = await docs.bytes(request);
    ctx.type = 'application/pdf';
    ctx.attachment(`deal-${request.document.kind === 'bitrix24' ? request.document.entityId : ''}.pdf`);
    ctx.body = bytes;
  });

  router.get('/page/:page.png', async function pageImage(ctx) {
    const { request } = await openForDocument(deps, ctx);
    const number = Number(ctx.params.page);
    if (!Number.isSafeInteger(number) || number < 1) throw new AppError(ErrorCode.INVALID_ARGUMENT, 'no such page');
    const png = await docs.pagePng(request, number);
    ctx.type = 'image/png';
    ctx.body = png;
  });

  return router;
}
