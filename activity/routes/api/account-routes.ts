/**
 * /api/v1/accounts: list with search and filters, create, read, edit (description, e-mail, language, time zone, OTP
 * requirement, active/disabled), enrollment links (sent by e-mail or handed to the administrator to copy),
 * unlock, reset OTP, and the account's certificate grants. Every change is logged naming the caller.
 */
import { z } from 'zod';
import { editAccount, resetAccountOtp } from '../../../shared/admin/edit-account.js';
import type { Account } from '../../../shared/domain/account.js';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import { sendEnrollmentMail } from '../../../shared/mail/send-enrollment-mail.js';
import { isTimeZone } from '../../../shared/pdf/stamp/stamp-time.js';
import type { AdminApiDeps } from '../../admin/admin-api-deps.js';
import { type ApiRoute, type Caller, defineRoute } from '../../admin/api-route.js';
import { accountFor, accountsFor } from '../../admin/portal-scope.js';
import { accountView, ZAccountId, ZAccountView, ZGrantView } from './account-schemas.js';

const FILTERS = ['enrolled', 'pending-link', 'locked', 'otp-disabled', 'disabled'] as const;

/** An IANA time zone name Intl knows (Europe/Moscow); the account stores its canonical spelling. */
const ZTimeZone = z
  .string()
  .max(64)
  .refine(isTimeZone, { message: 'not an IANA time zone name (e.g. Europe/Moscow)' })
  .describe('IANA time zone of the times shown to this person, e.g. Europe/Moscow');

const ZNewAccount = z.object({
  login: z.string().min(2).max(64),
  description: z.string().max(500).optional(),
  email: z.email().optional(),
  language: z.enum(['en', 'ru']).optional(),
  timeZone: ZTimeZone.optional(),
  otpDisabled: z.boolean().optional(),
  bitrixUserId: z.number().int().positive().optional().describe('The Bitrix24 user (of the caller’s portal)'),
  memberId: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe('The portal the account belongs to (operators; a portal administrator’s is always their own)'),
});

const ZAccountChange = z.object({
  description: z.string().max(500).optional(),
  email: z.email().nullable().optional(),
  language: z.enum(['en', 'ru']).nullable().optional(),
  timeZone: ZTimeZone.nullable().optional(),
  otpDisabled: z.boolean().optional(),
  status: z.enum(['active', 'disabled']).optional(),
});

export function accountRoutes(deps: AdminApiDeps): ApiRoute[] {
  const view = async (account: Account) => {
    const now = deps.now();
    const [grants, links] = await Promise.all([
      deps.grants.list(account),
      deps.store.enrollments.listOpenForAccount(account.id, now),
    ]);
    return accountView(account, { grants, pendingLinkExpiresAt: links.at(-1)?.expiresAt, now });
  };
  const load = (caller: Caller | undefined, id: string) => accountFor(deps.store, caller, id);

  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/accounts',
      authority: 'read',
      tag: 'Accounts',
      summary: 'List accounts (search in login, description and e-mail; filter by state)',
      query: z.object({ search: z.string().max(100).optional(), filter: z.enum(FILTERS).optional() }),
      response: z.object({ accounts: z.array(ZAccountView) }),
      async handler({ query, caller }) {
        const needle = query.search?.trim().toLowerCase();
        const all = await Promise.all((await accountsFor(deps.store, caller)).map(view));
        const accounts = all.filter((a) => {
          if (needle && ![a.login, a.description, a.email ?? ''].some((t) => t.toLowerCase().includes(needle))) {
            return false;
          }
          switch (query.filter) {
            case 'enrolled':
              return a.otp.enrolled;
            case 'pending-link':
              return a.pendingLink !== null;
            case 'locked':
              return a.locked;
            case 'otp-disabled':
              return a.otpDisabled;
            case 'disabled':
              return a.status === 'disabled';
            default:
              return true;
          }
        });
        return { accounts: accounts.sort((a, b) => a.login.localeCompare(b.login)) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/accounts',
      authority: 'write',
      tag: 'Accounts',
      summary: 'Create an account',
      body: ZNewAccount,
      status: 201,
      response: ZAccountView,
      async handler({ body, caller }) {
        const memberId = caller?.portal ?? body.memberId;
        if (caller?.portal && body.bitrixUserId === undefined) {
          throw new AppError(ErrorCode.INVALID_ARGUMENT, 'Pick the Bitrix24 user this account belongs to');
        }
        if (body.bitrixUserId !== undefined && !memberId) {
          throw new AppError(ErrorCode.INVALID_ARGUMENT, 'A Bitrix24 user needs the portal (memberId)');
        }
        const account = await deps.accounts.add({
          login: body.login,
          ...(memberId ? { memberId } : {}),
          ...(body.description !== undefined ? { description: body.description } : {}),
          ...(body.email !== undefined ? { email: body.email } : {}),
          ...(body.language ? { language: body.language } : {}),
          ...(body.timeZone ? { timeZone: body.timeZone } : {}),
          otpDisabled: body.otpDisabled ?? false,
          ...(body.bitrixUserId !== undefined && memberId ? { bitrix: { memberId, userId: body.bitrixUserId } } : {}),
          actor: caller?.actor,
        });
        return view(account);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/accounts/:id',
      authority: 'read',
      tag: 'Accounts',
      summary: 'One account with its OTP state and grants',
      params: ZAccountId,
      response: ZAccountView,
      handler: async ({ params, caller }) => view(await load(caller, params.id)),
    }),
    defineRoute({
      method: 'PATCH',
      path: '/api/v1/accounts/:id',
      authority: 'write',
      tag: 'Accounts',
      summary: 'Edit an account; status "disabled" deactivates it',
      params: ZAccountId,
      body: ZAccountChange,
      response: ZAccountView,
      async handler({ params, body, caller }) {
        const account = await load(caller, params.id);
        const change = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
        return view(await editAccount({ store: deps.store, account, change, actor: actorOf(caller), now: deps.now() }));
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/accounts/:id/enrollment-link',
      authority: 'write',
      tag: 'Accounts',
      summary: 'Create a one-hour, single-use enrollment link; e-mail it (send) or return it to copy',
      params: ZAccountId,
      body: z.object({ send: z.boolean(), language: z.enum(['en', 'ru']).optional() }),
      response: z.object({ sentTo: z.string().nullable(), url: z.string().nullable(), expiresAt: z.string() }),
      async handler({ params, body, caller }) {
        const account = await load(caller, params.id);
        if (body.send && !account.email) {
          throw new AppError(ErrorCode.INVALID_ARGUMENT, `Account '${account.login}' has no e-mail address`);
        }
        if (body.send && !deps.mailer) throw new AppError(ErrorCode.MAIL_FAILED, 'No mail is configured (SMTP_URL)');
        const link = await deps.enrollment.createLink({ account, actor: actorOf(caller) });
        if (!body.send || !deps.mailer) return { sentTo: null, url: link.url, expiresAt: link.expiresAt.toISOString() };
        await sendEnrollmentMail({
          mailer: deps.mailer,
          renderer: deps.renderer,
          to: account.email,
          login: account.login,
          language: body.language ?? account.language ?? deps.defaultLanguage,
          url: link.url,
          expiresAt: link.expiresAt,
          issuer: deps.otpIssuer,
          ...(account.timeZone ? { timeZone: account.timeZone } : {}),
        });
        return { sentTo: account.email ?? null, url: null, expiresAt: link.expiresAt.toISOString() };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/accounts/:id/unlock',
      authority: 'write',
      tag: 'Accounts',
      summary: 'Lift a lockout after wrong one-time codes',
      params: ZAccountId,
      response: ZAccountView,
      async handler({ params, caller }) {
        const account = await load(caller, params.id);
        return view(await deps.accounts.unlock({ login: account.login, actor: actorOf(caller) }));
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/accounts/:id/reset-otp',
      authority: 'write',
      tag: 'Accounts',
      summary: 'Forget the authenticator (lost phone); the person needs a new enrollment link',
      params: ZAccountId,
      response: ZAccountView,
      async handler({ params, caller }) {
        const account = await load(caller, params.id);
        return view(await resetAccountOtp({ store: deps.store, account, actor: actorOf(caller), now: deps.now() }));
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/accounts/:id/grants',
      authority: 'write',
      tag: 'Grants',
      summary: 'Let the account sign with a certificate (again: change whether it is the default)',
      params: ZAccountId,
      body: z.object({ certId: z.string().min(8).max(64), isDefault: z.boolean().optional() }),
      response: ZGrantView,
      async handler({ params, body, caller }) {
        const account = await load(caller, params.id);
        const granted = await deps.grants.grant({
          account,
          certId: body.certId,
          inventory: (await deps.inventory()).entries,
          isDefault: body.isDefault === true,
          actor: actorOf(caller),
        });
        return { ...granted, grantedAt: granted.grantedAt.toISOString() };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/v1/accounts/:id/grants/:certId',
      authority: 'write',
      tag: 'Grants',
      summary: 'Take a certificate away from the account',
      params: ZAccountId.extend({ certId: z.string().min(8).max(64) }),
      response: z.object({ revoked: z.literal(true) }),
      async handler({ params, caller }) {
        const account = await load(caller, params.id);
        await deps.grants.revoke({ account, certId: params.certId, actor: actorOf(caller) });
        return { revoked: true as const };
      },
    }),
  ];
}

/** The caller as the sign log names them (authorization guarantees a caller on non-public routes). */
export function actorOf(caller: Caller | undefined) {
  return caller?.actor ?? { role: 'unknown' };
}
