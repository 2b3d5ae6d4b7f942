/**
 * An approval link as the routes see it after its checks (approval.ts `openLink`): the request it names,
 * whether its deadline has passed, and the page's language. While it is open, the page shows the document
 * and takes a decision; after that, only the outcome.
 */
import type { SignRequest } from '../../shared/domain/sign-request.js';
import type { Language } from '../../shared/i18n/messages.js';

export interface OpenedLink {
  token: string;
  request: SignRequest;
  /** Before the link's deadline. */
  usable: boolean;
  language: Language;
}

/** Whether the link may still show the document and take a decision. */
export const isOpen = (opened: OpenedLink): boolean => opened.usable && opened.request.state === 'awaiting_signer';

/** What the CSRF token of a link's forms is bound to, and the key of its long-poll limit. */
export const approvalCsrfBinding = (token: string): string => `approval:${token}`;
