/**
 * The one place where an error becomes an HTTP answer, first in the middleware chain. The status comes from
 * `errorOutcome` (shared/errors.ts); API paths get JSON `{ error: { code, message, details } }`, everything
 * else an HTML page in the visitor's language. Routes throw and never format errors themselves. Unexpected
 * errors are logged in full and shown only as a generic message.
 */
import type { Context, Middleware } from 'koa';
import { AppError, ErrorCode, errorOutcome } from '../../shared/errors.js';
import { type Language, messagesFor, pickLanguage } from '../../shared/i18n/messages.js';
import type { Logger } from '../../shared/logger.js';
import type { TemplateRenderer } from '../../shared/mail/render-template.js';
import { noStore } from './security-headers.js';

export interface ErrorHandlerOptions {
  logger: Logger;
  renderer: TemplateRenderer;
  defaultLanguage: Language;
  /** Which requests get JSON. @default paths under /api/ */
  isApi?: (ctx: Context) => boolean;
}

type PageTextKey = keyof ReturnType<typeof messagesFor>['errors'];

/** 5xx errors whose message is written for the caller (it names nothing internal): shown like a 4xx's. */
const PUBLIC_SERVER_ERRORS: ReadonlySet<string> = new Set([ErrorCode.B24_APP_NOT_CONFIGURED]);

function shownMessage(status: number, error: AppError | undefined): boolean {
  return error !== undefined && (status < 500 || PUBLIC_SERVER_ERRORS.has(error.code));
}

/** The localized title and text for an error page. */
function pageTexts(language: Language, status: number, error: AppError | undefined) {
  const errors = messagesFor(language).errors;
  const key: PageTextKey =
    error && error.code in errors ? (error.code as PageTextKey) : status === 404 && !error ? 'NOT_FOUND' : 'GENERIC';
  const texts = errors[key];
  // Specific AppError messages are written for the person who can act; unexpected errors stay generic.
  const detail = key === 'GENERIC' && error && status < 500 ? error.message : undefined;
  return { heading: texts.title, text: detail ?? texts.text };
}

/** The path without long random segments: enrollment and approval URLs carry one-time tokens. */
export function loggablePath(path: string): string {
  return path.replace(/[A-Za-z0-9_-]{24,}/g, '…');
}

/** Creates the error middleware. */
export function errorHandler(options: ErrorHandlerOptions): Middleware {
  const isApi = options.isApi ?? ((ctx: Context) => ctx.path.startsWith('/api/'));

  const respond = (ctx: Context, status: number, error: AppError | undefined) => {
    ctx.status = status;
    noStore(ctx);
    // A limit says when to come back (TOO_MANY_REQUESTS) [RFC 9110 §10.2.3].
    const retryAfter = error?.details?.retryAfterSeconds;
    if (typeof retryAfter === 'number') ctx.set('Retry-After', String(retryAfter));
    if (isApi(ctx)) {
      const code = error?.code ?? (status === 404 ? 'NOT_FOUND' : ErrorCode.INTERNAL);
      const shown = shownMessage(status, error);
      const message = shown && error ? error.message : status === 404 ? 'not found' : 'internal error';
      ctx.body = { error: { code, message, ...(error?.details && shown ? { details: error.details } : {}) } };
      return;
    }
    const language = pickLanguage({
      query: ctx.query.lang,
      acceptLanguage: ctx.get('accept-language'),
      fallback: options.defaultLanguage,
    });
    const { heading, text } = pageTexts(language, status, error);
    try {
      ctx.type = 'html';
      ctx.body = options.renderer.page('message', language, {
        title: heading,
        heading,
        text,
        code: error?.code ?? '',
        cspNonce: (ctx.state.cspNonce as string | undefined) ?? '',
      });
    } catch (renderError) {
      options.logger.error({ error: renderError }, 'the error page could not be rendered');
      ctx.type = 'text';
      ctx.body = `${heading}\n\n${text}\n`;
    }
  };

  return async function handleErrors(ctx, next) {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) respond(ctx, 404, undefined);
    } catch (thrown) {
      const error = thrown instanceof AppError ? thrown : undefined;
      // koa/router errors (e.g. 405, 413 from ctx.throw) carry their own client status.
      const httpStatus = (thrown as { status?: unknown }).status;
      const status =
        !error && typeof httpStatus === 'number' && httpStatus >= 400 && httpStatus < 500
          ? httpStatus
          : errorOutcome(thrown).http;
      const fields = { method: ctx.method, path: loggablePath(ctx.path), status, code: error?.code };
      if (status >= 500) options.logger.error({ ...fields, error: thrown }, 'request failed');
      else options.logger.info({ ...fields, message: error?.message }, 'request refused');
      respond(ctx, status, error);
    }
  };
}
