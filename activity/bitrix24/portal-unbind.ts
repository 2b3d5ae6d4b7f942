/**
 * `ONAPPUNINSTALL`: a claim, honoured only when the portal confirms it. The application_token (constant-time
 * check against the stored hash) says which portal the call concerns; then the portal is asked with the
 * app's own tokens (shared/bitrix24/confirm-uninstall.ts). Confirmed: the portal is marked uninstalled
 * (tokens and application_token dropped) or, with `data[CLEAN]=1`, its record is deleted; the sign log
 * records it. Not confirmed — the tokens still work and the app is installed — is a forged uninstall:
 * nothing changes, a warning and a sign-log entry are written, and the administrator who installed the app
 * gets a Bitrix24 notification (best effort).
 */
import { escapeBbcode } from '../../shared/bitrix24/bbcode.js';
import { refusal } from '../../shared/bitrix24/binding-refusal.js';
import { confirmUninstall } from '../../shared/bitrix24/confirm-uninstall.js';
import { recordRefusal } from '../../shared/bitrix24/record-refusal.js';
import { verifyApplicationToken } from '../../shared/bitrix24/verify-application-token.js';
import type { Portal } from '../../shared/domain/portal.js';
import { noticeLanguage } from '../../shared/notices/notice-language.js';
import type { Bitrix24RoutesDeps } from './install-portal.js';

export interface UnbindRequest {
  memberId: string;
  applicationToken: string;
  /** `data[CLEAN]=1`: delete the portal's record. */
  clean: boolean;
  ip?: string | undefined;
}

const ALERT = {
  en: 'SignService: somebody sent an "app uninstalled" event for this portal from {ip}, but the portal says the app is still installed. Nothing was changed. If nobody here uninstalled the app, treat it as an attack by somebody who can open the app in this portal.',
  ru: 'SignService: кто-то отправил событие «приложение удалено» для этого портала с адреса {ip}, но портал сообщает, что приложение установлено. Ничего не изменено. Если приложение никто не удалял, это попытка атаки со стороны пользователя, которому доступно приложение в этом портале.',
};

/** Tells the installing administrator in Bitrix24; best effort. */
async function alertAdministrator(deps: Bitrix24RoutesDeps, portal: Portal, ip: string | undefined): Promise<void> {
  if (!portal.userId) return;
  const language = noticeLanguage({ portalLanguage: portal.language, fallback: 'en' });
  await deps.b24.calls
    .call(portal.memberId, 'im.notify.system.add', {
      USER_ID: portal.userId,
      MESSAGE: ALERT[language].replace('{ip}', escapeBbcode(ip ?? '?')),
      TAG: `signservice.binding|${deps.now().getTime()}`,
    })
    .catch((error: unknown) =>
      deps.logger.warn({ memberId: portal.memberId, error }, 'the administrator could not be alerted'),
    );
}

/**
 * Honours a confirmed uninstall.
 * @throws AppError B24_FORBIDDEN (unknown portal, wrong token, or the portal says the app is still
 *   installed: details.reason `still_installed`), B24_UNAVAILABLE when the portal gives no verdict
 */
export async function unbindPortal(deps: Bitrix24RoutesDeps, request: UnbindRequest): Promise<void> {
  const portal = await verifyApplicationToken(deps.store.portals, request.memberId, request.applicationToken);
  const verdict = await confirmUninstall(deps.b24.client, portal.memberId);
  if (verdict === 'still_installed') {
    await recordRefusal(deps, {
      action: 'portal_unbind_refused',
      memberId: portal.memberId,
      reason: 'still_installed',
      ...(request.ip ? { ip: request.ip } : {}),
      details: { clean: request.clean },
    });
    await alertAdministrator(deps, portal, request.ip);
    throw refusal(
      'still_installed',
      'The portal says SignService is still installed there; the uninstall event was not honoured',
      { memberId: portal.memberId },
    );
  }
  await deps.store.portals.markUninstalled(portal.memberId, deps.now(), request.clean);
  deps.b24.client.forget(portal.memberId);
  await deps.store.signLog.append({
    time: deps.now(),
    action: 'portal_unbound',
    actor: { memberId: portal.memberId, role: 'bitrix24' },
    outcome: 'ok',
    ...(request.ip ? { clientAddress: request.ip } : {}),
    details: { purged: request.clean },
  });
  deps.logger.info(
    { memberId: portal.memberId, clean: request.clean },
    'bitrix24 app uninstalled (the portal confirmed it)',
  );
}
