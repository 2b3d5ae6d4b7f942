/** The enrollment e-mail: the one-time link, when it stops working, and how to set up FreeOTP. */
import { AppError, ErrorCode } from '../errors.js';
import { formatDateTime, type Language } from '../i18n/messages.js';
import type { Mailer, SentMail } from './mailer.js';
import type { TemplateRenderer } from './render-template.js';

export interface EnrollmentMailOptions {
  mailer: Mailer;
  renderer: TemplateRenderer;
  /** The recipient (the account's e-mail). */
  to: string | undefined;
  login: string;
  language: Language;
  /** The link as created by the enrollment service; `?lang=` is added so the page opens in the same language. */
  url: string;
  expiresAt: Date;
  /** Issuer / company name shown in the text (config.otp.issuer). */
  issuer: string;
  /** IANA time zone for the expiry time. @default the server's */
  timeZone?: string;
}

/** Renders and sends the enrollment e-mail. @throws AppError INVALID_ARGUMENT without an address, MAIL_FAILED */
export async function sendEnrollmentMail(options: EnrollmentMailOptions): Promise<SentMail> {
  if (!options.to) {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `Account '${options.login}' has no e-mail address; add one or pass the link on another way`,
    );
  }
  const link = new URL(options.url);
  link.searchParams.set('lang', options.language);
  const rendered = options.renderer.email('enrollment', options.language, {
    login: options.login,
    issuer: options.issuer,
    link: link.toString(),
    expiresText: formatDateTime(options.expiresAt, options.language, options.timeZone),
  });
  return options.mailer.send({ to: options.to, ...rendered });
}
