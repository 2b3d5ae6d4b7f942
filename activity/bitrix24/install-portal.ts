/**
 * Installing (or updating) the app on a portal, whichever way it arrives — the no-UI install callback
 * (`ONAPPINSTALL`), `ONAPPUPDATE`, or the install page of a UI app (reference §1.1–§1.3): the tokens are
 * confirmed with the OAuth server (confirm-install.ts), the portal is stored (endpoints checked, tokens
 * sealed, application_token hashed), the client forgets what it cached, and the robot, the activity, the
 * Sign button and the app events are (re-)registered. Uninstall is accepted only with the stored
 * application_token (its only proof, §7).
 */
import type { Bitrix24App } from '../../shared/bitrix24/bitrix24-app.js';
import { confirmInstall } from '../../shared/bitrix24/confirm-install.js';
import type { TTokenAuth } from '../../shared/bitrix24/payloads.js';
import { type RegistrationReport, registerApp } from '../../shared/bitrix24/register-app.js';
import type { AppUrls } from '../../shared/bitrix24/robot-definition.js';
import { savePortalInstall } from '../../shared/bitrix24/save-portal-install.js';
import { verifyApplicationToken } from '../../shared/bitrix24/verify-application-token.js';
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

function languageOf(raw: string | undefined): 'ru' | 'en' {
  return raw?.toLowerCase() === 'ru' ? 'ru' : 'en';
}

/**
 * Confirms, stores and registers. `auth.client_endpoint` may be empty (the install page does not send it);
 * the OAuth server's answer supplies it. `pageInstall`: refused unless the app is still being installed.
 * @throws AppError B24_FORBIDDEN (not confirmed), B24_INVALID_PAYLOAD (endpoints), and the client's errors
 *   from registration (B24_ACCESS_DENIED when the user is not an administrator, …)
 */
export async function installPortal(
  deps: Bitrix24RoutesDeps,
  auth: TTokenAuth,
  language?: string,
  options: { pageInstall?: boolean } = {},
): Promise<InstalledPortal> {
  const confirmed = await confirmInstall({
    serverEndpoint: auth.server_endpoint,
    accessToken: auth.access_token,
    memberId: auth.member_id,
    clientId: deps.b24.clientId,
    policy: deps.b24.policy,
  });
  // The app page of an installed app is opened by anybody: only the install page (app not yet installed,
  // so opened by the installing administrator) may replace the stored tokens.
  if (options.pageInstall && confirmed.installed) {
    throw new AppError(
      ErrorCode.B24_FORBIDDEN,
      'SignService does not know this installation; an administrator has to reinstall the app',
    );
  }
  const portal = await savePortalInstall(
    { portals: deps.store.portals, masterKey: deps.masterKey, policy: deps.b24.policy },
    {
      ...auth,
      domain: confirmed.domain || auth.domain,
      client_endpoint: confirmed.clientEndpoint,
      server_endpoint: confirmed.serverEndpoint,
      user_id: auth.user_id ?? confirmed.userId,
    },
    deps.now(),
  );
  deps.b24.client.forget(portal.memberId);
  const registration = await registerApp(deps.b24.client, portal.memberId, {
    urls: deps.urls,
    authUserId: portal.userId,
    lang: languageOf(language),
  });
  deps.logger.info({ memberId: portal.memberId, domain: portal.domain, registration }, 'bitrix24 app installed');
  return { portal, registration };
}

/**
 * `ONAPPUNINSTALL`: checks the application_token, then marks the portal uninstalled (tokens dropped) or,
 * with `clean` (`data[CLEAN]=1`), deletes its record.
 * @throws AppError B24_FORBIDDEN for an unknown portal or a wrong token
 */
export async function uninstallPortal(
  deps: Bitrix24RoutesDeps,
  event: { memberId: string; applicationToken: string; clean: boolean },
): Promise<void> {
  await verifyApplicationToken(deps.store.portals, event.memberId, event.applicationToken);
  await deps.store.portals.markUninstalled(event.memberId, deps.now(), event.clean);
  deps.b24.client.forget(event.memberId);
  deps.logger.info({ memberId: event.memberId, clean: event.clean }, 'bitrix24 app uninstalled');
}
