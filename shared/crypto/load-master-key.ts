/**
 * Loads the master key named by the config: base64 from the environment, or a file holding base64. In
 * embedded mode the file may be created on first start (32 random bytes, base64, mode 0600) with a warning,
 * because losing it makes every stored secret unreadable and the operator must back it up.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { AppError, ErrorCode } from '../errors.js';
import { errnoSentence } from '../fs/file-error.js';
import { generateMasterKeyBytes, MasterKey } from './master-key.js';

export interface LoadMasterKeyOptions {
  /** Where warnings go. @default a line on stderr */
  warn?: (line: string) => void;
}

function readKeyFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AppError(ErrorCode.FILE_IO, `Cannot read the master key file ${file}: ${errnoSentence(e)}`);
  }
}

/** Creates the key file exclusively ('wx'), so two processes starting at once cannot both write one. */
function createKeyFile(file: string, warn: (line: string) => void): string {
  const text = `${generateMasterKeyBytes().toString('base64')}\n`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return fs.readFileSync(file, 'utf8');
    throw new AppError(ErrorCode.FILE_IO, `Cannot create the master key file ${file}: ${errnoSentence(e)}`);
  }
  warn(
    `signservice: WARNING: created a new master key in ${file}. It encrypts every stored secret: back it up ` +
      'and keep it private; without it the stored keys and OTP secrets cannot be read.',
  );
  return text;
}

/**
 * The master key from `source` (config.masterKey).
 * @throws AppError MASTER_KEY_INVALID when it is missing (and may not be created) or not base64 of 32 bytes.
 */
export function loadMasterKey(source: Config['masterKey'], options: LoadMasterKeyOptions = {}): MasterKey {
  const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (source.source === 'env') return MasterKey.fromBase64(source.value, 'SIGNSERVICE_MASTER_KEY');
  let text = readKeyFile(source.file);
  if (text === undefined) {
    if (!source.createIfMissing) {
      throw new AppError(
        ErrorCode.MASTER_KEY_INVALID,
        `the master key file ${source.file} does not exist; restore it from the backup (or point SIGNSERVICE_MASTER_KEY_FILE at it)`,
      );
    }
    text = createKeyFile(source.file, warn);
  } else if (process.platform !== 'win32' && (fs.statSync(source.file).mode & 0o077) !== 0) {
    warn(`signservice: WARNING: the master key file ${source.file} is readable by other users; run chmod 600 on it`);
  }
  return MasterKey.fromBase64(text, `the master key file ${source.file}`);
}
