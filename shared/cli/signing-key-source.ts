/**
 * The key `signservice sign` signs with, from exactly one source: a PKCS#12 file, a PEM key and
 * certificate, a token key by CKA_ID (`--key-id`), or an inventory entry (`--cert-id`). Whatever the
 * source, a certificate of the internal CA is checked against its revocations (a revoked one is refused)
 * and signs with the "internal use" stamp and the root in its chain.
 */
import { X509Certificate } from 'node:crypto';
import { settingsEnvironment } from '../config-file.js';
import { describeCertificate } from '../crypto/certificate-info.js';
import { findInventoryEntry, type InventoryCaRecords } from '../crypto/certificate-inventory.js';
import { openInventorySigningKey } from '../crypto/inventory-signing-key.js';
import type { SigningKey } from '../crypto/signing-key.js';
import { loadPemKey, loadPkcs12 } from '../crypto/software-key.js';
import { AppError, ErrorCode } from '../errors.js';
import { invalid, readFileFor } from './cli-args.js';
import { dataDirFrom, existingDataDir } from './data-dir.js';
import { loadCaRecords, loadInventory } from './inventory-loader.js';
import { loadDataDirMasterKey } from './master-key-source.js';
import { type OpenedToken, openConfiguredToken, tokenConfig, tokenRequested, tokenSelection } from './token-options.js';

/** A key ready for signing; `close()` releases the token (if any) once the signature is made. */
export interface LoadedSigningKey {
  key: SigningKey;
  internalUse: boolean;
  close(): Promise<void>;
}

type Values = Record<string, string | boolean | undefined>;

const NO_TOKEN = async () => {};

/**
 * Loads the key named by the sign command's flags.
 * @throws AppError INVALID_ARGUMENT (no or several sources), the key and token errors, CERT_REVOKED.
 */
export async function loadSigningKey(v: Values): Promise<LoadedSigningKey> {
  const sources = [v.p12, v.key ?? v.cert, v['key-id'], v['cert-id']].filter((s) => typeof s === 'string');
  if (sources.length > 1) throw invalid('use one key source: --p12, --key/--cert, --key-id or --cert-id');
  const dataDir = dataDirFrom(v);
  if (typeof v['cert-id'] === 'string') {
    // The inventory without a token is the data directory's: a missing one is a wrong folder, not "no such id".
    return fromInventory(v['cert-id'], v, tokenRequested(tokenSelection(v)) ? dataDir : existingDataDir(v));
  }
  const chain = typeof v.chain === 'string' ? readFileFor('chain file', v.chain) : undefined;
  if (typeof v['key-id'] === 'string') {
    const selection = tokenSelection(v);
    if (!tokenRequested(selection))
      throw invalid('--key-id needs a token: --pkcs11-module PATH --token LABEL --pin-file FILE');
    const opened = await openConfiguredToken(tokenConfig(selection));
    try {
      const key = opened.token.signingKey(v['key-id'], chain ? pemCertificates(chain) : []);
      return { ...(await checkInternalCa(key, dataDir)), close: opened.close };
    } catch (error) {
      await opened.close();
      throw error;
    }
  }
  if (typeof v.p12 === 'string') {
    const password = (v['p12-password'] as string | undefined) ?? settingsEnvironment().SIGNSERVICE_P12_PASSWORD ?? '';
    const key = await loadPkcs12(readFileFor('PKCS#12 file', v.p12), password);
    return { ...(await checkInternalCa(key, dataDir)), close: NO_TOKEN };
  }
  if (typeof v.key === 'string' && typeof v.cert === 'string') {
    const key = loadPemKey(readFileFor('key file', v.key), readFileFor('certificate file', v.cert), chain);
    return { ...(await checkInternalCa(key, dataDir)), close: NO_TOKEN };
  }
  throw invalid(
    'a key is required: --p12 FILE, --key KEY.pem with --cert CERT.pem, --key-id HEX with a token, or --cert-id ID',
  );
}

/** `--cert-id`: resolve through the inventory (internal CA + configured token). */
async function fromInventory(ref: string, v: Values, dataDir: string): Promise<LoadedSigningKey> {
  const selection = tokenSelection(v);
  const loaded = await loadInventory(dataDir, selection);
  const opened: OpenedToken[] = loaded.token ? [loaded.token] : [];
  const close = async () => {
    for (const t of opened.reverse()) await t.close();
  };
  try {
    const entry = findInventoryEntry(loaded.inventory.entries, ref);
    const resolved = await openInventorySigningKey(entry, {
      ...(loaded.ca ? { ca: loaded.ca } : {}),
      masterKey: () => loadDataDirMasterKey(dataDir, { create: false }),
      openTokenKey: async (location, chain) => {
        const listed = loaded.listing?.present && loaded.listing.tokenSerial === location.tokenSerial && loaded.token;
        if (listed) return listed.token.signingKey(location.ckaId, chain);
        // The key is on a token that was not configured for this run: open it from the entry's location.
        const fallback = { modulePath: location.modulePath, label: location.tokenLabel, serial: location.tokenSerial };
        const token = await openConfiguredToken(tokenConfig(selection, fallback));
        opened.push(token);
        return token.token.signingKey(location.ckaId, chain);
      },
    });
    return { ...resolved, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Refuses a revoked internal-CA certificate and marks internal ones; adds the root to an empty chain.
 * A data directory without a CA changes nothing.
 */
async function checkInternalCa(key: SigningKey, dataDir: string): Promise<{ key: SigningKey; internalUse: boolean }> {
  const ca: InventoryCaRecords | undefined = await loadCaRecords(dataDir);
  if (!ca) return { key, internalUse: false };
  const id = describeCertificate(key.certificate).fingerprintSha256.toLowerCase();
  const revocation = ca.revocations.find((r) => r.id === id);
  if (revocation) {
    throw new AppError(
      ErrorCode.CERT_REVOKED,
      `The certificate ${id.slice(0, 16)}… (serial ${revocation.serialNumber}) was revoked by the internal CA on ${revocation.revokedAt}; it cannot sign`,
    );
  }
  if (!ca.issued.some((r) => r.id === id)) return { key, internalUse: false };
  const chained = key.chain.length > 0 ? key : withChain(key, [ca.root.certificate]);
  return { key: chained, internalUse: true };
}

/** The certificates of a PEM chain file, as DER. */
function pemCertificates(pem: Buffer): Buffer[] {
  const blocks = pem.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => {
    try {
      return new X509Certificate(block).raw;
    } catch (error) {
      throw new AppError(
        ErrorCode.KEY_INVALID,
        `The chain file holds a certificate that cannot be read: ${(error as Error).message}`,
      );
    }
  });
}

/** The same key with another chain (the signer may be a class instance: keep `sign` bound to it). */
function withChain(key: SigningKey, chain: Buffer[]): SigningKey {
  return Object.freeze({
    certificate: key.certificate,
    chain: Object.freeze([...chain]),
    algorithm: key.algorithm,
    sign: (data: Buffer) => key.sign(data),
  });
}
