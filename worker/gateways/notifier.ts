/**
 * Telling people what happened to a sign request. Bitrix24 requests notify through the portal (timeline,
 * im.notify); local-file requests have nobody to notify, so that implementation writes a log line.
 */
import type { SignRequest } from '../../shared/domain/sign-request.js';
import type { Logger } from '../../shared/logger.js';

export interface Notifier {
  /** The document is signed and delivered. Idempotent per request (a retry may call it again). */
  signed(request: SignRequest): Promise<void>;
  /**
   * True when `signed(request)` only writes in this process (a log line): nothing outside can fail, so the
   * pipeline may record it in the delivery's own store commit. Absent or false: it reaches out.
   */
  signedLocally?(request: SignRequest): boolean;
  /** The request failed for good; `request.failure` says why. Best effort. */
  failed(request: SignRequest): Promise<void>;
}

/** The notifier of local-file requests: one log line per event. */
export function logNotifier(logger: Logger): Notifier {
  const facts = (r: SignRequest) => ({
    requestId: r.id,
    accountId: r.accountId,
    certId: r.certId,
    ...(r.document.kind === 'file' ? { outputPath: r.document.outputPath } : {}),
  });
  return {
    async signed(request) {
      logger.info({ ...facts(request), signedSha256: request.signedSha256 }, 'sign request completed');
    },
    signedLocally: () => true,
    async failed(request) {
      logger.warn({ ...facts(request), failure: request.failure }, 'sign request failed');
    },
  };
}
