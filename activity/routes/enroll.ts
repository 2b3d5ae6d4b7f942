/**
 * The OTP enrollment page. GET /enroll/:token shows the QR code, the key for typing in by hand and the
 * FreeOTP steps, with a form for the first code; POST confirms it. Used, expired and unknown links end in
 * the error handler's page, which shows nothing about the secret. Every answer here is no-store: the page
 * shows a secret and must not linger in a cache or the back/forward history.
 */
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { AppError, ErrorCode, errorOutcome } from '../../shared/errors.js';
import { formatDateTime, type Language, messagesFor, pickLanguage } from '../../shared/i18n/messages.js';
import type { TemplateRenderer } from '../../shared/mail/render-template.js';
import type { EnrollmentService } from '../../shared/otp/enrollment-service.js';
import { formBody } from '../middleware/form-body.js';
import { noStore } from '../middleware/security-headers.js';

export interface EnrollRoutesDeps {
  enrollment: EnrollmentService;
  renderer: TemplateRenderer;
  defaultLanguage: Language;
  /** IANA time zone for the expiry time on the page. @default the server's */
  timeZone?: string;
}

/** The enrollment routes. */
export function enrollRoutes(deps: EnrollRoutesDeps): Router {
  const router = new Router();

  const languageOf = (ctx: Context): Language =>
    pickLanguage({ query: ctx.query.lang, acceptLanguage: ctx.get('accept-language'), fallback: deps.defaultLanguage });

  /** Renders the form page for a still valid link, optionally with an error above the form. */
  const renderForm = async (ctx: Context, token: string, error?: string) => {
    const language = languageOf(ctx);
    const view = await deps.enrollment.open({ token });
    ctx.type = 'html';
    ctx.body = deps.renderer.page('enroll', language, {
      title: messagesFor(language).enroll.title,
      cspNonce: ctx.state.cspNonce as string,
      login: view.login,
      issuer: view.issuer,
      qrDataUrl: view.qrDataUrl,
      manualSecret: view.manualSecret,
      expiresText: formatDateTime(view.expiresAt, language, deps.timeZone),
      formToken: view.formToken,
      // Relative, so it also works when the app is mounted under a path prefix.
      formAction: `${encodeURIComponent(token)}?lang=${language}`,
      error: error ?? '',
    });
  };

  router.get('/enroll/:token', async function showEnrollment(ctx) {
    noStore(ctx);
    await renderForm(ctx, ctx.params.token as string);
  });

  router.post('/enroll/:token', formBody(), async function confirmEnrollment(ctx) {
    noStore(ctx);
    const token = ctx.params.token as string;
    const form = ctx.state.form as URLSearchParams;
    const language = languageOf(ctx);
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
      // A wrong first code is part of the page's flow: show the form again with the reason.
      if (!(error instanceof AppError && error.code === ErrorCode.OTP_INVALID)) throw error;
      await renderForm(ctx, token, messagesFor(language).enroll.wrongCode);
      ctx.status = errorOutcome(error).http;
    }
  });

  return router;
}
