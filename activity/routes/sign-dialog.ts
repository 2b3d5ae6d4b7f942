/**
 * The Sign dialog: the handler of the deal card's `CRM_DEAL_DETAIL_TOOLBAR` item (HANDLER `/b24/placement/sign`).
 * Bitrix24 opens it with a browser form POST into its slider iframe (reference §1.3, §5.3). The POST is
 * trusted only after its application_token matched the stored portal (member_id); the user comes from
 * `user.current` with the posted AUTH_ID, and the deal is read with that token too. The page then carries a
 * signed dialog session (dialog-session.ts) for its script's API calls (dialog-api.ts); it lists the deal's
 * files, the signer's usable certificates, the OTP field (or the note that OTP is off), visibility, page and
 * the six positions. Framing is allowed for the portal's origins only.
 */
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { createAccountService } from '../../shared/accounts/account-service.js';
import { parseFormBody } from '../../shared/bitrix24/form-body.js';
import { parseB24Payload, ZPlacementBody, ZPlacementQuery } from '../../shared/bitrix24/payloads.js';
import { verifyApplicationToken } from '../../shared/bitrix24/verify-application-token.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { personTimeZone } from '../../shared/i18n/date-time.js';
import { formatDateTime, type Language, messagesFor } from '../../shared/i18n/messages.js';
import { type B24UiDeps, languageOfLang } from '../b24/b24-ui-deps.js';
import { certificateChoices } from '../b24/certificate-choices.js';
import { dealFileChoices, nameDealFiles } from '../b24/deal-file-choices.js';
import { dialogCsrfBinding, dialogFileKey, dialogSessions } from '../b24/dialog-session.js';
import { readAsPageUser } from '../b24/page-user.js';
import { dialogView } from '../b24/sign-dialog-view.js';
import { allowFramingBy, portalOrigins } from '../middleware/framed-page.js';
import { noStore } from '../middleware/security-headers.js';

/** Deal placements whose PLACEMENT_OPTIONS.ID is the deal id (reference §5.2, §5.3). */
const DEAL_PLACEMENTS = new Set([
  'CRM_DEAL_DETAIL_TOOLBAR',
  'CRM_DEAL_DETAIL_TAB',
  'CRM_DEAL_DETAIL_ACTIVITY',
  'CRM_DEAL_LIST_MENU',
]);

/** The largest placement POST read (Bitrix24 sends a few hundred bytes). */
const MAX_FORM_BYTES = 65_536;

/** Reads the urlencoded POST with PHP bracket semantics. */
export async function readBitrixForm(ctx: Context): Promise<Record<string, unknown>> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw new AppError(ErrorCode.B24_INVALID_PAYLOAD, 'expected the form POST Bitrix24 sends (urlencoded)');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) throw new AppError(ErrorCode.B24_INVALID_PAYLOAD, 'the form is too large');
    chunks.push(chunk as Buffer);
  }
  return parseFormBody(Buffer.concat(chunks), { maxBytes: MAX_FORM_BYTES });
}

function dealIdOf(placement: string, options: Record<string, unknown>): number {
  const raw = options.ID ?? options.ENTITY_ID;
  const id = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!DEAL_PLACEMENTS.has(placement) || !Number.isSafeInteger(id) || id <= 0) {
    throw new AppError(ErrorCode.B24_INVALID_PAYLOAD, `The Sign dialog opens from a deal card (got ${placement})`);
  }
  return id;
}

function renderNoAccount(deps: B24UiDeps, ctx: Context, language: Language, userName: string): void {
  const t = messagesFor(language).dialog;
  ctx.status = 403;
  ctx.type = 'html';
  ctx.body = deps.renderer.page('b24-message', language, {
    title: t.noAccountTitle,
    heading: t.noAccountTitle,
    text: t.noAccount.replace('{user}', userName),
    cspNonce: ctx.state.cspNonce as string,
  });
}

/** POST /b24/placement/sign */
export function signDialogRoutes(deps: B24UiDeps): Router {
  const router = new Router();
  const sessions = dialogSessions(deps.masterKey);
  const accounts = createAccountService({ store: deps.store, now: deps.now, logger: deps.logger });

  router.post('/b24/placement/sign', async function openSignDialog(ctx) {
    noStore(ctx);
    const form = await readBitrixForm(ctx);
    const query = parseB24Payload(ZPlacementQuery, { ...ctx.query }, 'placement query');
    const body = parseB24Payload(ZPlacementBody, form, 'placement request');
    const portal = await verifyApplicationToken(deps.store.portals, body.member_id, body.APPLICATION_TOKEN);
    allowFramingBy(ctx, portalOrigins(portal));
    const language = languageOfLang(query.LANG, deps.defaultLanguage);
    const dealId = dealIdOf(body.PLACEMENT, body.PLACEMENT_OPTIONS);
    const { user, deal } = await readAsPageUser(portal, body.AUTH_ID, dealId, deps.fetch ? { fetch: deps.fetch } : {});
    const account = await accounts.findForBitrixUser({
      memberId: portal.memberId,
      userId: user.id,
      ...(user.email ? { email: user.email } : {}),
    });
    if (!account || account.status === 'disabled') {
      renderNoAccount(deps, ctx, language, user.name);
      return;
    }
    const timeZone = personTimeZone({ bitrix: user.timeZone, account: account.timeZone, service: deps.timeZone });
    const now = deps.now();
    const [files, certificates] = await Promise.all([
      dealFileChoices(deps.b24.client, portal.memberId, deal, language).then(async (found) => ({
        title: found.title,
        files: await nameDealFiles(deps.b24.client, portal.memberId, found.files),
      })),
      certificateChoices(deps.store, deps.keys, account, now),
    ]);
    const pdfFiles = files.files.filter((f) => f.kind === 'pdf').map((f) => dialogFileKey(f.fieldCode, f.fileId));
    const session = sessions.issue(
      { memberId: portal.memberId, bitrixUserId: user.id, dealId, accountId: account.id, language, timeZone, pdfFiles },
      now,
    );
    deps.logger.info(
      { memberId: portal.memberId, bitrixUserId: user.id, dealId, accountId: account.id, files: files.files.length },
      'sign dialog opened',
    );
    ctx.type = 'html';
    ctx.body = deps.renderer.page('sign-dialog', language, {
      ...dialogView({
        language,
        session: session.token,
        dealId,
        dealTitle: files.title,
        userName: user.name,
        account,
        files: files.files,
        certificates,
        formatDate: (d) => formatDateTime(d, language, timeZone),
      }),
      csrfToken: deps.csrf.tokenFor(dialogCsrfBinding(session.token)),
      script: 'sign-dialog.js',
      cspNonce: ctx.state.cspNonce as string,
    });
  });

  return router;
}
