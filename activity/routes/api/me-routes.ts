/**
 * /api/v1/me: My signing, for every signed-in Bitrix24 user (ordinary users get nothing else): their
 * account, the certificates they may sign with and when those expire, the OTP state, how many documents wait
 * for their signature on this portal with the way to the "Waiting for me" list (an approval link of one of
 * them, as their notices carry: it proves them there, and every decision still needs their code), their own
 * signing history, and "Send me a new enrollment link" when the operator allowed self-service.
 */
import { z } from 'zod';
import { readAdminSettings } from '../../../shared/admin/admin-settings.js';
import type { Account } from '../../../shared/domain/account.js';
import type { SignLogEntry } from '../../../shared/domain/sign-log-entry.js';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import { sendEnrollmentMail } from '../../../shared/mail/send-enrollment-mail.js';
import { approvalLinkExpiry, approvalToken, approvalUrl } from '../../../shared/sign-requests/approval-link.js';
import { waitingRequests } from '../../../shared/sign-requests/waiting-requests.js';
import type { AdminApiDeps } from '../../admin/admin-api-deps.js';
import { type ApiRoute, type Caller, defineRoute } from '../../admin/api-route.js';

const HISTORY = ['signed', 'signed_without_otp', 'rejected', 'failed', 'enrolled', 'locked'];

export function meRoutes(deps: AdminApiDeps): ApiRoute[] {
  const accountOf = async (caller: Caller | undefined): Promise<Account | undefined> => {
    const p = caller?.principal;
    if (p?.kind !== 'portal-user' && p?.kind !== 'portal-admin') return undefined;
    return deps.store.accounts.findByBitrixUser(p.memberId, p.userId);
  };
  /** What waits for the account on the caller's portal, and the list's address (via the latest-expiring link). */
  const waitingOf = async (account: Account, caller: Caller | undefined) => {
    const p = caller?.principal;
    if (p?.kind !== 'portal-user' && p?.kind !== 'portal-admin') return { count: 0, url: null };
    const waiting = await waitingRequests(deps.store, { accountId: account.id, memberId: p.memberId }, deps.now());
    const last = waiting.at(-1);
    if (!last) return { count: 0, url: null };
    const token = approvalToken(deps.masterKey, {
      requestId: last.id,
      accountId: account.id,
      expiresAt: approvalLinkExpiry(last),
    });
    return { count: waiting.length, url: `${approvalUrl(deps.publicBaseUrl, token)}/waiting` };
  };
  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/me',
      authority: 'self',
      tag: 'My signing',
      summary: 'My account, certificates, OTP state and signing history',
      response: z.object({
        account: z
          .object({
            login: z.string(),
            status: z.string(),
            otpEnrolled: z.boolean(),
            otpDisabled: z.boolean(),
            lockedUntil: z.string().nullable(),
            hasEmail: z.boolean(),
          })
          .nullable(),
        certificates: z.array(
          z.object({
            id: z.string(),
            subject: z.string(),
            notAfter: z.string(),
            status: z.string(),
            isDefault: z.boolean(),
          }),
        ),
        history: z.array(
          z.object({
            time: z.string(),
            action: z.string(),
            outcome: z.string(),
            deal: z.string().nullable(),
            file: z.string().nullable(),
          }),
        ),
        waiting: z.object({ count: z.number().int(), url: z.string().nullable() }),
        selfServiceEnrollment: z.boolean(),
      }),
      async handler({ caller }) {
        const account = await accountOf(caller);
        const settings = await readAdminSettings(deps.store);
        if (!account) {
          return {
            account: null,
            certificates: [],
            history: [],
            waiting: { count: 0, url: null },
            selfServiceEnrollment: false,
          };
        }
        const now = deps.now();
        const entries = new Map((await deps.inventory()).entries.map((e) => [e.id, e]));
        const certificates = (await deps.grants.list(account)).flatMap((g) => {
          const e = entries.get(g.certId);
          return e
            ? [
                {
                  id: e.id,
                  subject: e.subject,
                  notAfter: e.notAfter.toISOString(),
                  status: e.status,
                  isDefault: g.isDefault,
                },
              ]
            : [];
        });
        const mine: SignLogEntry[] = [];
        for await (const e of deps.store.signLog.list()) {
          if (e.actor.accountId === account.id && HISTORY.includes(e.action)) mine.push(e);
        }
        const locked =
          account.lockout.lockedUntil && account.lockout.lockedUntil > now ? account.lockout.lockedUntil : undefined;
        return {
          account: {
            login: account.login,
            status: account.status,
            otpEnrolled: account.otp !== undefined,
            otpDisabled: account.otpDisabled,
            lockedUntil: locked?.toISOString() ?? null,
            hasEmail: Boolean(account.email),
          },
          certificates,
          history: mine
            .reverse()
            .slice(0, 100)
            .map((e) => ({
              time: e.time.toISOString(),
              action: e.action,
              outcome: e.outcome,
              deal: e.document?.dealId ?? null,
              file: e.document?.fileName ?? null,
            })),
          waiting: await waitingOf(account, caller),
          selfServiceEnrollment: settings.selfServiceEnrollment,
        };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/me/enrollment-link',
      authority: 'self',
      tag: 'My signing',
      summary: 'Send me a new enrollment link (when the administrator allowed self-service)',
      response: z.object({ sentTo: z.string(), expiresAt: z.string() }),
      async handler({ caller }) {
        const account = await accountOf(caller);
        if (!(await readAdminSettings(deps.store)).selfServiceEnrollment) {
          throw new AppError(ErrorCode.ADMIN_FORBIDDEN, 'Ask your administrator for a new enrollment link');
        }
        if (!account?.email || !deps.mailer) {
          throw new AppError(ErrorCode.INVALID_ARGUMENT, 'Your account has no e-mail address; ask your administrator');
        }
        const actor = { ...caller?.actor, accountId: account.id, role: 'signer' };
        const link = await deps.enrollment.createLink({ account, actor });
        await sendEnrollmentMail({
          mailer: deps.mailer,
          renderer: deps.renderer,
          to: account.email,
          login: account.login,
          language: account.language ?? deps.defaultLanguage,
          url: link.url,
          expiresAt: link.expiresAt,
          issuer: deps.otpIssuer,
          ...(account.timeZone ? { timeZone: account.timeZone } : {}),
        });
        return { sentTo: account.email, expiresAt: link.expiresAt.toISOString() };
      },
    }),
  ];
}
