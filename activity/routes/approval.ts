/**
 * The approval page of a robot step, at the link the signer gets by e-mail and Bitrix24 notification
 * (shared/sign-requests/approval-link.ts: bound to the request and the signer's account, valid until the
 * step's deadline). GET shows the deal, the workflow's message, a preview of the pages and two forms:
 * approve & sign (certificate, one-time code) or reject with a reason; both are plain form POSTs answered
 * by a redirect to the page (post/redirect/get), or by the page again with the reason when the code or the
 * certificate was refused. A request that is no longer waiting shows its outcome only. Framing is allowed
 * for the portal's origins, so the page works inside Bitrix24 and from the e-mail alike.
 */
import { Router } from '@koa/router';
import type { Context } from 'koa';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { AppError, ErrorCode, errorOutcome } from '../../shared/errors.js';
import { formatDateTime, type Language, pickLanguage } from '../../shared/i18n/messages.js';
import { readApprovalToken } from '../../shared/sign-requests/approval-link.js';
import { approveSignRequest, rejectSignRequest } from '../../shared/sign-requests/approve-sign-request.js';
import { type ApprovalDocuments, approvalDocuments } from '../b24/approval-documents.js';
import { approvalView } from '../b24/approval-view.js';
import type { B24UiDeps } from '../b24/b24-ui-deps.js';
import { certificateChoices } from '../b24/certificate-choices.js';
import { dialogErrorText } from '../b24/dialog-error-text.js';
import { formBody } from '../middleware/form-body.js';
import { allowFramingBy, portalOrigins } from '../middleware/framed-page.js';
import { noStore } from '../middleware/security-headers.js';

/** Refusals the signer can correct on the page (another code, another certificate). */
const CORRECTABLE = new Set<string>([
  ErrorCode.OTP_INVALID,
  ErrorCode.OTP_REPLAYED,
  ErrorCode.OTP_LOCKED,
  ErrorCode.CERT_EXPIRED,
  ErrorCode.CERT_REVOKED,
  ErrorCode.CERT_NOT_YET_VALID,
  ErrorCode.CERT_UNKNOWN,
  ErrorCode.GRANT_MISSING,
  ErrorCode.INVALID_ARGUMENT,
]);

interface Opened {
  token: string;
  request: SignRequest;
  usable: boolean;
  language: Language;
}

/** The request behind the link, after the link's own checks; frames the answer for its portal. */
async function openLink(deps: B24UiDeps, ctx: Context): Promise<Opened> {
  noStore(ctx);
  const token = ctx.params.token as string;
  const link = readApprovalToken(deps.masterKey, token, deps.now());
  const request = await deps.store.signRequests.get(link.requestId);
  if (!request || request.accountId !== link.accountId || request.document.kind !== 'bitrix24') {
    throw new AppError(ErrorCode.SIGN_REQUEST_NOT_FOUND, 'This approval link names no request of yours');
  }
  const portal = await deps.store.portals.get(request.document.memberId);
  if (portal) allowFramingBy(ctx, portalOrigins(portal));
  const account = await deps.store.accounts.get(request.accountId);
  const language = pickLanguage({
    query: ctx.query.lang,
    acceptLanguage: ctx.get('accept-language'),
    fallback: account?.language ?? deps.defaultLanguage,
  });
  return { token, request, usable: link.usable, language };
}

/** The page; `depth` is how many path segments below /b24/approve/:token the current URL is. */
async function renderPage(
  deps: B24UiDeps,
  docs: ApprovalDocuments,
  ctx: Context,
  opened: Opened,
  depth: number,
  error?: string,
) {
  const { request, language } = opened;
  const account = await deps.store.accounts.get(request.accountId);
  const now = deps.now();
  const open = opened.usable && request.state === 'awaiting_signer';
  const [dealTitle, certificates, preview] = await Promise.all([
    docs.dealTitle(request),
    open && account ? certificateChoices(deps.store, deps.keys, account, now) : Promise.resolve([]),
    open ? docs.preview(request) : Promise.resolve(undefined),
  ]);
  const up = '../'.repeat(depth);
  ctx.type = 'html';
  ctx.body = deps.renderer.page('approval', language, {
    ...approvalView({
      language,
      request,
      account,
      usable: opened.usable,
      dealTitle,
      signerName: account ? account.description || account.login : '',
      certificates,
      preview,
      ...(error ? { error } : {}),
      formatDate: (d) => formatDateTime(d, language, deps.timeZone),
    }),
    selfBase: `${up}${encodeURIComponent(opened.token)}`,
    assetBase: `${up}../../static`,
    script: 'approval.js',
    cspNonce: ctx.state.cspNonce as string,
  });
}

/** The approval routes. */
export function approvalRoutes(deps: B24UiDeps): Router {
  const router = new Router({ prefix: '/b24/approve/:token' });
  const docs = approvalDocuments(deps);
  const actor = (request: SignRequest) => ({
    role: 'signer',
    ...(request.robot ? { memberId: request.robot.memberId, userId: request.robot.signerUserId } : {}),
  });

  router.get('/', async function showApproval(ctx) {
    await renderPage(deps, docs, ctx, await openLink(deps, ctx), 0);
  });

  router.post('/approve', formBody(), async function approve(ctx) {
    const opened = await openLink(deps, ctx);
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
      if (!(error instanceof AppError && CORRECTABLE.has(error.code))) throw error;
      const current = (await deps.store.signRequests.get(opened.request.id)) ?? opened.request;
      await renderPage(deps, docs, ctx, { ...opened, request: current }, 1, dialogErrorText(opened.language, error));
      ctx.status = errorOutcome(error).http;
      return;
    }
    ctx.status = 303;
    ctx.redirect(`../${encodeURIComponent(opened.token)}?lang=${opened.language}`);
  });

  router.post('/reject', formBody(), async function reject(ctx) {
    const opened = await openLink(deps, ctx);
    const form = ctx.state.form as URLSearchParams;
    await rejectSignRequest({
      store: deps.store,
      queue: deps.queue,
      requestId: opened.request.id,
      reason: form.get('reason') ?? '',
      actor: actor(opened.request),
      now: deps.now,
    });
    ctx.status = 303;
    ctx.redirect(`../${encodeURIComponent(opened.token)}?lang=${opened.language}`);
  });

  router.get('/status', async function approvalStatus(ctx) {
    const { request } = await openLink(deps, ctx);
    ctx.body = { state: request.state };
  });

  router.get('/document.pdf', async function downloadDocument(ctx) {
    const { request } = await openLink(deps, ctx);
    ctx.type = 'application/pdf';
    ctx.attachment(`deal-${request.document.kind === 'bitrix24' ? request.document.entityId : ''}.pdf`);
    ctx.body = await docs.bytes(request);
  });

  router.get('/page/:page.png', async function pageImage(ctx) {
    const { request } = await openLink(deps, ctx);
    const page = Number(ctx.params.page);
    if (!Number.isSafeInteger(page) || page < 1) throw new AppError(ErrorCode.INVALID_ARGUMENT, 'no such page');
    ctx.type = 'image/png';
    ctx.body = await docs.pagePng(request, page);
  });

  return router;
}
