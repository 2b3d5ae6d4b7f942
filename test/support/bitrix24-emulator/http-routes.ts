/**
 * Top-level routing of the emulator's HTTP server:
 *
 * - `/oauth/token/`                 the OAuth token endpoint;
 * - `/rest/<method>`                the OAuth server's REST root (`server_endpoint`): `app.info`;
 * - `/<domain>/rest/<method>`       a portal's REST API (`client_endpoint`), file downloads included;
 * - `/<domain>/oauth/authorize/`    the full OAuth flow's first step (redirects with a code);
 * - `/<domain>/bitrix/services/main/ajax.php`  the browser file link (`url`): a login page for a client
 *                                   without a portal session, as the docs warn;
 * - `/_emulator/launch/<id>`        placement launcher pages.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type EmulatorCore, oauthServerHost, type RecordedRequest } from './emulator-core.js';
import { safeDecode, sendHtml, sendJson } from './http-io.js';
import { serveOAuthRest, serveToken } from './oauth-server.js';
import { type LaunchSpec, serveLauncher } from './open-placement.js';
import type { PortalState } from './portal-state.js';
import { serveRest } from './rest-router.js';

/** Routes one request. */
export async function routeRequest(
  core: EmulatorCore,
  launchers: Map<string, LaunchSpec>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', core.origin);
  const path = url.pathname;
  if (path === '/oauth/token' || path === '/oauth/token/') return serveToken(core, url, req, res);
  if (path.startsWith('/rest/')) return serveOAuthRest(core, path.slice('/rest/'.length), url, req, res);
  if (path.startsWith('/_emulator/launch/')) {
    return serveLauncher(core, launchers.get(path.slice('/_emulator/launch/'.length)), res);
  }
  const domain = safeDecode(path.split('/')[1] ?? '').toLowerCase();
  const portal = core.portalByDomain(domain);
  if (portal === undefined)
    return sendJson(res, 404, { error: 'NOT_FOUND', error_description: `No portal at ${path}` });
  const sub = path.slice(domain.length + 1);
  if (sub.startsWith('/rest/')) return serveRest(core, portal, sub.slice('/rest/'.length), url, req, res);
  if (sub === '/oauth/authorize' || sub === '/oauth/authorize/') return authorize(core, portal, url, req, res);
  pageRecord(core, portal, req, url, sub.startsWith('/bitrix/services/main/ajax.php') ? 200 : 404);
  if (sub.startsWith('/bitrix/services/main/ajax.php')) {
    return sendHtml(res, 200, '<!doctype html><title>Authorization</title><form>Log in to Bitrix24</form>');
  }
  return sendHtml(res, 404, '<!doctype html><title>404 Not Found</title>');
}

/**
 * `/oauth/authorize/?client_id=…&state=…`: the installing admin counts as logged in and agrees; the browser is
 * sent to the app's `redirect_uri` with `code, state, domain, member_id, scope, server_domain` [doc
 * `settings/oauth/index.md`].
 */
function authorize(core: EmulatorCore, portal: PortalState, url: URL, req: IncomingMessage, res: ServerResponse): void {
  const clientId = url.searchParams.get('client_id') ?? '';
  if (clientId !== portal.identity.app.clientId || portal.redirectUri === undefined) {
    pageRecord(core, portal, req, url, 400);
    sendHtml(res, 400, '<!doctype html><title>Error</title><p>The application is not installed.</p>');
    return;
  }
  const code = core.tokens.issueCode(portal.memberId, portal.installerUserId, clientId, portal.identity.scope);
  const target = new URL(portal.redirectUri);
  const query: Record<string, string> = {
    code,
    state: url.searchParams.get('state') ?? '',
    domain: portal.domain,
    member_id: portal.memberId,
    scope: portal.identity.scope.join(','),
    server_domain: oauthServerHost(core),
  };
  for (const [key, value] of Object.entries(query)) target.searchParams.set(key, value);
  pageRecord(core, portal, req, url, 302);
  res.writeHead(302, { Location: target.toString() });
  res.end();
}

function pageRecord(core: EmulatorCore, portal: PortalState, req: IncomingMessage, url: URL, status: number): void {
  const record: RecordedRequest = {
    atMs: core.now(),
    portal: portal.domain,
    kind: 'page',
    httpMethod: req.method ?? 'GET',
    path: url.pathname,
    method: undefined,
    params: {},
    status,
    error: undefined,
    fault: undefined,
    rateLimited: false,
    userId: undefined,
  };
  core.log.push(record);
}
