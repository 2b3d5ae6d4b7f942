/**
 * The notices of the signing flow, each sent by e-mail (Handlebars HTML + text twins, templates/emails) and
 * as a Bitrix24 notification (`im.notify.system.add`, BB codes — every value escaped, shared/bitrix24/bbcode.ts —
 * reference §6.4), in the recipient's language
 * (notice-language.ts):
 *
 * - requested: a robot step waits for the signer — the approval link (approval-link.ts) and the deadline;
 * - reminder: the same signer, once most of the time has passed;
 * - outcome: the requester (the deal's responsible person: the robot call does not say who started the
 *   workflow) learns signed / rejected / expired / failed;
 * - admin: a failure only an administrator can fix goes to the portal's administrator (the user who
 *   installed the app — Bitrix24 lists no administrators, reference §6.5) by e-mail; robot steps already
 *   notify that administrator in Bitrix24 when they finish (finish-robot-step.ts), dialog requests here.
 *
 * A channel that cannot be used (no e-mail address, no Bitrix24 user) is skipped; a send throws only when no
 * channel delivered, so the sweep gives the claim back and tries again later.
 */
import { fillBbcode } from '../../shared/bitrix24/bbcode.js';
import type { Bitrix24App } from '../../shared/bitrix24/bitrix24-app.js';
import type { MasterKey } from '../../shared/crypto/master-key.js';
import type { Account } from '../../shared/domain/account.js';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { personTimeZone } from '../../shared/i18n/date-time.js';
import { fillPlaceholders, formatDateTime, type Language, messagesFor } from '../../shared/i18n/messages.js';
import type { Logger } from '../../shared/logger.js';
import type { Mailer } from '../../shared/mail/mailer.js';
import type { EmailName, TemplateRenderer } from '../../shared/mail/render-template.js';
import { noticeLanguage, portalLanguageOf } from '../../shared/notices/notice-language.js';
import { approvalLinkExpiry, approvalToken, approvalUrl } from '../../shared/sign-requests/approval-link.js';
import type { Store } from '../../shared/store/store-ports.js';
import { LookupCache } from './lookup-cache.js';

export interface SigningNoticesDeps {
  store: Store;
  b24: Bitrix24App;
  mailer: Mailer;
  renderer: TemplateRenderer;
  masterKey: MasterKey;
  publicBaseUrl: string;
  defaultLanguage: Language;
  logger: Logger;
  now: () => Date;
  /** IANA time zone of dates in notices. @default the server's */
  timeZone?: string;
}

/** A Bitrix24 user as the notices need them. */
interface Person {
  userId: number | undefined;
  name: string;
  email: string | undefined;
  account: Account | undefined;
  /** The zone this person's times are shown in: their Bitrix24 TIME_ZONE, else the account's, else TZ. */
  timeZone: string;
}

/** What every notice of one request knows. */
interface NoticeContext {
  request: SignRequest;
  memberId: string;
  dealId: number;
  dealTitle: string;
  dealLink: string;
  assignedById: number | undefined;
  portalLanguage: string | undefined;
}

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');

/** Creates the senders. */
export function signingNotices(deps: SigningNoticesDeps) {
  const date = (d: Date, language: Language, who: Person) => formatDateTime(d, language, who.timeZone);

  const lookups = new LookupCache();

  async function bitrixUser(
    memberId: string,
    userId: number | undefined,
  ): Promise<{ name: string; email?: string; timeZone?: string }> {
    if (!userId) return { name: '' };
    try {
      const users = await lookups.get(`user|${memberId}|${userId}`, () =>
        deps.b24.calls.call<unknown[]>(memberId, 'user.get', { FILTER: { ID: userId } }),
      );
      const u = (Array.isArray(users) ? users[0] : undefined) as Record<string, unknown> | undefined;
      const name = [text(u?.NAME), text(u?.LAST_NAME)].filter(Boolean).join(' ');
      const email = text(u?.EMAIL);
      const timeZone = text(u?.TIME_ZONE);
      return { name: name || `#${userId}`, ...(email ? { email } : {}), ...(timeZone ? { timeZone } : {}) };
    } catch (error) {
      deps.logger.warn({ memberId, userId, error }, 'notice: the Bitrix24 user could not be read');
      return { name: `#${userId}` };
    }
  }

  /** `zone`: the one fixed on the request for its signer (prepare-robot-request.ts), ahead of a fresh read. */
  async function person(
    memberId: string,
    userId: number | undefined,
    account?: Account,
    zone?: string,
  ): Promise<Person> {
    const found = account ?? (userId ? await deps.store.accounts.findByBitrixUser(memberId, userId) : undefined);
    const user = await bitrixUser(memberId, userId);
    const name = user.name || found?.description || found?.login || '';
    const timeZone = personTimeZone({
      bitrix: zone ?? user.timeZone,
      account: found?.timeZone,
      service: deps.timeZone,
    });
    return { userId, name, email: found?.email ?? user.email, account: found, timeZone };
  }

  async function context(request: SignRequest): Promise<NoticeContext> {
    const doc = request.document;
    if (doc.kind !== 'bitrix24') throw new AppError(ErrorCode.INTERNAL, `request ${request.id} is not a deal's`);
    const portal = await deps.store.portals.get(doc.memberId);
    let item: Record<string, unknown> = {};
    try {
      // A read up to a minute old will do for a title and a responsible person (the confirmation's, the
      // delivery's): shared/bitrix24/deal-reads.ts.
      const since = deps.now().getTime() - deps.b24.deals.keepMs;
      item = (await deps.b24.deals.read(doc.memberId, doc.entityId, since)).item;
    } catch (error) {
      deps.logger.warn({ requestId: request.id, error }, 'notice: the deal could not be read');
    }
    const assigned = Number(text(item.assignedById ?? item.ASSIGNED_BY_ID));
    return {
      request,
      memberId: doc.memberId,
      dealId: doc.entityId,
      dealTitle: text(item.title ?? item.TITLE) || `#${doc.entityId}`,
      dealLink: portal ? `https://${portal.domain}/crm/deal/details/${doc.entityId}/` : '',
      assignedById: Number.isSafeInteger(assigned) && assigned > 0 ? assigned : undefined,
      portalLanguage: portalLanguageOf(portal),
    };
  }

  const languageFor = (ctx: NoticeContext, who: Person) =>
    noticeLanguage({ account: who.account, portalLanguage: ctx.portalLanguage, fallback: deps.defaultLanguage });

  /** Sends over both channels; true when at least one delivered. */
  async function deliver(
    ctx: NoticeContext,
    who: Person,
    kind: string,
    bitrixMessage: string | undefined,
    mail: { name: EmailName; language: Language; data: Record<string, unknown> } | undefined,
  ): Promise<boolean> {
    let delivered = false;
    if (bitrixMessage && who.userId) {
      try {
        await deps.b24.calls.call(ctx.memberId, 'im.notify.system.add', {
          USER_ID: who.userId,
          MESSAGE: bitrixMessage,
          TAG: `signservice|${ctx.request.id}|${kind}`,
        });
        delivered = true;
      } catch (error) {
        deps.logger.warn({ requestId: ctx.request.id, kind, error }, 'notice: Bitrix24 notification not sent');
      }
    }
    if (mail && who.email) {
      try {
        await deps.mailer.send({ to: who.email, ...deps.renderer.email(mail.name, mail.language, mail.data) });
        delivered = true;
      } catch (error) {
        deps.logger.warn({ requestId: ctx.request.id, kind, error }, 'notice: e-mail not sent');
      }
    }
    deps.logger.info({ requestId: ctx.request.id, kind, userId: who.userId, delivered }, 'notice');
    return delivered;
  }

  function approvalLink(request: SignRequest, language: Language): string {
    const token = approvalToken(deps.masterKey, {
      requestId: request.id,
      accountId: request.accountId,
      expiresAt: approvalLinkExpiry(request),
    });
    return approvalUrl(deps.publicBaseUrl, token, language);
  }

  /** The signature request or its reminder, to the signer. */
  async function toSigner(request: SignRequest, kind: 'requested' | 'reminder'): Promise<boolean> {
    const account = await deps.store.accounts.get(request.accountId);
    const memberId = request.document.kind === 'bitrix24' ? request.document.memberId : '';
    // The deal and the signer in the same batch; the requester (the deal's responsible person) after it.
    const [ctx, signer] = await Promise.all([
      context(request),
      person(memberId, request.robot?.signerUserId, account, request.timeZone),
    ]);
    const requester = await person(ctx.memberId, ctx.assignedById);
    const language = languageFor(ctx, signer);
    const t = messagesFor(language);
    const link = approvalLink(request, language);
    const deadline = date(approvalLinkExpiry(request), language, signer);
    const values = { deal: ctx.dealTitle, deadline, link, message: request.robot?.message ?? '' };
    const bitrix = fillBbcode(kind === 'requested' ? t.notices.requested : t.notices.reminder, values);
    const data = { ...values, name: signer.name, requester: requester.name || t.approval.unknownRequester };
    const name: EmailName = kind === 'requested' ? 'signature-requested' : 'signature-reminder';
    return deliver(ctx, signer, kind, bitrix, { name, language, data });
  }

  /** The outcome of a robot request, to the requester. */
  async function outcome(request: SignRequest): Promise<boolean> {
    const signerAccount = await deps.store.accounts.get(request.accountId);
    const memberId = request.document.kind === 'bitrix24' ? request.document.memberId : '';
    const [ctx, signer] = await Promise.all([
      context(request),
      person(memberId, request.robot?.signerUserId, signerAccount, request.timeZone),
    ]);
    const requester = await person(ctx.memberId, ctx.assignedById);
    const language = languageFor(ctx, requester);
    const t = messagesFor(language);
    const m = t.mail['signature-outcome'];
    const state = request.state === 'completed' ? 'signed' : request.state;
    const values = {
      deal: ctx.dealTitle,
      signer: signer.name,
      reason: request.failure?.message ?? '',
      message: request.failure?.message ?? '',
      at: date(request.updatedAt, language, requester),
      deadline: date(request.deadline ?? request.updatedAt, language, requester),
    };
    const key = (['signed', 'rejected', 'expired'].includes(state) ? state : 'failed') as
      | 'signed'
      | 'rejected'
      | 'expired'
      | 'failed';
    const bitrix = fillBbcode(t.notices[key], values);
    const data = {
      name: requester.name,
      deal: ctx.dealTitle,
      outcome: fillPlaceholders(m[key], values),
      text: fillPlaceholders(m[`${key}Text`], values),
      dealLink: ctx.dealLink,
      ...(key === 'signed' ? { verifyLink: `${deps.publicBaseUrl}/verify?lang=${language}` } : {}),
    };
    return deliver(ctx, requester, 'outcome', bitrix, { name: 'signature-outcome', language, data });
  }

  /** A failure only an administrator can fix, to the portal's administrator. */
  async function admin(request: SignRequest): Promise<boolean> {
    const ctx = await context(request);
    const portal = await deps.store.portals.get(ctx.memberId);
    const administrator = await person(ctx.memberId, portal?.userId);
    const account = await deps.store.accounts.get(request.accountId);
    const language = languageFor(ctx, administrator);
    const summary = request.failure?.message ?? request.state;
    const data = {
      deal: ctx.dealTitle,
      summary,
      id: request.id,
      signer: account ? account.description || account.login : request.accountId,
      code: request.failure?.code ?? '',
    };
    // Robot steps notify the administrator in Bitrix24 when they finish; dialog requests are told here.
    const bitrix = request.robot ? undefined : fillBbcode(messagesFor(language).notices.admin, { message: summary });
    return deliver(ctx, administrator, 'admin', bitrix, { name: 'admin-alert', language, data });
  }

  return { toSigner, outcome, admin };
}

export type SigningNotices = ReturnType<typeof signingNotices>;
