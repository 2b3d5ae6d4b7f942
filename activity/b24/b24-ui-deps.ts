/**
 * What the Bitrix24-facing pages (the Sign dialog, the approval page) need, built once by createApp:
 * the store and master key, the process's Bitrix24 side (REST client with the app's tokens), the queue and
 * the certificate inventory for submitting signatures, the OTP gate, and the guards: CSRF tokens, the
 * long-poll limits and the preview's render pool.
 */
import type { Bitrix24App } from '../../shared/bitrix24/bitrix24-app.js';
import type { MasterKey } from '../../shared/crypto/master-key.js';
import { isLanguage, type Language } from '../../shared/i18n/messages.js';
import type { Logger } from '../../shared/logger.js';
import type { TemplateRenderer } from '../../shared/mail/render-template.js';
import type { OtpAuthorizer } from '../../shared/otp/otp-authorizer.js';
import type { JobQueue } from '../../shared/queue/queue-port.js';
import type { CertificateKeySource } from '../../shared/signing/certificate-key-source.js';
import type { Store } from '../../shared/store/store-ports.js';
import type { CsrfTokens } from '../middleware/csrf-guard.js';
import type { PollSlots } from '../middleware/poll-slots.js';
import type { PageRenderPool } from './page-render-pool.js';

export interface B24UiDeps {
  store: Store;
  masterKey: MasterKey;
  renderer: TemplateRenderer;
  /** The process's Bitrix24 side (shared REST client and its batching of small calls). */
  b24: Bitrix24App;
  queue: JobQueue;
  keys: CertificateKeySource;
  authorizer: OtpAuthorizer;
  publicBaseUrl: string;
  defaultLanguage: Language;
  logger: Logger;
  now: () => Date;
  /** For calls made with a page's own AUTH_ID. @default global fetch */
  fetch?: typeof fetch;
  /** IANA time zone of dates shown on pages. @default the server's */
  timeZone?: string;
  /** Documents one code may sign at once (BATCH_MAX_DOCUMENTS). */
  batchMaxDocuments: number;
  /** Largest document fetched for the approval page's preview (config.worker.maxDocumentBytes). */
  maxDocumentBytes: number;
  /** CSRF tokens of the pages' state-changing calls (csrf-guard.ts). */
  csrf: CsrfTokens;
  /** PUBLIC_BASE_URL's origin: the only Origin a state-changing call may come from. */
  origin: string;
  /** Long polls in flight, per session or link and in total. */
  polls: PollSlots;
  /** The preview's pdftoppm pool and page cache. */
  pages: PageRenderPool;
}

/** Bitrix24 `LANG` values of Russian-speaking portals (ru, ua, by, kz) get Russian; everything else English. */
export function languageOfLang(lang: unknown, fallback: Language): Language {
  if (typeof lang !== 'string' || lang === '') return fallback;
  const code = lang.toLowerCase().slice(0, 2);
  if (isLanguage(code)) return code;
  return ['ua', 'by', 'kz'].includes(code) ? 'ru' : 'en';
}
