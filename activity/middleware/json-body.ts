/**
 * Reads a small `application/json` body (the Sign dialog's and approval page's script calls) into
 * `ctx.state.json`, refusing other types, bodies over `limit` bytes and anything but a JSON object.
 */
import type { Middleware } from 'koa';
import { AppError, ErrorCode } from '../../shared/errors.js';

/** Parses the body; the route reads `ctx.state.json` (a plain object). */
export function jsonBody(options: { limit?: number } = {}): Middleware {
  const limit = options.limit ?? 16_384;
  return async function readJsonBody(ctx, next) {
    if (!ctx.is('application/json')) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, 'expected a JSON body (application/json)');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of ctx.req) {
      size += (chunk as Buffer).length;
      if (size > limit) throw new AppError(ErrorCode.INVALID_ARGUMENT, `the request is larger than ${limit} bytes`);
      chunks.push(chunk as Buffer);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, 'the request body is not valid JSON');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, 'the request body must be a JSON object');
    }
    ctx.state.json = parsed;
    await next();
  };
}
