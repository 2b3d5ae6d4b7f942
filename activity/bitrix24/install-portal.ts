/**
 * Binding a portal — the install callback (`ONAPPINSTALL`), a reinstall over a live binding, `ONAPPUPDATE`, or
 * the install page of a UI app (reference §1.1–§1.3) — is something only a portal administrator may do, and
 * everything in such a request can be forged by any portal user (their own AUTH_ID from a frame POST, an
 * application_token of their choosing). So before anything is stored:
 *
 * 1. the posted access token is confirmed with the OAuth server and its user is an administrator of that
 *    portal (shared/bitrix24/confirm-portal-admin.ts);
 * 2. then the portal is stored (endpoints as the OAuth server named them, tokens sealed, the new
 *    application_token hashed, the portal's language), the client forgets what it cached, and the robot,
 *    the activity, the Sign button and the app events are (re-)registered; the sign log records the binding.
 *
 * A refused attempt changes nothing — the old application_token stays valid — and is recorded (warning log
 * line, sign-log entry: shared/bitrix24/record-refusal.ts). Unbinding is portal-unbind.ts.
 */

import { refusal, refusalReason } from '../../shared/bitrix24/binding-refusal.js';
import type { Bitrix24App } from '../../shared/bitrix24/bitrix24-app.js';
import { type ConfirmedAdmin, confirmPortalAdmin } from '../../shared/bitrix24/confirm-portal-admin.js';
import type { TTokenAuth } from '../../shared/bitrix24/payloads.js';
import { recordRefusal } from '../../shared/bitrix24/record-refusal.js';
import { type RegistrationReport, registerApp } from '../../shared/bitrix24/register-app.js';
import type { AppUrls } from '../../shared/bitrix24/robot-definition.js';
import { savePortalInstall } from '../../shared/bitrix24/save-portal-install.js';
import type { MasterKey } from '../../shared/crypto/master-key.js';
import type { Portal } from '../../shared/domain/portal.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { JobQueue } from '../../shared/queue/queue-port.js';
import type { Store } from '../../shared/store/store-ports.js';

/** What the Bitrix24 routes of the activity app need. */
export interface Bitrix24RoutesDeps {
  store: Store;
  masterKey: MasterKey;
  b24: Bitrix24App;
  queue: JobQueue;
  urls: AppUrls;
  logger: Logger;
  now: () => Date;
  /** The app's main page of an installed portal opens the control panel (activity/admin/admin-panel.ts). */
  openPanel?: (ctx: import('koa').Context, page: { portal: Portal; authId: string; lang?: string }) => Promise<void>;
}

/** An install or update as stored, with what registration did. */
export interface InstalledPortal {
  portal: Portal;
  registration: RegistrationReport;
}

/** How the binding arrived, for the checks and the records. */
export interface BindRequest {
  /** `install`: ONAPPINSTALL; `update`: ONAPPUPDATE; `page`: the install page of a UI app. */
  via: 'install' | 'update' | 'page';
  /** `data[LANGUAGE_ID]` of the event, or the page's `LANG`. */
  language?: string | undefined;
  /** The sender's address (logs and sign log only). */
  ip?: string | undefined;
}

function registrationLanguage(raw: string | undefined): 'ru' | 'en' {
  return raw?.toLowerCase() === 'ru' ? 'ru' : 'en';
}

/** Step 1: the proof. Refusals (and unacceptable endpoints) are recorded and rethrown. */
async function proveAdministrator(deps: Bitrix24RoutesDeps, auth: TTokenAuth, bind: BindRequest) {
  try {
    const admin = await confirmPortalAdmin({
      serverEndpoint: auth.server_endpoint,
      accessToken: auth.access_token,
      memberId: auth.member_id,
      clientId: deps.b24.clientId,
      policy: deps.b24.policy,
    });
    // The app page of an installed app is opened by anybody with any token: only the install page (the
    // app not installed yet) binds.
    if (bind.via === 'page' && admin.installed) {
      throw refusal(
        'install_finished',
        'SignService does not know this installation; an administrator has to reinstall the app',
        { memberId: auth.member_id, userId: admin.userId },
      );
    }
    return admin;
  } catch (error) {
    const reason =
      refusalReason(error) ??
      (error instanceof AppError && error.code === ErrorCode.B24_INVALID_PAYLOAD ? 'bad_endpoint' : undefined);
    if (reason) {
      const userId = (error as AppError).details?.userId;
      await recordRefusal(deps, {
        action: 'portal_bind_refused',
        memberId: auth.member_id,
        reason,
        ...(typeof userId === 'number' ? { userId } : {}),
        ...(bind.ip ? { ip: bind.ip } : {}),
        details: { via: bind.via },
      });
    }
    throw error;
  }
}

/** Step 2: store, register, record. */
async function bind(deps: Bitrix24RoutesDeps, auth: TTokenAuth, request: BindRequest, admin: ConfirmedAdmin) {
  const portal = await savePortalInstall(
    { portals: deps.store.portals, masterKey: deps.masterKey, policy: deps.b24.policy },
    {
      ...auth,
      domain: admin.domain || auth.domain,
      client_endpoint: admin.clientEndpoint,
      server_endpoint: admin.serverEndpoint,
      // Who installs is who the portal says the token belongs to, not what the payload claims.
      user_id: admin.userId,
    },
    deps.now(),
    request.language,
  );
  deps.b24.client.forget(portal.memberId);
  await deps.store.signLog.append({
    time: deps.now(),
    action: 'portal_bound',
    actor: { memberId: portal.memberId, userId: admin.userId, role: 'admin' },
    outcome: 'ok',
    ...(request.ip ? { clientAddress: request.ip } : {}),
    details: { via: request.via, domain: portal.domain },
  });
  return portal;
}

/**
 * Proves, stores and registers. `auth.client_endpoint` may be empty (the install page does not send it); the
 * OAuth server's answer supplies it.
 * @throws AppError B24_FORBIDDEN (no proof of an administrator: details.reason), B24_INVALID_PAYLOAD
 *   (endpoints, no refresh token), B24_UNAVAILABLE, and the client's errors from registration
 */
export async function installPortal(
  deps: Bitrix24RoutesDeps,
  auth: TTokenAuth,
  request: BindRequest,
): Promise<InstalledPortal> {
  const admin = await proveAdministrator(deps, auth, request);
  const portal = await bind(deps, auth, request, admin);
  const registration = await registerApp(deps.b24.client, portal.memberId, {
    urls: deps.urls,
    authUserId: portal.userId,
    lang: registrationLanguage(request.language),
  });
  deps.logger.info(
    { memberId: portal.memberId, domain: portal.domain, userId: admin.userId, via: request.via, registration },
    'bitrix24 portal bound by its administrator',
  );
  return { portal, registration };
}
