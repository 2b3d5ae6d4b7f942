/**
 * Which URLs the Bitrix24 client may talk to. Endpoints arrive in payloads (install events, robot calls),
 * so they are checked before any token or the client secret is sent: https only (Bitrix24 itself refuses
 * plain http, reference §1.4 "Https required"), except plain http to a loopback host when the policy allows
 * it (a local portal emulator in tests); the client secret goes only to the allow-listed OAuth servers
 * (reference §1.5: oauth.bitrix.info, oauth.bitrix24.tech); a REST endpoint must be on the portal's own
 * domain, and a file download on the REST endpoint's host.
 */
import { AppError, ErrorCode } from '../errors.js';

export interface EndpointPolicy {
  /** Accept http:// (and https://) URLs whose host is loopback (127.0.0.0/8, ::1, localhost). */
  allowLoopback: boolean;
  /** Host names (lower case) of the OAuth servers the client secret may be sent to; loopback hosts are added by `allowLoopback`. */
  oauthHosts: readonly string[];
}

/** The production policy: https only, Bitrix24's OAuth servers. */
export const DEFAULT_ENDPOINT_POLICY: EndpointPolicy = Object.freeze({
  allowLoopback: false,
  oauthHosts: Object.freeze(['oauth.bitrix.info', 'oauth.bitrix24.tech']),
});

/** True for 127.0.0.0/8, ::1 and localhost (the hostname as URL gives it, IPv6 in brackets). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

function refuse(what: string, reason: string): never {
  throw new AppError(ErrorCode.B24_INVALID_PAYLOAD, `${what} is not acceptable: ${reason}`);
}

/** Parses `raw` and checks scheme, credentials and loopback use. */
function checkUrl(raw: string, what: string, policy: EndpointPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse(what, 'not an absolute URL');
  }
  if (url.username || url.password) refuse(what, 'it carries user credentials');
  const loopback = isLoopbackHost(url.hostname);
  if (loopback && !policy.allowLoopback) refuse(what, `loopback host ${url.hostname} is not allowed here`);
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && loopback) return url;
  return refuse(what, `${url.protocol}// is not allowed (Bitrix24 endpoints are https)`);
}

/**
 * Checks a portal's REST base (`client_endpoint`) against its `domain`: same host (the port may be part
 * of `domain`; loopback endpoints are exempt), a path ending in '/'. Returns the normalised URL text.
 * @throws AppError B24_INVALID_PAYLOAD
 */
export function checkClientEndpoint(raw: string, domain: string, policy: EndpointPolicy): string {
  const url = checkUrl(raw, 'client_endpoint', policy);
  const wanted = domain
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/\/+$/, '');
  // A loopback endpoint (only accepted when the policy allows it) is a local emulator serving several
  // portals under path prefixes, so its host cannot equal the portal's domain.
  if (!isLoopbackHost(url.hostname) && url.host !== wanted && url.hostname !== wanted) {
    refuse('client_endpoint', `its host ${url.host} is not the portal domain ${domain}`);
  }
  if (url.search || url.hash) refuse('client_endpoint', 'it has a query or fragment');
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.toString();
}

/**
 * Checks an OAuth server's REST base (`server_endpoint`): an allow-listed host (or loopback when allowed).
 * @throws AppError B24_INVALID_PAYLOAD
 */
export function checkServerEndpoint(raw: string, policy: EndpointPolicy): string {
  const url = checkUrl(raw, 'server_endpoint', policy);
  if (!isLoopbackHost(url.hostname) && !policy.oauthHosts.includes(url.hostname.toLowerCase())) {
    refuse(
      'server_endpoint',
      `${url.hostname} is not a Bitrix24 OAuth server (allowed: ${policy.oauthHosts.join(', ')})`,
    );
  }
  if (url.search || url.hash) refuse('server_endpoint', 'it has a query or fragment');
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.toString();
}

/**
 * The OAuth token URL of a server endpoint: `https://oauth.bitrix.info/rest/` → `https://oauth.bitrix.info/oauth/token/`
 * (reference §1.5).
 */
export function oauthTokenUrl(serverEndpoint: string): URL {
  const base = new URL(serverEndpoint);
  return new URL(base.pathname.endsWith('/rest/') ? '../oauth/token/' : 'oauth/token/', base);
}

/**
 * Resolves a file URL (absolute, or relative like crm's `downloadUrl`) against the portal's REST base and
 * checks it stays on the portal's host and scheme, so a token is never sent elsewhere.
 * @throws AppError B24_INVALID_PAYLOAD
 */
export function checkPortalUrl(raw: string, clientEndpoint: string, policy: EndpointPolicy): URL {
  const base = new URL(clientEndpoint);
  let url: URL;
  try {
    url = new URL(raw, base.origin);
  } catch {
    return refuse('the download URL', 'not a URL');
  }
  checkUrl(url.toString(), 'the download URL', policy);
  if (url.origin !== base.origin) refuse('the download URL', `it is not on the portal ${base.host}`);
  return url;
}
