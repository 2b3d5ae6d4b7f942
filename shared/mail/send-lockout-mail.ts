/** The lockout notice: too many wrong codes, locked until when, and who can unlock earlier. */
import type { Account } from '../domain/account.js';
import { formatDateTime, type Language } from '../i18n/messages.js';
import type { Mailer, SentMail } from './mailer.js';
import type { TemplateRenderer } from './render-template.js';

export interface LockoutMailOptions {
  mailer: Mailer;
  renderer: TemplateRenderer;
  to: string;
  login: string;
  language: Language;
  lockedUntil: Date;
  /** IANA time zone for the time. @default the server's */
  timeZone?: string;
}

/** Renders and sends the lockout notice. @throws AppError MAIL_FAILED */
export function sendLockoutMail(options: LockoutMailOptions): Promise<SentMail> {
  const rendered = options.renderer.email('lockout', options.language, {
    login: options.login,
    untilText: formatDateTime(options.lockedUntil, options.language, options.timeZone),
  });
  return options.mailer.send({ to: options.to, ...rendered });
}

/**
 * The TOTP verifier's `onLocked` hook: e-mails the notice to the locked account's address (accounts
 * without one are skipped). The verifier only logs a failure here, so a mail problem never hides the lock.
 */
export function lockoutNotifier(deps: {
  mailer: Mailer;
  renderer: TemplateRenderer;
  language: Language;
  timeZone?: string;
}): (account: Account, lockedUntil: Date) => Promise<void> {
  return async (account, lockedUntil) => {
    if (!account.email) return;
    await sendLockoutMail({ ...deps, to: account.email, login: account.login, lockedUntil });
  };
}
