/**
 * What the worker writes into a portal — the timeline comment, the workflow log line, the administrators'
 * notice — in Russian or English: the comment and the notice in the portal's language (stored at install, else
 * the configured default), the workflow log lines in the configured default. BB codes as Bitrix24
 * renders them in comments and notifications (reference §6.3, §6.4); every value that did not come from us
 * (names, certificate subjects, file names, reasons) is escaped (shared/bitrix24/bbcode.ts).
 */
import { escapeBbcode } from '../../shared/bitrix24/bbcode.js';
import type { RobotResult, SignRequest } from '../../shared/domain/sign-request.js';
import { formatDateTime } from '../../shared/i18n/date-time.js';

export type PortalLanguage = 'ru' | 'en';

/** Facts of a finished signature, from the request's step records. */
export interface SignatureFacts {
  signer: string;
  signerUserId: number | undefined;
  certificate: string;
  otp: 'used' | 'disabled';
  fileId: string;
  /** The signed file's name on the deal (the original's), when known. */
  fileName?: string | undefined;
  dealId: number;
  requestId: string;
  /** The public verification page (<PUBLIC_BASE_URL>/verify), when known. */
  verifyUrl?: string;
}

const RESULT_WORDS: Record<PortalLanguage, Record<RobotResult, string>> = {
  en: { signed: 'signed', rejected: 'rejected', expired: 'expired', failed: 'failed' },
  ru: { signed: 'подписан', rejected: 'отклонён', expired: 'срок истёк', failed: 'ошибка' },
};

/** The timeline comment of a signature: who, with which certificate, OTP used or not, the signed file. */
export function signedComment(f: SignatureFacts, lang: PortalLanguage): string {
  const name = escapeBbcode(f.signer);
  const who = f.signerUserId ? `[USER=${f.signerUserId}]${name}[/USER]` : name;
  const certificate = escapeBbcode(f.certificate);
  const file = (id: string) => (f.fileName ? `${escapeBbcode(f.fileName)} (${id} ${f.fileId})` : `${id} ${f.fileId}`);
  if (lang === 'ru') {
    return [
      `[B]PDF подписан электронной подписью[/B] (SignService)`,
      `Подписант: ${who}`,
      `Сертификат: ${certificate}`,
      `Одноразовый код: ${f.otp === 'used' ? 'подтверждён' : 'отключён для этой учётной записи'}`,
      `Подписанный файл: ${file('ID')}`,
      `Запрос: ${f.requestId}`,
      ...(f.verifyUrl ? [`Проверить документ: [URL=${f.verifyUrl}]${f.verifyUrl}[/URL]`] : []),
    ].join('\n');
  }
  return [
    `[B]PDF signed with a digital signature[/B] (SignService)`,
    `Signer: ${who}`,
    `Certificate: ${certificate}`,
    `One-time code: ${f.otp === 'used' ? 'used' : 'disabled for this account'}`,
    `Signed file: ${file('id')}`,
    `Request: ${f.requestId}`,
    ...(f.verifyUrl ? [`Verify this document: [URL=${f.verifyUrl}]${f.verifyUrl}[/URL]`] : []),
  ].join('\n');
}

/** The workflow log line that goes with `bizproc.event.send`. */
export function outcomeLogMessage(result: RobotResult, detail: string, lang: PortalLanguage): string {
  const head = lang === 'ru' ? `SignService: ${RESULT_WORDS.ru[result]}` : `SignService: ${RESULT_WORDS.en[result]}`;
  return detail ? `${head} — ${detail}` : head;
}

/** The workflow log line with which the portal confirms the call's event token (confirm-robot-call.ts). */
export function checkingLogMessage(lang: PortalLanguage): string {
  return lang === 'ru'
    ? 'SignService: запрос получен, проверяется в портале'
    : 'SignService: request received, confirming it with the portal';
}

/** "Waiting for …" in the workflow log when the step starts. */
export function waitingLogMessage(
  signer: string,
  deadline: Date | undefined,
  lang: PortalLanguage,
  timeZone?: string,
): string {
  const until = deadline ? ` ${lang === 'ru' ? 'до' : 'until'} ${formatDateTime(deadline, lang, timeZone)}` : '';
  return lang === 'ru'
    ? `SignService: ждёт подписи${until}. Подписант: ${signer}`
    : `SignService: waiting for ${signer} to approve and sign${until}`;
}

/** The notice to the portal's administrator when a step ends without a signature. */
export function adminNotice(request: SignRequest, result: RobotResult, lang: PortalLanguage): string {
  const deal = request.document.kind === 'bitrix24' ? request.document.entityId : 0;
  const reason = escapeBbcode(request.failure?.message ?? '');
  return lang === 'ru'
    ? `SignService: шаг «Утвердить и подписать PDF» по сделке ${deal} завершён: ${RESULT_WORDS.ru[result]}. ${reason}`
    : `SignService: the "Approve & sign PDF" step on deal ${deal} ended: ${RESULT_WORDS.en[result]}. ${reason}`;
}
