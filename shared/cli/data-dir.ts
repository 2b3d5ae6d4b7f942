/**
 * The data directory of the CLI: the internal CA, the token snapshots of the inventory and the master
 * key file live there until the service store takes over. `--data-dir` overrides SIGNSERVICE_DATA_DIR,
 * which overrides `./data`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FileTokenSnapshotStore } from '../crypto/file-token-snapshot-store.js';
import type { CaStore } from '../crypto/internal-ca/ca-store.js';
import { FileCaStore } from '../crypto/internal-ca/file-ca-store.js';

/** parseArgs option of the data directory. */
export const DATA_DIR_OPTION = { 'data-dir': { type: 'string' } } as const;

/** Help line of the data directory option. */
export const DATA_DIR_HELP = '  --data-dir DIR          data directory (default: $SIGNSERVICE_DATA_DIR, else ./data)';

/** The data directory named by the flag, the environment or the default, as an absolute path. */
export function dataDirFrom(values: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): string {
  const flag = values['data-dir'];
  const dir = typeof flag === 'string' && flag !== '' ? flag : env.SIGNSERVICE_DATA_DIR || 'data';
  return path.resolve(dir);
}

/** Whether the data directory exists (read-only commands never create it). */
export function dataDirExists(dataDir: string): boolean {
  return fs.existsSync(dataDir);
}

/** The internal CA's store in the data directory. */
export function caStoreIn(dataDir: string): CaStore {
  return new FileCaStore(dataDir);
}

/** The token snapshot store in the data directory. */
export function snapshotStoreIn(dataDir: string): FileTokenSnapshotStore {
  return new FileTokenSnapshotStore(dataDir);
}
