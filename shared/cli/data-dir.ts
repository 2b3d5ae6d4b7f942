/**
 * The data directory of the CLI: the internal CA, the token snapshots of the inventory and the master key
 * file live there, and the embedded store. Which directory it is, config-file.ts decides for every command
 * and the service alike: `--data-dir`, else SIGNSERVICE_DATA_DIR in the environment, else in
 * /etc/signservice/signservice.env, else `./data` of the current folder.
 *
 * Only init-type commands make a data directory or a store (`init`, `ca init`, `restore`; and the service
 * at its start). Every other command refuses a missing one, naming the directory it looked at and how to
 * name the right one, instead of running on a new, empty one (the folder a command runs from is no proof of
 * anything).
 */
import fs from 'node:fs';
import { chooseDataDir, type DataDirChoice, howToNameDataDir } from '../config-file.js';
import { FileTokenSnapshotStore } from '../crypto/file-token-snapshot-store.js';
import type { CaStore } from '../crypto/internal-ca/ca-store.js';
import { FileCaStore } from '../crypto/internal-ca/file-ca-store.js';
import { AppError, ErrorCode } from '../errors.js';

/** parseArgs option of the data directory. */
export const DATA_DIR_OPTION = { 'data-dir': { type: 'string' } } as const;

/** The data directory option's flag and text, for help made by command-help.ts. */
export const DATA_DIR_FLAG = '--data-dir DIR';
export const DATA_DIR_TEXT =
  'data directory (default: $SIGNSERVICE_DATA_DIR, else SIGNSERVICE_DATA_DIR in\n' +
  '/etc/signservice/signservice.env or the file $SIGNSERVICE_CONFIG names, else ./data)';

/** Help lines of the data directory option. */
export const DATA_DIR_HELP = `  ${DATA_DIR_FLAG.padEnd(24)}${DATA_DIR_TEXT.replace('\n', `\n${' '.repeat(26)}`)}`;

/** The data directory named by the flag, the environment, the configuration file or the default. */
export function dataDirChoice(values: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): DataDirChoice {
  return chooseDataDir(env, values['data-dir']);
}

/** The data directory as an absolute path (it may not exist: see `existingDataDir`). */
export function dataDirFrom(values: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): string {
  return dataDirChoice(values, env).dir;
}

/** Whether the data directory exists (read-only commands never create it). */
export function dataDirExists(dataDir: string): boolean {
  return fs.existsSync(dataDir);
}

/** The refusal of a missing data directory: where the command looked, why there, and what to do. */
export function dataDirMissing(
  where: Pick<DataDirChoice, 'dir' | 'named'>,
  env: NodeJS.ProcessEnv = process.env,
): AppError {
  return new AppError(
    ErrorCode.DATA_DIR_NOT_FOUND,
    `No SignService data directory at ${where.dir} (${where.named}): ${howToNameDataDir(env)}. ` +
      `To make a new one there, run 'signservice init${where.named === '--data-dir' ? ` --data-dir ${where.dir}` : ''}'.`,
  );
}

/** The data directory, which must exist. @throws AppError DATA_DIR_NOT_FOUND */
export function existingDataDir(values: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): string {
  const choice = dataDirChoice(values, env);
  if (!dataDirExists(choice.dir)) throw dataDirMissing(choice, env);
  return choice.dir;
}

/** The internal CA's store in the data directory. */
export function caStoreIn(dataDir: string): CaStore {
  return new FileCaStore(dataDir);
}

/** The token snapshot store in the data directory. */
export function snapshotStoreIn(dataDir: string): FileTokenSnapshotStore {
  return new FileTokenSnapshotStore(dataDir);
}
