/**
 * One declaration per admin API route: method, path, the authority it requires, its zod schemas and its
 * handler. From this single declaration come the router (validation, authorization, output filtering),
 * the OpenAPI document and the tests that walk the routes. `authority` is a required field: a route cannot
 * be declared without saying who may call it (STYLE §6).
 */
import type { Context } from 'koa';
import type { z } from 'zod';
import type { Principal } from '../../shared/domain/admin-principal.js';
import type { SignLogActor } from '../../shared/domain/sign-log-entry.js';

/**
 * Who may call a route (DESIGN §3):
 * - `public`: nobody needs to be signed in (sign-in itself, the OpenAPI document);
 * - `self`: any signed-in principal; the handler shows only what is theirs (My signing);
 * - `read`: operators, API tokens of either scope, portal administrators (their portal only);
 * - `write`: operators, admin-scoped API tokens, portal administrators (their portal only);
 * - `shared-write`: changes to what all portals share (internal CA, certificates): operators and unscoped
 *   admin tokens; portal administrators and portal-scoped admin tokens only when the operator allowed it;
 * - `operator`: operators only (API tokens, settings).
 */
export const AUTHORITIES = ['public', 'self', 'read', 'write', 'shared-write', 'operator'] as const;
export type Authority = (typeof AUTHORITIES)[number];

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The caller as authorization established it. */
export interface Caller {
  principal: Principal;
  /** The one portal the caller is confined to; undefined = every portal. */
  portal: string | undefined;
  /** How the sign log names the caller. */
  actor: SignLogActor;
  /** Whether the caller may change what all portals share (certificates, the internal CA). */
  mayChangeShared: boolean;
}

/** A download (CSV, PEM, CRL): the handler returns bytes and a file name instead of JSON. */
export interface RawAnswer {
  raw: string | Buffer;
  contentType: string;
  filename: string;
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** Undefined only on `public` routes. */
  caller: Caller | undefined;
  ctx: Context;
}

export interface ApiRouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType> {
  method: HttpMethod;
  /** Koa path under /api/v1, with `:name` parameters. */
  path: string;
  authority: Authority;
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** The JSON answer (unknown keys are stripped before sending: nothing undeclared leaves), or a download. */
  response: R | { download: string };
  /** @default 200 */
  status?: number;
  handler(input: RouteInput<z.output<P>, z.output<Q>, z.output<B>>): Promise<z.input<R> | RawAnswer>;
}

/** A declared route with its types erased, as the router and the OpenAPI builder see it. */
export interface ApiRoute {
  method: HttpMethod;
  path: string;
  authority: Authority;
  summary: string;
  tag: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  response: z.ZodType | { download: string };
  status?: number;
  handler(input: RouteInput<unknown, unknown, unknown>): Promise<unknown>;
}

/** Declares a route; the generic parameters type the handler's input from the schemas. */
export function defineRoute<
  P extends z.ZodType = z.ZodType<Record<string, never>>,
  Q extends z.ZodType = z.ZodType<Record<string, never>>,
  B extends z.ZodType = z.ZodType<undefined>,
  R extends z.ZodType = z.ZodType,
>(spec: ApiRouteSpec<P, Q, B, R>): ApiRoute {
  return spec as unknown as ApiRoute;
}

export function isDownload(response: ApiRoute['response']): response is { download: string } {
  return typeof response === 'object' && response !== null && 'download' in response;
}
