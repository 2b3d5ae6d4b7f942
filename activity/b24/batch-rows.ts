/**
 * The signer an approval link proves, for the batch pages, and the documents those pages list: the signer's
 * own requests (by account and portal — an id that is anybody else's refuses the whole page, nothing is
 * shown or signed), each with its deal's title (the reads of several deals travel in one `batch` through the
 * process's call coalescer) and a link to its own approval page, where the document can be read.
 */
import type { SignLogActor } from '../../shared/domain/sign-log-entry.js';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { personTimeZone } from '../../shared/i18n/date-time.js';
import type { Language } from '../../shared/i18n/messages.js';
import { approvalLinkExpiry, approvalToken } from '../../shared/sign-requests/approval-link.js';
import { isOverdue } from '../../shared/sign-requests/expire-sign-request.js';
import { waitingRequests } from '../../shared/sign-requests/waiting-requests.js';
import type { ApprovalDocuments } from './approval-documents.js';
import type { B24UiDeps } from './b24-ui-deps.js';
import type { BatchRow } from './batch-view.js';
import type { OpenedLink } from './opened-link.js';
import { signerName } from './signer-name.js';

/** Who the link proves, and how the pages address and name them. */
export interface SignerOfLink {
  token: string;
  accountId: string;
  memberId: string;
  language: Language;
  /** The zone the signer's times are shown in (the request's, fixed when it began waiting). */
  timeZone: string;
  name: string;
  actor: SignLogActor;
  /** Before the link's deadline: only then does it list or sign anything. */
  usable: boolean;
}

/**
 * The signer of an opened link. @throws AppError APPROVAL_CLOSED for a link past its deadline unless
 * `evenExpired` (the progress of a batch it already signed stays readable).
 */
export async function signerOfLink(
  deps: B24UiDeps,
  opened: OpenedLink,
  options: { evenExpired?: boolean } = {},
): Promise<SignerOfLink> {
  const { request } = opened;
  if (request.document.kind !== 'bitrix24') throw new AppError(ErrorCode.SIGN_REQUEST_NOT_FOUND, 'No such link');
  if (!opened.usable && !options.evenExpired) {
    throw new AppError(ErrorCode.APPROVAL_CLOSED, 'This approval link has expired; open a more recent one');
  }
  const account = await deps.store.accounts.get(request.accountId);
  return {
    token: opened.token,
    accountId: request.accountId,
    memberId: request.document.memberId,
    language: opened.language,
    timeZone: personTimeZone({ bitrix: request.timeZone, account: account?.timeZone, service: deps.timeZone }),
    name: await signerName(deps, request, account),
    actor: {
      role: 'signer',
      ...(request.robot ? { memberId: request.robot.memberId, userId: request.robot.signerUserId } : {}),
    },
    usable: opened.usable,
  };
}

/**
 * The requests `ids` name, each the signer's (account and portal) — or, without `ids`, everything waiting
 * for the signer. @throws AppError SIGN_REQUEST_NOT_FOUND naming the first id that is not the signer's
 */
export async function ownRequests(
  deps: B24UiDeps,
  signer: SignerOfLink,
  ids?: readonly string[],
): Promise<SignRequest[]> {
  if (!ids) return waitingRequests(deps.store, signer, deps.now());
  const found = await Promise.all(
    ids.map((id) => (/^[A-Za-z0-9-]{1,64}$/.test(id) ? deps.store.signRequests.get(id) : undefined)),
  );
  return found.map((request, i) => {
    const doc = request?.document;
    if (
      !request ||
      request.accountId !== signer.accountId ||
      doc?.kind !== 'bitrix24' ||
      doc.memberId !== signer.memberId
    ) {
      throw new AppError(
        ErrorCode.SIGN_REQUEST_NOT_FOUND,
        `Sign request ${String(ids[i]).slice(0, 64)} is not one of yours`,
      );
    }
    return request;
  });
}

/** The requests that still wait for their signer at `now`. */
export function stillWaiting(requests: readonly SignRequest[], now: Date): SignRequest[] {
  return requests.filter((r) => r.state === 'awaiting_signer' && !isOverdue(r, now));
}

/** The rows of a list: deal titles (read together) and each request's own approval link. */
export async function batchRows(
  deps: B24UiDeps,
  docs: ApprovalDocuments,
  signer: SignerOfLink,
  depth: number,
  requests: readonly SignRequest[],
): Promise<BatchRow[]> {
  const up = '../'.repeat(depth);
  const titles = await Promise.all(requests.map((r) => docs.dealTitle(r)));
  return requests.map((request, i) => {
    const token = approvalToken(deps.masterKey, {
      requestId: request.id,
      accountId: request.accountId,
      expiresAt: approvalLinkExpiry(request),
    });
    return {
      request,
      dealTitle: titles[i] ?? '',
      openUrl: `${up}${encodeURIComponent(token)}?lang=${signer.language}`,
    };
  });
}
