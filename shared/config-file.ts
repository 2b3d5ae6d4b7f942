/**
 * Where the settings come from before the schema (config.ts) sees them: the process environment over the
 * configuration file, `/etc/signservice/signservice.env` (or the file SIGNSERVICE_CONFIG names), so that a
 * command run from any folder finds the same data directory as the service. Also the one decision of the
 * data directory: `--data-dir`, else SIGNSERVICE_DATA_DIR in the environment, else in the file, else
 * `./data` of the current folder — with where it came from, for every message that names it.
 *
 * The file has the format of systemd's EnvironmentFile=: `NAME=value` lines, `#` comment lines and blank
 * lines; one pair of quotes around a value is removed, nothing else is interpreted (a `#` inside a value
 * stays). A line that is none of these is refused with its number: Node's own `util.parseEnv` would merge
 * it silently into the next setting. This module loads no schema library, so that light commands (`sign`)
 * stay light; config.ts checks the file's names against the schema.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError, ErrorCode } from './errors.js';
import { errnoOf, errnoSentence } from './fs/file-error.js';

/** The configuration file read when SIGNSERVICE_CONFIG does not name another. */
export const DEFAULT_CONFIG_FILE = '/etc/signservice/signservice.env';

/**
 * Variables read outside the schema, each documented in README's tables like the schema's: the process
 * reads them itself, or the CLI reads them as fallbacks of its flags.
 */
export const SETTINGS_OUTSIDE_SCHEMA: Readonly<Record<string, string>> = {
  SIGNSERVICE_CONFIG: 'names the configuration file itself',
  TZ: 'read by Node.js and Intl: the service time zone',
  SIGNSERVICE_PKCS11_MODULE: 'fallback of the CLI flag --pkcs11-module',
  SIGNSERVICE_TOKEN_LABEL: 'fallback of the CLI flag --token',
  SIGNSERVICE_TOKEN_SERIAL: 'fallback of the CLI flag --token-serial',
  SIGNSERVICE_TOKEN_PIN_FILE: 'fallback of the CLI flag --pin-file',
  SIGNSERVICE_P12_PASSWORD: 'fallback of the CLI flag --p12-password',
  SIGNSERVICE_DEBUG: 'the CLI prints the stack of an unexpected error',
};

/** A configuration file and the settings it holds. */
export interface ConfigFile {
  path: string;
  values: Readonly<Record<string, string>>;
}

const LINE = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;

/** Parses `NAME=value` lines. @throws AppError CONFIG_INVALID naming the file and the line. */
export function parseConfigFile(text: string, file: string): Record<string, string> {
  const values: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = LINE.exec(line);
    if (!match) {
      throw new AppError(
        ErrorCode.CONFIG_INVALID,
        `${file}, line ${index + 1}: expected NAME=value, a # comment or an empty line, not "${line.slice(0, 40)}"`,
      );
    }
    const value = match[2] as string;
    const quoted = /^(["'])(.*)\1$/.exec(value);
    values[match[1] as string] = quoted ? (quoted[2] as string) : value;
  });
  return values;
}

/** Which file is the configuration file: SIGNSERVICE_CONFIG's, else the default one. */
export function configFilePath(env: NodeJS.ProcessEnv): { path: string; named: boolean } {
  const named = env.SIGNSERVICE_CONFIG?.trim();
  return named ? { path: path.resolve(named), named: true } : { path: DEFAULT_CONFIG_FILE, named: false };
}

/**
 * The configuration file, or undefined when the default one does not exist. A file SIGNSERVICE_CONFIG names
 * must exist (`/dev/null` names an empty one).
 * @throws AppError CONFIG_INVALID when it is missing (named), unreadable or malformed.
 */
export function readConfigFile(env: NodeJS.ProcessEnv): ConfigFile | undefined {
  const { path: file, named } = configFilePath(env);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' && !named) return undefined;
    throw new AppError(
      ErrorCode.CONFIG_INVALID,
      `Cannot read the configuration file ${file}${named ? ' (SIGNSERVICE_CONFIG)' : ''}: ${errnoSentence(error)}`,
      { cause: error },
    );
  }
  const values = parseConfigFile(text, file);
  const dataDir = values.SIGNSERVICE_DATA_DIR;
  if (dataDir && !path.isAbsolute(dataDir)) {
    throw new AppError(
      ErrorCode.CONFIG_INVALID,
      `${file}: SIGNSERVICE_DATA_DIR must be an absolute path, not "${dataDir}" (a relative one would follow the current folder)`,
    );
  }
  return { path: file, values };
}

/**
 * The settings: the environment over the file. A variable set to an empty value counts as not set (docker-compose's
 * `${MAIL_FROM:-}` passes one), so the file's value or the default applies.
 */
export function settingsFrom(env: NodeJS.ProcessEnv, file: ConfigFile | undefined): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...file?.values };
  for (const [name, value] of Object.entries(env)) if (value !== undefined && value !== '') merged[name] = value;
  return merged;
}

/** The environment the CLI and the services read: `env` (the process's) over its configuration file. */
export function settingsEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return settingsFrom(env, readConfigFile(env));
}

/** The data directory and where it was named. */
export interface DataDirChoice {
  /** Absolute. */
  dir: string;
  source: 'flag' | 'environment' | 'file' | 'default';
  /** Where it was named, for messages: "--data-dir", "SIGNSERVICE_DATA_DIR in /etc/…", … */
  named: string;
}

/**
 * The one decision of the data directory: `flag` (--data-dir), else SIGNSERVICE_DATA_DIR in the environment,
 * else in the configuration file, else `./data` of the current folder.
 */
export function chooseDataDir(
  env: NodeJS.ProcessEnv,
  flag?: unknown,
  file: ConfigFile | undefined = readConfigFile(env),
): DataDirChoice {
  if (typeof flag === 'string' && flag.trim() !== '') {
    return { dir: path.resolve(flag), source: 'flag', named: '--data-dir' };
  }
  const fromEnv = env.SIGNSERVICE_DATA_DIR?.trim();
  if (fromEnv) return { dir: path.resolve(fromEnv), source: 'environment', named: 'SIGNSERVICE_DATA_DIR' };
  const fromFile = file?.values.SIGNSERVICE_DATA_DIR?.trim();
  if (file && fromFile) {
    return { dir: path.resolve(fromFile), source: 'file', named: `SIGNSERVICE_DATA_DIR in ${file.path}` };
  }
  return { dir: path.resolve('data'), source: 'default', named: 'the default ./data in the current folder' };
}

/** How to name another data directory, for messages. */
export function howToNameDataDir(env: NodeJS.ProcessEnv): string {
  return (
    'name yours with --data-dir DIR, the SIGNSERVICE_DATA_DIR environment variable, or a line ' +
    `SIGNSERVICE_DATA_DIR=DIR in ${configFilePath(env).path}`
  );
}
