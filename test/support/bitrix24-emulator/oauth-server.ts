/**
 * The OAuth server (cloud: oauth.bitrix.info / oauth.bitrix24.tech) [bitrix24.md §1.5, doc
 * `settings/oauth/index.md`, `error-codes.md`]:
 *
 * - `GET|POST <origin>/oauth/token/` with `grant_type=authorization_code|refresh_token`, `client_id`,
 *   `client_secret`, `code` / `refresh_token` (query, or a form body as b24jssdk sends it);
 * - the token answer: access_token, refresh_token, expires, expires_in, scope, domain (the OAuth server's host),
 *   server_endpoint, client_endpoint, member_id, user_id, status;
 * - errors `{error, error_description}`: `invalid_request`, `invalid_client` (wrong id/secret, or the app is not
 *   installed), `invalid_grant` (bad, expired, used or rotated code/refresh token). Their HTTP status is not
 *   documented; the emulator uses 400 as RFC 6749 §5.2 does [UNCONFIRMED];
 * - `<origin>/rest/app.info?auth=…`: the server-side app.info b24pysdk uses to check an install
 *   (`client_id, scope, expires, install{…}, user_id`) [src b24pysdk `B24AppInfoResult`].
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  clientEndpoint,
  type EmulatorCore,
  isoDate,
  oauthServerHost,
  type RecordedRequest,
  restTime,
  serverEndpoint,
} from './emulator-core.js';
import { decodeParams, readBody, sendJson } from './http-io.js';
import type { AccessGrant } from './oauth-tokens.js';
import type { PortalState } from './portal-state.js';
import { asText } from './rest-context.js';
import { RestError, restErrors } from './rest-errors.js';

const SECRET_PARAMS = ['client_secret', 'refresh_token', 'code', 'auth'];

function oauthError(code: string, description: string): RestError {
  return new RestError(400, code, description);
}

/** The token answer for a grant. */
export function tokenResponse(core: EmulatorCore, portal: PortalState, grant: AccessGrant): Record<string, unknown> {
  return {
    access_token: grant.accessToken,
    client_endpoint: clientEndpoint(core, portal),
    domain: oauthServerHost(core),
    expires: Math.floor(grant.expiresAtMs / 1000),
    expires_in: Math.round((grant.expiresAtMs - core.now()) / 1000),
    member_id: portal.memberId,
    refresh_token: grant.refreshToken,
    scope: grant.scope.join(','),
    server_endpoint: serverEndpoint(core),
    status: portal.identity.status,
    user_id: grant.userId,
  };
}

function grantFor(core: EmulatorCore, params: Record<string, unknown>): AccessGrant {
  const grantType = asText(params.grant_type);
  const clientId = asText(params.client_id);
  if (!['authorization_code', 'refresh_token'].includes(grantType) || clientId === '') {
    throw oauthError('invalid_request', 'Invalid request');
  }
  const apps = core.portals().filter((portal) => portal.identity.app.clientId === clientId);
  const secretOk = apps.some((portal) => portal.identity.app.clientSecret === asText(params.client_secret));
  if (!secretOk) throw oauthError('invalid_client', 'Invalid client');
  const granted =
    grantType === 'refresh_token'
      ? core.tokens.refresh(asText(params.refresh_token), clientId)
      : core.tokens.redeemCode(asText(params.code), clientId);
  if (granted === 'invalid_grant') throw oauthError('invalid_grant', 'Invalid grant');
  return granted;
}

/** Serves `/oauth/token/`. */
export async function serveToken(
  core: EmulatorCore,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const record = newRecord(core, url, req, 'oauth', undefined);
  try {
    const params = decodeParams(url, await readBody(req, 1 << 20), req.headers['content-type']);
    record.params = redact(params);
    const grant = grantFor(core, params);
    const portal = core.portalByMemberId(grant.memberId) as PortalState;
    record.portal = portal.domain;
    record.userId = grant.userId;
    reply(res, record, 200, tokenResponse(core, portal, grant));
  } catch (error) {
    replyError(res, record, error);
  }
}

/** Serves the OAuth server's REST root (`server_endpoint`); only `app.info` exists there. */
export async function serveOAuthRest(
  core: EmulatorCore,
  methodPath: string,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const method = methodPath.toLowerCase().replace(/\.json$/, '');
  const record = newRecord(core, url, req, 'oauth', method);
  try {
    const params = decodeParams(url, await readBody(req, 1 << 20), req.headers['content-type']);
    record.params = redact(params);
    if (method !== 'app.info') throw restErrors.methodNotFound();
    const auth = asText(params.auth);
    if (auth === '') throw restErrors.noAuth();
    const found = core.tokens.lookup(auth);
    if (found === undefined) throw restErrors.invalidToken();
    if (found.expired) throw restErrors.expiredToken();
    const portal = core.portalByMemberId(found.grant.memberId) as PortalState;
    record.portal = portal.domain;
    record.userId = found.grant.userId;
    reply(res, record, 200, {
      result: serverAppInfo(core, portal, found.grant),
      time: restTime(record.atMs, core.now()),
    });
  } catch (error) {
    replyError(res, record, error);
  }
}

function serverAppInfo(core: EmulatorCore, portal: PortalState, grant: AccessGrant): Record<string, unknown> {
  return {
    client_id: grant.clientId,
    scope: grant.scope.join(','),
    expires: isoDate(grant.expiresAtMs),
    install: {
      installed: portal.installed,
      version: portal.appVersion,
      status: portal.identity.status,
      scope: portal.identity.scope.join(','),
      domain: portal.domain,
      uri: `${core.origin}/${portal.domain}`,
      client_endpoint: clientEndpoint(core, portal),
      member_id: portal.memberId,
      member_type: 'B24',
    },
    user_id: grant.userId,
  };
}

function newRecord(
  core: EmulatorCore,
  url: URL,
  req: IncomingMessage,
  kind: RecordedRequest['kind'],
  method: string | undefined,
): RecordedRequest {
  const record: RecordedRequest = {
    atMs: core.now(),
    portal: undefined,
    kind,
    httpMethod: req.method ?? 'GET',
    path: url.pathname,
    method,
    params: {},
    status: 0,
    error: undefined,
    fault: undefined,
    rateLimited: false,
    userId: undefined,
  };
  core.log.push(record);
  return record;
}

function redact(params: Record<string, unknown>): Record<string, unknown> {
  const out = { ...params };
  for (const key of SECRET_PARAMS) if (key in out) out[key] = '***';
  return out;
}

function reply(res: ServerResponse, record: RecordedRequest, status: number, body: Record<string, unknown>): void {
  record.status = status;
  sendJson(res, status, body);
}

function replyError(res: ServerResponse, record: RecordedRequest, error: unknown): void {
  const restError = error instanceof RestError ? error : restErrors.internal();
  record.error = restError.code;
  reply(res, record, restError.status, restError.body());
}
