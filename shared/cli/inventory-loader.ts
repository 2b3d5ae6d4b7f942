/**
 * Gathers the inventory for CLI commands: the internal CA's records from the data directory and the
 * configured token (listed now; if it is absent, its remembered snapshot marked "token absent").
 */
import { buildInventory, type Inventory, type InventoryCaRecords } from '../crypto/certificate-inventory.js';
import { findSnapshot, readTokenListing, type TokenListing } from '../crypto/token-snapshot.js';
import { AppError, ErrorCode } from '../errors.js';
import { caStoreIn, dataDirExists, snapshotStoreIn } from './data-dir.js';
import {
  type OpenedToken,
  openConfiguredToken,
  type TokenSelection,
  tokenConfig,
  tokenRequested,
} from './token-options.js';

/** What `loadInventory` found. The caller closes `token` when done (it stays open for signing). */
export interface LoadedInventory {
  inventory: Inventory;
  ca: InventoryCaRecords | undefined;
  /** The configured token's listing (present or remembered). */
  listing: TokenListing | undefined;
  /** The configured token, open, when it was present. */
  token: OpenedToken | undefined;
  /** Lines for stderr: an absent token, unreadable certificates. */
  warnings: string[];
}

/** Reads the internal CA records, if the data directory has a CA. */
export async function loadCaRecords(dataDir: string): Promise<InventoryCaRecords | undefined> {
  const store = caStoreIn(dataDir);
  const root = await store.loadRoot();
  if (!root) return undefined;
  const [issued, revocations] = await Promise.all([store.listIssued(), store.listRevocations()]);
  return { root, issued, revocations };
}

/**
 * Builds the inventory. A wrong PIN or a missing module fails the command (the configuration is wrong);
 * an absent token only adds a warning, its remembered certificates show as "token absent".
 */
export async function loadInventory(dataDir: string, selection: TokenSelection): Promise<LoadedInventory> {
  const ca = await loadCaRecords(dataDir);
  const warnings: string[] = [];
  let listing: TokenListing | undefined;
  let token: OpenedToken | undefined;
  if (tokenRequested(selection)) {
    const config = tokenConfig(selection);
    try {
      token = await openConfiguredToken(config);
      listing = readTokenListing(token.token, config.modulePath);
      if (dataDirExists(dataDir)) await snapshotStoreIn(dataDir).save(listing);
    } catch (error) {
      if (!(error instanceof AppError && error.code === ErrorCode.TOKEN_ABSENT)) {
        await token?.close();
        throw error;
      }
      const remembered = dataDirExists(dataDir)
        ? findSnapshot(await snapshotStoreIn(dataDir).list(), config.modulePath, config.token)
        : undefined;
      if (remembered) listing = { ...remembered, present: false };
      warnings.push(`${error.message}${remembered ? ` Showing its certificates as of ${remembered.takenAt}.` : ''}`);
    }
  }
  const inventory = buildInventory({ ...(listing ? { tokens: [listing] } : {}), ...(ca ? { ca } : {}) });
  warnings.push(...inventory.problems);
  return { inventory, ca, listing, token, warnings };
}
