/**
 * Reads what Bitrix24 posts (install and app events, robot calls, app pages): an
 * `application/x-www-form-urlencoded` body with PHP bracket keys (reference §1.2, §3), decoded into
 * `ctx.state.b24Form` by shared/bitrix24/form-body.ts. The limits bound what an unauthenticated sender can
 * make us do before the application_token is checked: the body size is refused from Content-Length before
 * reading and again while reading, and the decoder caps fields, depth and name length.
 */
import type { Middleware } from 'koa';
import { type FormLimits, parseFormBody } from '../../shared/bitrix24/form-body.js';
import { AppError, ErrorCode } from '../../shared/errors.js';

/** Reads and decodes the form; the route reads `ctx.state.b24Form`. */
export function bitrix24Form(limits: FormLimits = {}): Middleware {
  const maxBytes = limits.maxBytes ?? 65_536;
  const tooLarge = () =>
    new AppError(ErrorCode.B24_INVALID_PAYLOAD, `the request body is larger than ${maxBytes} bytes`);
  return async function readBitrix24Form(ctx, next) {
    if (!ctx.is('application/x-www-form-urlencoded')) {
      throw new AppError(ErrorCode.B24_INVALID_PAYLOAD, 'expected an application/x-www-form-urlencoded body');
    }
    if (Number(ctx.get('content-length') || 0) > maxBytes) throw tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of ctx.req) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) throw tooLarge();
      chunks.push(chunk as Buffer);
    }
    try {
      ctx.state.b24Form = parseFormBody(Buffer.concat(chunks), { ...limits, maxBytes });
    } catch (error) {
      throw new AppError(ErrorCode.B24_INVALID_PAYLOAD, (error as Error).message, { cause: error });
    }
    await next();
  };
}
