/**
 * The OTP enrollment page, in three steps so that merely opening the e-mailed link (a mail scanner, a
 * preview pane) reveals nothing that lasts:
 *
 * - `GET /enroll/:token` says whose authenticator the link sets up, until when, and offers "Show my key";
 * - `POST /enroll/:token/key` makes a new secret for the link (each press a new one, replacing the last)
 *   and shows it as a QR code and as text, with the form for the first code;
 * - `POST /enroll/:token` confirms the key shown last with its first code.
 *
 * Both POSTs carry the page's CSRF token (bound to the link) and are checked for their Origin
 * (csrf-guard.ts). Used, expired and unknown links end in the error handler's page, which shows nothing
 * about the secret. Every answer here is no-store: the page shows a secret and must not linger in a cache
 * or the back/forward history.
 */
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { AppError, ErrorCode, errorOutcome } from '../../shared/errors.js';
import { personTimeZone } from '../../shared/i18n/date-time.js';
import { formatDateTime, type Language, messagesFor, pickLanguage } from '../../shared/i18n/messages.js';
import type { TemplateRenderer } from '../../shared/mail/render-template.js';
import type { EnrollmentService, EnrollmentView } from '../../shared/otp/enrollment-service.js';
import { type CsrfTokens, csrfGuard } from '../middleware/csrf-guard.js';
import { formBody } from '../middleware/form-body.js';
import { noStore } from '../middleware/security-headers.js';

export interface EnrollRoutesDeps {
  enrollment: EnrollmentService;
  renderer: TemplateRenderer;
  defaultLanguage: Language;
  /** The app's CSRF tokens and PUBLIC_BASE_URL's origin (csrf-guard.ts). */
  csrf: CsrfTokens;
  origin: string;
  /** IANA time zone for the expiry time on the page. @default the server's */
  timeZone?: string;
}

/** What the CSRF token of a link's forms is bound to. */
export const enrollCsrfBinding = (token: string): string => `enroll:${token}`;

/** The enrollment routes. */
export function enrollRoutes(deps: EnrollRoutesDeps): Router {
  const router = new Router();
  const guard = csrfGuard({
    tokens: deps.csrf,
    origin: deps.origin,
    binding: (ctx) => enrollCsrfBinding(ctx.params.token as string),
  });

  const languageOf = (ctx: Context): Language =>
    pickLanguage({ query: ctx.query.lang, acceptLanguage: ctx.get('accept-language'), fallback: deps.defaultLanguage });

  const common = (
    ctx: Context,
    token: string,
    language: Language,
    view: { login: string; expiresAt: Date; timeZone?: string },
  ) => ({
    title: messagesFor(language).enroll.title,
    cspNonce: ctx.state.cspNonce as string,
    login: view.login,
    expiresText: formatDateTime(
      view.expiresAt,
      language,
      personTimeZone({ account: view.timeZone, service: deps.timeZone }),
    ),
    csrfToken: deps.csrf.tokenFor(enrollCsrfBinding(token)),
  });

  /** The key page (QR code, key, code form); `depth` 1 when the URL is /enroll/:token/key. */
  const renderKey = (ctx: Context, token: string, view: EnrollmentView, depth: 0 | 1, error?: string) => {
    const language = languageOf(ctx);
    const base = depth === 1 ? `../${encodeURIComponent(token)}` : encodeURIComponent(token);
    ctx.type = 'html';
    ctx.body = deps.renderer.page('enroll-key', language, {
      ...common(ctx, token, language, view),
      issuer: view.issuer,
      qrDataUrl: view.qrDataUrl,
      manualSecret: view.manualSecret,
      formToken: view.formToken,
      // Relative, so it also works when the app is mounted under a path prefix.
      formAction: `${base}?lang=${language}`,
      revealAction: `${base}/key?lang=${language}`,
      error: error ?? '',
    });
  };

  router.get('/enroll/:token', async function showEnrollment(ctx) {
    noStore(ctx);
    const token = ctx.params.token as string;
    const language = languageOf(ctx);
    const view = await deps.enrollment.open({ token });
    ctx.type = 'html';
    ctx.body = deps.renderer.page('enroll', language, {
      ...common(ctx, token, language, view),
      revealAction: `${encodeURIComponent(token)}/key?lang=${language}`,
    });
  });

  router.post('/enroll/:token/key', formBody(), guard, async function revealKey(ctx) {
    noStore(ctx);
    const token = ctx.params.token as string;
    renderKey(ctx, token, await deps.enrollment.reveal({ token, clientAddress: ctx.ip }), 1);
  });

  router.post('/enroll/:token', formBody(), guard, async function confirmEnrollment(ctx) {
    noStore(ctx);
    const token = ctx.params.token as string;
    const form = ctx.state.form as URLSearchParams;
    const language = languageOf(ctx);
    const t = messagesFor(language).enroll;
    try {
      const { login } = await deps.enrollment.complete({
        token,
        formToken: form.get('form_token') ?? '',
        code: form.get('code') ?? '',
        clientAddress: ctx.ip,
      });
      ctx.type = 'html';
      ctx.body = deps.renderer.page('enroll-done', language, {
        title: messagesFor(language).done.title,
        cspNonce: ctx.state.cspNonce as string,
        login,
      });
    } catch (error) {
      // A wrong first code, or a form of an older key, is part of the page's flow: the key shown last again.
      const wrong = error instanceof AppError && error.code === ErrorCode.OTP_INVALID;
      const stale = error instanceof AppError && error.details?.reason === 'stale_key';
      if (!wrong && !stale) throw error;
      renderKey(ctx, token, await deps.enrollment.shown({ token }), 0, wrong ? t.wrongCode : t.staleKey);
      ctx.status = errorOutcome(error).http;
    }
  });

  return router;
}
