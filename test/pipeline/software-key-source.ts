/**
 * A CertificateKeySource over one software key, for the handler's unit tests: the inventory entry is built
 * by the real inventory code from a token-like listing of the certificate, so ids, validity and status are
 * the ones the service would compute.
 */
import {
  assertUsableForSigning,
  buildInventory,
  type InventoryEntry,
} from '../../shared/crypto/certificate-inventory.js';
import type { SigningKey } from '../../shared/crypto/signing-key.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { CertificateKeySource } from '../../shared/signing/certificate-key-source.js';
import { routeOfEntry } from '../../shared/signing/sign-route.js';

/** The key source and the entry of its certificate. */
export function softwareKeySource(
  key: SigningKey,
  label = 'SoftToken',
): { source: CertificateKeySource; entry: InventoryEntry } {
  const { entries } = buildInventory({
    tokens: [
      {
        present: true,
        modulePath: '/dev/null',
        tokenLabel: label,
        tokenSerial: '0001',
        takenAt: new Date().toISOString(),
        certificates: [{ ckaId: '01', label: 'signer', certificate: key.certificate, hasPrivateKey: true }],
      },
    ],
  });
  const entry = entries[0]!;
  const source: CertificateKeySource = {
    async find(certId) {
      if (!entry.id.startsWith(certId.toLowerCase())) {
        throw new AppError(ErrorCode.CERT_UNKNOWN, `No certificate with id ${certId} in the inventory`);
      }
      return {
        entry,
        route: routeOfEntry(entry),
        openKey: async () => {
          assertUsableForSigning(entry);
          return { key, internalUse: false };
        },
      };
    },
  };
  return { source, entry };
}
