/**
 * Reads an application/x-www-form-urlencoded body (the HTML forms of the app) into `ctx.state.form`,
 * refusing other types and bodies over `limit` bytes before reading them whole.
 */
import type { Middleware } from 'koa';
import { AppError, ErrorCode } from '../../shared/errors.js';

export interface FormBodyOptions {
  /** @default 8192 bytes: our forms hold a code and a token */
  limit?: number;
}

/** Parses the form; the route reads `ctx.state.form` (URLSearchParams). */
export function formBody(options: FormBodyOptions = {}): Middleware {
  const limit = options.limit ?? 8192;
  return async function readFormBody(ctx, next) {
    if (!ctx.is('application/x-www-form-urlencoded')) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, 'expected an HTML form (application/x-www-form-urlencoded)');
    }
    const declared = Number(ctx.get('content-length') || 0);
    if (declared > limit) throw new AppError(ErrorCode.INVALID_ARGUMENT, `the form is larger than ${limit} bytes`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of ctx.req) {
      size += (chunk as Buffer).length;
      if (size > limit) throw new AppError(ErrorCode.INVALID_ARGUMENT, `the form is larger than ${limit} bytes`);
      chunks.push(chunk as Buffer);
    }
    ctx.state.form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    await next();
  };
}
