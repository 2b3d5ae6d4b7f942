/**
 * May this account sign with this certificate now? Checked when a request is submitted (so a refusal
 * reaches the person at once, before a one-time code is spent) and again by the worker right before the
 * signature (an administrator may have revoked the grant or disabled the account meanwhile).
 */
import { createGrantService } from '../accounts/grant-service.js';
import type { Account } from '../domain/account.js';
import type { CertificateGrant } from '../domain/certificate-grant.js';
import { AppError, ErrorCode } from '../errors.js';
import type { FoundCertificate } from '../signing/certificate-key-source.js';
import type { Store } from '../store/store-ports.js';

/**
 * The grant that covers the certificate. Grants name certificates by inventory id; an administrator may
 * have granted a unique prefix of it (as `signservice cert list` shows), which counts as the same id.
 */
function grantedIdFor(grants: readonly CertificateGrant[], entryId: string): string {
  const exact = grants.find((g) => g.certId.toLowerCase() === entryId);
  if (exact) return exact.certId;
  const prefix = grants.find((g) => /^[0-9a-f]{8,63}$/i.test(g.certId) && entryId.startsWith(g.certId.toLowerCase()));
  return prefix?.certId ?? entryId;
}

/**
 * Refuses with ACCOUNT_DISABLED, GRANT_MISSING, CERT_REVOKED, CERT_NOT_YET_VALID or CERT_EXPIRED; returns the
 * grant otherwise. Token presence is not checked here: that is the worker's business (TOKEN_ABSENT is retried).
 */
export async function assertMaySign(options: {
  store: Store;
  account: Account;
  certificate: FoundCertificate;
  now?: () => Date;
}): Promise<CertificateGrant> {
  const { store, account, certificate } = options;
  if (account.status === 'disabled') {
    throw new AppError(ErrorCode.ACCOUNT_DISABLED, `Account '${account.login}' is disabled by the administrator`);
  }
  const grants = createGrantService({ store, ...(options.now ? { now: options.now } : {}) });
  const { entry } = certificate;
  const grantedId = grantedIdFor(await store.grants.listForAccount(account.id), entry.id);
  return grants.assertCertificateUsable(account, grantedId, async () => ({
    notBefore: entry.notBefore,
    notAfter: entry.notAfter,
    revoked: entry.status === 'revoked',
  }));
}
