/**
 * What the parts of the emulator share: the settings, the OAuth token store, the fault injector, the request
 * log and the portals. URLs follow the cloud layout as closely as one local server allows:
 *
 * - portal REST: `<origin>/<domain>/rest/<method>` (cloud: `https://<domain>/rest/<method>`), so
 *   `client_endpoint` = `<origin>/<domain>/rest/`;
 * - OAuth server: `server_endpoint` = `<origin>/rest/` and the token endpoint `<origin>/oauth/token/`
 *   (cloud: `https://oauth.bitrix.info/rest/` and `…/oauth/token/`), so both ways clients find the token URL
 *   work: the documented host + `/oauth/token/`, and b24jssdk's "server_endpoint minus /rest/ + /oauth/token/".
 */
import type { FaultInjector, FaultKind } from './fault-injector.js';
import type { RateLimit } from './leaky-bucket.js';
import type { TokenStore } from './oauth-tokens.js';
import type { PortalState } from './portal-state.js';

/** One HTTP request the emulator received, with its timing and outcome. */
export interface RecordedRequest {
  /** Arrival, unix ms. */
  atMs: number;
  /** Portal domain, when the request addressed a portal (or its tokens, for the OAuth server). */
  portal: string | undefined;
  kind: 'rest' | 'oauth' | 'download' | 'page';
  httpMethod: string;
  path: string;
  /** REST method, lower-case, without `.json`. */
  method: string | undefined;
  /** Decoded parameters without `auth` (REST), or without secrets (OAuth). */
  params: Record<string, unknown>;
  /** Final HTTP status; 0 when the socket was dropped by a timeout fault. */
  status: number;
  /** `error` code of an error answer. */
  error: string | undefined;
  fault: FaultKind | undefined;
  /** Refused by the leaky bucket. */
  rateLimited: boolean;
  /** User of the presented access token, when it was valid. */
  userId: number | undefined;
}

/** Settings after defaults. */
export interface EmulatorSettings {
  accessTokenTtlMs: number;
  refreshTokenTtlMs: number;
  authCodeTtlMs: number;
  rateLimit: RateLimit;
  /** How long a `timeout` fault holds the response before dropping the socket. */
  timeoutHoldMs: number;
  /** How long outbound POSTs to the app may take. */
  outboundTimeoutMs: number;
  /** Largest request body accepted. */
  maxBodyBytes: number;
  /** `bizproc.event.send` with a token whose step already closed: documented error, or a silent `true`. */
  usedEventToken: 'error' | 'ignore';
}

/** The shared core every route and method handler works on. */
export interface EmulatorCore {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly settings: EmulatorSettings;
  readonly tokens: TokenStore;
  readonly faults: FaultInjector;
  readonly log: RecordedRequest[];
  now(): number;
  portals(): PortalState[];
  portalByDomain(domain: string): PortalState | undefined;
  portalByMemberId(memberId: string): PortalState | undefined;
}

/** `<origin>/<domain>`: the portal's web root (cloud: `https://<domain>`). */
export function portalBaseUrl(core: EmulatorCore, portal: PortalState): string {
  return `${core.origin}/${portal.domain}`;
}

/** `client_endpoint`: `<origin>/<domain>/rest/`. */
export function clientEndpoint(core: EmulatorCore, portal: PortalState): string {
  return `${portalBaseUrl(core, portal)}/rest/`;
}

/** `server_endpoint`: the OAuth server's REST root, `<origin>/rest/`. */
export function serverEndpoint(core: EmulatorCore): string {
  return `${core.origin}/rest/`;
}

/** The OAuth token endpoint, `<origin>/oauth/token/`. */
export function tokenEndpoint(core: EmulatorCore): string {
  return `${core.origin}/oauth/token/`;
}

/** The OAuth server's host, sent as `domain` in token responses (cloud: `oauth.bitrix.info`). */
export function oauthServerHost(core: EmulatorCore): string {
  return new URL(core.origin).host;
}

/** Bitrix24's ISO 8601 date with an explicit offset (`2024-07-22T18:00:08+00:00`). */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/**
 * The `time` object of every REST answer [doc batch, crm.item.get examples]. `operating` is the method's
 * accumulated execution time; the emulator reports 0 and a reset 10 minutes ahead.
 */
export function restTime(startMs: number, finishMs: number): Record<string, number | string> {
  return {
    start: startMs / 1000,
    finish: finishMs / 1000,
    duration: (finishMs - startMs) / 1000,
    processing: (finishMs - startMs) / 1000,
    date_start: isoDate(startMs),
    date_finish: isoDate(finishMs),
    operating_reset_at: Math.floor(startMs / 1000) + 600,
    operating: 0,
  };
}
