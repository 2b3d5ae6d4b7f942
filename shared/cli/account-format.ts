/** Plain-text views of accounts for `signservice account list | show`. */
import type { Account } from '../domain/account.js';
import type { CertificateGrant } from '../domain/certificate-grant.js';

/** One word for the OTP state: what the administrator has to act on. */
export function otpState(account: Account, now = new Date()): string {
  if (account.otpDisabled) return 'DISABLED';
  const until = account.lockout.lockedUntil;
  if (until && until.getTime() > now.getTime()) return `locked until ${until.toISOString()}`;
  return account.otp ? 'enrolled' : 'not enrolled';
}

/** The portal column: its member_id, or '-' for a service-wide account. */
const portalText = (account: Account): string => account.memberId ?? '-';
/** The Bitrix24 user the account is linked to on its portal. */
const userText = (account: Account): string => (account.bitrix ? String(account.bitrix.userId) : '-');

/** A table with one account per line. */
export function describeAccountList(accounts: Account[]): string {
  if (accounts.length === 0) return 'No accounts yet (signservice account add LOGIN).';
  const rows = [
    ['LOGIN', 'STATUS', 'OTP', 'E-MAIL', 'PORTAL', 'USER', 'DESCRIPTION'],
    ...accounts.map((a) => [a.login, a.status, otpState(a), a.email ?? '-', portalText(a), userText(a), a.description]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** One account in detail, with its certificate grants. */
export function describeAccount(account: Account, grants: CertificateGrant[]): string {
  const lines = [
    `Account:      ${account.login}`,
    `Id:           ${account.id}`,
    `Description:  ${account.description || '-'}`,
    `E-mail:       ${account.email ?? '-'}`,
    `Portal:       ${account.memberId ?? 'none (service-wide account)'}`,
    `Bitrix24:     ${account.bitrix ? `user ${account.bitrix.userId}` : 'not linked'}`,
    `Time zone:    ${account.timeZone ?? "not set (the Bitrix24 user's, else the service's TZ)"}`,
    `Status:       ${account.status}`,
    `OTP:          ${otpState(account)}${account.otp ? ` (enrolled ${account.otp.enrolledAt.toISOString()})` : ''}`,
  ];
  if (account.otpDisabled) lines.push('              WARNING: signs without a one-time code');
  if (account.lockout.failures.length)
    lines.push(`Wrong codes:  ${account.lockout.failures.length} in the current window`);
  lines.push(`Created:      ${account.createdAt.toISOString()}`);
  lines.push(grants.length ? 'Certificates:' : 'Certificates: none granted');
  for (const g of grants)
    lines.push(`  ${g.certId}${g.isDefault ? '  (default)' : ''}  granted ${g.grantedAt.toISOString()}`);
  return lines.join('\n');
}
