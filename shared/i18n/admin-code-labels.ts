/**
 * Words for the codes the admin API answers with (sign log actions and actor roles, certificate statuses,
 * request states),
 * so the panel shows "Certificate granted" / "Доступ к сертификату предоставлен" where the API and the
 * exports say `granted`. A code without a label (one added later) is shown as it is.
 */
import type { InventoryStatus } from '../crypto/certificate-inventory.js';
import type { SignLogAction } from '../domain/sign-log-entry.js';
import type { SignRequestState } from '../domain/sign-request.js';

export interface AdminCodeLabels {
  actions: Record<SignLogAction, string>;
  /** `actor.role` of a sign log entry (signer, operator, portal-admin, api-token, cli, system …). */
  roles: Record<string, string>;
  certificateStatuses: Record<InventoryStatus, string>;
  requestStates: Record<SignRequestState, string>;
}

const en: AdminCodeLabels = {
  actions: {
    signed: 'Signed',
    signed_without_otp: 'Signed without a one-time code',
    rejected: 'Rejected',
    failed: 'Failed',
    otp_failed: 'Wrong one-time code',
    locked: 'Account locked',
    unlocked: 'Account unlocked',
    enrolled: 'Authenticator set up',
    link_created: 'Enrollment link made',
    account_created: 'Account created',
    account_updated: 'Account changed',
    otp_disabled: 'One-time codes switched off',
    otp_enabled: 'One-time codes switched on',
    granted: 'Certificate granted',
    revoked: 'Certificate taken away',
    certificate_issued: 'Certificate issued',
    certificate_revoked: 'Certificate revoked',
    certificate_named: 'Certificate renamed',
    ca_created: 'Internal CA created',
    otp_reset: 'Authenticator reset',
    request_retried: 'Request retried',
    settings_changed: 'Settings changed',
    portal_reregistered: 'Portal registered again',
    api_token_created: 'API token created',
    api_token_revoked: 'API token revoked',
    portal_bound: 'Portal connected',
    portal_unbound: 'Portal disconnected',
    portal_bind_refused: 'Portal connection refused',
    portal_unbind_refused: 'Portal disconnection refused',
    robot_call_refused: 'Robot call refused',
  },
  roles: {
    signer: 'signer',
    operator: 'operator',
    'portal-admin': 'portal administrator',
    'api-token': 'API token',
    admin: 'administrator',
    cli: 'command line',
    system: 'the service',
  },
  certificateStatuses: {
    revoked: 'revoked',
    expired: 'expired',
    'not-yet-valid': 'not yet valid',
    'token-absent': 'token not plugged in',
    'key-missing': 'key missing',
    valid: 'valid',
  },
  requestStates: {
    received: 'received',
    awaiting_signer: 'waiting for the signer',
    approved: 'approved',
    signing: 'signing',
    signed: 'signed',
    delivered: 'delivered to Bitrix24',
    completed: 'completed',
    rejected: 'rejected',
    expired: 'expired',
    failed: 'failed',
  },
};

const ru: AdminCodeLabels = {
  actions: {
    signed: 'Подписано',
    signed_without_otp: 'Подписано без одноразового кода',
    rejected: 'Отклонено',
    failed: 'Ошибка',
    otp_failed: 'Неверный одноразовый код',
    locked: 'Учётная запись заблокирована',
    unlocked: 'Учётная запись разблокирована',
    enrolled: 'Приложение-аутентификатор настроено',
    link_created: 'Создана ссылка для настройки',
    account_created: 'Учётная запись создана',
    account_updated: 'Учётная запись изменена',
    otp_disabled: 'Одноразовые коды отключены',
    otp_enabled: 'Одноразовые коды включены',
    granted: 'Доступ к сертификату предоставлен',
    revoked: 'Доступ к сертификату снят',
    certificate_issued: 'Сертификат выпущен',
    certificate_revoked: 'Сертификат отозван',
    certificate_named: 'Имя сертификата изменено',
    ca_created: 'Создан внутренний УЦ',
    otp_reset: 'Аутентификатор сброшен',
    request_retried: 'Запрос повторён',
    settings_changed: 'Настройки изменены',
    portal_reregistered: 'Портал зарегистрирован заново',
    api_token_created: 'Создан API-токен',
    api_token_revoked: 'API-токен отозван',
    portal_bound: 'Портал подключён',
    portal_unbound: 'Портал отключён',
    portal_bind_refused: 'Подключение портала отклонено',
    portal_unbind_refused: 'Отключение портала отклонено',
    robot_call_refused: 'Вызов робота отклонён',
  },
  roles: {
    signer: 'подписант',
    operator: 'оператор',
    'portal-admin': 'администратор портала',
    'api-token': 'API-токен',
    admin: 'администратор',
    cli: 'командная строка',
    system: 'сервис',
  },
  certificateStatuses: {
    revoked: 'отозван',
    expired: 'истёк',
    'not-yet-valid': 'ещё не действует',
    'token-absent': 'токен не подключён',
    'key-missing': 'ключ не найден',
    valid: 'действует',
  },
  requestStates: {
    received: 'получен',
    awaiting_signer: 'ждёт подписанта',
    approved: 'одобрен',
    signing: 'подписывается',
    signed: 'подписан',
    delivered: 'передан в Битрикс24',
    completed: 'завершён',
    rejected: 'отклонён',
    expired: 'просрочен',
    failed: 'ошибка',
  },
};

export const ADMIN_CODE_LABELS: Record<'en' | 'ru', AdminCodeLabels> = { en, ru };
