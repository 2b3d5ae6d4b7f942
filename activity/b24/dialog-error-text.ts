/**
 * The sentence a signer reads for a refused signature (the same texts the Sign dialog's script shows):
 * per error code, with the lock's end time for OTP_LOCKED, a batch's cap for BATCH_TOO_LARGE and the error's
 * own message where the text has a `{message}` slot.
 */
import type { AppError } from '../../shared/errors.js';
import { fillPlaceholders, formatDateTime, type Language, messagesFor } from '../../shared/i18n/messages.js';

/**
 * The localized text for `error`; `button` is the label of the button the page's form has (the hint for a
 * wrong or missing code names it). An empty code (OTP_INVALID, `details.reason` 'missing') asks for the code
 * instead of calling it wrong.
 */
export function dialogErrorText(
  language: Language,
  error: AppError,
  timeZone?: string,
  button: string = messagesFor(language).dialog.submit,
): string {
  const texts = messagesFor(language).dialogErrors;
  const missing = error.code === 'OTP_INVALID' && error.details?.reason === 'missing';
  const template = missing ? texts.OTP_MISSING : ((texts as Record<string, string>)[error.code] ?? texts.GENERIC);
  const lockedUntil = error.details?.lockedUntil;
  const until = typeof lockedUntil === 'string' ? formatDateTime(new Date(lockedUntil), language, timeZone) : '';
  const max = typeof error.details?.max === 'number' ? error.details.max : '';
  return fillPlaceholders(template, { message: error.message, until, max, button });
}
