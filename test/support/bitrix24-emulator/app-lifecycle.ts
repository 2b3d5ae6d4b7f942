/**
 * Install, update, uninstall as the portal performs them [bitrix24.md §1.1, §1.2, §1.3].
 *
 * - Install, no-UI app (`mode: 'event'`): the server-to-server `ONAPPINSTALL` POST to the install handler URL,
 *   `auth[...]` with tokens of the installing admin (refresh_token included); the app is installed at once.
 * - Install, UI app (`mode: 'page'`): the iframe POST of the install page, `PLACEMENT=DEFAULT`; the app stays
 *   "not installed" (`app.info INSTALLED=false`) until `portal.finishInstall()` stands in for
 *   `BX24.installFinish()`.
 * - Update: a new `application_token`, robots and activities deleted (core `onRestAppUpdate` →
 *   `onRestAppDelete` [src]; placements and event handlers stay), then `ONAPPUPDATE` to the handlers bound
 *   with `event.bind` (tokens, no refresh_token).
 * - Uninstall: event handlers, placements, robots and activities deleted, every token revoked (REST and the
 *   OAuth server's `app.info` answer `invalid_token`, a refresh `invalid_grant`), then `ONAPPUNINSTALL`
 *   (`data[CLEAN]`, token-less `auth`) to the handlers that were bound for it.
 */
import { randomBytes } from 'node:crypto';
import { authBlock, unixSeconds } from './auth-block.js';
import { deleteAllActivities } from './bizproc-registration-methods.js';
import type { EmulatorCore } from './emulator-core.js';
import { buildFramePost } from './frame-post.js';
import type { AccessGrant } from './oauth-tokens.js';
import type { EventBinding, PortalState } from './portal-state.js';
import { type AppResponse, postForm } from './post-form.js';

/** How to install. */
export interface InstallOptions {
  /** `event`: no-UI app, ONAPPINSTALL POST (default). `page`: the UI install page POST. */
  mode?: 'event' | 'page';
  /** The installing admin. @default the portal's first admin */
  userId?: number;
  /** App version. @default 1 */
  version?: number;
}

/** What an install sent and got back. */
export interface InstallResult {
  response: AppResponse;
  /** The decoded structure that was form-encoded (nested objects, as the app should parse it back). */
  sent: Record<string, unknown>;
  /** The tokens handed to the app. */
  grant: AccessGrant;
}

/** One event delivery to a bound handler. */
export interface EventDelivery {
  binding: EventBinding;
  sent: Record<string, unknown>;
  response: AppResponse;
}

function installer(portal: PortalState, userId: number | undefined): number {
  const id = userId ?? portal.installerUserId;
  if (!portal.user(id).admin) throw new Error(`user ${id} of ${portal.domain} is not an admin and cannot install apps`);
  return id;
}

/** Installs the app whose install handler (or install page) is `handlerUrl`. */
export async function installApp(
  core: EmulatorCore,
  portal: PortalState,
  handlerUrl: string,
  options: InstallOptions = {},
): Promise<InstallResult> {
  const userId = installer(portal, options.userId);
  portal.appHost = new URL(handlerUrl).host;
  portal.appVersion = options.version ?? 1;
  portal.installerUserId = userId;
  const timeoutMs = core.settings.outboundTimeoutMs;
  if (options.mode === 'page') {
    portal.installed = false;
    const post = buildFramePost(core, portal, portal.user(userId), 'DEFAULT', {});
    const response = await postForm(handlerUrl, post.fields, {
      query: post.query,
      timeoutMs,
      userAgent: 'Mozilla/5.0',
    });
    const grant = core.tokens.lookup(post.fields.AUTH_ID as string)?.grant as AccessGrant;
    return { response, sent: { ...post.query, ...post.fields }, grant };
  }
  portal.installed = true;
  const grant = core.tokens.issue(portal.memberId, userId, portal.identity.app.clientId, portal.identity.scope);
  const sent = {
    event: 'ONAPPINSTALL',
    data: { VERSION: String(portal.appVersion), ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: portal.identity.languageId },
    ts: unixSeconds(core),
    auth: authBlock(core, portal, grant, { refreshToken: true }),
  };
  return { response: await postForm(handlerUrl, sent, { timeoutMs }), sent, grant };
}

/** Updates the app to `version` (default: the next one). */
export async function updateApp(
  core: EmulatorCore,
  portal: PortalState,
  options: { version?: number } = {},
): Promise<EventDelivery[]> {
  const previous = portal.appVersion;
  portal.appVersion = options.version ?? previous + 1;
  portal.applicationToken = randomBytes(16).toString('hex');
  deleteAllActivities(portal);
  const bindings = portal.events.filter((e) => e.event === 'ONAPPUPDATE' && !e.offline);
  const deliveries: EventDelivery[] = [];
  for (const binding of bindings) {
    const userId = binding.authType || portal.installerUserId;
    const grant = core.tokens.issue(portal.memberId, userId, portal.identity.app.clientId, portal.identity.scope);
    const sent = {
      event: 'ONAPPUPDATE',
      event_handler_id: String(binding.id),
      data: {
        VERSION: String(portal.appVersion),
        PREVIOUS_VERSION: String(previous),
        LANGUAGE_ID: portal.identity.languageId,
      },
      ts: unixSeconds(core),
      auth: authBlock(core, portal, grant, { refreshToken: false }),
    };
    deliveries.push({
      binding,
      sent,
      response: await postForm(binding.handler, sent, { timeoutMs: core.settings.outboundTimeoutMs }),
    });
  }
  return deliveries;
}

/** How to uninstall. */
export interface UninstallOptions {
  /** The admin's "delete app data" tick (`data[CLEAN]`). @default false */
  clean?: boolean;
  /**
   * Leave the app's tokens working, as if the revocation lagged behind the event [UNCONFIRMED: the docs say
   * the API is already revoked when ONAPPUNINSTALL arrives]: `app.info` then answers `INSTALLED: false`.
   * @default false
   */
  keepTokens?: boolean;
}

/** Uninstalls the app: registrations deleted, tokens revoked (unless `keepTokens`), then ONAPPUNINSTALL. */
export async function uninstallApp(
  core: EmulatorCore,
  portal: PortalState,
  options: UninstallOptions = {},
): Promise<EventDelivery[]> {
  const bindings = portal.events.filter((e) => e.event === 'ONAPPUNINSTALL' && !e.offline);
  portal.events.length = 0;
  portal.placements.length = 0;
  deleteAllActivities(portal);
  portal.installed = false;
  if (options.keepTokens !== true) core.tokens.revokeAll(portal.memberId);
  const deliveries: EventDelivery[] = [];
  for (const binding of bindings) {
    const sent = {
      event: 'ONAPPUNINSTALL',
      event_handler_id: String(binding.id),
      data: { LANGUAGE_ID: portal.identity.languageId, CLEAN: options.clean === true ? '1' : '0' },
      ts: unixSeconds(core),
      auth: authBlock(core, portal, undefined, { refreshToken: false }),
    };
    deliveries.push({
      binding,
      sent,
      response: await postForm(binding.handler, sent, { timeoutMs: core.settings.outboundTimeoutMs }),
    });
  }
  return deliveries;
}
