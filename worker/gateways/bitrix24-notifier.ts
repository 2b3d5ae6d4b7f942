/**
 * Notices for requests on Bitrix24 deals (other requests go to `fallback`):
 *
 * - signed: a timeline comment on the deal (reference §6.3) saying the file is signed — who signed, which
 *   certificate, whether a one-time code was used, the signed file by its name (it kept the original's), in
 *   the portal's language. Its answer can be lost; the comment is then sent again (repeatable): a
 *   duplicate comment is visible and harmless, a missing one would leave the deal without the record of who
 *   signed. Bitrix24 offers no way to add a comment only once.
 * - failed: the robot step is finished with Result=failed/expired/rejected and the reason, and the portal's
 *   administrator gets a notice (finish-robot-step.ts). Best effort here; the worker's sweep finishes what
 *   this could not.
 */
import type { SignRequest } from '../../shared/domain/sign-request.js';
import type { Logger } from '../../shared/logger.js';
import { noticeLanguage } from '../../shared/notices/notice-language.js';
import { finishUnsignedStep, type RobotDeps } from '../bitrix24/finish-robot-step.js';
import { type SignatureFacts, signedComment } from '../bitrix24/robot-texts.js';
import type { Notifier } from './notifier.js';

const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

/** Who signed what, from the request's step records and the account. */
async function signatureFacts(deps: RobotDeps & { verifyUrl?: string }, request: SignRequest): Promise<SignatureFacts> {
  const account = await deps.store.accounts.get(request.accountId);
  const sign = request.steps.sign?.data ?? {};
  const serial = text(sign.certSerial);
  return {
    signer: account
      ? account.description
        ? `${account.description} (${account.login})`
        : account.login
      : request.accountId,
    signerUserId: request.robot?.signerUserId ?? account?.bitrix?.userId,
    certificate: `${text(sign.certSubject) || request.certId}${serial ? `, serial ${serial}` : ''}`,
    otp: request.steps.authorize?.data.otp === 'disabled' ? 'disabled' : 'used',
    fileId: text(request.steps.deliver?.data.fileId),
    fileName: request.document.kind === 'bitrix24' ? request.document.fileName : undefined,
    dealId: request.document.kind === 'bitrix24' ? request.document.entityId : 0,
    requestId: request.id,
    ...(deps.verifyUrl ? { verifyUrl: deps.verifyUrl } : {}),
  };
}

/** Creates the notifier. */
export function bitrix24Notifier(
  deps: RobotDeps & { fallback: Notifier; logger: Logger /** the public verification page */; verifyUrl?: string },
): Notifier {
  return {
    async signed(request) {
      if (request.document.kind !== 'bitrix24') return deps.fallback.signed(request);
      const facts = await signatureFacts(deps, request);
      const portal = await deps.store.portals.get(request.document.memberId);
      const language = noticeLanguage({ portalLanguage: portal?.language, fallback: deps.language });
      await deps.b24.calls.call(
        request.document.memberId,
        'crm.timeline.comment.add',
        { fields: { ENTITY_ID: facts.dealId, ENTITY_TYPE: 'deal', COMMENT: signedComment(facts, language) } },
        { repeatable: true },
      );
      deps.logger.info({ requestId: request.id, dealId: facts.dealId }, 'timeline comment added');
    },
    signedLocally: (request) => request.document.kind !== 'bitrix24' && deps.fallback.signedLocally?.(request) === true,
    async failed(request) {
      if (request.document.kind !== 'bitrix24' || !request.robot) return deps.fallback.failed(request);
      await finishUnsignedStep(deps, request).catch((error: unknown) => {
        deps.logger.warn({ requestId: request.id, error }, 'workflow step not finished yet; the sweep retries');
      });
    },
  };
}
