/**
 * Announces a lockout (verify-totp.ts `onLocked`): too many wrong one-time codes lock signing for the
 * account until a time (RFC 4226 §7.3 throttling, per signer), and both the signer and the administrator
 * learn it at once, with the time it ends — a lockout that someone else caused (a stolen approval link,
 * guessing) must not go unnoticed:
 *
 * - the signer: the lockout e-mail (account's address) and, for an account linked to a Bitrix24 user, a
 *   Bitrix24 notification (`im.notify.system.add`);
 * - the portal's administrator (the user who installed the app; Bitrix24 lists no administrators): a
 *   Bitrix24 notification and an e-mail to the address Bitrix24 has for them;
 * - the service operator (ADMIN_EMAIL, when set): an e-mail, for every account, portal or service-wide.
 *
 * Every channel is best effort and independent: one that fails is logged and the others still go out; the
 * lock itself never depends on them. Texts carry only the login (letters, digits, `._@-`: nothing Bitrix24
 * would read as BB code) and the time.
 */
import type { Bitrix24App } from '../bitrix24/bitrix24-app.js';
import type { Account } from '../domain/account.js';
import { personTimeZone } from '../i18n/date-time.js';
import { fillPlaceholders, formatDateTime, type Language, messagesFor } from '../i18n/messages.js';
import type { Logger } from '../logger.js';
import type { Mailer } from '../mail/mailer.js';
import type { TemplateRenderer } from '../mail/render-template.js';
import type { Store } from '../store/store-ports.js';

export interface LockoutAnnouncerDeps {
  store: Store;
  mailer: Mailer | undefined;
  renderer: TemplateRenderer;
  defaultLanguage: Language;
  /** The service operator's address (ADMIN_EMAIL). */
  adminEmail?: string;
  /** The process's Bitrix24 side, when the app is configured. */
  b24?: Bitrix24App;
  logger: Logger;
  /** IANA time zone of the time in the texts. @default the server's */
  timeZone?: string;
}

/** The `onLocked` hook of the TOTP verifier. */
export function lockoutAnnouncer(deps: LockoutAnnouncerDeps): (account: Account, lockedUntil: Date) => Promise<void> {
  const attempt = async (what: string, account: Account, send: () => Promise<unknown>) => {
    try {
      await send();
      deps.logger.info({ accountId: account.id, channel: what }, 'lockout announced');
    } catch (error) {
      deps.logger.warn({ accountId: account.id, channel: what, error }, 'lockout announcement not delivered');
    }
  };
  const mail = (to: string, name: 'lockout' | 'lockout-admin', language: Language, data: Record<string, unknown>) =>
    deps.mailer ? deps.mailer.send({ to, ...deps.renderer.email(name, language, data) }) : Promise.resolve();
  const notify = async (memberId: string, userId: number, message: string, tag: string) => {
    await deps.b24?.calls.call(memberId, 'im.notify.system.add', { USER_ID: userId, MESSAGE: message, TAG: tag });
  };

  /** The e-mail and time zone Bitrix24 has for a portal user (user.get), as far as they can be read. */
  async function userFields(memberId: string, userId: number): Promise<{ email?: string; timeZone?: string }> {
    if (!deps.b24) return {};
    const users = await deps.b24.calls.call<unknown[]>(memberId, 'user.get', { FILTER: { ID: userId } });
    const user = (Array.isArray(users) ? (users[0] as Record<string, unknown> | undefined) : undefined) ?? {};
    const field = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
    const email = field(user.EMAIL);
    const timeZone = field(user.TIME_ZONE);
    return { ...(email ? { email } : {}), ...(timeZone ? { timeZone } : {}) };
  }

  /** The zone of a portal user (their TIME_ZONE, else `account`'s, else the service's); never fails. */
  async function zoneOf(link: { memberId: string; userId: number } | undefined, account?: Account): Promise<string> {
    const bitrix = link
      ? await userFields(link.memberId, link.userId).then(
          (u) => u.timeZone,
          () => undefined,
        )
      : undefined;
    return personTimeZone({ bitrix, account: account?.timeZone, service: deps.timeZone });
  }

  return async (account, lockedUntil) => {
    const language = account.language ?? deps.defaultLanguage;
    const until = formatDateTime(lockedUntil, language, await zoneOf(account.bitrix, account));
    const values = { login: account.login, until, untilText: until };
    const tag = `signservice|lockout|${account.id}|${lockedUntil.getTime()}`;
    const jobs: Promise<void>[] = [];
    if (account.email) {
      const to = account.email;
      jobs.push(attempt('signer e-mail', account, () => mail(to, 'lockout', language, values)));
    }
    const link = account.bitrix;
    if (link && deps.b24) {
      const text = fillPlaceholders(messagesFor(language).notices.lockout, values);
      jobs.push(attempt('signer Bitrix24', account, () => notify(link.memberId, link.userId, text, tag)));
    }
    const portal = account.memberId ? await deps.store.portals.get(account.memberId) : undefined;
    const adminId = portal?.status === 'installed' ? portal.userId : undefined;
    if (portal && adminId !== undefined && adminId !== link?.userId) {
      const adminLanguage = deps.defaultLanguage;
      const adminUntil = formatDateTime(
        lockedUntil,
        adminLanguage,
        await zoneOf({ memberId: portal.memberId, userId: adminId }),
      );
      const text = fillPlaceholders(messagesFor(adminLanguage).notices.lockoutAdmin, { ...values, until: adminUntil });
      const data = { ...values, untilText: adminUntil, portal: portal.domain };
      jobs.push(attempt('administrator Bitrix24', account, () => notify(portal.memberId, adminId, text, tag)));
      jobs.push(
        attempt('administrator e-mail', account, async () => {
          const to = (await userFields(portal.memberId, adminId)).email;
          if (to) await mail(to, 'lockout-admin', adminLanguage, data);
        }),
      );
    }
    if (deps.adminEmail) {
      const to = deps.adminEmail;
      // The service's operator reads the service's zone.
      const untilText = formatDateTime(lockedUntil, deps.defaultLanguage, personTimeZone({ service: deps.timeZone }));
      const data = { ...values, untilText, portal: portal?.domain ?? account.memberId ?? '—' };
      jobs.push(attempt('operator e-mail', account, () => mail(to, 'lockout-admin', deps.defaultLanguage, data)));
    }
    await Promise.all(jobs);
  };
}
