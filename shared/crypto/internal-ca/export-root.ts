/** Exporting the internal CA's root for installation as a trust anchor: PEM, DER and instructions. */
import { describeCertificate } from '../certificate-info.js';
import { toPem } from './ca-key-types.js';
import { requireRoot } from './ca-root.js';
import type { CaStore } from './ca-store.js';
import { rootInstallInstructions } from './root-install-instructions.js';

/** The exported root, ready to be written as root.pem, root.der and INSTALL-ROOT.txt. */
export interface ExportedRoot {
  der: Buffer;
  pem: string;
  /** The text of INSTALL-ROOT.txt (English and Russian). */
  instructions: string;
  subject: string;
  /** SHA-256 fingerprint, colon-separated upper-case hex (the form Windows and Keychain show). */
  fingerprint: string;
}

/** File names the instructions refer to. */
export const ROOT_FILE_NAMES = { pem: 'root.pem', der: 'root.der', instructions: 'INSTALL-ROOT.txt' } as const;

/**
 * The root in every form an operator installs.
 * @throws AppError CA_NOT_INITIALIZED.
 */
export async function exportRoot(store: CaStore): Promise<ExportedRoot> {
  const root = await requireRoot(store);
  const info = describeCertificate(root.certificate);
  const fingerprint = info.fingerprintSha256.match(/../g)!.join(':');
  return {
    der: root.certificate,
    pem: toPem(root.certificate, 'CERTIFICATE'),
    instructions: rootInstallInstructions({
      subject: info.subject,
      fingerprint,
      pemFile: ROOT_FILE_NAMES.pem,
      derFile: ROOT_FILE_NAMES.der,
    }),
    subject: info.subject,
    fingerprint,
  };
}
