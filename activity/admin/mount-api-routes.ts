/**
 * Turns route declarations into a koa router: for every route, in this order, authorization from its
 * declared authority, input validation from its zod schemas (400 INVALID_ARGUMENT with the issues), the
 * handler, and the answer passed through the declared response schema, which drops every key the schema
 * does not name — a secret a service function happens to return never leaves.
 */
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { readAdminSettings } from '../../shared/admin/admin-settings.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { Store } from '../../shared/store/store-ports.js';
import { jsonBody } from '../middleware/json-body.js';
import { noStore } from '../middleware/security-headers.js';
import type { AdminRequestAuth } from './admin-auth.js';
import { type ApiRoute, isDownload, type RawAnswer } from './api-route.js';
import { authorize } from './authorize.js';

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    const first = issues[0];
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `Invalid ${where}${first ? `: ${first.path ? `${first.path}: ` : ''}${first.message}` : ''}`,
      { details: { issues } },
    );
  }
  return result.data;
}

function sendRaw(ctx: Context, answer: RawAnswer): void {
  ctx.type = answer.contentType;
  ctx.attachment(answer.filename);
  ctx.body = answer.raw;
}

/** Settings do not matter when nobody is signed in (public routes, or the 401). */
const NO_SETTINGS = { portalAdminsManageCertificates: false, selfServiceEnrollment: false };

function handlerOf(route: ApiRoute, store: Store) {
  return async function apiRoute(ctx: Context) {
    noStore(ctx);
    const auth = ctx.state.admin as AdminRequestAuth | undefined;
    const caller =
      route.authority === 'public' || !auth?.principal
        ? authorize(route.authority, auth?.principal, NO_SETTINGS)
        : authorize(route.authority, auth.principal, await readAdminSettings(store));
    const input = {
      params: parse(route.params, ctx.params, 'path'),
      query: parse(route.query, { ...ctx.query }, 'query'),
      body: parse(route.body, ctx.state.json, 'request body'),
      caller,
      ctx,
    };
    const result = await route.handler(input);
    if (isDownload(route.response)) {
      sendRaw(ctx, result as RawAnswer);
      return;
    }
    ctx.status = route.status ?? 200;
    ctx.body = route.status === 204 ? undefined : (route.response as z.ZodType).parse(result);
  };
}

/** Koa's router wants lower-case method names. */
const VERB = { GET: 'get', POST: 'post', PUT: 'put', PATCH: 'patch', DELETE: 'delete' } as const;

/** The router of `routes` (paths are absolute: /api/v1/...). */
export function mountApiRoutes(routes: readonly ApiRoute[], deps: { store: Store }): Router {
  const router = new Router();
  for (const route of routes) {
    const middleware = route.body
      ? [jsonBody({ limit: 65_536 }), handlerOf(route, deps.store)]
      : [handlerOf(route, deps.store)];
    router[VERB[route.method]](route.path, ...middleware);
  }
  return router;
}

/** The common error answer, for the OpenAPI document. */
export const ZErrorAnswer = z.object({
  error: z.object({
    code: z.string().describe('One of the error codes (shared/errors.ts)'),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
