/**
 * The sentence a signer reads for a refused signature (the same texts the Sign dialog's script shows):
 * per error code, with the lock's end time for OTP_LOCKED, a batch's cap for BATCH_TOO_LARGE and the error's
 * own message where the text has a `{message}` slot.
 */
import type { AppError } from '../../shared/errors.js';
import { fillPlaceholders, formatDateTime, type Language, messagesFor } from '../../shared/i18n/messages.js';

/** The localized text for `error`. */
export function dialogErrorText(language: Language, error: AppError, timeZone?: string): string {
  const texts = messagesFor(language).dialogErrors;
  const template = (texts as Record<string, string>)[error.code] ?? texts.GENERIC;
  const lockedUntil = error.details?.lockedUntil;
  const until = typeof lockedUntil === 'string' ? formatDateTime(new Date(lockedUntil), language, timeZone) : '';
  const max = typeof error.details?.max === 'number' ? error.details.max : '';
  return fillPlaceholders(template, { message: error.message, until, max });
}
