/** The admin API's account shapes: what a list row and an account answer contain (never the OTP secret). */
import { z } from 'zod';
import type { Account } from '../../../shared/domain/account.js';
import type { CertificateGrant } from '../../../shared/domain/certificate-grant.js';
import { accountPortal } from '../../admin/portal-scope.js';

export const ZGrantView = z.object({ certId: z.string(), isDefault: z.boolean(), grantedAt: z.string() });

export const ZAccountView = z.object({
  id: z.string(),
  login: z.string(),
  description: z.string(),
  email: z.string().nullable(),
  language: z.enum(['en', 'ru']).nullable(),
  timeZone: z.string().nullable().describe('IANA time zone of the times shown to this person; null: not set'),
  portal: z.string().nullable().describe('member_id of the portal the account belongs to'),
  bitrixUserId: z.number().int().nullable(),
  status: z.enum(['active', 'disabled']),
  otpDisabled: z.boolean(),
  otp: z.object({ enrolled: z.boolean(), enrolledAt: z.string().nullable() }),
  locked: z.boolean(),
  lockedUntil: z.string().nullable(),
  pendingLink: z.object({ expiresAt: z.string() }).nullable(),
  grants: z.array(ZGrantView),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type AccountView = z.input<typeof ZAccountView>;

export const ZAccountId = z.object({ id: z.string().min(1).max(100) });

export function accountView(
  account: Account,
  extra: { grants: CertificateGrant[]; pendingLinkExpiresAt: Date | undefined; now: Date },
): AccountView {
  const lockedUntil = account.lockout.lockedUntil;
  const locked = lockedUntil !== undefined && lockedUntil.getTime() > extra.now.getTime();
  return {
    id: account.id,
    login: account.login,
    description: account.description,
    email: account.email ?? null,
    language: account.language ?? null,
    timeZone: account.timeZone ?? null,
    portal: accountPortal(account) ?? null,
    bitrixUserId: account.bitrix?.userId ?? null,
    status: account.status,
    otpDisabled: account.otpDisabled,
    otp: { enrolled: account.otp !== undefined, enrolledAt: account.otp?.enrolledAt.toISOString() ?? null },
    locked,
    lockedUntil: locked ? (lockedUntil?.toISOString() ?? null) : null,
    pendingLink: extra.pendingLinkExpiresAt ? { expiresAt: extra.pendingLinkExpiresAt.toISOString() } : null,
    grants: extra.grants.map((g) => ({
      certId: g.certId,
      isDefault: g.isDefault,
      grantedAt: g.grantedAt.toISOString(),
    })),
    createdAt: account.createdAt.toISOString(),
    updatedAt: account.updatedAt.toISOString(),
  };
}
