/**
 * The certificates a signer may pick in the Sign dialog and on the approval page: the account's grants,
 * looked up in the certificate inventory, keeping only those that are valid now (not expired, not yet
 * valid or revoked), the default grant first. A token certificate whose token is unplugged stays in the
 * list: the job waits for the token rather than the person being told "no certificate".
 *
 * Each choice carries what tells it apart from its neighbours (ten certificates of one person on a shared
 * token read the same by subject): the administrator's display name when there is one, else the issuer, a
 * short serial, the token label and the validity (certificate-label.ts makes the text).
 */

import { describeCertificate } from '../../shared/crypto/certificate-info.js';
import type { InventoryEntry } from '../../shared/crypto/certificate-inventory.js';
import type { Account } from '../../shared/domain/account.js';
import { AppError } from '../../shared/errors.js';
import type { CertificateKeySource } from '../../shared/signing/certificate-key-source.js';
import type { Store } from '../../shared/store/store-ports.js';

/** One certificate of the dropdown. */
export interface CertificateChoice {
  /** Inventory id (what the request names). */
  id: string;
  /** The administrator's name for it, when one was given. */
  displayName?: string;
  /** The subject's common name, else the whole subject. */
  name: string;
  /** The issuer's common name, else the whole issuer. */
  issuer: string;
  /** The serial in short form (shortSerial). */
  serial: string;
  /** The token label when the key is on a token; undefined for the internal CA. */
  tokenLabel?: string;
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

/** The CN of an RFC 4514 name (`CN=Test CA,O=Acme`), unescaped; else the whole name. */
export function nameCommonName(dn: string): string {
  const match = /(?:^|,)\s*CN=((?:\\.|[^,\\])*)/i.exec(dn);
  return match?.[1] ? match[1].replace(/\\(.)/g, '$1').trim() : dn;
}

/**
 * A serial people can read and compare: up to 12 hex digits as they are, longer ones as the first 4 and the
 * last 6 (sequential serials differ at the end, random ones anywhere).
 */
export function shortSerial(serialHex: string): string {
  const hex = serialHex.replace(/^0+(?=.)/, '').toUpperCase();
  return hex.length <= 12 ? hex : `${hex.slice(0, 4)}…${hex.slice(-6)}`;
}

/** The parts of a choice that come from the inventory entry and the store's names. */
export function describeEntry(
  entry: InventoryEntry,
  displayName: string | undefined,
): Omit<CertificateChoice, 'isDefault'> {
  return {
    id: entry.id,
    ...(displayName ? { displayName } : {}),
    name: commonName(entry.certificate, entry.subject),
    issuer: nameCommonName(entry.issuer),
    serial: shortSerial(entry.serialNumber),
    ...(entry.location.kind === 'token' ? { tokenLabel: entry.location.tokenLabel } : {}),
    notAfter: entry.notAfter,
    internalUse: entry.internalUse,
  };
}

/** The account's usable certificates, default first, then by display name or subject, then by expiry. */
export async function certificateChoices(
  store: Store,
  keys: CertificateKeySource,
  account: Account,
  now: Date,
): Promise<CertificateChoice[]> {
  const grants = await store.grants.listForAccount(account.id);
  const names = new Map((await store.certificateNames.list()).map((n) => [n.certId, n.name]));
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
    choices.push({ ...describeEntry(entry, names.get(entry.id)), isDefault: grant.isDefault });
  }
  const title = (c: CertificateChoice) => c.displayName ?? c.name;
  return choices.sort(
    (a, b) =>
      Number(b.isDefault) - Number(a.isDefault) ||
      title(a).localeCompare(title(b)) ||
      b.notAfter.getTime() - a.notAfter.getTime() ||
      a.serial.localeCompare(b.serial),
  );
}
