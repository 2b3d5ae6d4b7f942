/**
 * Renders the approval page (templates/pages/approval.hbs) for an opened link: while the request waits
 * for its signer, the deal, the preview, the certificates and the two forms with the link's CSRF token;
 * otherwise the outcome only, without touching the document. While the link is usable and other documents
 * wait for the same signer, it points to the "Waiting for me" list (approval-batch.ts).
 */
import type { Context } from 'koa';
import type { Account } from '../../shared/domain/account.js';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { personTimeZone } from '../../shared/i18n/date-time.js';
import { formatDateTime, messagesFor } from '../../shared/i18n/messages.js';
import { plural } from '../../shared/i18n/plural.js';
import { waitingRequests } from '../../shared/sign-requests/waiting-requests.js';
import type { ApprovalDocuments } from './approval-documents.js';
import type { ApprovalFormError } from './approval-view.js';
import { approvalView } from './approval-view.js';
import type { B24UiDeps } from './b24-ui-deps.js';
import { certificateChoices } from './certificate-choices.js';
import { approvalCsrfBinding, isOpen, type OpenedLink } from './opened-link.js';
import { signerName } from './signer-name.js';

export interface ApprovalPage {
  /** Renders the page; `depth` is how many path segments below /b24/approve/:token the current URL is. */
  /** `error`: a refusal the person can correct, shown next to the code field of the form they sent. */
  render(ctx: Context, opened: OpenedLink, depth: number, error?: ApprovalFormError): Promise<void>;
}

/** What else waits for the signer of `request` on its portal (the "Waiting for me" list). */
function waitingOf(deps: B24UiDeps, request: SignRequest): Promise<SignRequest[]> {
  if (request.document.kind !== 'bitrix24') return Promise.resolve([]);
  return waitingRequests(deps.store, { accountId: request.accountId, memberId: request.document.memberId }, deps.now());
}

/** The signer's zone: the request's (fixed when it began waiting), else the account's, else the service's. */
export function zoneOf(deps: B24UiDeps, request: SignRequest, account: Account | undefined): string {
  return personTimeZone({ bitrix: request.timeZone, account: account?.timeZone, service: deps.timeZone });
}

/** The page renderer over the routes' dependencies. */
export function approvalPage(deps: B24UiDeps, docs: ApprovalDocuments): ApprovalPage {
  return {
    async render(ctx, opened, depth, error) {
      const { request, language } = opened;
      const account = await deps.store.accounts.get(request.accountId);
      const open = isOpen(opened);
      const [dealTitle, certificates, preview, waiting, name] = await Promise.all([
        docs.dealTitle(request),
        open && account ? certificateChoices(deps.store, deps.keys, account, deps.now()) : Promise.resolve([]),
        open ? docs.preview(request) : Promise.resolve(undefined),
        opened.usable ? waitingOf(deps, request) : Promise.resolve([]),
        signerName(deps, request, account),
      ]);
      const up = '../'.repeat(depth);
      ctx.type = 'html';
      ctx.body = deps.renderer.page('approval', language, {
        ...approvalView({
          language,
          request,
          account,
          usable: opened.usable,
          dealTitle,
          signerName: name,
          certificates,
          preview,
          ...(error ? { error } : {}),
          formatDate: (d) => formatDateTime(d, language, zoneOf(deps, request, account)),
        }),
        // Other documents wait too: the way to the list that signs several with one code.
        waitingText: waiting.some((r) => r.id !== request.id)
          ? plural(language, messagesFor(language).batch.fromApproval, waiting.length)
          : '',
        csrfToken: open ? deps.csrf.tokenFor(approvalCsrfBinding(opened.token)) : '',
        selfBase: `${up}${encodeURIComponent(opened.token)}`,
        assetBase: `${up}../../static`,
        script: 'approval.js',
        cspNonce: ctx.state.cspNonce as string,
      });
    },
  };
}
