/**
 * The panel's pages and its two ways in. Both ways serve the same shell (templates/pages/admin.hbs) and the
 * same script (activity/public/admin.js), which renders every page from /api/v1 answers: the pages hold
 * no data and no second implementation of any action. This was chosen over server-rendered pages because
 * the panel inside Bitrix24 must work without cookies — a script that sends the session in a header can,
 * a page that links to other pages cannot — and one client for both ways keeps them identical.
 * - `/admin`: the standalone panel; the session (after sign-in) is an HttpOnly cookie.
 * - `/b24/app` (PLACEMENT=DEFAULT, the app's main page in Bitrix24): after the application token matched,
 *   the posted AUTH_ID says who it is (b24-page-identity.ts: the shared portal-administrator check and
 *   `user.current`); a session is opened in the store and its id handed to the page's script, which sends
 *   it in the X-Panel-Session header (third-party frames may not keep cookies). Administrators get their
 *   portal's panel, everybody else My signing.
 */
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { appUrls } from '../../shared/bitrix24/robot-definition.js';
import type { Portal } from '../../shared/domain/portal.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { ADMIN_TEXTS } from '../../shared/i18n/admin-texts.js';
import { type Language, pickLanguage } from '../../shared/i18n/messages.js';
import type { Logger } from '../../shared/logger.js';
import type { TemplateRenderer } from '../../shared/mail/render-template.js';
import type { EnrollmentService } from '../../shared/otp/enrollment-service.js';
import type { AppDeps } from '../app.js';
import { languageOfLang } from '../b24/b24-ui-deps.js';
import { type CsrfTokens, csrfTokens } from '../middleware/csrf-guard.js';
import { allowFramingBy, portalOrigins } from '../middleware/framed-page.js';
import { noStore } from '../middleware/security-headers.js';
import { adminApi } from './admin-routers.js';
import { readPageIdentity } from './b24-page-identity.js';

/** What the Bitrix24 app page hands over once the portal is known. */
export type OpenPanelFromBitrix24 = (
  ctx: Context,
  page: { portal: Portal; authId: string; lang?: string },
) => Promise<void>;

/** `</script>` and friends cannot end the JSON block early. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

function renderShell(
  renderer: TemplateRenderer,
  ctx: Context,
  o: { language: Language; session: string; assetBase: string; apiBase: string },
): void {
  const texts = ADMIN_TEXTS[o.language];
  noStore(ctx);
  ctx.type = 'html';
  ctx.body = renderer.page('admin', o.language, {
    title: texts.title,
    assetBase: o.assetBase,
    apiBase: o.apiBase,
    session: o.session,
    skip: texts.skip,
    loading: texts.loading,
    noscript: o.language === 'ru' ? 'Для панели управления нужен JavaScript.' : 'The control panel needs JavaScript.',
    textsUrl: `${o.assetBase.replace(/static$/, '')}admin/texts/`,
    textsJson: scriptJson({ [o.language]: texts }),
  });
}

export function adminPanel(o: {
  deps: AppDeps;
  enrollment: EnrollmentService;
  renderer: TemplateRenderer;
  logger: Logger;
  /** @default the tokens of deps.masterKey (the same the app's other pages use) */
  csrf?: CsrfTokens;
}) {
  const { deps } = o;
  const now = deps.now ?? (() => new Date());
  const queue = deps.queue ?? deps.bitrix24?.queue;
  const api = adminApi({
    store: deps.store,
    masterKey: deps.masterKey,
    logger: o.logger,
    now,
    renderer: o.renderer,
    publicBaseUrl: deps.config.publicBaseUrl,
    defaultLanguage: deps.config.defaultLanguage,
    otpIssuer: deps.config.otp.issuer,
    enrollment: o.enrollment,
    dataDir: deps.config.dataDir ?? './data',
    envToken: deps.config.adminToken,
    secureCookies: deps.config.publicBaseUrl.startsWith('https:'),
    csrf: o.csrf ?? csrfTokens(deps.masterKey),
    ...(deps.mailer ? { mailer: deps.mailer } : {}),
    ...(queue ? { queue } : {}),
    workerTokens: deps.config.worker?.tokens ?? [],
    ...(deps.bitrix24
      ? {
          bitrix24: {
            app: deps.bitrix24.app,
            urls: appUrls(deps.config.publicBaseUrl),
            ...(deps.bitrix24.fetch ? { fetch: deps.bitrix24.fetch } : {}),
          },
        }
      : {}),
    ...(deps.operations ? { readiness: deps.operations.health.readiness, metrics: deps.operations.metrics } : {}),
  });

  const pages = new Router();
  pages.get('/admin', async function adminShell(ctx) {
    const language = pickLanguage({
      query: ctx.query.lang,
      acceptLanguage: ctx.get('accept-language'),
      fallback: deps.config.defaultLanguage,
    });
    allowFramingBy(ctx, []);
    renderShell(o.renderer, ctx, { language, session: '', assetBase: 'static', apiBase: 'api/v1' });
  });
  pages.get('/admin/texts/:lang', function adminTexts(ctx) {
    const lang = String(ctx.params.lang).replace(/\.json$/, '');
    if (lang !== 'en' && lang !== 'ru') return;
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = ADMIN_TEXTS[lang];
  });

  const openFromBitrix24: OpenPanelFromBitrix24 = async (ctx, page) => {
    const b24 = deps.bitrix24;
    if (!b24) throw new AppError(ErrorCode.CONFIG_INVALID, 'The Bitrix24 app is not configured (B24_CLIENT_ID)');
    const who = await readPageIdentity(page.portal, page.authId, {
      app: { clientId: b24.app.clientId, policy: b24.app.policy },
      ...(b24.fetch ? { fetch: b24.fetch } : {}),
    });
    const base = {
      memberId: page.portal.memberId,
      userId: who.userId,
      name: who.name,
      ...(who.timeZone ? { timeZone: who.timeZone } : {}),
    };
    const principal = who.admin
      ? ({ kind: 'portal-admin', ...base } as const)
      : ({ kind: 'portal-user', ...base, ...(who.email ? { email: who.email } : {}) } as const);
    const opened = await api.deps.sessions.open(principal, 'active');
    o.logger.info(
      { memberId: base.memberId, userId: who.userId, admin: who.admin },
      'control panel opened from Bitrix24',
    );
    allowFramingBy(ctx, portalOrigins(page.portal));
    const language = languageOfLang(page.lang, deps.config.defaultLanguage);
    renderShell(o.renderer, ctx, { language, session: opened.id, assetBase: '../static', apiBase: '../api/v1' });
  };

  return { middleware: api.middleware, routers: [...api.routers, pages], openFromBitrix24, api };
}
