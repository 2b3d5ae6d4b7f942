/**
 * Opening an approval link (shared/sign-requests/approval-link.ts) for a route under /b24/approve/:token: the
 * token's MAC, the request it names (which must still belong to the account it names and be a Bitrix24
 * request), whether its deadline has passed, the page's language, and framing by the request's portal.
 * The approval page and the signer's "Waiting for me" list both start here: the link proves the signer.
 */
import type { Context } from 'koa';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { pickLanguage } from '../../shared/i18n/messages.js';
import { readApprovalToken } from '../../shared/sign-requests/approval-link.js';
import { allowFramingBy, portalOrigins } from '../middleware/framed-page.js';
import { noStore } from '../middleware/security-headers.js';
import type { B24UiDeps } from './b24-ui-deps.js';
import type { OpenedLink } from './opened-link.js';

/** The request behind the link of `ctx.params.token`, after the link's own checks. */
export async function openApprovalLink(deps: B24UiDeps, ctx: Context): Promise<OpenedLink> {
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
