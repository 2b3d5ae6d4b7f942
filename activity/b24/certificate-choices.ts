/**
 * The certificates a signer may pick in the Sign dialog and on the approval page: the account's grants,
 * looked up in the certificate inventory, keeping only those that are valid now (not expired, not yet
 * valid or revoked), the default grant first. A token certificate whose token is unplugged stays in the
 * list: the job waits for the token rather than the person being told "no certificate".
 */

import { describeCertificate } from '../../shared/crypto/certificate-info.js';
import type { Account } from '../../shared/domain/account.js';
import { AppError } from '../../shared/errors.js';
import type { CertificateKeySource } from '../../shared/signing/certificate-key-source.js';
import type { Store } from '../../shared/store/store-ports.js';

/** One certificate of the dropdown. */
export interface CertificateChoice {
  /** Inventory id (what the request names). */
  id: string;
  /** The subject's common name, else the whole subject. */
  name: string;
  notAfter: Date;
  isDefault: boolean;
  internalUse: boolean;
}

const USABLE = new Set(['valid', 'token-absent']);

function commonName(der: Buffer, subject: string): string {
  try {
    return describeCertificate(der).subjectCommonName ?? subject;
  } catch {
    return subject;
  }
}

/** The account's usable certificates, default first, then by expiry (latest first). */
export async function certificateChoices(
  store: Store,
  keys: CertificateKeySource,
  account: Account,
  now: Date,
): Promise<CertificateChoice[]> {
  const grants = await store.grants.listForAccount(account.id);
  const choices: CertificateChoice[] = [];
  for (const grant of grants) {
    let found: Awaited<ReturnType<CertificateKeySource['find']>>;
    try {
      found = await keys.find(grant.certId);
    } catch (error) {
      // A grant of a certificate the inventory no longer knows is simply not offered.
      if (error instanceof AppError) continue;
      throw error;
    }
    const { entry } = found;
    if (!USABLE.has(entry.status)) continue;
    if (entry.notBefore.getTime() > now.getTime() || entry.notAfter.getTime() <= now.getTime()) continue;
    if (choices.some((c) => c.id === entry.id)) continue;
    choices.push({
      id: entry.id,
      name: commonName(entry.certificate, entry.subject),
      notAfter: entry.notAfter,
      isDefault: grant.isDefault,
      internalUse: entry.internalUse,
    });
  }
  return choices.sort(
    (a, b) => Number(b.isDefault) - Number(a.isDefault) || b.notAfter.getTime() - a.notAfter.getTime(),
  );
}
